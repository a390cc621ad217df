"""Catalog models: facts about GCP and pinned versions, read from config/catalog/*.yaml."""

from __future__ import annotations

from pydantic import Field

from config.types import Spec


class Region(Spec):
    zones: list[str] = Field(min_length=1, description="Zone suffixes offered in the region (a, b, c).")

    def zone_names(self, region: str) -> list[str]:
        return [f"{region}-{z}" for z in self.zones]


class RegionCatalog(Spec):
    source: str
    as_of: str
    regions: dict[str, Region]


class Catalog(Spec):
    """Everything under config/catalog/, each file validated on its own."""

    regions: RegionCatalog
