"""Stateful data services: buckets and Filestore, Cloud SQL, Secret Manager."""
