"""`careersync validate PLAN`: check a plan file without touching anything."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import typer
from rich.markup import escape

from sync.cli.common import PLAN_ARG, console, load
from sync.durations import format_duration


def validate(
    ctx: typer.Context,
    plan: Path = PLAN_ARG,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Check a plan file: format, ids, dates, dependencies and remote limits.

    Example: careersync validate plan.yaml
    """
    p = load(ctx, plan).plan
    actions = [a for _, a in p.actions()]
    effort = sum(
        (a.effort for a in actions if a.recurrence is None), start=p.schedule.min_block * 0
    )
    if as_json:
        data = {
            "ok": True,
            "file": str(plan),
            "id": p.id,
            "title": p.title,
            "milestones": len(p.milestones),
            "actions": len(actions),
            "effort_minutes": effort // timedelta(minutes=1),
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "timezone": p.timezone,
        }
        console.print_json(json.dumps(data))
        return
    console.print(
        f"[green]ok[/] {escape(str(plan))}: {escape(repr(p.title))}, {len(p.milestones)} milestones, "
        f"{len(actions)} actions, {format_duration(effort)} of one-off effort, "
        f"{p.start} to {p.end} ({p.timezone})"
    )
