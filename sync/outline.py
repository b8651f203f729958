"""The plan at a glance: effort per milestone and per kind, and time available vs time needed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sync.plan import Action, Plan

PERIOD_DAYS = {"day": 1, "week": 7, "2 weeks": 14, "month": 30}


def occurrences(action: Action, start: date) -> int:
    """How many times a recurring action happens between its start and its `until`."""
    if action.recurrence is None:
        return 1
    first = action.start or start
    until = action.until or action.due
    days = (until - first).days + 1
    if days <= 0:
        return 0
    rec = action.recurrence
    if rec.every == "day" and rec.days:
        return round(days / 7 * len(rec.days))
    return max(1, days // PERIOD_DAYS[rec.every])


def total_effort(action: Action, start: date) -> timedelta:
    return action.effort * occurrences(action, start)


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
        minutes = total_effort(action, plan.start) // timedelta(minutes=1)
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
