"""`careersync show PLAN`: the plan as a readable timeline."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from sync.cli.common import PLAN_ARG, console, load
from sync.durations import format_duration
from sync.outline import Outline, occurrences, outline
from sync.plan import Plan


def show(
    ctx: typer.Context,
    plan: Path = PLAN_ARG,
    as_json: bool = typer.Option(False, "--json", help="Print the timeline as JSON."),
) -> None:
    """Show the plan as a timeline: vision, milestones, actions, effort and time available.

    Example: careersync show plan.yaml
    """
    p = load(ctx, plan).plan
    o = outline(p)
    if as_json:
        console.print_json(json.dumps(_as_json(p, o)))
        return
    console.print(Text(p.title, style="bold"), Text(f"  {p.start} to {p.end}, {p.timezone}"))
    vision = [(k, getattr(p.vision, k)) for k in ("where", "doing", "who", "notes")]
    for key, value in vision:
        if value:
            console.print(f"  [dim]{key:>5}[/] {escape(value)}")
    tree = Tree("[bold]Milestones[/]")
    for m in p.milestones:
        after = f"  after {', '.join(m.after)}" if m.after else ""
        node = tree.add(
            f"[cyan]{m.due}[/]  [bold]{escape(m.title)}[/]  [magenta]{m.kind or ''}[/]"
            f"  {format_duration(o.by_milestone[m.id])}{after}"
        )
        for a in m.actions:
            marks = []
            if a.first:
                marks.append("[red]first[/]")
            if a.recurrence:
                days = f" on {', '.join(a.recurrence.days)}" if a.recurrence.days else ""
                n = occurrences(p, a)
                marks.append(f"every {a.recurrence.every}{days} until {a.until} ({n}x)")
            if a.start:
                marks.append(f"from {a.start}")
            if a.due != m.due:
                marks.append(f"due {a.due}")
            if a.checklist:
                marks.append(f"{len(a.checklist)} checklist items")
            node.add(f"{escape(a.title)}  [dim]{format_duration(a.effort)}  {'  '.join(marks)}[/]")
    console.print(tree)
    table = Table(title="Effort", show_edge=False)
    table.add_column("kind")
    table.add_column("effort", justify="right")
    for kind, effort in o.by_kind.items():
        table.add_row(kind, format_duration(effort))
    table.add_row("[bold]total[/]", f"[bold]{format_duration(o.needed)}[/]")
    console.print(table)
    ratio = o.needed / o.capacity if o.capacity else float("inf")
    style = "green" if ratio <= 0.8 else "yellow" if ratio <= 1 else "red"
    console.print(
        f"{o.weeks:.0f} weeks at {p.schedule.weekly_hours:g}h a week = "
        f"{format_duration(o.capacity)} available; [{style}]{format_duration(o.needed)} needed "
        f"({ratio:.0%})[/]"
    )


def _minutes(d: timedelta) -> int:
    return d // timedelta(minutes=1)


def _as_json(p: Plan, o: Outline) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "timezone": p.timezone,
        "vision": {k: getattr(p.vision, k) for k in ("where", "doing", "who", "notes")},
        "milestones": [
            {
                "id": m.id,
                "title": m.title,
                "kind": m.kind,
                "due": m.due.isoformat(),
                "after": list(m.after),
                "effort_minutes": _minutes(o.by_milestone[m.id]),
                "actions": [
                    {
                        "id": a.id,
                        "title": a.title,
                        "effort_minutes": _minutes(a.effort),
                        "due": a.due.isoformat(),
                        "first": a.first,
                        "every": a.recurrence.every if a.recurrence else None,
                        "occurrences": occurrences(p, a),
                        "checklist": list(a.checklist),
                    }
                    for a in m.actions
                ],
            }
            for m in p.milestones
        ],
        "effort_by_kind_minutes": {k: _minutes(v) for k, v in o.by_kind.items()},
        "needed_minutes": _minutes(o.needed),
        "available_minutes": _minutes(o.capacity),
        "weeks": round(o.weeks, 1),
    }
