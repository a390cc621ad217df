"""Constrained value types shared by every config model.

Validators raise ``ValueError`` with a message phrased to follow the offending value
(``'10.4.0.0/33' is not an IPv4 network ...``); ``config.errors`` puts file, field path
and value in front of it. ``FieldError`` lets a model-level check point at one field.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import zoneinfo
from datetime import datetime
from typing import Annotated

from cronsim import CronSim, CronSimError
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


# Cron as KEDA's cron scaler reads it: robfig/cron's parser with minute, hour, day of month, month and day
# of week (no seconds, no @descriptors); numbers, JAN-DEC and SUN-SAT, `* , - /` and `?` (as `*`).
CRON_FIELDS = (("minute", 0, 59, ()), ("hour", 0, 23, ()), ("day-of-month", 1, 31, ()),
               ("month", 1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")),
               ("day-of-week", 0, 6, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")))
CRON_EXAMPLE = "expected 5 fields like '0 8 * * 1-5'"


def _cron_field(text: str, name: str, low: int, high: int, names: tuple[str, ...]) -> str | None:
    """Why one field is not robfig/cron syntax, or None. Names count from ``low`` (JAN is 1, SUN is 0)."""
    for term in text.split(","):
        span, _, step = term.partition("/")
        if "/" in term and not (step.isdigit() and int(step) > 0):
            return f"{name} step '/{step}' is not a positive number"
        if span in ("*", "?"):
            continue
        values = []
        for value in span.split("-", 1):
            if value.upper() in names:
                values.append(names.index(value.upper()) + low)
            elif not value.isdigit():
                named = f" or one of {names[0]}-{names[-1]}" if names else ""
                unsupported = ": KEDA's cron has no L, W, # or H" if re.search(r"[LW#H]", value.upper()) else ""
                return f"{name} '{value}' is not a number{named}{unsupported}" if value else \
                    f"{name} '{text}' has an empty part"
            elif not low <= int(value) <= high:
                return f"{name} {int(value)} is out of range {low}-{high}"
            else:
                values.append(int(value))
        if len(values) == 2 and values[0] > values[1]:
            return f"{name} range {span} runs backwards (list both parts instead, like 5-6,0-1)"
    return None


def _cron(value: str) -> str:
    fields = value.split()
    if len(fields) != len(CRON_FIELDS):
        raise ValueError(f"is not a cron expression (it has {len(fields)} field{'s' * (len(fields) != 1)}; "
                         f"{CRON_EXAMPLE}: minute hour day-of-month month day-of-week)")
    problem = next((p for f, spec in zip(fields, CRON_FIELDS, strict=True) if (p := _cron_field(f, *spec))), None)
    if problem is None:
        # The library has the last word: it also refuses dates that never come (30 2 is February 30).
        try:
            CronSim(" ".join(f.replace("?", "*") for f in fields), datetime(2000, 1, 1))
        except CronSimError as error:
            problem = (f"day-of-month {fields[2]} never occurs in month {fields[3]}" if "day-of-month" in str(error)
                       else str(error).lower())
    if problem:
        raise ValueError(f"is not a cron expression ({problem}; {CRON_EXAMPLE})")
    return value


def _time_zone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones, like 'Europe'
        close = difflib.get_close_matches(value, zoneinfo.available_timezones(), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise ValueError(f"is not an IANA time zone ({hint}expected a name like 'Europe/Berlin' or 'Etc/UTC')") from None
    return value


Cidr = Annotated[str, AfterValidator(_cidr)]
DnsLabel = Annotated[str, AfterValidator(_dns_label)]
ProjectId = Annotated[str, AfterValidator(_project_id)]
Cron = Annotated[str, AfterValidator(_cron)]
"""A 5-field cron expression that KEDA's cron scaler (robfig/cron) accepts and that fires at some time."""
TimeZone = Annotated[str, AfterValidator(_time_zone)]
"""An IANA time zone name (``Europe/Berlin``, ``Etc/UTC``), checked against the tz database."""


def network(value: str) -> ipaddress.IPv4Network:
    """The ``ipaddress`` form of a validated ``Cidr``."""
    return ipaddress.IPv4Network(value)
