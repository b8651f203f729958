"""Time-blocking: place focus blocks for a plan's actions in the user's free time.

Pure: `place_blocks` reads no clock and does no I/O; `now` is passed in. The parts:
`sync.freetime` (instants, windows, free intervals), `sync.problem` (the tasks, their order and
the tentative blocks that stay valid), `sync.allocation` (one greedy run), `sync.feasibility`
(risks and fixes for what does not fit); this module chooses between runs and numbers blocks.

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

from collections import defaultdict
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import count
from types import MappingProxyType

from sync import freetime as ft
from sync.allocation import Allocation, Outcome
from sync.feasibility import Risk, risks
from sync.plan import Plan
from sync.problem import Context
from sync.spans import Block, Interval

__all__ = ["Block", "Interval", "Placement", "Risk", "place_blocks"]

_NONE: Mapping[str, int] = MappingProxyType({})
_NO_DAYS: Mapping[str, date] = MappingProxyType({})
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
    ctx = Context(plan, now, remaining, done, busy, kept, tentative, not_before)
    outcome = _best(ctx)
    blocks, staying = _blocks(ctx, outcome, next_index)
    unplaced = {ctx.tasks[i].action.id: outcome.unplaced[i] * _US for i in sorted(outcome.unplaced)}
    found = risks(ctx, outcome, _allocate) if unplaced else ()
    finish = {ctx.tasks[i].action.id: ft.at(e, ctx.tz) for i, e in sorted(outcome.last_end.items())}
    overdue = frozenset(t.action.id for t in ctx.tasks if t.overdue)
    return Placement(blocks, found, unplaced, staying, MappingProxyType(finish), overdue)


def _best(ctx: Context) -> Outcome:
    """Keep valid tentative blocks; place afresh only if that fits more work. Missed recurring
    occurrences get a second pass that places them first."""
    out = Allocation(ctx, ctx.budget, reserve=True).run()
    if out.unplaced and ctx.reserved:
        fresh = Allocation(ctx, ctx.budget).run()
        if sum(fresh.unplaced.values()) < sum(out.unplaced.values()):
            out = fresh
    for _ in range(2):
        missed = frozenset(
            (i, k) for i, ks in out.missed.items() for k in ks if ctx.tasks[i].recurring
        )
        if not missed:
            break
        again = Allocation(ctx, ctx.budget, reserve=out.reserve, promoted=missed).run()
        if sum(again.unplaced.values()) >= sum(out.unplaced.values()):
            break
        out = again
    return out


def _allocate(
    ctx: Context, budget: int | None, relaxed: bool, targets: AbstractSet[int] | None
) -> Outcome:
    """A fresh run for the feasibility analysis."""
    return Allocation(ctx, budget, relaxed=relaxed, targets=targets).run()


# -- results ---------------------------------------------------------------------------------


def _blocks(
    ctx: Context, out: Outcome, next_index: Mapping[str, int]
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
