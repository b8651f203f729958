"""`careersync agenda PLAN`: the coming focus blocks and milestone days, day by day.

Read-only: it reads the state the last sync or pull left (opened read-only, never created) and
asks no remote; `careersync pull` refreshes it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import typer
from rich.markup import escape

from sync.agenda import Entry, agenda
from sync.cli.common import PLAN_ARG, console, load, now, state
from sync.engine import facts
from sync.errors import UserError
from sync.progress import measure
from sync.state import StateStore


def agenda_command(
    ctx: typer.Context,
    plan: Path = PLAN_ARG,
    days: int = typer.Option(7, "--days", min=1, max=366, help="How many days, from today."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a list."),
) -> None:
    """Show the coming focus blocks and milestone days, day by day (read-only).

    Example: careersync agenda plan.yaml --days 14
    """
    p = load(ctx, plan).plan
    settings = state(ctx).settings
    if not settings.state_db.exists():
        raise UserError(
            f"{settings.state_db}: nothing synced yet",
            f"run `careersync sync {plan}` first",
        )
    at = now(settings.timezone)
    store = StateStore.read_only(settings.state_db)
    try:
        progress = measure(p, facts(p, store), at)
        records = store.records(p.id, "google")
    finally:
        store.close()
    done = {a.id for a in progress.actions if a.done} | {
        m.id for m in progress.milestones if m.done
    }
    entries = agenda(p, records, done, at, days)
    today = at.astimezone(p.tz).date()
    if as_json:
        data = {
            "plan": p.id,
            "timezone": p.timezone,
            "from": today.isoformat(),
            "to": (today + timedelta(days=days - 1)).isoformat(),
            "entries": [_as_dict(e) for e in entries],
        }
        console.print_json(json.dumps(data))
        return
    if not entries:
        console.print(f"nothing in the next {days} days ({p.timezone})")
        return
    shown = None
    for entry in entries:
        if entry.day != shown:
            shown = entry.day
            console.print(f"[bold]{entry.day:%a %d %b %Y}[/]")
        console.print("  " + _line(entry))


def _line(entry: Entry) -> str:
    done = " [green](done)[/]" if entry.done else ""
    if entry.kind == "milestone":
        return f"[magenta]all day[/]      milestone: {escape(entry.title)}{done}"
    assert entry.start is not None
    assert entry.end is not None
    return f"{entry.start:%H:%M}-{entry.end:%H:%M}  {escape(entry.title)}{done}"


def _as_dict(entry: Entry) -> dict[str, object]:
    return {
        "date": entry.day.isoformat(),
        "kind": entry.kind,
        "title": entry.title,
        "milestone": entry.milestone_id,
        "action": entry.action_id,
        "start": entry.start.isoformat() if entry.start else None,
        "end": entry.end.isoformat() if entry.end else None,
        "done": entry.done,
    }
