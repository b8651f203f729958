"""Progress toward every milestone: what got done, against what the plan asked for, and a forecast.

Pure: `measure` takes the plan, the facts the remotes reported and `now`; no clock, no I/O.
Facts dated after `now` are ignored, so the same facts measured at an earlier `now` give the
picture as it was then.

The rules, in the plan's words:

- A one-off action is done when its task was completed. Its effort counts when it is done.
- A recurring action counts occurrences: one per period of its `every` from its `start` (or the
  plan's start) to its `until`, as the planner places them, each due on its period's last day
  (`occurrence_dates`); "planned so far" are those due by today. Its effort is occurrences x
  effort per occurrence. It is done when every occurrence is done, or when its task was closed
  for good.
- A milestone is done when its checkpoint task was completed or all its actions are done. A
  milestone closed by its checkpoint counts as 100%: its open actions count as done from then.
- Pace is the effort actually done per week since the plan's start (at least one week is
  counted, so the first days do not swing it). Closing work by a checkpoint is not pace.
- The forecast assumes work goes to open milestones in order of their due dates at that pace:
  a milestone is finished when the work left in it and in every open milestone due before it
  is done. A recurring action cannot finish before its last occurrence.
- State: `done`; `late` when its due date has passed; `at risk` when the forecast is after the
  due date, or, with no pace yet, when the work left before it does not fit the schedule's
  weekly hours in the weeks left; otherwise `on track`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from itertools import count
from typing import Literal, NamedTuple

from sync.durations import add_months, format_duration
from sync.plan import WEEKDAYS, Action, Every, Milestone, Plan

State = Literal["done", "on track", "at risk", "late"]
UNSORTED = "unsorted"  # the kind key for actions whose milestone has no kind

_ZERO = timedelta(0)
_WEEK = timedelta(weeks=1)


@dataclass(frozen=True)
class Facts:
    """What the remotes told us got done. All datetimes are timezone-aware."""

    completed: Mapping[str, datetime]  # action id or milestone id (its checkpoint) -> completed at
    occurrences: Mapping[str, Sequence[datetime]] = field(default_factory=dict)  # recurring id


@dataclass(frozen=True)
class Count:
    done: int
    total: int
    effort_done: timedelta
    effort_total: timedelta

    @property
    def percent(self) -> float:
        """0..100: by effort when there is effort to count, else by number of actions."""
        if self.effort_total > _ZERO:
            return min(100.0, 100 * (self.effort_done / self.effort_total))
        return min(100.0, 100 * self.done / self.total) if self.total else 0.0

    def __add__(self, other: Count) -> Count:
        return Count(
            self.done + other.done,
            self.total + other.total,
            self.effort_done + other.effort_done,
            self.effort_total + other.effort_total,
        )


NO_COUNT = Count(0, 0, _ZERO, _ZERO)


@dataclass(frozen=True)
class ActionProgress:
    id: str
    milestone_id: str
    title: str
    kind: str
    done: bool
    completed_at: datetime | None
    occurrences_done: int  # recurring only; 0 for one-off actions
    occurrences_planned: int  # planned up to now
    occurrences_total: int
    effort_done: timedelta
    effort_total: timedelta

    @property
    def count(self) -> Count:
        return Count(int(self.done), 1, self.effort_done, self.effort_total)


@dataclass(frozen=True)
class MilestoneProgress:
    id: str
    title: str
    kind: str | None
    due: date
    count: Count
    done: bool
    completed_at: datetime | None
    state: State
    forecast: date | None  # when the work left would be finished at the pace so far

    @property
    def percent(self) -> float:
        return 100.0 if self.done else self.count.percent


@dataclass(frozen=True)
class MonthProgress:
    month: date  # the 1st of the month
    planned: timedelta  # effort due in the month (per occurrence for recurring actions)
    done: timedelta  # effort completed in the month


@dataclass(frozen=True)
class PlanProgress:
    now: datetime
    overall: Count
    milestones: tuple[MilestoneProgress, ...]
    actions: tuple[ActionProgress, ...]
    by_kind: Mapping[str, Count]
    by_month: tuple[MonthProgress, ...]
    pace: timedelta  # effort done per week since the plan's start

    def milestone(self, milestone_id: str) -> MilestoneProgress:
        return next(m for m in self.milestones if m.id == milestone_id)


class BurnupPoint(NamedTuple):
    day: date
    planned: timedelta  # cumulative effort the plan asked for by this day
    done: timedelta | None  # cumulative effort done by this day; None after today


# --- recurrence ---------------------------------------------------------------------------


def occurrence_dates(plan: Plan, action: Action) -> list[date]:
    """The day each occurrence of a recurring action is due: the last day of its period.

    Periods are the planner's (`sync.planner`): from the action's start (or the plan's start) to
    its `until`; `day` is each allowed day (its `days`, else the days with windows); `week` runs
    Monday to Sunday and `2 weeks` two of those from the start's week; `month` runs from the
    start's day of the month. A period without any of the action's `days` has no occurrence.
    """
    if action.recurrence is None:
        return []
    first = action.start or plan.start
    until = min(action.until or action.due, plan.end)
    every = action.recurrence.every
    allowed = {WEEKDAYS.index(d) for d in action.recurrence.days}
    if every == "day":
        allowed = allowed or {WEEKDAYS.index(d) for w in plan.schedule.windows for d in w.days}
        return [d for d in _days(first, until) if not allowed or d.weekday() in allowed]
    dates = []
    for start, end in _periods(every, first, until):
        if not allowed or any(d.weekday() in allowed for d in _days(start, end)):
            dates.append(end)
    return dates


def _periods(every: Every, first: date, until: date) -> Iterator[tuple[date, date]]:
    """[first day, last day] of each period from `first`, clipped to `first` and `until`."""
    monday = first - timedelta(days=first.weekday())
    length = 14 if every == "2 weeks" else 7
    for k in count():
        if every == "month":
            start, stop = add_months(first, k), add_months(first, k + 1)
        else:
            start = max(first, monday + timedelta(days=length * k))
            stop = monday + timedelta(days=length * (k + 1))
        if start > until:
            return
        yield start, min(stop - timedelta(days=1), until)


def _days(first: date, last: date) -> Iterator[date]:
    for i in range((last - first).days + 1):
        yield first + timedelta(days=i)


# --- measuring ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Work:
    """One piece of effort done: `real` is work; otherwise work closed by a checkpoint."""

    action_id: str
    at: datetime
    effort: timedelta
    real: bool


class _Measure:
    """The facts read against the plan as of `now`."""

    def __init__(self, plan: Plan, facts: Facts, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.plan, self.now = plan, now
        self.today = self.local(now)
        tz = plan.tz
        self.completed = {k: v.astimezone(tz) for k, v in facts.completed.items() if v <= now}
        self.occurrences = {
            k: sorted(t.astimezone(tz) for t in v if t <= now) for k, v in facts.occurrences.items()
        }
        self.actions: dict[str, ActionProgress] = {}
        self.work: list[_Work] = []
        self.milestone_done: dict[str, datetime | None] = {}
        for milestone in plan.milestones:
            self._measure_milestone(milestone)

    def local(self, at: datetime) -> date:
        return at.astimezone(self.plan.tz).date()

    def _measure_milestone(self, milestone: Milestone) -> None:
        own = [self._measure_action(milestone, a) for a in milestone.actions]
        checkpoint = self.completed.get(milestone.id)
        if checkpoint is None and own and all(a.done for a in own):
            self.milestone_done[milestone.id] = max(
                (a.completed_at for a in own if a.completed_at), default=None
            )
        elif checkpoint is not None:
            self.milestone_done[milestone.id] = checkpoint
            own = [self._close(a, checkpoint) for a in own]
        self.actions.update((a.id, a) for a in own)

    def _measure_action(self, milestone: Milestone, action: Action) -> ActionProgress:
        kind = action.kind or milestone.kind or UNSORTED
        completed_at = self.completed.get(action.id)
        if action.recurrence is None:
            done = completed_at is not None
            if completed_at is not None:
                self.work.append(_Work(action.id, completed_at, action.effort, real=True))
            return ActionProgress(
                id=action.id,
                milestone_id=milestone.id,
                title=action.title,
                kind=kind,
                done=done,
                completed_at=completed_at,
                occurrences_done=0,
                occurrences_planned=0,
                occurrences_total=0,
                effort_done=action.effort if done else _ZERO,
                effort_total=action.effort,
            )
        planned = occurrence_dates(self.plan, action)
        first = action.start or self.plan.start  # a completion before it is not an occurrence
        times = [t for t in self.occurrences.get(action.id, []) if self.local(t) >= first]
        total = len(planned)
        counted = times[:total]
        self.work.extend(_Work(action.id, t, action.effort, real=True) for t in counted)
        done = completed_at is not None or (total > 0 and len(times) >= total)
        effort_done = action.effort * len(counted)
        if completed_at is not None and len(counted) < total:
            rest = action.effort * (total - len(counted))
            self.work.append(_Work(action.id, completed_at, rest, real=False))
            effort_done += rest
        if completed_at is None and done:
            completed_at = counted[-1]
        return ActionProgress(
            id=action.id,
            milestone_id=milestone.id,
            title=action.title,
            kind=kind,
            done=done,
            completed_at=completed_at,
            occurrences_done=len(times),
            occurrences_planned=sum(1 for d in planned if d <= self.today),
            occurrences_total=total,
            effort_done=effort_done,
            effort_total=action.effort * total,
        )

    def _close(self, action: ActionProgress, at: datetime) -> ActionProgress:
        """An open action of a milestone closed by its checkpoint: done from then."""
        if action.done:
            return action
        rest = action.effort_total - action.effort_done
        if rest > _ZERO:
            self.work.append(_Work(action.id, at, rest, real=False))
        return replace(action, done=True, completed_at=at, effort_done=action.effort_total)

    def pace(self) -> timedelta:
        began = datetime.combine(self.plan.start, time(), self.plan.tz)
        if self.now <= began:
            return _ZERO
        weeks = max((self.now - began) / _WEEK, 1.0)
        return sum((w.effort for w in self.work if w.real), _ZERO) / weeks


def measure(plan: Plan, facts: Facts, now: datetime) -> PlanProgress:
    """How far the plan has come as of `now`."""
    m = _Measure(plan, facts, now)
    actions = tuple(m.actions[a.id] for _, a in plan.actions())
    pace = m.pace()
    counts = {ms.id: _total(m.actions[a.id].count for a in ms.actions) for ms in plan.milestones}
    forecasts = _forecasts(plan, m, pace)
    milestones = tuple(
        _milestone(plan, m, ms, counts[ms.id], forecasts.get(ms.id), pace) for ms in plan.milestones
    )
    by_kind: dict[str, Count] = {}
    for a in actions:
        by_kind[a.kind] = by_kind.get(a.kind, NO_COUNT) + a.count
    return PlanProgress(
        now=now,
        overall=_total(a.count for a in actions),
        milestones=milestones,
        actions=actions,
        by_kind=by_kind,
        by_month=_by_month(plan, m),
        pace=pace,
    )


def _total(counts: Iterable[Count]) -> Count:
    return sum(counts, NO_COUNT)


def _milestone(
    plan: Plan, m: _Measure, ms: Milestone, count: Count, forecast: date | None, pace: timedelta
) -> MilestoneProgress:
    done = ms.id in m.milestone_done
    state: State
    if done:
        state, forecast = "done", None
    elif m.today > ms.due:
        state = "late"
    elif forecast is not None:
        state = "at risk" if forecast > ms.due else "on track"
    else:
        left = _work_left_before(plan, m, ms.due)
        budget = timedelta(hours=plan.schedule.weekly_hours) * ((ms.due - m.today).days / 7)
        state = "at risk" if left > budget else "on track"
    return MilestoneProgress(
        ms.id, ms.title, ms.kind, ms.due, count, done, m.milestone_done.get(ms.id), state, forecast
    )


def _open_in_due_order(plan: Plan, m: _Measure) -> list[Milestone]:
    return sorted(
        (ms for ms in plan.milestones if ms.id not in m.milestone_done), key=lambda ms: ms.due
    )


def _left(m: _Measure, ms: Milestone) -> timedelta:
    return sum(
        (m.actions[a.id].effort_total - m.actions[a.id].effort_done for a in ms.actions), _ZERO
    )


def _work_left_before(plan: Plan, m: _Measure, due: date) -> timedelta:
    return sum((_left(m, ms) for ms in _open_in_due_order(plan, m) if ms.due <= due), _ZERO)


def _forecasts(plan: Plan, m: _Measure, pace: timedelta) -> dict[str, date | None]:
    forecasts: dict[str, date | None] = {}
    queued = _ZERO
    for ms in _open_in_due_order(plan, m):
        queued += _left(m, ms)
        if queued == _ZERO:
            finish: date | None = m.today
        elif pace > _ZERO:
            finish = m.today + timedelta(days=math.ceil(7 * (queued / pace)))
        else:
            finish = None
        ends = [
            days[-1]
            for a in ms.actions
            if not m.actions[a.id].done and (days := occurrence_dates(plan, a))
        ]
        if finish is not None and ends:
            finish = max(finish, *ends)
        forecasts[ms.id] = finish
    return forecasts


def _month(day: date) -> date:
    return day.replace(day=1)


def _planned(plan: Plan, action: Action) -> Iterator[tuple[date, timedelta]]:
    """(day, effort) the plan asks for: the due day, or each occurrence of a recurring action."""
    if action.recurrence is None:
        yield action.due, action.effort
    else:
        yield from ((d, action.effort) for d in occurrence_dates(plan, action))


def _by_month(plan: Plan, m: _Measure) -> tuple[MonthProgress, ...]:
    planned: dict[date, timedelta] = defaultdict(lambda: _ZERO)
    done: dict[date, timedelta] = defaultdict(lambda: _ZERO)
    for _, action in plan.actions():
        for day, effort in _planned(plan, action):
            planned[_month(day)] += effort
    for w in m.work:
        done[_month(m.local(w.at))] += w.effort
    months = [_month(plan.start), _month(plan.end), *planned, *done]
    first, last = min(months), max(months)
    out: list[MonthProgress] = []
    month = first
    while month <= last:
        out.append(MonthProgress(month, planned[month], done[month]))
        month = (month + timedelta(days=32)).replace(day=1)
    return tuple(out)


# --- burn-up ------------------------------------------------------------------------------


def burnup(plan: Plan, facts: Facts, milestone_id: str, now: datetime) -> list[BurnupPoint]:
    """Weekly points from the plan's start to the milestone's due date (or today, if later).

    Planned: each one-off action's effort spread evenly from its start (or the plan's start) to
    its due date; each occurrence of a recurring action on its day. Done: effort by completion
    day, including work closed by the checkpoint. Today is a point too, so the line ends there.
    """
    m = _Measure(plan, facts, now)
    milestone = plan.milestone(milestone_id)
    end = milestone.due
    if milestone.id in m.milestone_done:
        closed = m.milestone_done[milestone.id]
        end = max(end, m.local(closed)) if closed else end
    else:
        end = max(end, m.today)
    days = [plan.start + _WEEK * i for i in range((end - plan.start) // _WEEK + 1)]
    days = sorted({*days, end, *([m.today] if plan.start <= m.today <= end else [])})
    ids = {a.id for a in milestone.actions}
    done = sorted((m.local(w.at), w.effort) for w in m.work if w.action_id in ids)
    curves = [_planned_curve(plan, a) for a in milestone.actions]
    return [
        BurnupPoint(
            day,
            sum((curve(day) for curve in curves), _ZERO),
            sum((e for d, e in done if d <= day), _ZERO) if day <= m.today else None,
        )
        for day in days
    ]


def _planned_curve(plan: Plan, action: Action) -> Callable[[date], timedelta]:
    """The effort an action should have had by a day, to the second."""
    if action.recurrence is not None:
        planned = list(_planned(plan, action))
        return lambda day: sum((e for d, e in planned if d <= day), _ZERO)
    first = min(action.start or plan.start, action.due)
    span = (action.due - first).days + 1
    seconds = action.effort.total_seconds()

    def spread(day: date) -> timedelta:
        share = min(max((day - first).days + 1, 0), span) / span
        return timedelta(seconds=round(seconds * share))

    return spread


# --- the checkpoint text ------------------------------------------------------------------


def describe(m: MilestoneProgress) -> str:
    """The progress paragraph for the checkpoint task and the milestone's calendar event.

    It carries no timestamp, so it changes only when the figures change and write-back can skip
    an unchanged text.
    """
    c = m.count
    figures = (
        f"{c.done}/{c.total} actions, {format_duration(c.effort_done)} of "
        f"{format_duration(c.effort_total)} ({m.percent:.0f}%)"
    )
    if m.done:
        when = f" on {m.completed_at.date().isoformat()}" if m.completed_at else ""
        return f"Done{when}: {figures}."
    due = m.due.isoformat()
    forecast = m.forecast.isoformat() if m.forecast else "none yet, no work done so far"
    if m.state == "late":
        outlook = f"Late: was due {due}. Forecast: {forecast}."
    else:
        outlook = f"Forecast: {forecast} ({m.state} for {due})."
    return f"Progress: {figures}. {outlook}"
