"""One greedy placement run over the prepared problem (`sync.problem`): tasks in priority
order, dependencies first, each into the earliest free slots it may use. Pure.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import defaultdict, deque
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from sync import freetime as ft
from sync.problem import Context, Held, Task

CYCLE = "a dependency cycle"


@dataclass
class Outcome:
    placed: dict[int, list[tuple[int, int]]]  # task -> new blocks, in placement order
    unplaced: dict[int, int]  # task -> effort not placed
    blocked: dict[int, str]  # task -> why it could not start (a failed dependency, a cycle)
    last_end: dict[int, int]  # task -> end of its last block, pinned, kept or new
    held: list[Held]  # tentative blocks kept in place
    missed: dict[int, list[int]]  # recurring task -> periods that got no block
    reserve: bool = False


def block_length(rem: int, room: int, min_b: int, max_b: int, partial: bool) -> int | None:
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


class Allocation:
    """One greedy pass over the tasks in priority order (dependencies first)."""

    def __init__(
        self,
        ctx: Context,
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
        self.held: list[list[Held]] = [[] for _ in ctx.tasks]
        for r in ctx.reserved if reserve else ():
            self.held[r.task].append(r)
        self.out = Outcome({}, {}, {}, {}, [], {}, reserve)
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

    def run(self) -> Outcome:
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
                    self._fail(i, CYCLE)
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
        keep: list[Held] = []
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

    def _lend(self, i: int) -> list[Held]:
        """The held blocks of the task's dependents from its earliest start on, given back while
        it is placed: whatever it takes from them would have to move after it anyway, and so
        a displaced block takes the place of the next block in its chain instead of going to
        the end of the schedule (which would push the whole chain after it)."""
        if not self.out.reserve:
            return []
        lent: list[Held] = []
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

    def _take_back(self, lent: list[Held]) -> None:
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
            s, limit = clip(s, min(ends[i], hi), zones, min_b)
            n = (
                None
                if limit <= s
                else block_length(rem, min(limit - s, left), min_b, ctx.max_block, partial)
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

    def _occurrence(self, t: Task, lo: int, hi: int) -> tuple[int, int] | None:
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


def clip(s: int, limit: int, zones: Sequence[tuple[int, int]], gap: int) -> tuple[int, int]:
    """[s, limit) moved and cut so it keeps `gap` away from each zone (sorted by start)."""
    for za, zb in zones:
        if zb + gap <= s:
            continue
        if za - gap <= s:
            s = zb + gap
            continue
        return s, min(limit, za - gap)
    return s, limit
