"""The engine: gather both remotes, decide (pure), apply, for one plan.

Order matters and is fixed: Todoist is read first (completions decide which blocks are still
needed), then the calendar is read and planned (the blocks decide each task's due date), then the
Todoist items are decided. Writes go calendar first, then Todoist. `dry_run` stops after deciding
and writes nothing, remote or local.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from connectors.todoist_map import todoist_items
from sync.blocks import parse_block_key, span_of
from sync.decide import check_safety, decide, rekeyed, renames
from sync.model import Action, Applied, Service, Snapshot, is_write
from sync.plan import Plan
from sync.planner import Risk
from sync.progress import Facts, describe, measure
from sync.state import StateStore


class TodoistSide(Protocol):
    notices: list[str]

    def replay(self) -> Applied: ...

    def gather(self, now: datetime, *, persist: bool = True) -> Snapshot: ...

    def save(self) -> None: ...

    def apply(self, actions: Sequence[Action]) -> Applied: ...


class CalendarSide(Protocol):
    def decide(
        self,
        plan: Plan,
        now: datetime,
        *,
        done: AbstractSet[str],
        texts: Mapping[str, str],
        dry_run: bool,
        allow_mass_delete: bool,
    ) -> tuple[list[Action], dict[str, date], tuple[Risk, ...]]: ...

    def apply(self, actions: Sequence[Action]) -> Applied: ...


@dataclass
class Outcome:
    """What a run decided and did, per service."""

    actions: dict[Service, list[Action]] = field(default_factory=dict)
    writes: dict[Service, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # one line each: fallbacks, things to know
    risks: tuple[Risk, ...] = ()

    @property
    def changes(self) -> int:
        return sum(is_write(a) for actions in self.actions.values() for a in actions)


def facts(plan: Plan, store: StateStore, snapshot: Snapshot | None = None) -> Facts:
    """What got done: as the state store knows it, plus what a fresh snapshot shows.

    Actions whose id changed count under their new id already (see `decide.renames`).
    """
    known = store.records(plan.id, "todoist")
    records = rekeyed(known, renames(todoist_items(plan), known)).items()
    reopened = set()  # the remote owns completion both ways: an un-completed task is open again
    if snapshot is not None:
        reopened = {r.remote_id for r in snapshot.remotes.values() if r.is_open}
    done = [(k, r.completed_at) for k, r in records if r.remote_id not in reopened]
    if snapshot is not None:
        done += [(r.key, r.completed_at) for r in snapshot.remotes.values() if r.key]
    completed: dict[str, datetime] = {}
    for key, at in done:
        kind, _, item_id = key.partition(":")
        if at is not None and kind in ("task", "checkpoint"):
            completed.setdefault(item_id, at)
    return Facts(completed=completed, occurrences=store.occurrences(plan.id))


def progress_texts(plan: Plan, known: Facts, now: datetime) -> dict[str, str]:
    """Each milestone's progress paragraph, for its checkpoint task and calendar event."""
    return {m.id: describe(m) for m in measure(plan, known, now).milestones}


def run(
    plan: Plan,
    store: StateStore,
    now: datetime,
    *,
    todoist: TodoistSide | None = None,
    calendar: CalendarSide | None = None,
    dry_run: bool = False,
    allow_mass_delete: bool = False,
    pull_only: bool = False,
) -> Outcome:
    """One sync of `plan`. `pull_only` records what the remotes say and writes nothing remote."""
    outcome = Outcome()
    due: dict[str, date] = {}
    snapshot = None
    if todoist is not None:
        if not (dry_run or pull_only):
            todoist.replay()  # finish the writes of a run that stopped half-way
        snapshot = todoist.gather(now, persist=False)  # kept once the safety checks pass
    known = facts(plan, store, snapshot)
    texts = progress_texts(plan, known, now)
    if calendar is not None:
        outcome.actions["google"], due, outcome.risks = calendar.decide(
            plan,
            now,
            done={a.id for _, a in plan.actions() if a.id in known.completed},
            texts=texts,
            dry_run=dry_run,
            allow_mass_delete=allow_mass_delete,
        )
    if todoist is not None and snapshot is not None:
        records = store.records(plan.id, "todoist")
        desired = todoist_items(plan, due=due, texts=texts)
        actions = decide(desired, records, snapshot, keep=lambda r: r.status == "completed")
        check_safety(actions, records, "Todoist", allow_mass_delete=allow_mass_delete)
        outcome.actions["todoist"] = actions
        outcome.notices += todoist.notices
    if dry_run:
        return outcome
    if todoist is not None:
        todoist.save()
    if calendar is not None:
        risks = json.dumps([risk_dict(r) for r in outcome.risks])
        store.set_cursor(plan.id, "google", "risks", risks)
    sides: list[tuple[Service, TodoistSide | CalendarSide | None]] = [
        ("google", calendar),
        ("todoist", todoist),
    ]
    for service, side in sides:
        if side is None:
            continue
        actions = outcome.actions.get(service, [])
        applied = side.apply([a for a in actions if not is_write(a)] if pull_only else actions)
        outcome.writes[service] = applied.writes
        outcome.errors += applied.errors
    return outcome


def risk_dict(risk: Risk) -> dict[str, Any]:
    return {
        "milestone": risk.milestone_id,
        "short_minutes": risk.short // timedelta(minutes=1),
        "slip_to": risk.slip_to.isoformat() if risk.slip_to else None,
        "fixes": list(risk.fixes),
    }


def stored_risks(plan: Plan, store: StateStore) -> list[dict[str, Any]]:
    """The feasibility report of the last sync that placed blocks."""
    raw = store.cursor(plan.id, "google", "risks")
    return list(json.loads(raw)) if raw else []


def upcoming_blocks(
    plan: Plan, store: StateStore, now: datetime, limit: int | None = 12
) -> list[tuple[str, str, datetime, datetime]]:
    """The next focus blocks on the calendar, as the last sync left them."""
    titles = {a.id: a.title for _, a in plan.actions()}
    upcoming = []
    for key, record in store.records(plan.id, "google").items():
        parsed = parse_block_key(key)
        span = span_of(record.synced, plan.tz)
        if parsed and span and record.status == "active" and span[0] >= now:
            upcoming.append((parsed[0], titles.get(parsed[0], parsed[0]), *span))
    return sorted(upcoming, key=lambda u: u[2].timestamp())[:limit]  # by instant, not wall clock
