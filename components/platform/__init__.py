"""The platform underneath: project APIs, network, keys, node identity, cluster and pools, image supply."""
