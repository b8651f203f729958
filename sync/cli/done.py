"""`careersync done PLAN ACTION-ID...`: tick actions off from the terminal.

It completes each action's Todoist task through the Todoist connector, exactly as ticking it off
in the app would, and records it as a pull does (so `status` and `agenda` show it at once). A
milestone id completes its checkpoint task. Nothing else is written; the next sync frees the
action's remaining focus blocks.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from sync import engine
from sync.blocks import parse_block_key, span_of
from sync.cli.common import PLAN_ARG, console, load, now, state
from sync.errors import UserError
from sync.lock import hold_lock
from sync.plan import Plan
from sync.state import StateStore

IDS = typer.Argument(
    ..., metavar="ACTION-ID...", help="Ids of actions (or milestones) to complete."
)


def done(ctx: typer.Context, plan: Path = PLAN_ARG, ids: list[str] = IDS) -> None:
    """Complete actions: tick their Todoist tasks off and record it.

    Example: careersync done plan.yaml book-exam
    """
    from sync.session import open_session  # the SDKs load only when needed

    p = load(ctx, plan).plan
    keys = {m.id: f"checkpoint:{m.id}" for m in p.milestones}
    keys |= {a.id: f"task:{a.id}" for _, a in p.actions()}
    titles = {m.id: m.title for m in p.milestones} | {a.id: a.title for _, a in p.actions()}
    for item_id in ids:
        if item_id not in keys:
            known = ", ".join(a.id for _, a in p.actions())
            raise UserError(f"{plan}: no action {item_id!r} in this plan", f"actions: {known}")
    settings = state(ctx).settings
    if not settings.todoist_enabled:
        raise UserError("Todoist is turned off in the settings", "set todoist_enabled = true")
    with hold_lock(settings.home), open_session(settings, p) as session:
        assert session.todoist is not None

        def pull() -> None:
            todoist, calendar = session.todoist, session.calendar
            at = now(settings.timezone)
            engine.run(p, session.store, at, todoist=todoist, calendar=calendar, pull_only=True)

        pull()  # what the user did in the app counts first
        records = session.store.records(p.id, "todoist")
        for item_id in ids:
            record = records.get(keys[item_id])
            if record is None or record.status == "dismissed":
                raise UserError(
                    f"{item_id!r} has no Todoist task yet", f"run `careersync sync {plan}` first"
                )
            if record.completed_at is not None:
                when = record.completed_at.astimezone(p.tz)
                raise UserError(
                    f"{item_id!r} is already done (completed {when:%Y-%m-%d %H:%M})",
                    "reopen its task in Todoist to undo that",
                )
        for item_id in ids:
            session.todoist.close_task(records[keys[item_id]].remote_id)
        pull()
        for item_id in ids:
            left = _future_blocks(p, session.store, item_id)
            freed = f"; the next sync frees its {left} coming focus blocks" if left else ""
            console.print(f"done: {escape(titles[item_id])} (completed in Todoist{freed})")


def _future_blocks(plan: Plan, store: StateStore, action_id: str) -> int:
    at = now(plan.timezone)
    count = 0
    for key, record in store.records(plan.id, "google").items():
        parsed, span = parse_block_key(key), span_of(record.synced, plan.tz)
        if (
            parsed
            and parsed[0] == action_id
            and span
            and span[0] > at
            and record.status == "active"
        ):
            count += 1
    return count
