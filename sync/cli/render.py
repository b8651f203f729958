"""What a sync decided, as a user reads it: titles and times, never internal keys.

`changes` turns an engine outcome into `Change`s (pure: the outcome, what the state store knew
before the run, the plan's zone); `text_lines` and `summary_lines` print them, `as_json` keeps
the keys for scripts. Blocks sort by time, everything else in plan order, deletions naturally
(`block 2` before `block 10`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.markup import escape

from sync.blocks import parse_time
from sync.model import Action, Create, Delete, Forget, Link, Record, Rename, Service, Update

# key prefix -> (kind as the user says it, plural for the summary)
KINDS: dict[str, tuple[str, str]] = {
    "project": ("project", "projects"),
    "calendar": ("calendar", "calendars"),
    "section": ("section", "sections"),
    "milestone": ("milestone event", "milestone events"),
    "checkpoint": ("checkpoint", "checkpoints"),
    "task": ("task", "tasks"),
    "sub": ("task", "tasks"),  # a checklist line is a subtask: a task to the user
    "block": ("block", "blocks"),
}
ORDER = list(dict.fromkeys(kind for kind, _ in KINDS.values()))
OPS = ("create", "update", "delete", "rename", "completed", "dismissed")
SIGNS = {
    "create": "[green]+ create[/]",
    "update": "[yellow]~ update[/]",
    "delete": "[red]- delete[/]",
    "rename": "[yellow]~ rename[/]",
    "completed": "[blue]= done  [/]",
    "dismissed": "[blue]= gone  [/]",
}
Known = Mapping[Service, Mapping[str, Record]]  # service -> key -> record, as before the run


@dataclass(frozen=True)
class Change:
    service: str
    op: str  # one of OPS
    key: str
    kind: str  # as the user says it: "task", "block", "milestone event" ...
    title: str
    start: datetime | date | None = None  # a block's or event's start; a task's due date
    end: datetime | date | None = None
    due: str | None = None  # a task's due as Todoist has it (a date or a recurrence string)
    fields: tuple[str, ...] = ()  # the fields an update writes
    moved_from: datetime | None = None  # where an updated block was


def kind_of(key: str) -> str:
    return KINDS.get(key.partition(":")[0], (key.partition(":")[0], ""))[0]


def changes(
    actions: Mapping[Service, Sequence[Action]], known: Known, tz: ZoneInfo
) -> list[Change]:
    """The outcome's user-visible changes, sorted for reading (state-only records are left out)."""
    found: list[tuple[tuple[Any, ...], Change]] = []
    for service, acts in actions.items():
        before = known.get(service, {})
        for index, action in enumerate(acts):
            change = _change(service, action, before, tz)
            if change is not None:
                found.append((_rank(change, index), change))
    return [c for _, c in sorted(found, key=lambda pair: pair[0])]


def _change(
    service: str, action: Action, before: Mapping[str, Record], tz: ZoneInfo
) -> Change | None:
    if isinstance(action, Forget):
        return None
    record = before.get(action.key)
    old: Mapping[str, Any] = record.synced if record else {}
    if isinstance(action, Create | Update):
        fields: Mapping[str, Any] = {**old, **action.item.fields}
        op = "create" if isinstance(action, Create) else "update"
    elif isinstance(action, Delete):
        fields, op = old, "delete"
    elif isinstance(action, Rename):
        renamed = before.get(action.old)
        fields, op = (renamed.synced if renamed else {}), "rename"
        title = str(fields.get("content") or action.key)
        return Change(
            service,
            op,
            action.key,
            kind_of(action.key),
            f"{title}  (id {_id(action.old)} -> {_id(action.key)})",
        )
    elif isinstance(action, Link):
        if action.status == "active" or (record is not None and record.status == action.status):
            return None  # bookkeeping only: nothing the user would call a change
        fields, op = {**old, **action.synced}, action.status
    start, end = _when(fields.get("start"), tz), _when(fields.get("end"), tz)
    moved = None
    if isinstance(action, Update) and "start" in action.changes:
        previous = _when(old.get("start"), tz)
        moved = previous if isinstance(previous, datetime) and previous != start else None
    due = fields.get("due")
    return Change(
        service,
        op,
        action.key,
        kind_of(action.key),
        str(fields.get("content") or fields.get("name") or fields.get("summary") or action.key),
        start,
        end,
        str(due) if due else None,
        tuple(action.changes) if isinstance(action, Update) else (),
        moved,
    )


def _id(key: str) -> str:
    return key.partition(":")[2]


def _when(value: Any, tz: ZoneInfo) -> datetime | date | None:
    if not isinstance(value, Mapping):
        return None
    if value.get("date"):
        try:
            return date.fromisoformat(str(value["date"]))
        except ValueError:
            return None
    at = parse_time(value, tz)
    return at.astimezone(tz) if at is not None else None


def natural(key: str) -> tuple[tuple[int, int, str], ...]:
    """`block:x:2` before `block:x:10`."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"(\d+)", key)
        if part
    )


def _rank(change: Change, index: int) -> tuple[Any, ...]:
    kind = ORDER.index(change.kind) if change.kind in ORDER else len(ORDER)
    instant = change.start.timestamp() if isinstance(change.start, datetime) else 0.0
    order = natural(change.key) if change.op == "delete" else ((0, index, ""),)
    return (change.service, kind, OPS.index(change.op), instant, order)


# Rendering ----------------------------------------------------------------------------------


def when_text(change: Change) -> str:
    """`Tue 2026-12-08 09:00-10:00`, `Fri 2027-02-26`, `due 2026-12-08`: in the plan's zone."""
    start, end = change.start, change.end
    if isinstance(start, datetime):
        text = f"{start:%a %Y-%m-%d %H:%M}"
        if isinstance(end, datetime):
            text += (
                f"-{end:%H:%M}" if end.date() == start.date() else f" to {end:%a %Y-%m-%d %H:%M}"
            )
        return text
    if isinstance(start, date):
        return f"{start:%a %Y-%m-%d}"
    return f"due {change.due}" if change.due else ""


def text_lines(found: Iterable[Change]) -> list[str]:
    """Rich-markup lines: a heading per service, then one line per change."""
    lines: list[str] = []
    service = None
    for change in found:
        if change.service != service:
            service = change.service
            lines.append(f"[bold]{service}[/]")
        when = when_text(change)
        parts = [f"  {SIGNS[change.op]} {change.kind:<16}"]
        if change.kind in ("block", "milestone event") and when:
            parts.append(f"[cyan]{when}[/]  ")
        parts.append(escape(change.title))
        if change.kind not in ("block", "milestone event") and when:
            parts.append(f"  [dim]({escape(when)})[/]")
        if change.moved_from is not None:
            parts.append(f"  [dim](moved from {change.moved_from:%a %Y-%m-%d %H:%M})[/]")
        elif change.op == "update" and change.fields:
            parts.append(f"  [dim]({', '.join(change.fields)})[/]")
        lines.append("".join(parts))
    return lines


def summary_lines(found: Sequence[Change]) -> list[str]:
    """One line per kind that changes: `tasks: 3 create / 1 update / 0 delete`."""
    lines = []
    plurals = dict(KINDS.values())
    for kind in [*ORDER, *sorted({c.kind for c in found} - set(ORDER))]:
        mine = [c.op for c in found if c.kind == kind]
        if not mine:
            continue
        counts = " / ".join(f"{mine.count(op)} {op}" for op in ("create", "update", "delete"))
        done = [f"{mine.count(op)} {op}" for op in ("completed", "dismissed") if op in mine]
        lines.append(
            f"  {plurals.get(kind, kind)}: {counts}{'; ' if done else ''}{', '.join(done)}"
        )
    return lines


def as_json(change: Change) -> dict[str, Any]:
    """Extra JSON fields for an action: its title and time, next to the keys scripts use."""
    entry: dict[str, Any] = {"title": change.title, "item": change.kind}
    if change.start is not None:
        entry["start"] = change.start.isoformat()
    if change.end is not None:
        entry["end"] = change.end.isoformat()
    if change.due is not None:
        entry["due"] = change.due
    return entry
