"""Constrained value types shared by every config model.

Validators raise ``ValueError`` with a message phrased to follow the offending value
(``'10.4.0.0/33' is not an IPv4 network ...``); ``config.errors`` puts file, field path
and value in front of it. ``FieldError`` lets a model-level check point at one field.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
PROJECT_ID = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")


class Spec(BaseModel):
    """Base of every config model: unknown keys are errors and values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldError(ValueError):
    """A model-level validation failure that belongs to one field (dotted, relative)."""

    def __init__(self, field: str, value: object, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.message = message


def _cidr(value: str) -> str:
    try:
        net = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError("is not an IPv4 network (expected CIDR like 10.4.0.0/14)") from None
    if "/" not in value:
        raise ValueError(f"has no prefix length (expected CIDR like {value}/20)")
    if str(net) != value:
        raise ValueError(f"has host bits set (did you mean {net}?)")
    return value


def _dns_label(value: str) -> str:
    if not DNS_LABEL.match(value) or len(value) > 63:
        raise ValueError(
            "is not a DNS-1123 label (lowercase letters, digits and '-', "
            "starting with a letter, ending with a letter or digit, at most 63 characters)"
        )
    return value


def _project_id(value: str) -> str:
    if not PROJECT_ID.match(value):
        raise ValueError(
            "is not a GCP project id (6-30 characters: lowercase letters, digits and '-', "
            "starting with a letter)"
        )
    return value


Cidr = Annotated[str, AfterValidator(_cidr)]
DnsLabel = Annotated[str, AfterValidator(_dns_label)]
ProjectId = Annotated[str, AfterValidator(_project_id)]


def network(value: str) -> ipaddress.IPv4Network:
    """The ``ipaddress`` form of a validated ``Cidr``."""
    return ipaddress.IPv4Network(value)
