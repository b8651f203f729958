"""The plan at a glance: effort per milestone and per kind, and time available vs time needed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sync.plan import Action, Plan
from sync.progress import occurrence_dates


def occurrences(plan: Plan, action: Action) -> int:
    """How many times an action happens: once, or once per period of its recurrence."""
    return 1 if action.recurrence is None else len(occurrence_dates(plan, action))


def total_effort(plan: Plan, action: Action) -> timedelta:
    return action.effort * occurrences(plan, action)


@dataclass(frozen=True)
class Outline:
    by_milestone: dict[str, timedelta]
    by_kind: dict[str, timedelta]
    needed: timedelta
    weeks: float
    capacity: timedelta  # weeks x weekly_hours


def outline(plan: Plan) -> Outline:
    by_milestone: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    for milestone, action in plan.actions():
        minutes = total_effort(plan, action) // timedelta(minutes=1)
        by_milestone[milestone.id] += minutes
        by_kind[action.kind or "unsorted"] += minutes
    weeks = ((plan.end - plan.start).days + 1) / 7
    return Outline(
        by_milestone={m.id: timedelta(minutes=by_milestone[m.id]) for m in plan.milestones},
        by_kind={k: timedelta(minutes=v) for k, v in sorted(by_kind.items())},
        needed=timedelta(minutes=sum(by_milestone.values())),
        weeks=weeks,
        capacity=timedelta(hours=round(plan.schedule.weekly_hours * weeks)),
    )
