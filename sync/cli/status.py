"""`careersync status PLAN`: progress per milestone, from what the last sync or pull recorded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.table import Table

from sync.cli.common import PLAN_ARG, console, load, now, state
from sync.durations import format_duration
from sync.engine import facts
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
    settings = state(ctx).settings
    store = StateStore(settings.state_db)
    try:
        progress = measure(p, facts(p, store), now(settings.timezone))
    finally:
        store.close()
    if as_json:
        console.print_json(json.dumps(as_dict(progress), default=str))
        return
    show(p.title, progress)


def as_dict(progress: PlanProgress) -> dict[str, Any]:
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
            }
            for a in progress.actions
        ],
    }


def show(title: str, progress: PlanProgress) -> None:
    table = Table(
        title=f"{title}: {progress.overall.percent:.0f}% done",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("milestone", overflow="ellipsis", no_wrap=True, max_width=30)
    table.add_column("progress", no_wrap=True, min_width=15)
    table.add_column("done", justify="right", no_wrap=True, min_width=5)
    table.add_column("due", no_wrap=True, min_width=10)
    table.add_column("forecast", no_wrap=True, min_width=10)
    table.add_column("state", no_wrap=True, min_width=8)
    for m in progress.milestones:
        c = m.count
        style = STATE_STYLE[m.state]
        filled = round(m.percent / 10)
        bar = f"[{style}]{'━' * filled}[/][grey23]{'━' * (10 - filled)}[/] {m.percent:3.0f}%"
        table.add_row(
            m.title,
            bar,
            f"{c.done}/{c.total}",
            m.due.isoformat(),
            m.forecast.isoformat() if m.forecast else "-",
            f"[{style}]{m.state}[/]",
        )
    console.print(table)
    console.print(f"pace: {format_duration(progress.pace)} a week")
