"""The `entry` section of an environment file: how the world reaches tenants' endpoints (docs/entry.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from config.types import DnsLabel, FieldError, Spec

GATEWAY_CLASSES = ("gke-l7-regional-external-managed", "gke-l7-rilb")
# Cloud Armor's preconfigured WAF rule sets (CRS 3.3, the names regional policies accept).
WAF_RULES = ("sqli", "xss", "lfi", "rfi", "rce", "methodenforcement", "scannerdetection", "protocolattack",
             "sessionfixation")
RATE_INTERVALS = (10, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2700, 3600)
HOSTNAME = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


class Dns(Spec):
    """The Cloud DNS zone (in the stack's project) that holds the platform's records."""

    zone: str = Field(pattern=r"^[a-z][-a-z0-9]{0,62}$", description="The managed zone's name.")
    dns_name: str = Field(pattern=r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+$",
                          description="The zone's DNS name, with the trailing dot (ai.example.com.).")


class Waf(Spec):
    """Cloud Armor's preconfigured WAF rules on every route: logged only (preview) or enforced."""

    mode: Literal["preview", "enforce"]
    sensitivity: int = Field(1, ge=1, le=4, description="1 blocks the most certain attacks; prompts trip higher levels.")
    rules: list[Literal[WAF_RULES]] = Field(default_factory=lambda: list(WAF_RULES))  # type: ignore[valid-type]


class RateLimit(Spec):
    """Requests one client may send per interval before Cloud Armor answers 429."""

    requests: int = Field(ge=1, le=1_000_000)
    interval_sec: Literal[RATE_INTERVALS] = 60  # type: ignore[valid-type]
    key: Literal["IP", "XFF_IP", "HTTP_HEADER"] = "IP"
    header: str | None = Field(None, pattern=r"^[A-Za-z0-9-]+$", description="With key HTTP_HEADER: its name.")

    @model_validator(mode="after")
    def _header(self) -> RateLimit:
        if (self.key == "HTTP_HEADER") != (self.header is not None):
            raise FieldError("header", self.header, "is required with key HTTP_HEADER, and only with it")
        return self


class Iap(Spec):
    """Identity-Aware Proxy in front of every backend. The OAuth client is created in the console
    (Google retired the API that created them); its secret is a `data.secrets.external` entry."""

    client_id: str = Field(pattern=r"^[0-9]+-[a-z0-9]+\.apps\.googleusercontent\.com$")
    client_secret: DnsLabel = Field("iap-oauth-client", description="The data.secrets.external entry holding it.")


class EntrySpec(Spec):
    gateway_class: Literal[GATEWAY_CLASSES]  # type: ignore[valid-type]
    domain: str = Field(pattern=HOSTNAME, description="Tenant hostnames are <name>.<tenant>.<domain>.")
    dns: Dns
    inference_gateway: bool = Field(False, description="Route exposed models through InferencePools (ADR 0009).")
    waf: Waf
    rate_limit: RateLimit
    iap: Iap
    backend_timeout_sec: int = Field(3600, ge=30, le=86400,
                                     description="Longest response, streamed generations included.")
    tls_profile: Literal["RESTRICTED", "MODERN"] = "RESTRICTED"

    @property
    def internal(self) -> bool:
        return self.gateway_class == "gke-l7-rilb"

    def tenant_domain(self, tenant: str) -> str:
        return f"{tenant}.{self.domain}"

    def hostname(self, tenant: str, name: str) -> str:
        return f"{name}.{self.tenant_domain(tenant)}"
