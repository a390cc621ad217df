"""Operations: alert rules and routing in the cluster, Cloud Monitoring for what the cluster cannot report
about itself, service levels, dashboards, logs and audit, traces (docs/operations.md, ADR 0010)."""
