"""Checks of the platform entry: the gateway's zone and domain agree, exposures name real endpoints,
and what the Inference Gateway and IAP need is in place."""

from __future__ import annotations

from config.checks.common import env_file, fail, tenant_file
from config.errors import ConfigError, did_you_mean, field_path
from config.spec import PlatformSpec
from config.tenancy import InferenceWorkload

# GKE installs the GA InferencePool and Gateway API CRDs from 1.34.0-gke.1626000; the REGULAR and
# RAPID channels' defaults are past it, STABLE's may not be (docs/entry.md).
INFERENCE_GATEWAY_CHANNELS = ("REGULAR", "RAPID")


def entry(spec: PlatformSpec) -> None:
    settings, file = spec.env.entry, env_file(spec)
    exposing = [t for t in spec.tenants if t.sites]
    if settings is None:
        if exposing:
            tenant = exposing[0]
            where = "expose" if tenant.expose else field_path(("workloads", tenant.workloads.index(tenant.genbi[0])))
            what = "expose nothing here" if tenant.expose else "GenBI's UI is served only through it"
            raise ConfigError(tenant_file(tenant.name), where, f"stack {spec.stack} has no platform entry: "
                              f"add an `entry` section to {file} (docs/entry.md); {what}")
        return
    zone = settings.dns.dns_name.rstrip(".")
    if not (settings.domain == zone or settings.domain.endswith("." + zone)):
        raise fail(file, ("entry", "domain"), settings.domain,
                   f"is outside the DNS zone '{settings.dns.dns_name}' (entry.dns): use a name under {zone}")
    if settings.inference_gateway and spec.catalog.versions.gke.release_channel not in INFERENCE_GATEWAY_CHANNELS:
        raise fail(file, ("entry", "inference_gateway"), True,
                   f"needs GKE 1.34.0-gke.1626000 or later: release channel {spec.catalog.versions.gke.release_channel} "
                   f"in config/catalog/versions.yaml (use {' or '.join(INFERENCE_GATEWAY_CHANNELS)})")
    secrets = [s.name for s in spec.env.data.secrets.external]
    if settings.iap.client_secret not in secrets:
        raise fail(file, ("entry", "iap", "client_secret"), settings.iap.client_secret,
                   f"is not a data.secrets.external entry ({did_you_mean(settings.iap.client_secret, secrets)}"
                   "declare it, then `pulumi config set --secret` its config_key)")


def exposures(spec: PlatformSpec) -> None:
    """Every name in a tenant's `expose` is one of its inference endpoints."""
    for tenant in spec.all_tenants:
        endpoints = [w.name for w in tenant.workloads if isinstance(w, InferenceWorkload)]
        for i, name in enumerate(tenant.expose):
            if name not in endpoints:
                raise ConfigError(tenant_file(tenant.name), f"expose[{i}]",
                                  f"{name!r} is not an inference endpoint of this tenant "
                                  f"({did_you_mean(name, endpoints)}endpoints: {', '.join(endpoints) or 'none'})")
