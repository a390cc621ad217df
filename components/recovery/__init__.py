"""Disaster recovery: what the DR region holds so the platform can come back there (docs/dr.md)."""
