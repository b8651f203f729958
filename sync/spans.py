"""Spans of time shared by the planner, the block bookkeeping and the calendar connector.

`Interval` is busy time; `Block` is a focus block of an action. A block's key is
`block:<action id>:<index>`; its calendar event's `start`/`end` are Google's EventDateTime,
rendered in the plan's zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

BLOCK = "block:"


@dataclass(frozen=True, order=True)
class Interval:
    """A span of time, half-open [start, end); both ends timezone-aware."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Block:
    """A focus block for an action, in the plan's time zone."""

    action_id: str
    index: int  # block number within the action; stable, part of the calendar event id
    start: datetime
    end: datetime


def block_key(action_id: str, index: int) -> str:
    return f"{BLOCK}{action_id}:{index}"


def parse_block_key(key: str) -> tuple[str, int] | None:
    """(action id, index) of a block key, or None for any other key."""
    if not key.startswith(BLOCK):
        return None
    action_id, _, index = key[len(BLOCK) :].rpartition(":")
    return (action_id, int(index)) if action_id and index.isdigit() else None


def time_field(at: datetime, tz: ZoneInfo) -> dict[str, str]:
    """An event's `start`/`end` for an instant, in the plan's zone (Google's EventDateTime)."""
    return {"dateTime": at.astimezone(tz).isoformat(timespec="seconds"), "timeZone": tz.key}


def parse_time(value: Any, tz: ZoneInfo) -> datetime | None:
    """The instant of an EventDateTime (an all-day `date` is local midnight); None if absent."""
    if not isinstance(value, Mapping):
        return None
    if value.get("dateTime"):
        at = datetime.fromisoformat(str(value["dateTime"]).replace("z", "Z"))
        zone = ZoneInfo(value["timeZone"]) if value.get("timeZone") else tz
        return at if at.tzinfo else at.replace(tzinfo=zone)
    if value.get("date"):
        return datetime.combine(date.fromisoformat(str(value["date"])), time(0), tzinfo=tz)
    return None


def span_of(fields: Mapping[str, Any], tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    start, end = parse_time(fields.get("start"), tz), parse_time(fields.get("end"), tz)
    return (start, end) if start is not None and end is not None and start < end else None
