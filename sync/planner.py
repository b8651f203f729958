"""Time-blocking: place focus blocks for a plan's actions in the user's free time.

Pure: `place_blocks` reads no clock and does no I/O; `now` is passed in.

How it works. The plan's windows are laid out per local calendar day (zoneinfo, so a 07:00
window stays at 07:00 local across a daylight-saving change) from `now` to half a year past the
plan's end; busy time and kept blocks are cut out once, leaving sorted free intervals. Actions
are then allocated greedily, each into the earliest free slots it may use, in priority order:
`first` actions, then earliest due (a dependency inherits the earlier due and the `first` of its
dependents), ties by plan order. Work that does not fit is never dropped: it is in `unplaced`
and in a `Risk` for its milestone, with a forecast from a re-run that lets work run late, and
fixes computed by re-running with larger weekly budgets.

Details a user may notice:
- A window time that does not exist (a spring-forward gap) reads as the moment the clocks jump,
  so a window shrinks by the gap; in a fall-back fold the window lasts the extra hour.
- `now`, busy and kept edges are rounded outward to 5 minutes, so blocks start on round times.
- Blocks of one action are min_block..max_block long, at least min_block apart (a break, so a
  long window does not become one long block). A block shorter than min_block happens only for
  work that is shorter, or as the tail when max_block < 2 * min_block makes it unavoidable.
- A recurring action gets one block of its full effort per open period (min/max do not apply).
  A period that contains none of its `days` is skipped; a missed period is unplaced work but
  does not block dependents, which wait for the action's last block.
- A block counts against the budget of the local ISO week it starts in.

Internally every instant is an integer count of microseconds since the Unix epoch (UTC): the
arithmetic is exact and free of the wall-clock semantics of same-zone datetime arithmetic.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from types import MappingProxyType
from zoneinfo import ZoneInfo

from sync.plan import WEEKDAYS, Action, Plan, Weekday

__all__ = ["Block", "Interval", "Placement", "Risk", "place_blocks"]


@dataclass(frozen=True, order=True)
class Interval:
    """A span of time, half-open [start, end); both ends timezone-aware."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Block:
    """A focus block for an action, in the plan's time zone."""

    action_id: str
    index: int  # block number within the action; stable, part of the calendar event id
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Risk:
    """A milestone that cannot be met as planned."""

    milestone_id: str
    short: timedelta  # effort that does not fit before the due dates
    # When the milestone's one-off work would finish if allowed to run late; None if not even
    # half a year past the plan's end, or if only recurring occurrences (which cannot run late)
    # are missed.
    slip_to: date | None
    fixes: tuple[str, ...]  # one line each, e.g. "raise weekly_hours to 6"


@dataclass(frozen=True)
class Placement:
    blocks: tuple[Block, ...]  # new blocks only, sorted by start instant
    risks: tuple[Risk, ...]  # in milestone order
    unplaced: Mapping[str, timedelta]  # action id -> effort not placed (only non-zero entries)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_SECOND = 1_000_000
_HOUR = 3600 * _SECOND
_GRAIN = 5 * 60 * _SECOND  # `now`, busy and kept edges are rounded outward to 5 minutes
_SLIP_CAP = timedelta(weeks=26)  # how far past the plan's end a forecast looks
_HOURS_STEP = 0.5  # weekly_hours fixes are multiples of this
_NONE: Mapping[str, int] = MappingProxyType({})
_CYCLE = "a dependency cycle"


def place_blocks(
    plan: Plan,
    *,
    now: datetime,
    remaining: Mapping[str, timedelta],
    done: AbstractSet[str] = frozenset(),
    busy: Sequence[Interval] = (),
    kept: Sequence[Block] = (),
    next_index: Mapping[str, int] = _NONE,
) -> Placement:
    """Place focus blocks for the plan's remaining work; report what does not fit.

    `remaining` is the effort still to place per non-recurring action (done and kept blocks
    already subtracted); recurring actions place one block of their effort per open period.
    Kept blocks occupy time, count against the weekly budget, fill recurrence periods and
    order dependencies. New blocks of an action are numbered from `next_index` (default 0).
    """
    ctx = _Context(plan, now, remaining, done, busy, kept)
    outcome = _Allocation(ctx, ctx.budget).run()
    blocks = _blocks(ctx, outcome, next_index)
    unplaced = {ctx.tasks[i].action.id: outcome.unplaced[i] * _US for i in sorted(outcome.unplaced)}
    risks = _risks(ctx, outcome) if unplaced else ()
    return Placement(blocks=blocks, risks=risks, unplaced=unplaced)


# -- time ------------------------------------------------------------------------------------


def _us(dt: datetime) -> int:
    if dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()}: the planner needs aware datetimes")
    return (dt - _EPOCH) // _US


def _at(us: int, tz: ZoneInfo) -> datetime:
    return (_EPOCH + us * _US).astimezone(tz)


def _local_us(day: date, at: time, tz: ZoneInfo) -> int:
    """The instant of a local wall time; in a daylight-saving gap, the moment the clocks jump."""
    wall = datetime.combine(day, at)
    us = _us(wall.replace(tzinfo=tz))
    if _at(us, tz).replace(tzinfo=None) == wall:
        return us
    # fold=1 reads a gap time with the offset after the jump, giving an instant before it.
    lo, hi = _us(wall.replace(tzinfo=tz, fold=1)) // _SECOND, -(-us // _SECOND)
    before = _at(lo * _SECOND, tz).utcoffset()
    while hi - lo > 1:  # transitions fall on whole seconds
        mid = (lo + hi) // 2
        if _at(mid * _SECOND, tz).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi * _SECOND


def _midnight(day: date, tz: ZoneInfo) -> int:
    return _local_us(day, time(0), tz)


def _week(ordinal: int) -> int:
    """ISO week number counted from 0001-01-01, a Monday."""
    return (ordinal - 1) // 7


def _weekday(ordinal: int) -> int:
    return (ordinal - 1) % 7


def _add_months(day: date, months: int, anchor_day: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(anchor_day, last))


def _ordinals(first: date, stop: date) -> range:
    return range(first.toordinal(), stop.toordinal())


def _days(names: Iterable[Weekday]) -> frozenset[int]:
    return frozenset(WEEKDAYS.index(n) for n in names)


# -- free time -------------------------------------------------------------------------------


class _Free:
    """Disjoint free intervals sorted by start, each within one local day (ordinal)."""

    __slots__ = ("days", "ends", "starts")

    def __init__(self, starts: list[int], ends: list[int], days: list[int]) -> None:
        self.starts, self.ends, self.days = starts, ends, days

    def copy(self) -> _Free:
        return _Free(self.starts[:], self.ends[:], self.days[:])

    def take(self, i: int, a: int, b: int) -> None:
        """Remove [a, b) from interval i, which contains it."""
        s, e = self.starts[i], self.ends[i]
        if a > s and b < e:
            self.ends[i] = a
            self.starts.insert(i + 1, b)
            self.ends.insert(i + 1, e)
            self.days.insert(i + 1, self.days[i])
        elif a > s:
            self.ends[i] = a
        elif b < e:
            self.starts[i] = b
        else:
            del self.starts[i], self.ends[i], self.days[i]


def _window_spans(plan: Plan, first: date, last: date) -> list[tuple[int, int, int]]:
    """Window instances (start, end, day ordinal) per local day from first to last, merged."""
    tz = plan.tz
    by_weekday: list[list[tuple[time, time]]] = [[] for _ in WEEKDAYS]
    for w in plan.schedule.windows:
        for d in _days(w.days):
            by_weekday[d].append((w.start, w.end))
    spans: list[tuple[int, int, int]] = []
    for ordinal in range(first.toordinal(), last.toordinal() + 1):
        day = date.fromordinal(ordinal)
        todays = sorted(
            (_local_us(day, a, tz), _local_us(day, b, tz)) for a, b in by_weekday[_weekday(ordinal)]
        )
        for a, b in todays:
            if a >= b:
                continue  # swallowed by a daylight-saving gap
            if spans and spans[-1][2] == ordinal and a <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(b, spans[-1][1]), ordinal)
            else:
                spans.append((a, b, ordinal))
    return spans


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def _subtract(spans: list[tuple[int, int, int]], taken: list[tuple[int, int]], floor: int) -> _Free:
    """Window spans minus merged taken time, from `floor` on."""
    starts: list[int] = []
    ends: list[int] = []
    days: list[int] = []

    def emit(a: int, b: int, day: int) -> None:
        starts.append(a)
        ends.append(b)
        days.append(day)

    j = 0
    for a, b, day in spans:
        if b <= floor:
            continue
        cur = max(a, floor)
        while j < len(taken) and taken[j][1] <= cur:
            j += 1
        k = j
        while k < len(taken) and taken[k][0] < b:
            if taken[k][0] > cur:
                emit(cur, taken[k][0], day)
            cur = max(cur, taken[k][1])
            k += 1
        if cur < b:
            emit(cur, b, day)
    return _Free(starts, ends, days)


# -- the problem, prepared once --------------------------------------------------------------


@dataclass
class _Task:
    """An action still to place, with its limits in microseconds."""

    action: Action
    milestone: str
    order: int  # plan order
    recurring: bool
    effort: int  # one-off: effort still to place; recurring: effort per occurrence
    lo: int  # earliest start: now, the plan's start, the action's start
    hi: int  # latest end: the end of its due (or until) day, capped by the plan's end
    periods: list[tuple[int, int, int]]  # recurring: open periods (start, end, last day ordinal)
    days: frozenset[int]  # recurring: allowed weekdays (0 = Mon); empty = any
    deps: list[int]  # task indices of undone dependencies
    first: bool  # own `first`, or inherited from a dependent
    due: int  # ordinal of its (inherited) due day, for earliest-due-first

    @property
    def total(self) -> int:
        return self.effort * len(self.periods) if self.recurring else self.effort


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
    ) -> None:
        tz = self.tz = plan.tz
        self.plan = plan
        sched = plan.schedule
        self.min_block, self.max_block = sched.min_block // _US, sched.max_block // _US
        self.budget = round(sched.weekly_hours * _HOUR)
        self.floor = max(-(-_us(now) // _GRAIN) * _GRAIN, _midnight(plan.start, tz))
        self.plan_end = _midnight(plan.end + timedelta(days=1), tz)
        cap_day = plan.end + _SLIP_CAP
        self.cap = _midnight(cap_day + timedelta(days=1), tz)

        first_day = max(plan.start, _at(self.floor, tz).date())
        spans = _window_spans(plan, first_day, cap_day)
        self.window_days = _days(d for w in plan.schedule.windows for d in w.days)
        spans_taken: list[Interval | Block] = [*busy, *kept]
        taken = [(_us(x.start), _us(x.end)) for x in spans_taken]
        outward = ((a // _GRAIN * _GRAIN, -(-b // _GRAIN) * _GRAIN) for a, b in taken if a < b)
        self.free = _subtract(spans, _merge(outward), self.floor)

        self.kept_used: dict[int, int] = defaultdict(int)
        self.kept_end: dict[str, int] = {}
        kept_starts: dict[str, list[int]] = defaultdict(list)
        for b in kept:
            a, e = _us(b.start), _us(b.end)
            self.kept_used[_week(_at(a, tz).date().toordinal())] += max(0, e - a)
            self.kept_end[b.action_id] = max(e, self.kept_end.get(b.action_id, e))
            kept_starts[b.action_id].append(a)
        # A weekly budget at least this large never binds: window time plus kept time.
        demand: dict[int, int] = defaultdict(int, self.kept_used)
        for a, e, day in spans:
            demand[_week(day)] += e - a
        self.week_demand_cap = max(demand.values(), default=0)

        self.tasks = self._tasks(remaining, done, kept_starts)
        self.dependents: list[list[int]] = [[] for _ in self.tasks]
        for i, t in enumerate(self.tasks):
            for d in t.deps:
                self.dependents[d].append(i)
        self._inherit()
        self.by_milestone: dict[str, list[int]] = defaultdict(list)
        for i, t in enumerate(self.tasks):
            self.by_milestone[t.milestone].append(i)

    def _tasks(
        self,
        remaining: Mapping[str, timedelta],
        done: AbstractSet[str],
        kept_starts: Mapping[str, list[int]],
    ) -> list[_Task]:
        tasks = [
            self._task(order, m.id, a, remaining, kept_starts.get(a.id, []))
            for order, (m, a) in enumerate(self.plan.actions())
            if a.id not in done
        ]
        index = {t.action.id: i for i, t in enumerate(tasks)}
        for t in tasks:
            t.deps = sorted({index[d] for d in t.action.after if d in index and d != t.action.id})
        return tasks

    def _task(
        self,
        order: int,
        milestone: str,
        a: Action,
        remaining: Mapping[str, timedelta],
        kept_starts: list[int],
    ) -> _Task:
        tz = self.tz
        lo = self.floor if a.start is None else max(self.floor, _midnight(a.start, tz))
        task = _Task(a, milestone, order, False, 0, lo, 0, [], frozenset(), [], a.first, 0)
        if a.recurrence is None:
            if a.effort > timedelta(0):
                task.effort = max(0, remaining.get(a.id, timedelta(0)) // _US)
            task.hi = min(self.plan_end, _midnight(a.due + timedelta(days=1), tz))
            task.due = a.due.toordinal()
            return task
        until = min(a.until or a.due, self.plan.end)
        task.recurring, task.effort = True, max(0, a.effort // _US)
        task.hi = min(self.plan_end, _midnight(until + timedelta(days=1), tz))
        task.days = _days(a.recurrence.days)
        task.periods = []
        for p0, p1 in self._periods(a, until):
            start, end = _midnight(p0, tz), _midnight(p1, tz)
            if task.days and task.days.isdisjoint(_weekday(o) for o in _ordinals(p0, p1)):
                continue  # a partial period without an allowed weekday
            if end > self.floor and not any(start <= k < end for k in kept_starts):
                task.periods.append((start, end, p1.toordinal() - 1))
        task.due = task.periods[0][2] if task.periods else a.due.toordinal()
        return task

    def _periods(self, a: Action, until: date) -> Iterator[tuple[date, date]]:
        """Recurrence periods [first day, day after) of an action, anchored at its start and
        clipped to it and its `until`. Weeks run Monday to Sunday."""
        assert a.recurrence is not None
        every, anchor = a.recurrence.every, a.start or self.plan.start
        if every == "day":
            allowed = _days(a.recurrence.days) or self.window_days
            for o in _ordinals(anchor, until + timedelta(days=1)):
                if _weekday(o) in allowed:
                    yield date.fromordinal(o), date.fromordinal(o + 1)
            return
        monday = anchor - timedelta(days=anchor.weekday())
        length = 7 if every == "week" else 14
        for k in count():
            if every == "month":
                p0, p1 = (_add_months(anchor, n, anchor.day) for n in (k, k + 1))
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


# -- one placement run -----------------------------------------------------------------------


@dataclass
class _Outcome:
    placed: dict[int, list[tuple[int, int]]]  # task -> new blocks, in placement order
    unplaced: dict[int, int]  # task -> effort not placed
    blocked: dict[int, str]  # task -> why it could not start (a failed dependency, a cycle)
    last_end: dict[int, int]  # task -> end of its last block, kept or new


def _block_length(rem: int, room: int, min_b: int, max_b: int) -> int | None:
    """Length of the next block, or None to look further on.

    Takes what is left if it fits; otherwise as much as allowed while leaving at least a
    minimum block behind; a short tail only when no split can avoid it (max < 2 * min).
    """
    room = min(room, max_b)
    if room <= 0:
        return None
    if rem <= room:
        return rem
    if room < min_b:
        return None
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
    ) -> None:
        self.ctx, self.budget, self.relaxed = ctx, budget, relaxed
        self.free = ctx.free.copy()
        self.used: dict[int, int] = defaultdict(int, ctx.kept_used)
        self.out = _Outcome({}, {}, {}, {})
        for i, t in enumerate(ctx.tasks):
            if t.action.id in ctx.kept_end:
                self.out.last_end[i] = ctx.kept_end[t.action.id]
        self.failed: set[int] = set()
        self.indeg = [len(t.deps) for t in ctx.tasks]
        self.pending = [0] * len(ctx.tasks)
        self.earliest = [0] * len(ctx.tasks)
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
        return self.out

    def _release(self, i: int) -> None:
        t = self.ctx.tasks[i]
        bad = next((d for d in t.deps if d in self.failed), None)
        if bad is not None:
            self._fail(i, self.ctx.tasks[bad].action.id)
            self.finished.append(i)
            return
        self.earliest[i] = max([t.lo] + [self.out.last_end.get(d, t.lo) for d in t.deps])
        rank = 0 if t.first else 1
        if t.effort <= 0:
            jobs = []
        elif t.recurring:
            jobs = [(rank, p[2], t.order, k, i) for k, p in enumerate(t.periods)]
        else:
            jobs = [(rank, t.due, t.order, 0, i)]
        for job in jobs:
            heapq.heappush(self.heap, job)
        self.pending[i] = len(jobs)
        if not jobs:
            self.finished.append(i)

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
        t = self.ctx.tasks[i]
        if t.recurring:
            p0, p1, _ = t.periods[occurrence]
            block = self._occurrence(t, max(self.earliest[i], p0), min(p1, t.hi))
            blocks = [block] if block else []
            missed = 0 if block else t.effort
        else:
            hi = self.ctx.cap if self.relaxed else t.hi
            blocks, missed = self._one_off(t.effort, self.earliest[i], hi)
            if missed:
                self.failed.add(i)
        if blocks:
            self.out.placed.setdefault(i, []).extend(blocks)
            self.out.last_end[i] = max(blocks[-1][1], self.out.last_end.get(i, 0))
        if missed:
            self.out.unplaced[i] = self.out.unplaced.get(i, 0) + missed

    def _left(self, day: int) -> int:
        if self.budget is None:
            return 1 << 62
        return self.budget - self.used[_week(day)]

    def _next_week(self, i: int) -> int:
        """Index of the first free interval in the week after interval i's."""
        return bisect_left(self.free.days, (_week(self.free.days[i]) + 1) * 7 + 1, lo=i)

    def _one_off(self, rem: int, lo: int, hi: int) -> tuple[list[tuple[int, int]], int]:
        """Earliest blocks for `rem` in [lo, hi); blocks of one action keep a min_block break."""
        ctx, free = self.ctx, self.free
        starts, ends, days = free.starts, free.ends, free.days
        blocks: list[tuple[int, int]] = []
        i = bisect_right(ends, lo)
        while rem > 0 and i < len(starts):
            s = max(starts[i], lo)
            if s >= hi:
                break
            left = self._left(days[i])
            if left <= 0 or left < min(ctx.min_block, rem):
                i = self._next_week(i)
                continue
            n = _block_length(rem, min(min(ends[i], hi) - s, left), ctx.min_block, ctx.max_block)
            if n is None:
                i += 1
                continue
            self.used[_week(days[i])] += n
            free.take(i, s, s + n)
            blocks.append((s, s + n))
            rem -= n
            lo = s + n + ctx.min_block
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
            if (not t.days or _weekday(days[i]) in t.days) and min(ends[i], hi) - s >= t.effort:
                self.used[_week(days[i])] += t.effort
                free.take(i, s, s + t.effort)
                return s, s + t.effort
            i += 1
        return None


# -- results ---------------------------------------------------------------------------------


def _blocks(ctx: _Context, out: _Outcome, next_index: Mapping[str, int]) -> tuple[Block, ...]:
    """New blocks by start instant (not by wall clock: a fall-back hour repeats it)."""
    keyed: list[tuple[int, str, int, int]] = []
    for i, spans in out.placed.items():
        aid = ctx.tasks[i].action.id
        first = next_index.get(aid, 0)
        keyed += [(a, aid, first + k, b) for k, (a, b) in enumerate(sorted(spans))]
    return tuple(Block(aid, k, _at(a, ctx.tz), _at(b, ctx.tz)) for a, aid, k, b in sorted(keyed))


def _risks(ctx: _Context, out: _Outcome) -> tuple[Risk, ...]:
    """A risk per milestone with unplaced work, with a forecast and computed fixes."""
    late: dict[str, list[int]] = defaultdict(list)
    for i in sorted(out.unplaced):
        late[ctx.tasks[i].milestone].append(i)
    relaxed = _Allocation(ctx, ctx.budget, relaxed=True).run()
    hours, stuck = _hours_needed(ctx, late)
    risks: list[Risk] = []
    for m in ctx.plan.milestones:
        if m.id not in late:
            continue
        tasks = late[m.id]
        slip = _slip(ctx, relaxed, m.id, tasks)
        fixes = [
            *_blocked_fixes(ctx, out, tasks),
            *([f"raise weekly_hours to {hours[m.id]:g}"] if m.id in hours else []),
            *_move_fixes(ctx, relaxed, m.id, m.due, tasks, slip),
            *(_window_fixes(ctx, out, tasks) if m.id in stuck else []),
        ]
        if slip is None:
            fixes += _passed_fixes(ctx, out, tasks)
        if not fixes:
            fixes.append(f"give '{m.id}' less work or more time")
        short = sum(out.unplaced[i] for i in tasks) * _US
        risks.append(Risk(m.id, short, slip, tuple(dict.fromkeys(fixes))))
    return tuple(risks)


def _finish_day(ctx: _Context, out: _Outcome, i: int) -> date | None:
    end = out.last_end.get(i)
    return None if end is None else _at(end - 1, ctx.tz).date()


def _slip(ctx: _Context, relaxed: _Outcome, milestone: str, late: list[int]) -> date | None:
    """When the milestone's one-off work finishes in the run that lets work run late."""
    if all(ctx.tasks[i].recurring for i in late):
        return None
    mine = [i for i in ctx.by_milestone[milestone] if not ctx.tasks[i].recurring]
    if any(i in relaxed.unplaced for i in mine):
        return None
    return max(filter(None, (_finish_day(ctx, relaxed, i) for i in mine)), default=None)


def _blocked_fixes(ctx: _Context, out: _Outcome, late: list[int]) -> Iterator[str]:
    """Name the root cause of blocked actions: a dependency that itself does not fit."""
    index = {t.action.id: i for i, t in enumerate(ctx.tasks)}
    waiting: dict[str, list[str]] = defaultdict(list)
    for i in late:
        root = out.blocked.get(i)
        seen: set[str] = set()
        while root in index and index[root] in out.blocked and root not in seen:
            seen.add(root)
            root = out.blocked[index[root]]
        if root is not None:
            waiting[root].append(ctx.tasks[i].action.id)
    for root, ids in waiting.items():
        who = f"'{ids[0]}'" if len(ids) == 1 else f"'{ids[0]}' and {len(ids) - 1} more"
        if root == _CYCLE:
            yield f"{who}: dependency cycle, remove one of its `after` entries"
        else:
            verb = "waits" if len(ids) == 1 else "wait"
            yield f"{who} {verb} for '{root}', which does not fit"


def _move_fixes(
    ctx: _Context, relaxed: _Outcome, milestone: str, due: date, late: list[int], slip: date | None
) -> Iterator[str]:
    """Later dates: the milestone's, and those of its actions due before it."""
    if slip is not None and slip > due:
        yield f"move '{milestone}' to {slip.isoformat()}"
    for i in late:
        a = ctx.tasks[i].action
        finish = _finish_day(ctx, relaxed, i)
        if slip is not None and finish is not None and a.due < due and finish > a.due:
            yield f"move '{a.id}' to {finish.isoformat()}"
    if slip is not None and slip > ctx.plan.end:
        yield f"extend the plan's end to {slip.isoformat()}"


def _passed_fixes(ctx: _Context, out: _Outcome, late: list[int]) -> Iterator[str]:
    for i in late:
        t = ctx.tasks[i]
        if i not in out.blocked and t.hi <= t.lo:
            yield f"'{t.action.id}' is due {t.action.due.isoformat()}, which has passed: move it"


def _window_fixes(ctx: _Context, out: _Outcome, late: list[int]) -> Iterator[str]:
    """Windows are the bottleneck: no weekly budget makes this work fit."""
    latest: date | None = None
    for i in late:
        t = ctx.tasks[i]
        if i in out.blocked or t.hi <= t.lo:
            continue  # waits for a dependency, or its time has passed: more windows won't help
        missing = sorted(t.days - ctx.window_days)
        if t.recurring and missing:
            yield f"add a window on {', '.join(WEEKDAYS[d] for d in missing)} for '{t.action.id}'"
        else:
            day = _at(t.hi - 1, ctx.tz).date()
            latest = day if latest is None else max(latest, day)
    if latest is not None:
        yield f"add a window (or free up busy time) on or before {latest.isoformat()}"


def _hours_needed(
    ctx: _Context, late: Mapping[str, list[int]]
) -> tuple[dict[str, float], set[str]]:
    """The least weekly_hours (a multiple of _HOURS_STEP) at which each late milestone fits,
    verified by a run; and the late milestones that fit at no budget at all."""
    base = math.floor(ctx.plan.schedule.weekly_hours / _HOURS_STEP)
    if ctx.budget >= ctx.week_demand_cap:
        return {}, set(late)  # the budget never binds
    top = max(1, math.ceil(ctx.week_demand_cap / _HOUR / _HOURS_STEP) - base)

    def fitting(k: int, milestones: Iterable[str]) -> set[str]:
        ms = set(milestones)
        targets = {i for m in ms for i in ctx.by_milestone[m]}
        budget = None if k >= top else round((base + k) * _HOURS_STEP * _HOUR)
        out = _Allocation(ctx, budget, targets=targets).run()
        return ms - {ctx.tasks[i].milestone for i in out.unplaced}

    fits = fitting(top, late)
    lo = dict.fromkeys(fits, 1)
    hi = dict.fromkeys(fits, top)
    while open_ := [m for m in lo if lo[m] < hi[m]]:
        by_mid: dict[int, list[str]] = defaultdict(list)
        for m in open_:
            by_mid[(lo[m] + hi[m]) // 2].append(m)
        for mid, ms in sorted(by_mid.items()):
            ok = fitting(mid, ms)
            for m in ms:
                if m in ok:
                    hi[m] = mid
                else:
                    lo[m] = mid + 1
    return {m: (base + k) * _HOURS_STEP for m, k in hi.items()}, set(late) - fits
