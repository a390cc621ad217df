"""The way in: the platform gateway, TLS, Cloud Armor and IAP, and each tenant's routes."""
