"""The agenda: the coming focus blocks and milestone days of a plan, day by day.

Pure: the plan, the calendar records the last sync left, what is done, `now` and a number of
days in; entries out, in time order. `careersync agenda` prints them (like `gcalcli agenda`).
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sync.blocks import parse_block_key, span_of
from sync.model import Record
from sync.plan import Plan


@dataclass(frozen=True)
class Entry:
    day: date
    kind: str  # "block" or "milestone"
    title: str
    milestone_id: str
    action_id: str | None = None
    start: datetime | None = None  # blocks only, in the plan's zone
    end: datetime | None = None
    done: bool = False


def agenda(
    plan: Plan,
    records: Mapping[str, Record],
    done: Set[str],
    now: datetime,
    days: int,
) -> list[Entry]:
    """Blocks that have not ended yet and milestone days, from today (in the plan's zone) for
    `days` days; `done` holds the ids of done actions and milestones."""
    tz = plan.tz
    today = now.astimezone(tz).date()
    last = today + timedelta(days=days)  # exclusive
    owner = {a.id: (m, a) for m, a in plan.actions()}
    entries = []
    for key, record in records.items():
        parsed = parse_block_key(key)
        span = span_of(record.synced, tz)
        if parsed is None or span is None or record.status != "active":
            continue
        start, end = (at.astimezone(tz) for at in span)
        if end <= now or not today <= start.date() < last or parsed[0] not in owner:
            continue
        milestone, action = owner[parsed[0]]
        entries.append(
            Entry(
                start.date(),
                "block",
                action.title,
                milestone.id,
                action.id,
                start,
                end,
                action.id in done,
            )
        )
    for milestone in plan.milestones:
        if today <= milestone.due < last:
            entries.append(
                Entry(
                    milestone.due,
                    "milestone",
                    milestone.title,
                    milestone.id,
                    done=milestone.id in done,
                )
            )
    return sorted(entries, key=_order)


def _order(entry: Entry) -> tuple[date, int, float]:
    """Day by day; milestone days first in their day, then blocks by instant."""
    return (entry.day, entry.kind == "block", entry.start.timestamp() if entry.start else 0.0)
