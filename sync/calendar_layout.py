"""The plan as Google Calendar items: the calendar, an all-day event per milestone, the blocks.

Pure (the core's layout of the plan on the calendar). Keys: `calendar` (the plan's calendar),
`milestone:<id>` (an all-day event on the milestone's due date), `block:<action id>:<index>` (a
focus block, see `sync.blocks`). Each event carries private extended properties naming the plan
and its key, so careersync always recognises its own events (`connectors.gcal_map` reads them).

Compared fields (what decide reads) have one shape on both sides: `summary`, `description`
(empty when unset, as Google omits it), and `start`/`end` as `{"date"}` for all-day events or
`{"dateTime", "timeZone"}` rendered in the plan's zone. A block's times are fields too: a
pinned block's item takes the remote's current times, so a block the user moved is never moved
back; decide then only records where it now is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sync.model import Item
from sync.plan import Action, Milestone, Plan
from sync.spans import Block, block_key, time_field

CALENDAR = "calendar"
MILESTONE = "milestone:"
PLAN_PROPERTY = "careersync_plan"
KEY_PROPERTY = "careersync_key"


def marker(plan_id: str) -> str:
    """The line in the calendar's description that says which plan it belongs to."""
    return f"Managed by careersync (plan {plan_id})."


def calendar_title(plan: Plan) -> str:
    return f"Career plan: {plan.title}"


def calendar_items(
    plan: Plan,
    blocks: Sequence[Block],
    texts: Mapping[str, str] | None = None,
    *,
    own_calendar: bool = True,
) -> list[Item]:
    """The calendar (unless the user named one), a milestone event each, the blocks' events."""
    items = [calendar_item(plan)] if own_calendar else []
    items += [milestone_item(plan, m.id, (texts or {}).get(m.id)) for m in plan.milestones]
    titles = {a.id: (m, a) for m, a in plan.actions()}
    items += [block_item(plan, b, *titles[b.action_id]) for b in blocks if b.action_id in titles]
    return items


def calendar_item(plan: Plan) -> Item:
    description = "\n\n".join(filter(None, [plan.vision.text(), marker(plan.id)]))
    fields = {
        "summary": calendar_title(plan),
        "description": description,
        "timeZone": plan.timezone,
    }
    return Item(CALENDAR, "calendar", fields)


def milestone_item(plan: Plan, milestone_id: str, progress: str | None) -> Item:
    m = plan.milestone(milestone_id)
    key = f"{MILESTONE}{m.id}"
    fields = {
        "summary": f"Milestone: {m.title}",
        "description": "\n\n".join(filter(None, [m.notes, progress])),
        "start": {"date": m.due.isoformat()},
        "end": {"date": (m.due + timedelta(days=1)).isoformat()},
    }
    initial = {**_marks(plan.id, key), "transparency": "transparent"}  # a date, not busy time
    return Item(key, "event", fields, parent=CALENDAR, initial=initial)


def block_item(plan: Plan, block: Block, milestone: Milestone, action: Action) -> Item:
    key = block_key(block.action_id, block.index)
    fields = {
        "summary": action.title,
        "description": "\n\n".join(filter(None, [f"Milestone: {milestone.title}", action.notes])),
        "start": time_field(block.start, plan.tz),
        "end": time_field(block.end, plan.tz),
    }
    return Item(key, "event", fields, parent=CALENDAR, initial=_marks(plan.id, key))


def _marks(plan_id: str, key: str) -> dict[str, Any]:
    return {"extendedProperties": {"private": {PLAN_PROPERTY: plan_id, KEY_PROPERTY: key}}}
