"""`careersync sync PLAN` and `careersync pull PLAN`."""

from __future__ import annotations

import json
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape

from sync import engine
from sync.cli import render
from sync.cli.common import PLAN_ARG, console, err_console, load, now, state
from sync.cli.progress import write_progress
from sync.errors import SafetyError
from sync.lock import hold_lock
from sync.model import (
    Action,
    Create,
    Delete,
    Forget,
    Link,
    Move,
    Rename,
    Service,
    Snapshot,
    Update,
)

SERVICES: tuple[Service, ...] = ("todoist", "google")

DRY_RUN: Any = typer.Option(False, "--dry-run", help="Show what would change; write nothing.")
AS_JSON: Any = typer.Option(False, "--json", help="Print the actions as JSON.")
PULL_JSON: Any = typer.Option(False, "--json", help="Print the recorded edits as JSON.")
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
    ran = _run(
        ctx, plan, dry_run=dry_run, allow_mass_delete=allow_mass_delete, progress=not as_json
    )
    if isinstance(ran.refused, SafetyError):  # show what it would have done, then refuse
        report(ran, dry_run=True, as_json=as_json, refused=True)
        raise ran.refused
    report(ran, dry_run=dry_run, as_json=as_json)


def pull(ctx: typer.Context, plan: Path = PLAN_ARG, as_json: bool = PULL_JSON) -> None:
    """Read completions and your edits back from Todoist and Calendar; write nothing remote.

    Example: careersync pull plan.yaml
    """
    ran = _run(ctx, plan, pull_only=True)
    edits = render.edits(ran.outcome.actions, ran.known, ran.tz, ran.seen)
    if as_json:
        console.print_json(json.dumps({"edits": [e.as_json() for e in edits]}))
        return
    for edit in edits:
        console.print(f"  {escape(str(edit))}")
    done = sum("completed" in edit.what for edit in edits)
    others = len(edits) - done
    console.print(
        f"pulled: {done} completion{'s' * (done != 1)}, "
        f"{others} edit{'s' * (others != 1)} made remotely"
    )


@dataclass
class Ran:
    outcome: engine.Outcome
    known: render.Known  # the state store's records before the run, for titles of deletions
    tz: ZoneInfo
    refused: SafetyError | None = None  # then `outcome` is the refused run, as a dry run
    seen: Snapshot | None = None  # what Todoist looked like


def _run(ctx: typer.Context, path: Path, **options: bool) -> Ran:
    from sync.session import open_session  # the SDKs load only when needed

    show_progress = options.pop("progress", False)
    state(ctx).check_home()
    settings = state(ctx).settings
    writes = not options.get("dry_run")
    plan = load(ctx, path, pin=writes).plan
    lock = hold_lock(settings.home) if writes else nullcontext()
    with lock, open_session(settings, plan, dry_run=not writes) as session:
        known = {s: session.store.records(plan.id, s) for s in SERVICES}
        at = now(settings.timezone)

        watched = _Watched(session.todoist) if session.todoist is not None else None
        todoist = cast(engine.TodoistSide, watched) if watched is not None else None

        def run(**chosen: bool) -> engine.Outcome:
            return engine.run(
                plan,
                session.store,
                at,
                todoist=todoist,
                calendar=session.calendar,
                dry_run=chosen.get("dry_run", False),
                allow_mass_delete=chosen.get("allow_mass_delete", False),
                pull_only=chosen.get("pull_only", False),
                frozen=settings.frozen_horizon,
            )

        try:
            with write_progress(session, console, enabled=show_progress and writes):
                outcome = run(**options)
        except SafetyError as refused:
            if options.get("allow_mass_delete") or options.get("pull_only"):
                raise
            preview = run(**{**options, "dry_run": True, "allow_mass_delete": True})
            return Ran(preview, known, plan.tz, refused)
        seen = watched.seen if watched is not None else None
    return Ran(outcome, known, plan.tz, seen=seen)


class _Watched:
    """The Todoist side, keeping the snapshot it gathered (for `pull` to say what changed);
    everything else is the side's own."""

    def __init__(self, side: engine.TodoistSide) -> None:
        self.side = side
        self.seen: Snapshot | None = None

    def gather(self, now: datetime, *, persist: bool = True) -> Snapshot:
        self.seen = self.side.gather(now, persist=persist)
        return self.seen

    def __getattr__(self, name: str) -> Any:
        return getattr(self.side, name)


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
    elif isinstance(action, Move):
        entry |= {"op": "move", "kind": "task", "to": action.parent}
    elif isinstance(action, Rename):
        entry |= {"op": "rename", "from": action.old}
    return entry


def report(ran: Ran, *, dry_run: bool, as_json: bool, refused: bool = False) -> None:
    """Print a run's changes: titles and times per service, a summary line per kind."""
    outcome = ran.outcome
    found = render.changes(outcome.actions, ran.known, ran.tz)
    if as_json:
        rank = {(c.service, c.key): (n, render.as_json(c)) for n, c in enumerate(found)}
        pairs = [(s, a) for s, acts in outcome.actions.items() for a in acts]
        pairs.sort(key=lambda p: rank.get((p[0], p[1].key), (len(rank), {}))[0])  # as printed
        entries = [describe(s, a) | rank.get((s, a.key), (0, {}))[1] for s, a in pairs]
        data: dict[str, Any] = {"dry_run": dry_run, "actions": entries}
        if refused:
            data["refused"] = True
        console.print_json(json.dumps(data, default=str))
    else:
        for line in render.text_lines(found):
            console.print(line)
        _summary(outcome, found, dry_run, refused)
    for notice in outcome.notices:
        err_console.print(f"note: {escape(notice)}", highlight=False)
    for error in outcome.errors:
        err_console.print(f"[red]error:[/] {escape(error)}")
    if outcome.errors:
        raise typer.Exit(1)


def _summary(
    outcome: engine.Outcome, found: list[render.Change], dry_run: bool, refused: bool
) -> None:
    for line in render.summary_lines(found):
        console.print(line)
    ops = [c.op for c in found]
    counts = ", ".join(
        f"{ops.count(op)} to {op}" for op in ("create", "update", "move", "delete") if op in ops
    )
    if refused:
        console.print(f"refused: {counts}; nothing was written")
    elif dry_run:
        console.print(f"dry run: {counts or 'nothing to change'}; nothing was written")
    else:
        writes = sum(outcome.writes.values())
        console.print(f"synced: {counts or 'already up to date'} ({writes} writes)")
