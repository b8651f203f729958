"""The placement problem, prepared once per call: the tasks (open actions with their limits
and dependencies, action and milestone order included), the free time, and the tentative
blocks that stay valid (see `sync.planner` for the rules). Pure.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import count

from sync import freetime as ft
from sync.plan import Action, Plan
from sync.spans import Block, Interval

_SLIP_CAP = timedelta(weeks=26)  # how far past the plan's end a forecast looks
_US = ft.US


@dataclass
class Task:
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
class Held:
    """A valid tentative block, held in place for its task."""

    task: int
    block: Block
    a: int
    b: int
    day: int
    period: int  # recurring: the period it fills; -1 for one-offs


class Context:
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
    ) -> list[Task]:
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
    ) -> Task:
        tz = self.tz
        lo = self.floor if a.start is None else max(self.floor, ft.midnight(a.start, tz))
        if not_before is not None:
            lo = max(lo, ft.midnight(not_before, tz))
        task = Task(a, milestone, order, False, 0, lo, 0, [], frozenset(), [], a.first, 0)
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

    def _reserve(self, index: Mapping[str, int]) -> list[Held]:
        """The tentative blocks that stay valid, in time order (dependencies are checked when
        each task is released); `self.rfree` and `self.rused` are the free time and week
        budgets with them held."""
        tz, min_b, max_b = self.tz, self.min_block, self.max_block
        free, used = self.free.copy(), defaultdict(int, self.kept_used)
        held: dict[int, int] = defaultdict(int)  # one-off task -> effort held
        filled: set[tuple[int, int]] = set()
        last: dict[int, int] = {}  # task -> end of its last held block
        out: list[Held] = []
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
            out.append(Held(i, b, a, e, day, period))
        self.rfree, self.rused = free, used
        return out


def _clashes(blocks: Sequence[tuple[int, int]], a: int, b: int, gap: int) -> bool:
    """Whether [a, b) comes within `gap` of one of an action's blocks."""
    return any(s - gap < b and a < e + gap for s, e in blocks)
