"""GenBI (WrenAI) settings users write: the pipeline catalog (config/catalog/genbi.yaml) and data sources.

How the platform runs it (requests, ports, the AI service's generated configuration) is in
plan/genbi.py.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import Field, field_validator

from config.types import DnsLabel, Spec


class Pipeline(Spec):
    llm: bool = False
    embedder: bool = False
    engine: Literal["wren_ui", "wren_ibis", "wren_engine"] | None = None
    document_store: bool = False


class GenBiCatalog(Spec):
    """config/catalog/genbi.yaml: WrenAI's pipelines (every one must be configured) and its settings."""

    source: str
    release: str
    pipelines: dict[str, Pipeline] = Field(min_length=1)
    settings: dict[str, Any]


class DataSource(Spec):
    """A database GenBI may query: the ibis server and the engine may reach exactly this address."""

    name: DnsLabel
    host: str = Field(description="An IPv4 address or CIDR: network policies match addresses, not names.")
    port: int = Field(ge=1, le=65535)

    @field_validator("host")
    @classmethod
    def _address(cls, value: str) -> str:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError("is not an IPv4 address or CIDR (network policies match addresses; use the database's "
                             "private IP, e.g. 10.20.0.5)") from None
        return value

    @property
    def cidr(self) -> str:
        return str(ipaddress.ip_network(self.host, strict=False))
