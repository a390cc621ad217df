"""Offline review: run the real program under Pulumi's mocks and write a review bundle."""
