"""Feasibility: for work that does not fit, a risk per milestone with a forecast and fixes.

Pure. The fixes are computed, not guessed: a re-run that lets work run late gives the forecast
and the later dates to move to; re-runs with larger weekly budgets give the least weekly_hours
that fits (a binary search per milestone); a chain that waits on a dependency (an action's
`after` or a milestone's) that does not fit names that dependency.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from sync import freetime as ft
from sync.plan import WEEKDAYS

if TYPE_CHECKING:
    from sync.allocation import Outcome as _Outcome
    from sync.problem import Context as _Context

_HOURS_STEP = 0.5  # weekly_hours fixes are multiples of this
_CYCLE = "a dependency cycle"
_US = ft.US
_HOUR = ft.HOUR
Allocate = Callable[[Any, "int | None", bool, "AbstractSet[int] | None"], Any]


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


def risks(ctx: _Context, out: _Outcome, allocate: Allocate) -> tuple[Risk, ...]:
    """A risk per milestone with unplaced work, with a forecast and computed fixes."""
    late: dict[str, list[int]] = defaultdict(list)
    for i in sorted(out.unplaced):
        late[ctx.tasks[i].milestone].append(i)
    relaxed = allocate(ctx, ctx.budget, True, None)
    hours, stuck = _hours_needed(ctx, late, allocate)
    found: list[Risk] = []
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
        found.append(Risk(m.id, short, slip, tuple(dict.fromkeys(fixes))))
    return tuple(found)


def _finish_day(ctx: _Context, out: _Outcome, i: int) -> date | None:
    end = out.last_end.get(i)
    return None if end is None else ft.at(end - 1, ctx.tz).date()


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
            theirs = ctx.tasks[index[root]].milestone if root in index else None
            mine = ctx.tasks[index[ids[0]]].milestone
            if theirs is not None and theirs != mine:  # the milestone order: a chain
                yield (
                    f"{who} {verb} for milestone '{theirs}', whose action '{root}' does not fit"
                    f" before its due"
                )
            else:
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
            day = ft.at(t.hi - 1, ctx.tz).date()
            latest = day if latest is None else max(latest, day)
    if latest is not None:
        yield f"add a window (or free up busy time) on or before {latest.isoformat()}"


def _hours_needed(
    ctx: _Context, late: Mapping[str, list[int]], allocate: Allocate
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
        out = allocate(ctx, budget, False, targets)
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
