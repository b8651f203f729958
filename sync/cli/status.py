"""`careersync status PLAN`: progress per milestone, from what the last sync or pull recorded."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer
from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from sync.cli.common import PLAN_ARG, console, load, now, state
from sync.durations import format_duration
from sync.engine import facts, stored_risks, upcoming_blocks
from sync.plan import Plan
from sync.progress import PlanProgress, measure
from sync.state import StateStore

STATE_STYLE = {"done": "green", "on track": "cyan", "at risk": "yellow", "late": "red"}


def status(
    ctx: typer.Context,
    plan: Path = PLAN_ARG,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Show progress per milestone: actions and effort done, percent, forecast, state.

    Reads the local state; run `careersync pull` (or `careersync run`) to refresh it.
    Example: careersync status plan.yaml --json
    """
    p = load(ctx, plan).plan
    state(ctx).check_home()
    settings = state(ctx).settings
    report(p, settings.state_db, now(settings.timezone), as_json=as_json)


def report(plan: Plan, state_db: Path, at: datetime, *, as_json: bool = False) -> None:
    """The status of `plan` from the state store at `at`: a table, or JSON."""
    store = StateStore(state_db)
    try:
        progress = measure(plan, facts(plan, store), at)
        upcoming = upcoming_blocks(plan, store, at, limit=None)
        risks = stored_risks(plan, store)
    finally:
        store.close()
    next_block: dict[str, datetime] = {}
    for action_id, _, start, _ in upcoming:
        next_block.setdefault(action_id, start)
    if as_json:
        data = as_dict(progress, next_block) | {"risks": risks}
        console.print_json(json.dumps(data, default=str))
        return
    show(plan.title, progress)
    show_upcoming(upcoming[:8], plan.tz)
    show_risks(risks, {m.id: m.title for m in plan.milestones})


def as_dict(
    progress: PlanProgress, next_block: Mapping[str, datetime] | None = None
) -> dict[str, Any]:
    return {
        "overall": {"percent": round(progress.overall.percent, 1)},
        "milestones": [
            {
                "id": m.id,
                "title": m.title,
                "due": m.due.isoformat(),
                "done": m.count.done,
                "total": m.count.total,
                "percent": round(m.percent, 1),
                "state": m.state,
                "forecast": m.forecast.isoformat() if m.forecast else None,
                "completed": m.done,
            }
            for m in progress.milestones
        ],
        "actions": [
            {
                "id": a.id,
                "milestone": a.milestone_id,
                "done": a.done,
                "completed_at": a.completed_at.isoformat() if a.completed_at else None,
                "next_block": _iso((next_block or {}).get(a.id)),
            }
            for a in progress.actions
        ],
    }


def show(title: str, progress: PlanProgress) -> None:
    table = Table(
        title=f"{escape(title)}: {progress.overall.percent:.0f}% done",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("milestone", max_width=28)  # shrinks first on a narrow terminal
    table.add_column("progress", no_wrap=True, min_width=15)
    table.add_column("due", no_wrap=True, min_width=10)
    table.add_column("forecast", no_wrap=True, min_width=10)
    table.add_column("state", no_wrap=True, min_width=8)
    for m in progress.milestones:
        style = STATE_STYLE[m.state]
        filled = round(m.percent / 10)
        bar = f"[{style}]{'━' * filled}[/][grey23]{'━' * (10 - filled)}[/] {m.percent:3.0f}%"
        table.add_row(
            Text(m.title, overflow="ellipsis", no_wrap=True),
            bar,
            m.due.isoformat(),
            m.forecast.isoformat() if m.forecast else "-",
            f"[{style}]{m.state}[/]",
        )
    console.print(table)
    console.print(f"pace: {format_duration(progress.pace)} a week")


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def show_upcoming(upcoming: Sequence[tuple[str, str, datetime, datetime]], tz: ZoneInfo) -> None:
    if not upcoming:
        return
    console.print("[bold]next focus blocks[/]")
    for _, title, start, end in upcoming:
        local = start.astimezone(tz)
        console.print(f"  {local:%a %d %b %H:%M}-{end.astimezone(tz):%H:%M}  {escape(title)}")


def show_risks(risks: Sequence[Mapping[str, Any]], titles: Mapping[str, str]) -> None:
    for risk in risks:
        title = titles.get(risk["milestone"], risk["milestone"])
        short = format_duration(timedelta(minutes=risk["short_minutes"]))
        slip = f", would finish {risk['slip_to']}" if risk["slip_to"] else ""
        console.print(
            f"[yellow]at risk:[/] {escape(title)}: {short} does not fit before its due date{slip}"
        )
        for fix in risk["fixes"]:
            console.print(f"  fix: {escape(fix)}")
