"""How a plan looks in Todoist, and how Todoist objects read back (pure).

One project per plan (its description carries the vision), a section per milestone in order, a
checkpoint task per milestone due on its date, a task per action and a subtask per checklist item.
Everything careersync creates ends its description with a marker, `[careersync PLAN KEY]`, so
its own objects are recognised even when the state DB is lost; sections have no description and
are recognised only through the marked tasks inside them (its checkpoint first), never by name.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sync.model import Item, Remote
from sync.plan import WEEKDAYS, Action, Milestone, Plan

MARKER = re.compile(r"\[careersync ([a-z0-9][a-z0-9-]*) ([a-z]+(?::[a-z0-9-]+)*(?::[0-9]+)?)\]\s*$")
URGENT, HIGH, NORMAL = 4, 3, 1


def mark(text: str | None, plan_id: str, key: str) -> str:
    tag = f"[careersync {plan_id} {key}]"
    return f"{text.rstrip()}\n\n{tag}" if text and text.strip() else tag


def read_mark(text: str | None) -> tuple[str, str] | None:
    match = MARKER.search(text or "")
    return (match.group(1), match.group(2)) if match else None


def recurrence_string(action: Action, next_block: date | None = None) -> str:
    """Todoist's recurring due string for an action's `every`/`days`.

    `every: day` with days happens on each of them; `week` or `2 weeks` happens once a period,
    on its one listed day, or (none or several listed) on whichever day the planner finds room:
    then the task recurs on the weekday of its next block, so it is due when its block is.
    """
    assert action.recurrence is not None
    every, days = action.recurrence.every, list(action.recurrence.days)
    if every in ("week", "2 weeks") and len(days) != 1 and next_block is not None:
        days = [WEEKDAYS[next_block.weekday()]]
    if every == "day" and days:
        rule = "every " + ", ".join(days)
    elif every == "week" and len(days) == 1:
        rule = f"every {days[0]}"
    elif every == "2 weeks" and len(days) == 1:
        rule = f"every other {days[0]}"
    else:
        rule = f"every {every}"
    starting = f" starting {action.start.isoformat()}" if action.start else ""
    until = f" until {action.until.isoformat()}" if action.until else ""
    return rule + starting + until


def todoist_items(
    plan: Plan,
    *,
    due: Mapping[str, date] | None = None,
    texts: Mapping[str, str] | None = None,
) -> list[Item]:
    """The desired Todoist objects, parents before children.

    `due` gives an action's next focus-block day (the task's due follows it); `texts` gives each
    milestone's progress paragraph for its checkpoint task.
    """
    due, texts = due or {}, texts or {}
    items = [
        Item(
            "project",
            "project",
            {"name": plan.title, "description": mark(plan.vision.text(), plan.id, "project")},
        )
    ]
    for number, milestone in enumerate(plan.milestones, start=1):
        section = f"section:{milestone.id}"
        items.append(
            Item(section, "section", {"name": milestone.title, "order": number}, "project")
        )
        for order, action in enumerate(milestone.actions, start=1):
            items += _action_items(plan, milestone, action, order, due.get(action.id))
        items.append(_checkpoint(plan, milestone, texts.get(milestone.id)))
    return items


def _task(
    content: str,
    description: str,
    parent: str,
    order: int,
    *,
    due: str | None = None,
    deadline: date | None = None,
    minutes: int | None = None,
    labels: list[str] | None = None,
    priority: int = NORMAL,
) -> dict[str, Any]:
    return {
        "content": content,
        "description": description,
        "due": due,
        "deadline": deadline.isoformat() if deadline else None,
        "duration": minutes or None,
        "labels": sorted(labels or []),
        "priority": priority,
        "parent": parent,
        "order": order,
    }


def _action_items(
    plan: Plan, milestone: Milestone, action: Action, order: int, next_block: date | None
) -> list[Item]:
    key = f"task:{action.id}"
    recurring = action.recurrence is not None
    fields = _task(
        action.title,
        mark(action.notes, plan.id, key),
        f"section:{milestone.id}",
        order,
        due=(
            recurrence_string(action, next_block)
            if recurring
            else (next_block or action.due).isoformat()
        ),
        deadline=action.until if recurring else action.due,
        minutes=int(action.effort.total_seconds() // 60),
        labels=[action.kind] if action.kind else [],
        priority=URGENT if action.first else NORMAL,
    )
    items = [Item(key, "task", fields, f"section:{milestone.id}")]
    for n, text in enumerate(action.checklist, start=1):
        sub = f"sub:{action.id}:{n}"
        items.append(Item(sub, "task", _task(text, mark(None, plan.id, sub), key, n), key))
    return items


def _checkpoint(plan: Plan, milestone: Milestone, progress: str | None) -> Item:
    key = f"checkpoint:{milestone.id}"
    text = "\n\n".join(t for t in (milestone.notes, progress) if t)
    fields = _task(
        f"Milestone: {milestone.title}",
        mark(text, plan.id, key),
        f"section:{milestone.id}",
        len(milestone.actions) + 1,
        due=milestone.due.isoformat(),
        labels=["milestone", *([milestone.kind] if milestone.kind else [])],
        priority=HIGH,
    )
    return Item(key, "task", fields, f"section:{milestone.id}")


# Reading Todoist objects back ------------------------------------------------------------


def remote_task(obj: Mapping[str, Any], keys: Mapping[str, str], plan_id: str) -> Remote:
    """A task as careersync's fields; `keys` maps remote ids of containers to their keys."""
    marked = read_mark(obj.get("description"))
    due = obj.get("due")
    if due is None:
        due_value = None
    elif due.get("is_recurring"):
        due_value = due.get("string")
    else:
        due_value = str(due["date"])[:10]
    duration = obj.get("duration")
    minutes = None
    if duration:
        minutes = int(duration["amount"]) * (1440 if duration["unit"] == "day" else 1)
    if obj.get("parent_id"):
        parent = keys.get(obj["parent_id"])
    elif obj.get("section_id"):
        parent = keys.get(obj["section_id"])
    else:
        parent = "project"
    fields = {
        "content": obj["content"],
        "description": obj.get("description") or "",
        "due": due_value,
        "deadline": (obj.get("deadline") or {}).get("date"),
        "duration": minutes,
        "labels": sorted(obj.get("labels") or []),
        "priority": obj.get("priority", NORMAL),
        "parent": parent,
        "order": obj.get("child_order"),
    }
    completed = obj.get("completed_at") if obj.get("checked") else None
    return Remote(
        remote_id=obj["id"],
        kind="task",
        key=marked[1] if marked and marked[0] == plan_id else None,
        fields=fields,
        completed_at=_timestamp(completed) if completed else None,
        deleted=bool(obj.get("is_deleted")),
        raw=obj,
        container=obj.get("parent_id") or obj.get("section_id") or obj.get("project_id"),
    )


def section_of(plan: Plan, key: str) -> str | None:
    """The milestone section a careersync task key belongs to in `plan` (None: not in it)."""
    kind, _, rest = key.partition(":")
    if kind == "checkpoint":
        return f"section:{rest}" if any(m.id == rest for m in plan.milestones) else None
    action = rest.split(":")[0]
    return next((f"section:{m.id}" for m, a in plan.actions() if a.id == action), None)


def remote_section(obj: Mapping[str, Any], key: str | None) -> Remote:
    """A section; its `key` comes from the marked tasks inside it (sections carry no marker)."""
    return Remote(
        remote_id=obj["id"],
        kind="section",
        key=key,
        container=obj.get("project_id"),
        fields={"name": obj["name"], "order": obj.get("section_order")},
        deleted=bool(obj.get("is_deleted")) or bool(obj.get("is_archived")),
        raw=obj,
    )


def remote_project(obj: Mapping[str, Any], plan_id: str) -> Remote:
    marked = read_mark(obj.get("description"))
    return Remote(
        remote_id=obj["id"],
        kind="project",
        key="project" if marked == (plan_id, "project") else None,
        fields={"name": obj["name"], "description": obj.get("description") or ""},
        deleted=bool(obj.get("is_deleted")) or bool(obj.get("is_archived")),
        raw=obj,
    )


def _timestamp(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# Writing: careersync's fields as /sync command arguments ---------------------------------


def task_args(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Sync-command arguments for the task fields given (content, due, ...), not parent/order."""
    args: dict[str, Any] = {}
    for name, value in fields.items():
        if name in ("content", "description", "labels", "priority"):
            args[name] = value
        elif name == "due":
            if value is None:
                args["due"] = None
            elif value[:1].isdigit():
                args["due"] = {"date": value}
            else:
                args["due"] = {"string": value, "lang": "en"}
        elif name == "deadline":
            args["deadline"] = {"date": value} if value else None
        elif name == "duration":
            args["duration"] = {"amount": value, "unit": "minute"} if value else None
    return args
