"""Time-blocking: place focus blocks for a plan's actions in the user's free time.

Pure: `place_blocks` reads no clock and does no I/O; `now` is passed in.

How it works. The plan's windows are laid out per local calendar day (zoneinfo, so a 07:00
window stays at 07:00 local across a daylight-saving change) from `now` to half a year past the
plan's end; busy time and pinned blocks are cut out once, leaving sorted free intervals (see
`sync.freetime`). Tentative blocks (placed by an earlier sync, free to move) that are still valid
keep their place; then actions are allocated greedily, each into the earliest free slots it may
use, in priority order: overdue actions (in plan order), `first` actions, then earliest due (a
dependency inherits the earlier due and the `first` of its dependents), ties by plan order.
Work that does not fit is never dropped: it is in `unplaced` and in a `Risk` for its milestone
(`sync.feasibility`).

Order: an action waits for the last block of each action in its `after`, and of every action of
the milestones its milestone comes `after` (a done milestone no longer constrains; a milestone
with no open work passes its own predecessors on). An action with no blocks to place passes its
dependencies' end on to its dependents.

Stability: a tentative block stays exactly where it is while it is inside a window, off busy and
pinned time, within its week's budget (pinned blocks count first, then tentative ones in time
order), after its action's start (and a "not before" date) and before its due, min_block to
max_block long, a break away from its action's other blocks, not beyond its action's effort,
and after its dependencies' last blocks. Only if keeping the valid ones leaves work unplaced that
a fresh placement fits is everything placed afresh. A moved block keeps its index (one event
patched, not one deleted and one made); a block placed exactly where a released one was is kept.

Details a user may notice:
- A window time that does not exist (a spring-forward gap) reads as the moment the clocks jump,
  so a window shrinks by the gap; in a fall-back fold the window lasts the extra hour.
- `now`, busy and pinned edges are rounded outward to 5 minutes, so blocks start on round times.
- Blocks of one action are min_block..max_block long, at least min_block apart (a break, so a
  long window does not become one long block), also from its blocks already in the calendar.
  A block shorter than min_block happens only for work that is shorter, or as the tail when
  max_block < 2 * min_block makes it unavoidable. Work that cannot all fit gets what fits.
- A block that would leave a sliver shorter than min_block after it, in a window with room
  before it, moves to the window's end, so the two slivers make one usable piece.
- A recurring action gets one block of its full effort per open period (min/max do not apply).
  A period that contains none of its `days` is skipped; a missed period is unplaced work but
  does not block dependents, which wait for the action's last block. An occurrence that loses
  its only slot to other work is placed first in a second pass.
- Overdue work (its due has passed) is placed from now on, as early as the budget allows.
- A block counts against the budget of the local ISO week it starts in.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import defaultdict, deque
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import count
from types import MappingProxyType

from sync import freetime as ft
from sync.feasibility import Risk, risks
from sync.plan import Action, Plan
from sync.spans import Block, Interval

__all__ = ["Block", "Interval", "Placement", "Risk", "place_blocks"]

_SLIP_CAP = timedelta(weeks=26)  # how far past the plan's end a forecast looks
_NONE: Mapping[str, int] = MappingProxyType({})
_NO_DAYS: Mapping[str, date] = MappingProxyType({})
_CYCLE = "a dependency cycle"
_US = ft.US


@dataclass(frozen=True)
class Placement:
    blocks: tuple[Block, ...]  # blocks to make or move (a moved one keeps its index), by start
    risks: tuple[Risk, ...]  # in milestone order
    unplaced: Mapping[str, timedelta]  # action id -> effort not placed (only non-zero entries)
    kept: tuple[Block, ...] = ()  # tentative blocks that stay exactly where they are
    finish: Mapping[str, datetime] = field(default_factory=dict)  # action -> end of its last block
    overdue: frozenset[str] = frozenset()  # open actions whose due has passed

    def milestone_finish(self, plan: Plan, milestone_id: str) -> datetime | None:
        """End of the last block of the milestone's open actions (pinned, kept or new)."""
        ends = [
            self.finish[a.id] for a in plan.milestone(milestone_id).actions if a.id in self.finish
        ]
        return max(ends, default=None)


def place_blocks(
    plan: Plan,
    *,
    now: datetime,
    remaining: Mapping[str, timedelta],
    done: AbstractSet[str] = frozenset(),
    busy: Sequence[Interval] = (),
    kept: Sequence[Block] = (),
    tentative: Sequence[Block] = (),
    next_index: Mapping[str, int] = _NONE,
    not_before: Mapping[str, date] = _NO_DAYS,
) -> Placement:
    """Place focus blocks for the plan's remaining work; report what does not fit.

    `remaining` is the effort still to place per non-recurring action (done and pinned blocks
    already subtracted; tentative blocks not); recurring actions place one block of their effort
    per open period. `done` holds done action and milestone ids. `kept` are pinned blocks: they
    occupy time, count against the weekly budget, fill recurrence periods and order
    dependencies. `tentative` blocks keep their place while valid (see the module doc). New
    blocks of an action take the indexes of its released tentative blocks, then count on from
    `next_index` (default 0). `not_before`: action -> a day its blocks may not start before.
    """
    ctx = _Context(plan, now, remaining, done, busy, kept, tentative, not_before)
    outcome = _best(ctx)
    blocks, staying = _blocks(ctx, outcome, next_index)
    unplaced = {ctx.tasks[i].action.id: outcome.unplaced[i] * _US for i in sorted(outcome.unplaced)}
    found = risks(ctx, outcome, _allocate) if unplaced else ()
    finish = {ctx.tasks[i].action.id: ft.at(e, ctx.tz) for i, e in sorted(outcome.last_end.items())}
    overdue = frozenset(t.action.id for t in ctx.tasks if t.overdue)
    return Placement(blocks, found, unplaced, staying, MappingProxyType(finish), overdue)


def _best(ctx: _Context) -> _Outcome:
    """Keep valid tentative blocks; place afresh only if that fits more work. Missed recurring
    occurrences get a second pass that places them first."""
    out = _Allocation(ctx, ctx.budget, reserve=True).run()
    if out.unplaced and ctx.reserved:
        fresh = _Allocation(ctx, ctx.budget).run()
        if sum(fresh.unplaced.values()) < sum(out.unplaced.values()):
            out = fresh
    for _ in range(2):
        missed = frozenset(
            (i, k) for i, ks in out.missed.items() for k in ks if ctx.tasks[i].recurring
        )
        if not missed:
            break
        again = _Allocation(ctx, ctx.budget, reserve=out.reserve, promoted=missed).run()
        if sum(again.unplaced.values()) >= sum(out.unplaced.values()):
            break
        out = again
    return out


def _allocate(
    ctx: _Context, budget: int | None, relaxed: bool, targets: AbstractSet[int] | None
) -> _Outcome:
    """A fresh run for the feasibility analysis."""
    return _Allocation(ctx, budget, relaxed=relaxed, targets=targets).run()


# -- the problem, prepared once --------------------------------------------------------------


@dataclass
class _Task:
    """An action still to place, with its limits in microseconds."""

    action: Action
    milestone: str
    order: int  # plan order
    recurring: bool
    effort: int  # one-off: effort still to place; recurring: effort per occurrence
    lo: int  # earliest start: now, the plan's start, the action's start, its "not before"
    hi: int  # latest end: the end of its due (or until) day, capped by the plan's end
    periods: list[tuple[int, int, int]]  # recurring: open periods (start, end, last day ordinal)
    days: frozenset[int]  # recurring: allowed weekdays (0 = Mon); empty = any
    deps: list[int]  # task indices of undone dependencies (actions and milestones)
    first: bool  # own `first`, or inherited from a dependent
    due: int  # ordinal of its (inherited) due day, for earliest-due-first
    overdue: bool = False  # its due has passed: placed from now on, before anything else

    @property
    def total(self) -> int:
        return self.effort * len(self.periods) if self.recurring else self.effort


@dataclass(frozen=True)
class _Reserved:
    """A valid tentative block, held in place for its task."""

    task: int
    block: Block
    a: int
    b: int
    day: int
    period: int  # recurring: the period it fills; -1 for one-offs


class _Context:
    """Everything a placement run needs, computed once per call."""

    def __init__(
        self,
        plan: Plan,
        now: datetime,
        remaining: Mapping[str, timedelta],
        done: AbstractSet[str],
        busy: Sequence[Interval],
        kept: Sequence[Block],
        tentative: Sequence[Block],
        not_before: Mapping[str, date],
    ) -> None:
        tz = self.tz = plan.tz
        self.plan = plan
        sched = plan.schedule
        self.min_block, self.max_block = sched.min_block // _US, sched.max_block // _US
        self.budget = round(sched.weekly_hours * ft.HOUR)
        self.floor = max(-(-ft.us(now) // ft.GRAIN) * ft.GRAIN, ft.midnight(plan.start, tz))
        self.plan_end = ft.midnight(plan.end + timedelta(days=1), tz)
        cap_day = plan.end + _SLIP_CAP
        self.cap = ft.midnight(cap_day + timedelta(days=1), tz)

        first_day = max(plan.start, ft.at(self.floor, tz).date())
        spans = ft.window_spans(plan, first_day, cap_day)
        self.window_days = ft.weekday_set(d for w in plan.schedule.windows for d in w.days)
        taken = [(ft.us(x.start), ft.us(x.end)) for x in busy]
        taken += [(ft.us(x.start), ft.us(x.end)) for x in kept]
        outward = (ft.round_out(a, b) for a, b in taken if a < b)
        self.free = ft.subtract(spans, ft.merge(outward), self.floor)

        self.kept_used: dict[int, int] = defaultdict(int)
        self.kept_end: dict[str, int] = {}
        own: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for b in kept:
            a, e = ft.us(b.start), ft.us(b.end)
            self.kept_used[ft.week(ft.local_day(a, tz))] += max(0, e - a)
            self.kept_end[b.action_id] = max(e, self.kept_end.get(b.action_id, e))
            own[b.action_id].append((a, e))
        # A weekly budget at least this large never binds: window time plus kept time.
        demand: dict[int, int] = defaultdict(int, self.kept_used)
        for a, e, day in spans:
            demand[ft.week(day)] += e - a
        self.week_demand_cap = max(demand.values(), default=0)

        self.tasks = self._tasks(remaining, done, own, not_before)
        self.dependents: list[list[int]] = [[] for _ in self.tasks]
        self._descendants: dict[int, list[int]] = {}
        for i, t in enumerate(self.tasks):
            for d in t.deps:
                self.dependents[d].append(i)
        self._inherit()
        self.by_milestone: dict[str, list[int]] = defaultdict(list)
        for i, t in enumerate(self.tasks):
            self.by_milestone[t.milestone].append(i)
        index = {t.action.id: i for i, t in enumerate(self.tasks)}
        self.pinned = [sorted(own.get(t.action.id, ())) for t in self.tasks]
        self.tentative = [b for b in tentative if b.action_id in index]
        self.reserved = self._reserve(index)

    def _tasks(
        self,
        remaining: Mapping[str, timedelta],
        done: AbstractSet[str],
        own: Mapping[str, list[tuple[int, int]]],
        not_before: Mapping[str, date],
    ) -> list[_Task]:
        tasks = [
            self._task(order, m.id, a, remaining, own.get(a.id, []), not_before.get(a.id))
            for order, (m, a) in enumerate(self.plan.actions())
            if a.id not in done
        ]
        index = {t.action.id: i for i, t in enumerate(tasks)}
        mine: dict[str, list[int]] = defaultdict(list)
        for i, t in enumerate(tasks):
            mine[t.milestone].append(i)
        before = self._milestone_deps(done, mine)
        for t in tasks:
            deps = {index[d] for d in t.action.after if d in index and d != t.action.id}
            deps.update(before[t.milestone])
            t.deps = sorted(deps - {index[t.action.id]})
        return tasks

    def _milestone_deps(
        self, done: AbstractSet[str], mine: Mapping[str, list[int]]
    ) -> dict[str, list[int]]:
        """The tasks each milestone's actions wait for: those of the milestones it comes `after`,
        looking through milestones with no open work to their own predecessors."""
        by_id = {m.id: m for m in self.plan.milestones}
        out: dict[str, list[int]] = {}
        for m in self.plan.milestones:
            found: list[int] = []
            seen: set[str] = set()
            stack = [p for p in m.after if p in by_id]
            while stack:
                p = stack.pop()
                if p in seen or p == m.id or p in done:
                    continue
                seen.add(p)
                if mine.get(p):
                    found += mine[p]
                else:
                    stack += [q for q in by_id[p].after if q in by_id]
            out[m.id] = found
        return out

    def _task(
        self,
        order: int,
        milestone: str,
        a: Action,
        remaining: Mapping[str, timedelta],
        own: list[tuple[int, int]],
        not_before: date | None,
    ) -> _Task:
        tz = self.tz
        lo = self.floor if a.start is None else max(self.floor, ft.midnight(a.start, tz))
        if not_before is not None:
            lo = max(lo, ft.midnight(not_before, tz))
        task = _Task(a, milestone, order, False, 0, lo, 0, [], frozenset(), [], a.first, 0)
        if a.recurrence is None:
            if a.effort > timedelta(0):
                task.effort = max(0, remaining.get(a.id, timedelta(0)) // _US)
            task.hi = min(self.plan_end, ft.midnight(a.due + timedelta(days=1), tz))
            task.due = a.due.toordinal()
            if task.hi <= self.floor and task.effort > 0:  # overdue: from now on, as soon as can be
                task.overdue, task.hi, task.due = True, self.cap, 0
            return task
        until = min(a.until or a.due, self.plan.end)
        task.recurring, task.effort = True, max(0, a.effort // _US)
        task.hi = min(self.plan_end, ft.midnight(until + timedelta(days=1), tz))
        task.days = ft.weekday_set(a.recurrence.days)
        task.periods = []
        for p0, p1 in self._periods(a, until):
            start, end = ft.midnight(p0, tz), ft.midnight(p1, tz)
            if task.days and task.days.isdisjoint(ft.weekday(o) for o in ft.ordinals(p0, p1)):
                continue  # a partial period without an allowed weekday
            if end > self.floor and not any(start <= k < end for k, _ in own):
                task.periods.append((start, end, p1.toordinal() - 1))
        task.due = task.periods[0][2] if task.periods else a.due.toordinal()
        return task

    def _periods(self, a: Action, until: date) -> Iterator[tuple[date, date]]:
        """Recurrence periods [first day, day after) of an action, anchored at its start and
        clipped to it and its `until`. Weeks run Monday to Sunday."""
        assert a.recurrence is not None
        every, anchor = a.recurrence.every, a.start or self.plan.start
        if every == "day":
            allowed = ft.weekday_set(a.recurrence.days) or self.window_days
            for o in ft.ordinals(anchor, until + timedelta(days=1)):
                if ft.weekday(o) in allowed:
                    yield date.fromordinal(o), date.fromordinal(o + 1)
            return
        monday = anchor - timedelta(days=anchor.weekday())
        length = 7 if every == "week" else 14
        for k in count():
            if every == "month":
                p0, p1 = (ft.add_months(anchor, n, anchor.day) for n in (k, k + 1))
            else:
                p0 = max(anchor, monday + timedelta(days=length * k))
                p1 = monday + timedelta(days=length * (k + 1))
            if p0 > until:
                return
            yield p0, min(p1, until + timedelta(days=1))

    def _inherit(self) -> None:
        """Give each dependency the earlier due and the `first` of its dependents."""
        for i in reversed(self.topological()):
            t = self.tasks[i]
            for d in t.deps:
                dep = self.tasks[d]
                dep.due = min(dep.due, t.due)
                dep.first = dep.first or t.first

    def descendants(self, i: int) -> list[int]:
        """Every task that waits for task i, directly or through others (cached)."""
        found = self._descendants.get(i)
        if found is None:
            seen: set[int] = set()
            stack = list(self.dependents[i])
            while stack:
                c = stack.pop()
                if c not in seen:
                    seen.add(c)
                    stack += self.dependents[c]
            found = self._descendants[i] = sorted(seen)
        return found

    def topological(self) -> list[int]:
        indeg = [len(t.deps) for t in self.tasks]
        queue = deque(i for i, n in enumerate(indeg) if n == 0)
        out: list[int] = []
        while queue:
            i = queue.popleft()
            out.append(i)
            for c in self.dependents[i]:
                indeg[c] -= 1
                if indeg[c] == 0:
                    queue.append(c)
        return out

    def _reserve(self, index: Mapping[str, int]) -> list[_Reserved]:
        """The tentative blocks that stay valid, in time order (dependencies are checked when
        each task is released); `self.rfree` and `self.rused` are the free time and week
        budgets with them held."""
        tz, min_b, max_b = self.tz, self.min_block, self.max_block
        free, used = self.free.copy(), defaultdict(int, self.kept_used)
        held: dict[int, int] = defaultdict(int)  # one-off task -> effort held
        filled: set[tuple[int, int]] = set()
        last: dict[int, int] = {}  # task -> end of its last held block
        out: list[_Reserved] = []
        for b in sorted(self.tentative, key=lambda b: (ft.us(b.start), b.action_id, b.index)):
            i = index[b.action_id]
            t = self.tasks[i]
            a, e = ft.us(b.start), ft.us(b.end)
            n, day = e - a, ft.local_day(a, tz)
            if a < t.lo or e > t.hi or used[ft.week(day)] + n > self.budget:
                continue
            slot = free.find(a, e)
            if slot is None:
                continue  # outside the windows, or over busy, pinned or another block
            period = -1
            if t.recurring:
                period = next((k for k, p in enumerate(t.periods) if p[0] <= a < p[1]), -1)
                if n != t.effort or period < 0 or (i, period) in filled or e > t.periods[period][1]:
                    continue
                if t.days and ft.weekday(day) not in t.days:
                    continue
                filled.add((i, period))
            else:
                short_ok = n >= min_b or n == t.effort - held[i]
                if n > max_b or not short_ok or held[i] + n > t.effort:
                    continue
                if a < last.get(i, a - min_b) + min_b or _clashes(self.pinned[i], a, e, min_b):
                    continue
                held[i] += n
                last[i] = e
            free.take(slot, a, e)
            used[ft.week(day)] += n
            out.append(_Reserved(i, b, a, e, day, period))
        self.rfree, self.rused = free, used
        return out


def _clashes(blocks: Sequence[tuple[int, int]], a: int, b: int, gap: int) -> bool:
    """Whether [a, b) comes within `gap` of one of an action's blocks."""
    return any(s - gap < b and a < e + gap for s, e in blocks)


# -- one placement run -----------------------------------------------------------------------


@dataclass
class _Outcome:
    placed: dict[int, list[tuple[int, int]]]  # task -> new blocks, in placement order
    unplaced: dict[int, int]  # task -> effort not placed
    blocked: dict[int, str]  # task -> why it could not start (a failed dependency, a cycle)
    last_end: dict[int, int]  # task -> end of its last block, pinned, kept or new
    held: list[_Reserved]  # tentative blocks kept in place
    missed: dict[int, list[int]]  # recurring task -> periods that got no block
    reserve: bool = False


def _block_length(rem: int, room: int, min_b: int, max_b: int, partial: bool) -> int | None:
    """Length of the next block, or None to look further on.

    Takes what is left if it fits; otherwise as much as allowed while leaving at least a
    minimum block behind; a short tail only when no split can avoid it (max < 2 * min).
    `partial` (work that cannot all fit): as much as the room allows, never a short piece.
    """
    room = min(room, max_b)
    if room <= 0 or (partial and rem < min_b):
        return None
    if rem <= room:
        return rem
    if room < min_b:
        return None
    if partial:
        return room
    n = min(room, rem - min_b)
    if n >= min_b:
        return n
    return room if rem > max_b else None


class _Allocation:
    """One greedy pass over the tasks in priority order (dependencies first)."""

    def __init__(
        self,
        ctx: _Context,
        budget: int | None,
        *,
        relaxed: bool = False,
        targets: AbstractSet[int] | None = None,
        reserve: bool = False,
        promoted: AbstractSet[tuple[int, int]] = frozenset(),
    ) -> None:
        self.ctx, self.budget, self.relaxed, self.promoted = ctx, budget, relaxed, promoted
        reserve = reserve and bool(ctx.reserved)
        self.free = (ctx.rfree if reserve else ctx.free).copy()
        self.used: dict[int, int] = defaultdict(int, ctx.rused if reserve else ctx.kept_used)
        self.held: list[list[_Reserved]] = [[] for _ in ctx.tasks]
        for r in ctx.reserved if reserve else ():
            self.held[r.task].append(r)
        self.out = _Outcome({}, {}, {}, {}, [], {}, reserve)
        for i, t in enumerate(ctx.tasks):
            if t.action.id in ctx.kept_end:
                self.out.last_end[i] = ctx.kept_end[t.action.id]
        self.failed: set[int] = set()
        self.indeg = [len(t.deps) for t in ctx.tasks]
        self.pending = [0] * len(ctx.tasks)
        self.earliest = [0] * len(ctx.tasks)
        self.rem = [t.effort for t in ctx.tasks]
        self.heap: list[tuple[int, int, int, int, int]] = []
        self.finished: deque[int] = deque()
        self.open_targets = set(targets) if targets is not None else None

    def run(self) -> _Outcome:
        for i, n in enumerate(self.indeg):
            if n == 0:
                self._release(i)
        while self.open_targets is None or self.open_targets:
            while self.finished:
                self._finish(self.finished.popleft())
            if not self.heap:
                break
            *_, occurrence, i = heapq.heappop(self.heap)
            self._place(i, occurrence)
            self.pending[i] -= 1
            if self.pending[i] == 0:
                self.finished.append(i)
        if not self.heap:
            for i, n in enumerate(self.indeg):
                if n > 0:  # only a dependency cycle leaves a task unreleased at the end
                    self._fail(i, _CYCLE)
        self.out.held = [r for rs in self.held for r in rs]
        return self.out

    def _release(self, i: int) -> None:
        t = self.ctx.tasks[i]
        bad = next((d for d in t.deps if d in self.failed), None)
        if bad is not None:
            self._fail(i, self.ctx.tasks[bad].action.id)
            self.finished.append(i)
            return
        earliest = max([t.lo] + [self.out.last_end.get(d, t.lo) for d in t.deps])
        self.earliest[i] = earliest
        self._hold(i, earliest)
        rank = 2 if not (t.first or t.overdue) else (0 if t.overdue else 1)
        filled = {r.period for r in self.held[i]}
        if t.effort <= 0:
            jobs = []
        elif t.recurring:
            jobs = [
                (-1 if (i, k) in self.promoted else rank, p[2], t.order, k, i)
                for k, p in enumerate(t.periods)
                if k not in filled
            ]
        else:
            jobs = [(rank, t.due, t.order, 0, i)] if self.rem[i] > 0 else []
        for job in jobs:
            heapq.heappush(self.heap, job)
        self.pending[i] = len(jobs)
        if not jobs:
            if t.deps:  # no blocks to place: its dependents wait for its dependencies
                self.out.last_end[i] = max(self.out.last_end.get(i, 0), earliest)
            self.finished.append(i)

    def _hold(self, i: int, earliest: int) -> None:
        """Keep the task's valid tentative blocks that start after its dependencies end; give
        the others' time back."""
        keep: list[_Reserved] = []
        for r in self.held[i]:
            if r.a >= earliest:
                keep.append(r)
                continue
            self.free.give(r.a, r.b, r.day)
            self.used[ft.week(r.day)] -= r.b - r.a
        self.held[i] = keep
        t = self.ctx.tasks[i]
        if not t.recurring:
            self.rem[i] = t.effort - sum(r.b - r.a for r in keep)
        if keep:
            self.out.last_end[i] = max(self.out.last_end.get(i, 0), max(r.b for r in keep))

    def _fail(self, i: int, why: str) -> None:
        t = self.ctx.tasks[i]
        self.out.blocked[i] = why
        if t.total > 0:
            self.out.unplaced[i] = t.total
        self.failed.add(i)

    def _finish(self, i: int) -> None:
        if self.open_targets is not None:
            self.open_targets.discard(i)
        for c in self.ctx.dependents[i]:
            self.indeg[c] -= 1
            if self.indeg[c] == 0:
                self._release(c)

    def _place(self, i: int, occurrence: int) -> None:
        lent = self._lend(i)
        self._place_one(i, occurrence)
        self._take_back(lent)

    def _lend(self, i: int) -> list[_Reserved]:
        """The held blocks of the task's dependents from its earliest start on, given back while
        it is placed: whatever it takes from them would have to move after it anyway, and so
        a displaced block takes the place of the next block in its chain instead of going to
        the end of the schedule (which would push the whole chain after it)."""
        if not self.out.reserve:
            return []
        lent: list[_Reserved] = []
        for d in self.ctx.descendants(i):
            if not self.held[d]:
                continue
            keep = []
            for r in self.held[d]:
                if r.a >= self.earliest[i]:
                    self.free.give(r.a, r.b, r.day)
                    self.used[ft.week(r.day)] -= r.b - r.a
                    lent.append(r)
                else:
                    keep.append(r)
            self.held[d] = keep
        return lent

    def _take_back(self, lent: list[_Reserved]) -> None:
        """Hold again the lent blocks that are still free and within their week's budget."""
        for r in lent:
            slot = self.free.find(r.a, r.b)
            week = ft.week(r.day)
            if slot is None or self.used[week] + (r.b - r.a) > self.ctx.budget:
                continue  # taken: its effort is placed again when its task is released
            self.free.take(slot, r.a, r.b)
            self.used[week] += r.b - r.a
            self.held[r.task].append(r)

    def _place_one(self, i: int, occurrence: int) -> None:
        t = self.ctx.tasks[i]
        if t.recurring:
            p0, p1, _ = t.periods[occurrence]
            block = self._occurrence(t, max(self.earliest[i], p0), min(p1, t.hi))
            blocks = [block] if block else []
            missed = 0 if block else t.effort
            if missed:
                self.out.missed.setdefault(i, []).append(occurrence)
        else:
            hi = self.ctx.cap if self.relaxed else t.hi
            zones = sorted([*self.ctx.pinned[i], *((r.a, r.b) for r in self.held[i])])
            blocks, missed = self._one_off(self.rem[i], self.earliest[i], hi, zones, False)
            if missed:
                for a, b in blocks:  # undo, then try taking as much as each room allows
                    day = ft.local_day(a, self.ctx.tz)
                    self.free.give(a, b, day)
                    self.used[ft.week(day)] -= b - a
                partial, left = self._one_off(self.rem[i], self.earliest[i], hi, zones, True)
                if left < missed:
                    blocks, missed = partial, left
                else:
                    for a, b in partial:
                        day = ft.local_day(a, self.ctx.tz)
                        self.free.give(a, b, day)
                        self.used[ft.week(day)] -= b - a
                    blocks, _ = self._one_off(self.rem[i], self.earliest[i], hi, zones, False)
                self.failed.add(i)
        if blocks:
            self.out.placed.setdefault(i, []).extend(blocks)
            self.out.last_end[i] = max(max(b for _, b in blocks), self.out.last_end.get(i, 0))
        if missed:
            self.out.unplaced[i] = self.out.unplaced.get(i, 0) + missed

    def _left(self, day: int) -> int:
        if self.budget is None:
            return 1 << 62
        return self.budget - self.used[ft.week(day)]

    def _next_week(self, i: int) -> int:
        """Index of the first free interval in the week after interval i's."""
        return bisect_right(self.free.days, (ft.week(self.free.days[i]) + 1) * 7, lo=i)

    def _one_off(
        self, rem: int, lo: int, hi: int, zones: Sequence[tuple[int, int]], partial: bool
    ) -> tuple[list[tuple[int, int]], int]:
        """Earliest blocks for `rem` in [lo, hi); blocks of one action keep a min_block break,
        also from its blocks already placed (`zones`)."""
        ctx, free = self.ctx, self.free
        min_b = ctx.min_block
        starts, ends, days = free.starts, free.ends, free.days
        blocks: list[tuple[int, int]] = []
        i = bisect_right(ends, lo)
        while rem > 0 and i < len(starts):
            s = max(starts[i], lo)
            if s >= hi:
                break
            left = self._left(days[i])
            if left <= 0 or left < min(min_b, rem):
                i = self._next_week(i)
                continue
            s, limit = _clip(s, min(ends[i], hi), zones, min_b)
            n = (
                None
                if limit <= s
                else _block_length(rem, min(limit - s, left), min_b, ctx.max_block, partial)
            )
            if n is None:
                i += 1
                continue
            sliver = limit - (s + n)
            if 0 < sliver < min_b and s > starts[i] and limit == ends[i]:
                s += sliver  # the sliver joins the room before the block
            self.used[ft.week(days[i])] += n
            free.take(i, s, s + n)
            blocks.append((s, s + n))
            rem -= n
            lo = s + n + min_b
            i = bisect_right(ends, lo, lo=i)
        return blocks, rem

    def _occurrence(self, t: _Task, lo: int, hi: int) -> tuple[int, int] | None:
        """The earliest block of one occurrence in [lo, hi), on an allowed weekday."""
        free = self.free
        starts, ends, days = free.starts, free.ends, free.days
        i = bisect_right(ends, lo)
        while i < len(starts):
            s = max(starts[i], lo)
            if s >= hi:
                return None
            if self._left(days[i]) < t.effort:
                i = self._next_week(i)
                continue
            if (not t.days or ft.weekday(days[i]) in t.days) and min(ends[i], hi) - s >= t.effort:
                self.used[ft.week(days[i])] += t.effort
                free.take(i, s, s + t.effort)
                return s, s + t.effort
            i += 1
        return None


def _clip(s: int, limit: int, zones: Sequence[tuple[int, int]], gap: int) -> tuple[int, int]:
    """[s, limit) moved and cut so it keeps `gap` away from each zone (sorted by start)."""
    for za, zb in zones:
        if zb + gap <= s:
            continue
        if za - gap <= s:
            s = zb + gap
            continue
        return s, min(limit, za - gap)
    return s, limit


# -- results ---------------------------------------------------------------------------------


def _blocks(
    ctx: _Context, out: _Outcome, next_index: Mapping[str, int]
) -> tuple[tuple[Block, ...], tuple[Block, ...]]:
    """(blocks to make or move, tentative blocks staying), each by start instant (not by wall
    clock: a fall-back hour repeats it). Moved blocks keep the index of a released one."""
    held = {r.block for r in out.held}
    released: dict[str, list[Block]] = defaultdict(list)
    for b in ctx.tentative:
        if b not in held:
            released[b.action_id].append(b)
    staying = list(held)
    keyed: list[tuple[int, str, int, int]] = []
    for i, spans in out.placed.items():
        aid = ctx.tasks[i].action.id
        free_ix = sorted(released.get(aid, []), key=lambda b: ft.us(b.start))
        at_spot = {(ft.us(b.start), ft.us(b.end)): b for b in free_ix}
        fresh = count(next_index.get(aid, 0))
        rest: list[tuple[int, int]] = []
        for s0, s1 in sorted(spans):
            same = at_spot.pop((s0, s1), None)
            if same is not None:
                staying.append(same)
                free_ix.remove(same)
            else:
                rest.append((s0, s1))
        for s0, s1 in rest:
            k = free_ix.pop(0).index if free_ix else next(fresh)
            keyed.append((s0, aid, k, s1))
    new = tuple(Block(aid, k, ft.at(a, ctx.tz), ft.at(b, ctx.tz)) for a, aid, k, b in sorted(keyed))
    return new, tuple(sorted(staying, key=lambda b: (ft.us(b.start), b.action_id, b.index)))
