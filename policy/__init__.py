"""The policy pack (PulumiPolicy.yaml, __main__.py) and the rules it shares with the offline review."""
