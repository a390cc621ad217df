"""Tenant isolation: each tenant's kit, its network policies, and the cluster-wide guardrails."""
