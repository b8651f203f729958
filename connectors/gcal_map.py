"""Pure mapping between a plan (and its blocks) and Google Calendar resources.

Keys: `calendar` (the plan's calendar), `milestone:<id>` (an all-day event on the milestone's
due date), `block:<action id>:<index>` (a focus block, see `sync.blocks`). Every event gets a
deterministic id from plan id + key, and private extended properties naming both, so creation
is idempotent (a repeat insert is a 409) and careersync always recognises its own events.

Compared fields (what decide reads) have one shape on both sides: `summary`, `description`
(empty when unset, as Google omits it), and `start`/`end` as `{"date"}` for all-day events or
`{"dateTime", "timeZone"}` rendered in the plan's zone, whatever zone Google answers in. A
block's times are fields too: a kept block's item takes the remote's current times, so a block
the user moved is never moved back; decide then only records where it now is.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sync.calendar_layout import (
    CALENDAR,
    KEY_PROPERTY,
    MILESTONE,
    PLAN_PROPERTY,
    block_item,
    calendar_item,
    calendar_items,
    calendar_title,
    marker,
    milestone_item,
)
from sync.model import Item, Remote
from sync.spans import parse_time, time_field

__all__ = [
    "CALENDAR",
    "MILESTONE",
    "block_item",
    "calendar_item",
    "calendar_items",
    "calendar_title",
    "event_body",
    "event_id",
    "marker",
    "milestone_item",
    "to_remote",
]
EVENT_FIELDS = ("summary", "description", "start", "end")
CALENDAR_FIELDS = ("summary", "description", "timeZone")
FREEBUSY_LIMIT = timedelta(days=90)  # longest range one freeBusy query may ask for
FREEBUSY_MARGIN = timedelta(days=1)  # the limit is not documented (api-notes/gcal.md §5)


def event_id(plan_id: str, key: str) -> str:
    """Deterministic base32hex event id (`^[a-v0-9]{5,1024}$`), 52 characters."""
    digest = hashlib.sha256(f"{plan_id}/{key}".encode()).digest()
    return base64.b32hexencode(digest).decode().lower().rstrip("=")


def event_body(plan_id: str, item: Item) -> dict[str, Any]:
    """The events.insert body of an item: its id, fields and create-only values."""
    return {"id": event_id(plan_id, item.key), **dict(item.fields), **dict(item.initial)}


# Remote side --------------------------------------------------------------------------------


def to_remote(event: Mapping[str, Any], plan_id: str, tz: ZoneInfo | None = None) -> Remote:
    """An event as decide sees it; keyed only when its marks name this plan."""
    private = (event.get("extendedProperties") or {}).get("private") or {}
    key = private.get(KEY_PROPERTY) if private.get(PLAN_PROPERTY) == plan_id else None
    zone = tz or ZoneInfo("UTC")
    fields = {
        "summary": event.get("summary", ""),
        "description": event.get("description", ""),
        "start": _when(event.get("start"), zone),
        "end": _when(event.get("end"), zone),
    }
    return Remote(
        remote_id=str(event["id"]),
        kind="event",
        key=key,
        fields=fields,
        deleted=event.get("status") == "cancelled",
        raw=event,
    )


def _when(value: Any, tz: ZoneInfo) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    if value.get("date"):
        return {"date": str(value["date"])}
    at = parse_time(value, tz)
    return time_field(at, tz) if at is not None else {}


def calendar_remote(
    calendar_id: str, listing: Mapping[str, Any], *, owned: bool, deleted: bool = False
) -> Remote:
    """The calendar itself, from an events.list answer (which carries its title and zone)."""
    fields = {
        "summary": listing.get("summary", ""),
        "description": listing.get("description", ""),
        "timeZone": listing.get("timeZone", ""),
    }
    key = CALENDAR if owned else None
    return Remote(calendar_id, "calendar", key, fields, deleted=deleted, raw=dict(listing))


def freebusy_windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """[start, end) as back-to-back freeBusy ranges in UTC, each under the limit by a margin.

    Counted in UTC: 90 days of wall time in a zone with daylight saving (`start + 90 days` on a
    zoned datetime) can be 90 days and an hour, which Google refuses (`timeRangeTooLong`).
    """
    step = FREEBUSY_LIMIT - FREEBUSY_MARGIN
    low, end = start.astimezone(UTC), end.astimezone(UTC)
    windows = []
    while low < end:
        high = min(low + step, end)
        windows.append((low, high))
        low = high
    return windows
