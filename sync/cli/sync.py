"""`careersync sync PLAN` and `careersync pull PLAN`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from sync import engine
from sync.cli.common import PLAN_ARG, console, err_console, load, now, state
from sync.lock import hold_lock
from sync.model import Action, Create, Delete, Forget, Link, Update

DRY_RUN: Any = typer.Option(False, "--dry-run", help="Show what would change; write nothing.")
AS_JSON: Any = typer.Option(False, "--json", help="Print the actions as JSON.")
MASS: Any = typer.Option(
    False, "--allow-mass-delete", help="Allow a run that deletes most items, or finds them gone."
)


def sync(
    ctx: typer.Context,
    plan: Path = PLAN_ARG,
    dry_run: bool = DRY_RUN,
    as_json: bool = AS_JSON,
    allow_mass_delete: bool = MASS,
) -> None:
    """Put the plan into Todoist and Google Calendar; safe to re-run.

    Example: careersync sync plan.yaml --dry-run
    """
    outcome = _run(ctx, plan, dry_run=dry_run, allow_mass_delete=allow_mass_delete)
    report(outcome, dry_run=dry_run, as_json=as_json)


def pull(ctx: typer.Context, plan: Path = PLAN_ARG) -> None:
    """Read completions and your edits back from Todoist and Calendar; write nothing remote.

    Example: careersync pull plan.yaml
    """
    outcome = _run(ctx, plan, pull_only=True)
    noted = [a for acts in outcome.actions.values() for a in acts if isinstance(a, Link)]
    done = sum(a.status == "completed" for a in noted)
    console.print(f"pulled: {done} completions recorded, {len(noted) - done} other changes")


def _run(ctx: typer.Context, path: Path, **options: bool) -> engine.Outcome:
    from sync.session import open_session  # the SDKs load only when needed

    plan = load(ctx, path).plan
    settings = state(ctx).settings
    writes = not options.get("dry_run")
    lock = hold_lock(settings.home) if writes else nullcontext()
    with lock, open_session(settings, plan, dry_run=not writes) as session:
        return engine.run(
            plan,
            session.store,
            now(settings.timezone),
            todoist=session.todoist,
            calendar=session.calendar,
            dry_run=options.get("dry_run", False),
            allow_mass_delete=options.get("allow_mass_delete", False),
            pull_only=options.get("pull_only", False),
            frozen=settings.frozen_horizon,
        )


def describe(service: str, action: Action) -> dict[str, Any]:
    """An action as a JSON-able dict."""
    entry: dict[str, Any] = {"service": service, "key": action.key}
    if isinstance(action, Create):
        entry |= {"op": "create", "kind": action.item.kind, "fields": dict(action.item.fields)}
    elif isinstance(action, Update):
        entry |= {"op": "update", "kind": action.item.kind, "changes": dict(action.changes)}
    elif isinstance(action, Delete):
        entry |= {"op": "delete", "kind": action.kind}
    elif isinstance(action, Link):
        entry |= {"op": "record", "status": action.status}
    elif isinstance(action, Forget):
        entry |= {"op": "forget"}
    return entry


def _line(entry: Mapping[str, Any]) -> str | None:
    op, kind, key = entry["op"], entry.get("kind", ""), entry["key"]
    what = kind if key == kind else f"{kind} {key}".strip()  # "project", "task task:book-exam"
    if op == "create":
        fields = entry["fields"]
        title = fields.get("content") or fields.get("name") or fields.get("summary") or ""
        return f"[green]+ create[/] {what}  {escape(title)}"
    if op == "update":
        return f"[yellow]~ update[/] {what}  ({', '.join(entry['changes'])})"
    if op == "delete":
        return f"[red]- delete[/] {what}"
    if op == "record" and entry["status"] != "active":
        return f"[blue]= {entry['status']}[/] {what}"
    return None


def report(outcome: engine.Outcome, *, dry_run: bool, as_json: bool) -> None:
    entries = [describe(s, a) for s, acts in outcome.actions.items() for a in acts]
    if as_json:
        console.print_json(json.dumps({"dry_run": dry_run, "actions": entries}, default=str))
    else:
        for service, acts in outcome.actions.items():
            lines = [line for a in acts if (line := _line(describe(service, a)))]
            if lines:
                console.print(f"[bold]{service}[/]")
                for line in lines:
                    console.print("  " + line, highlight=False)
        _summary(outcome, entries, dry_run)
    for error in outcome.errors:
        err_console.print(f"[red]error:[/] {error}", highlight=False)
    if outcome.errors:
        raise typer.Exit(1)


def _summary(outcome: engine.Outcome, entries: Iterable[Mapping[str, Any]], dry_run: bool) -> None:
    ops = [e["op"] for e in entries]
    counts = ", ".join(
        f"{ops.count(op)} to {op}" for op in ("create", "update", "delete") if op in ops
    )
    if dry_run:
        console.print(f"dry run: {counts or 'nothing to change'}; nothing was written")
    else:
        writes = sum(outcome.writes.values())
        console.print(f"synced: {counts or 'already up to date'} ({writes} writes)")
