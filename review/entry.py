"""The review's entry table: every way in, from hostname to backend, and what guards it."""

from __future__ import annotations

from review.harness import StackRun, manifests
from review.markdown import table


def entry_section(run: StackRun) -> str:
    entry = run.spec.env.entry
    if entry is None:
        return "## Entry\n\nThis stack has no platform gateway (`entry` in its environment file).\n"
    objects = manifests(run)
    policies = {(m["metadata"]["namespace"], m["spec"]["targetRef"]["kind"], m["spec"]["targetRef"]["name"]): m
                for m in objects if m["kind"] == "GCPBackendPolicy"}
    limit = entry.rate_limit
    rate = f"{limit.requests} / {limit.interval_sec} s per {limit.key}" + (f" ({limit.header})" if limit.header else "")
    waf = f"{entry.waf.mode}, sensitivity {entry.waf.sensitivity}: {', '.join(entry.waf.rules)}"
    rows = []
    for route in sorted((m for m in objects if m["kind"] == "HTTPRoute" and m["metadata"]["namespace"] != (
            run.spec.env.tenancy.gateway_namespace)), key=lambda m: m["spec"]["hostnames"][0]):
        namespace = route["metadata"]["namespace"]
        for backend in route["spec"]["rules"][0]["backendRefs"]:
            policy = policies.get((namespace, backend["kind"], backend["name"]), {}).get("spec", {}).get("default", {})
            iap = policy.get("iap", {})
            rows.append([
                f"`https://{route['spec']['hostnames'][0]}`", f"`{namespace}/{route['metadata']['name']}`",
                f"{backend['kind']} `{backend['name']}`" + (f":{backend['port']}" if "port" in backend else ""),
                "IAP (owners, viewers, API clients)" if iap.get("enabled") else "**none**",
                rate if policy.get("securityPolicy") else "**none**",
                waf if policy.get("securityPolicy") else "**none**",
                f"{policy.get('timeoutSec', '-')} s / drain {policy.get('connectionDraining', {}).get('drainingTimeoutSec', '-')} s"])
    head = (f"## Entry\n\nGateway class `{entry.gateway_class}` on `*.{entry.domain}` (zone `{entry.dns.zone}`), "
            f"TLS from Certificate Manager (one Google-managed wildcard certificate per tenant), HTTP redirected "
            f"to HTTPS, TLS profile {entry.tls_profile} (TLS 1.2+). "
            + ("Exposed models are routed through InferencePools (GKE Inference Gateway).\n\n"
               if entry.inference_gateway else "Backends are the endpoints' Services.\n\n"))
    if not rows:
        return head + "No tenant exposes anything on this stack.\n"
    return head + table(["host", "route", "backend", "authentication", "rate limit", "WAF (Cloud Armor)",
                         "timeout"], rows)
