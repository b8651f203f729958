"""The engine: gather both remotes, decide (pure), apply, for one plan.

Order matters and is fixed: Todoist is read first (completions decide which blocks are still
needed), then the calendar's events, then its busy time over the range the blocks need (a
bounded loop: plan, read what the plan reaches that is not known yet, plan again), then the
blocks are planned (they decide each task's due date), then the Todoist items are decided.
Writes go calendar first, then Todoist. `dry_run` stops after deciding and writes nothing,
remote or local. `pull_only` records what the remotes say: no busy time, no planning.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, Protocol

from connectors.todoist_map import todoist_items
from sync.blocks import (
    FROZEN,
    BlockState,
    block_key,
    block_state,
    busy_horizon,
    history,
    next_block_day,
    parse_block_key,
    plan_blocks,
    span_of,
    without,
)
from sync.busytime import BusyCache
from sync.calendar_layout import calendar_items
from sync.decide import check_safety, decide, rekeyed, renames
from sync.model import Action, Applied, Service, Snapshot, is_write
from sync.plan import Plan
from sync.planner import Placement, Risk
from sync.progress import Facts, describe, measure
from sync.redates import encode, merged, redated
from sync.spans import Block, Interval
from sync.state import StateStore


class TodoistSide(Protocol):
    notices: list[str]

    def replay(self) -> Applied: ...

    def gather(self, now: datetime, *, persist: bool = True) -> Snapshot: ...

    def save(self) -> None: ...

    def apply(self, actions: Sequence[Action]) -> Applied: ...


class CalendarSide(Protocol):
    @property
    def owns_calendar(self) -> bool: ...

    def gather(self, now: datetime, *, persist: bool = True) -> Snapshot: ...

    def busy(self, start: datetime, end: datetime) -> list[Interval]: ...

    def apply(self, actions: Sequence[Action]) -> Applied: ...


CALENDAR_NAME = "Google Calendar"
NOT_BEFORE = "not_before"  # cursor: action -> a later day its task was re-dated to
MOVED = "moved_blocks"  # cursor: keys of the blocks the user moved (pinned where they are)
BUSY_ROUNDS = 4  # plan, read busy time the blocks reach, plan again: at most this many reads
BUSY_STEP = timedelta(days=28)  # a read of busy time looks at least this far further


class CalendarDecision(NamedTuple):
    actions: list[Action]
    due: dict[str, date]  # action id -> day of its next block (the Todoist task's due date)
    risks: tuple[Risk, ...]
    placement: Placement | None = None  # None for a pull (nothing planned)
    blocks: tuple[Block, ...] = ()  # every block the calendar holds after this run
    moved: tuple[str, ...] | None = None  # keys of the blocks the user moved, if that changed


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
    busy_cache: BusyCache | None = None,
    frozen: timedelta = FROZEN,
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
    stored = store.cursor(plan.id, "todoist", NOT_BEFORE)
    found = redated(store.records(plan.id, "todoist"), snapshot) if snapshot else {}
    not_before = merged(stored, found, now.astimezone(plan.tz).date())
    decision: CalendarDecision | None = None
    if calendar is not None:
        decision = decide_calendar(
            plan,
            store,
            calendar,
            now,
            done=frozenset(known.completed),
            texts=texts,
            dry_run=dry_run,
            pull_only=pull_only,
            allow_mass_delete=allow_mass_delete,
            busy_cache=busy_cache,
            frozen=frozen,
            not_before=not_before,
        )
        outcome.actions["google"], due, outcome.risks = decision[:3]
    if todoist is not None and snapshot is not None:
        records = store.records(plan.id, "todoist")
        desired = todoist_items(plan, due=due, texts=texts)
        actions = decide(desired, records, snapshot, keep=lambda r: r.status == "completed")
        checked = [a for a in actions if not is_write(a)] if pull_only else actions
        check_safety(checked, records, "Todoist", allow_mass_delete=allow_mass_delete)
        outcome.actions["todoist"] = actions
        outcome.notices += todoist.notices
    if dry_run:
        return outcome
    if encode(not_before) != stored:  # after the safety checks: a refused run records nothing
        store.set_cursor(plan.id, "todoist", NOT_BEFORE, encode(not_before))
    if decision is not None:
        remember_moves(plan, store, decision)
    if todoist is not None:
        todoist.save()
    if calendar is not None and not pull_only:
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


def decide_calendar(
    plan: Plan,
    store: StateStore,
    calendar: CalendarSide,
    now: datetime,
    *,
    done: AbstractSet[str] = frozenset(),
    texts: Mapping[str, str] | None = None,
    dry_run: bool = False,
    pull_only: bool = False,
    allow_mass_delete: bool = False,
    busy_cache: BusyCache | None = None,
    frozen: timedelta = FROZEN,
    not_before: Mapping[str, date] | None = None,
) -> CalendarDecision:
    """Gather the calendar, read busy time, plan the blocks, decide; writes nothing remote.

    `done` holds done action and milestone ids. A pull plans nothing and reads no busy time:
    the blocks stay as the calendar has them, so only what the user did there is recorded.
    """
    snapshot = calendar.gather(now, persist=not dry_run)
    records = store.records(plan.id, "google")
    moved_before = frozenset(json.loads(store.cursor(plan.id, "google", MOVED) or "[]"))
    state = block_state(plan, records, snapshot, done, now, moved_before)
    placement: Placement | None = None
    if pull_only:
        blocks = state.desired
    else:
        blocks, placement = _plan_with_busy(
            plan, state, calendar, now, done, busy_cache, frozen, not_before or {}
        )
    items = calendar_items(plan, blocks, texts, own_calendar=calendar.owns_calendar)
    actions = decide(items, records, snapshot, keep=history(now))
    if any(r.kind == "calendar" and r.deleted for r in snapshot.remotes.values()):
        actions = [a for a in actions if not is_write(a)]  # the user deleted the calendar
    checked = (
        [a for a in actions if not is_write(a)] if pull_only else actions
    )  # a pull deletes nothing
    check_safety(checked, records, CALENDAR_NAME, allow_mass_delete=allow_mass_delete)
    moved = tuple(sorted(block_key(b.action_id, b.index) for b in state.moved))
    due = {
        a.id: day
        for _, a in plan.actions()
        if (day := next_block_day(a.id, blocks, plan.tz, now)) is not None
    }
    risks = placement.risks if placement is not None else ()
    changed_moves = None if set(moved) == moved_before else moved
    return CalendarDecision(actions, due, risks, placement, blocks, changed_moves)


def remember_moves(plan: Plan, store: StateStore, decision: CalendarDecision) -> None:
    """Record the blocks the user moved, so they stay pinned for good (once the run's safety
    checks passed: a refused run records nothing)."""
    if decision.moved is not None:
        value = json.dumps(list(decision.moved)) if decision.moved else None
        store.set_cursor(plan.id, "google", MOVED, value)


def _plan_with_busy(
    plan: Plan,
    state: BlockState,
    calendar: CalendarSide,
    now: datetime,
    done: AbstractSet[str],
    cache: BusyCache | None,
    frozen: timedelta,
    not_before: Mapping[str, date],
) -> tuple[tuple[Block, ...], Placement]:
    """Plan, read the busy time the blocks reach that is not known yet, plan again; a bounded
    loop (each read reaches at least BUSY_STEP further)."""
    cache = cache if cache is not None else BusyCache()
    known_until = now

    own = () if calendar.owns_calendar else state.desired  # a calendar the user named

    def place() -> tuple[tuple[Block, ...], Placement]:
        busy = without(cache.busy(), own)  # its busy time includes careersync's own blocks
        return plan_blocks(
            plan, state, now=now, done=done, busy=busy, frozen=frozen, not_before=not_before
        )

    blocks, placement = place()
    for _ in range(BUSY_ROUNDS):
        need = busy_horizon(blocks, now)
        if need <= known_until:
            break
        pieces = cache.to_read(now, max(need, known_until + BUSY_STEP), now)
        for k in pieces:
            start, end = cache.span(k)
            cache.put(k, now, calendar.busy(start, end))
        known_until = cache.known_until(max(need, known_until + BUSY_STEP))
        if pieces:
            blocks, placement = place()
    return blocks, placement


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
