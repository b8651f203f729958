"""Progress: what got done against what the plan asked for, forecasts and states."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sync.plan import Action, Milestone, Plan, Recurrence
from sync.progress import (
    Count,
    Facts,
    MilestoneProgress,
    burnup,
    describe,
    measure,
    occurrence_dates,
)

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
M = timedelta(minutes=1)
NOTHING = Facts(completed={})


def at(y: int, mo: int, d: int, h: int = 9) -> datetime:
    return datetime(y, mo, d, h, tzinfo=BERLIN)


def act(id: str, effort: timedelta, due: date, **kw: object) -> Action:
    return Action.model_validate(
        {"id": id, "title": id.title(), "effort": effort, "due": due, **kw}
    )


def plan_of(*milestones: Milestone, start: date = date(2027, 1, 4)) -> Plan:
    """A plan from Monday 4 January 2027 to the end of the year, in Berlin."""
    return Plan(
        id="p",
        title="Plan",
        timezone="Europe/Berlin",
        start=start,
        end=date(2027, 12, 31),
        milestones=milestones,
    )


def weekly(id: str, effort: timedelta, until: date, **kw: object) -> Action:
    return act(id, effort, until, recurrence=Recurrence(every="week"), until=until, **kw)


# --- recurrence ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("every", "days", "first", "last", "expected"),
    [
        # a week runs Monday to Sunday; an occurrence is due on its period's last day
        ("week", (), date(2027, 1, 6), date(2027, 1, 27), ["01-10", "01-17", "01-24", "01-27"]),
        ("week", ("tue",), date(2027, 1, 6), date(2027, 1, 21), ["01-17", "01-21"]),
        ("week", ("mon",), date(2027, 1, 6), date(2027, 1, 17), ["01-17"]),  # none Jan 6-10
        ("2 weeks", (), date(2027, 1, 6), date(2027, 2, 1), ["01-17", "01-31", "02-01"]),
        # every day: on its days, else on the days with windows (mon, wed, sat by default)
        ("day", (), date(2027, 1, 30), date(2027, 2, 3), ["01-30", "02-01", "02-03"]),
        ("day", ("sun",), date(2027, 1, 4), date(2027, 1, 17), ["01-10", "01-17"]),
        # a month runs from the start's day of the month, clamped to shorter months
        ("month", (), date(2027, 1, 31), date(2027, 4, 30), ["02-27", "03-30", "04-29", "04-30"]),
    ],
)
def test_occurrence_dates(
    every: str, days: tuple[str, ...], first: date, last: date, expected: list[str]
) -> None:
    action = act("a", M, last, recurrence={"every": every, "days": days}, until=last, start=first)
    dates = occurrence_dates(plan_of(start=date(2027, 1, 1)), action)
    assert [d.strftime("%m-%d") for d in dates] == expected


def test_occurrences_stop_at_the_plans_end() -> None:
    plan = plan_of().model_copy(update={"end": date(2027, 1, 20)})
    action = weekly("w", M, date(2027, 1, 31))
    assert occurrence_dates(plan, action)[-1] == date(2027, 1, 20)


def test_recurring_action_counts_occurrences_planned_so_far() -> None:
    explain = weekly("explain", 30 * M, date(2027, 3, 29))  # 13 weeks from Mon Jan 4
    plan = plan_of(Milestone(id="m", title="M", due=date(2027, 3, 29), actions=(explain,)))
    facts = Facts(completed={}, occurrences={"explain": [at(2027, 1, 4), at(2027, 1, 12)]})
    a = measure(plan, facts, at(2027, 1, 24, 8)).actions[0]  # the third week ends today
    assert (a.occurrences_done, a.occurrences_planned, a.occurrences_total) == (2, 3, 13)
    assert (a.effort_done, a.effort_total) == (1 * H, 6 * H + 30 * M)
    assert not a.done


def test_recurring_action_respects_its_start() -> None:
    explain = weekly("explain", 30 * M, date(2027, 3, 29), start=date(2027, 3, 1))
    plan = plan_of(Milestone(id="m", title="M", due=date(2027, 3, 29), actions=(explain,)))
    a = measure(plan, NOTHING, at(2027, 2, 20)).actions[0]
    assert (a.occurrences_planned, a.occurrences_total) == (0, 5)


def test_recurring_action_done_by_occurrences_or_closed_for_good() -> None:
    explain = weekly("explain", 1 * H, date(2027, 1, 25))  # 4 occurrences
    plan = plan_of(Milestone(id="m", title="M", due=date(2027, 1, 31), actions=(explain,)))
    times = [at(2027, 1, 4 + 7 * i) for i in range(4)]
    a = measure(plan, Facts({}, {"explain": times}), at(2027, 2, 1)).actions[0]
    assert a.done
    assert a.completed_at == times[-1]
    assert a.effort_done == 4 * H

    closed = Facts({"explain": at(2027, 1, 12)}, {"explain": times[:1]})
    a = measure(plan, closed, at(2027, 2, 1)).actions[0]
    assert a.done
    assert a.occurrences_done == 1
    assert a.effort_done == a.effort_total == 4 * H


# --- milestones ---------------------------------------------------------------------------


def cert() -> Milestone:
    return Milestone(
        id="cert",
        title="Certification",
        kind="knowledge",
        due=date(2027, 3, 29),
        actions=tuple(act(f"a{i}", 2 * H, date(2027, 3, 29)) for i in range(1, 6)),
    )


def test_milestone_completed_early_by_its_checkpoint_counts_fully() -> None:
    plan = plan_of(cert())
    facts = Facts({"a1": at(2027, 1, 10), "cert": at(2027, 2, 1, 18)})
    m = measure(plan, facts, at(2027, 2, 3)).milestones[0]
    assert m.done
    assert m.state == "done"
    assert m.forecast is None
    assert m.completed_at == at(2027, 2, 1, 18)
    assert m.count == Count(5, 5, 10 * H, 10 * H)
    assert m.percent == 100.0


def test_milestone_done_when_all_its_actions_are() -> None:
    plan = plan_of(cert())
    facts = Facts({f"a{i}": at(2027, 1, 10 + i) for i in range(1, 6)})
    m = measure(plan, facts, at(2027, 2, 3)).milestones[0]
    assert m.done
    assert m.completed_at == at(2027, 1, 15)


def test_milestone_without_actions_is_done_only_by_its_checkpoint() -> None:
    plan = plan_of(Milestone(id="talk", title="Talk", due=date(2027, 6, 1)))
    assert not measure(plan, NOTHING, at(2027, 2, 1)).milestones[0].done
    m = measure(plan, Facts({"talk": at(2027, 1, 20)}), at(2027, 2, 1)).milestones[0]
    assert m.done
    assert m.percent == 100.0


def test_state_moves_from_on_track_to_at_risk_to_late() -> None:
    plan = plan_of(cert())  # 10h due Mar 29, plan from Jan 4
    facts = Facts({"a1": at(2027, 1, 8), "a2": at(2027, 1, 15)})

    early = measure(plan, facts, at(2027, 1, 25, 0)).milestones[0]  # 4h in 3 weeks, 6h left
    assert early.state == "on track"
    assert early.forecast == date(2027, 1, 25) + timedelta(days=32)  # 4.5 weeks, rounded up

    stalled = measure(plan, facts, at(2027, 3, 1)).milestones[0]  # 4h in 8 weeks
    assert stalled.state == "at risk"
    assert stalled.forecast is not None
    assert stalled.forecast > stalled.due

    assert measure(plan, facts, at(2027, 3, 30)).milestones[0].state == "late"
    assert measure(plan, facts, at(2027, 3, 29, 23)).milestones[0].state != "late"


def test_state_without_pace_compares_work_left_with_the_weekly_hours() -> None:
    plan = plan_of(cert())  # 10h left; the schedule allows 4h a week
    first_week = measure(plan, NOTHING, at(2027, 1, 6)).milestones[0]
    assert first_week.forecast is None
    assert first_week.state == "on track"
    last_weeks = measure(plan, NOTHING, at(2027, 3, 15)).milestones[0]  # 2 weeks: 8h < 10h
    assert last_weeks.forecast is None
    assert last_weeks.state == "at risk"


def test_forecast_queues_milestones_by_due_date() -> None:
    later = Milestone(
        id="later",
        title="Later",
        due=date(2027, 6, 1),
        actions=(act("b", 6 * H, date(2027, 6, 1)),),
    )
    plan = plan_of(later, cert())  # listed out of order
    facts = Facts({"a1": at(2027, 1, 8), "a2": at(2027, 1, 15)})
    progress = measure(plan, facts, at(2027, 1, 25, 0))  # pace 4h / 3 weeks
    assert progress.milestone("cert").forecast == date(2027, 2, 26)  # 6h left: 32 days
    assert progress.milestone("later").forecast == date(2027, 3, 29)  # 12h left: 63 days


def test_recurring_action_cannot_finish_before_its_last_occurrence() -> None:
    m = Milestone(
        id="m", title="M", due=date(2027, 3, 29), actions=(weekly("w", 10 * M, date(2027, 3, 22)),)
    )
    facts = Facts({}, {"w": [at(2027, 1, 4), at(2027, 1, 11)]})
    assert measure(plan_of(m), facts, at(2027, 1, 12)).milestones[0].forecast == date(2027, 3, 22)


def test_facts_after_now_are_ignored() -> None:
    plan = plan_of(cert())
    facts = Facts({"a1": at(2027, 2, 1), "cert": at(2027, 3, 1)}, {})
    progress = measure(plan, facts, at(2027, 1, 31))
    assert progress.overall.done == 0
    assert not progress.milestones[0].done


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        measure(plan_of(cert()), NOTHING, datetime(2027, 1, 5))  # noqa: DTZ001


# --- sums ---------------------------------------------------------------------------------


def mixed_plan() -> Plan:
    skills = Milestone(
        id="mentor",
        title="Mentor",
        kind="skills",
        due=date(2027, 3, 29),
        actions=(
            act("find", 1 * H, date(2027, 1, 31)),
            weekly("one-to-one", 30 * M, date(2027, 3, 29), kind="experience"),
        ),
    )
    loose = Milestone(
        id="loose",
        title="Loose",
        due=date(2027, 5, 31),
        actions=(act("cv", 2 * H, date(2027, 5, 31)),),
    )
    return plan_of(cert(), skills, loose)


def mixed_facts() -> Facts:
    return Facts(
        completed={
            "a1": at(2027, 1, 8),
            "find": datetime(2027, 1, 31, 23, 30, tzinfo=UTC),  # Feb 1 in Berlin
            "mentor": at(2027, 2, 20),  # closes the 1:1s early
        },
        occurrences={"one-to-one": [at(2027, 1, 4), at(2027, 1, 11), at(2027, 1, 18)]},
    )


def test_by_kind_and_by_month_add_up_to_the_whole() -> None:
    progress = measure(mixed_plan(), mixed_facts(), at(2027, 3, 1))
    overall = progress.overall
    assert sum(progress.by_kind.values(), Count(0, 0, 0 * H, 0 * H)) == overall
    assert set(progress.by_kind) == {"knowledge", "skills", "experience", "unsorted"}
    assert progress.by_kind["experience"] == Count(1, 1, 6 * H + 30 * M, 6 * H + 30 * M)
    assert sum((m.planned for m in progress.by_month), 0 * H) == overall.effort_total
    assert sum((m.done for m in progress.by_month), 0 * H) == overall.effort_done
    months = {m.month: m for m in progress.by_month}
    assert months[date(2027, 1, 1)].done == 2 * H + 1 * H + 30 * M  # a1 and three 1:1s
    assert months[date(2027, 2, 1)].done == 1 * H + 5 * H  # find (Feb 1 here), the closed 1:1s
    assert months[date(2027, 1, 1)].planned == 1 * H + 4 * 30 * M  # find, 1:1s on Jan 4..25
    assert min(months) == date(2027, 1, 1)
    assert max(months) == date(2027, 12, 1)


def test_pace_counts_work_not_what_a_checkpoint_closed() -> None:
    progress = measure(mixed_plan(), mixed_facts(), at(2027, 3, 1, 0))  # 8 weeks after start
    assert progress.pace == (2 * H + 1 * H + 90 * M) / 8


def test_count_percent() -> None:
    assert Count(1, 4, 1 * H, 4 * H).percent == 25.0
    assert Count(1, 4, 0 * H, 0 * H).percent == 25.0  # no effort anywhere: by count
    assert Count(0, 0, 0 * H, 0 * H).percent == 0.0


# --- burn-up ------------------------------------------------------------------------------


def test_burnup_runs_weekly_to_the_due_date() -> None:
    plan, facts = mixed_plan(), mixed_facts()
    points = burnup(plan, facts, "cert", at(2027, 1, 20))
    assert points[0].day == plan.start
    assert points[-1].day == date(2027, 3, 29)
    assert [p.day for p in points[:4]] == [date(2027, 1, d) for d in (4, 11, 18, 20)]
    assert points[-1].planned == 10 * H
    assert [p.planned for p in points] == sorted(p.planned for p in points)
    assert points[1].done == 2 * H
    assert points[3].done == 2 * H
    assert all(p.done is None for p in points if p.day > date(2027, 1, 20))


def test_burnup_reaches_the_total_when_the_checkpoint_closes_the_milestone() -> None:
    points = burnup(mixed_plan(), mixed_facts(), "mentor", at(2027, 5, 1))
    total = 1 * H + 13 * 30 * M
    assert points[-1].planned == total
    done = {p.day: p.done for p in points}
    assert done[date(2027, 2, 22)] == total
    assert done[date(2027, 2, 15)] == 2 * H + 30 * M


def test_burnup_of_a_late_milestone_runs_to_today() -> None:
    points = burnup(plan_of(cert()), NOTHING, "cert", at(2027, 4, 10))
    assert points[-1].day == date(2027, 4, 10)
    assert points[-1].done == 0 * H


# --- the checkpoint text ------------------------------------------------------------------


def test_describe_figures_forecast_and_state() -> None:
    plan = plan_of(cert())
    facts = Facts({"a1": at(2027, 1, 8), "a2": at(2027, 1, 15)})
    m = measure(plan, facts, at(2027, 1, 25, 0)).milestones[0]
    assert describe(m) == (
        "Progress: 2/5 actions, 4h of 10h (40%). Forecast: 2027-02-26 (on track for 2027-03-29)."
    )
    late = measure(plan, facts, at(2027, 4, 2)).milestones[0]
    assert describe(late).endswith("Late: was due 2027-03-29. Forecast: 2027-08-13.")
    idle = measure(plan, NOTHING, at(2027, 1, 6)).milestones[0]
    assert describe(idle) == (
        "Progress: 0/5 actions, 0m of 10h (0%). "
        "Forecast: none yet, no work done so far (on track for 2027-03-29)."
    )


def test_describe_is_stable_for_the_same_figures() -> None:
    plan = plan_of(cert())
    facts = Facts({"a1": at(2027, 1, 8), "cert": at(2027, 2, 1)})
    texts = {describe(measure(plan, facts, at(2027, 2, d)).milestones[0]) for d in (2, 9, 20)}
    assert texts == {"Done on 2027-02-01: 5/5 actions, 10h of 10h (100%)."}

    m = measure(plan, Facts({"a1": at(2027, 1, 8)}), at(2027, 1, 25)).milestones[0]
    same = MilestoneProgress(**{**m.__dict__})
    assert describe(same) == describe(m)
    assert "2027-01-25" not in describe(m)  # no timestamp of its own


def test_completions_before_a_recurring_actions_start_are_not_occurrences() -> None:

    weekly = Action(
        id="w",
        title="Weekly",
        effort=timedelta(minutes=30),
        start=date(2027, 3, 1),
        due=date(2027, 3, 28),
        until=date(2027, 3, 28),
        recurrence=Recurrence(every="week"),
    )
    plan = Plan(
        id="p",
        title="P",
        timezone="UTC",
        start=date(2027, 1, 1),
        end=date(2027, 6, 30),
        milestones=(Milestone(id="m", title="M", due=date(2027, 3, 31), actions=(weekly,)),),
    )
    early = datetime(2027, 2, 10, 9, tzinfo=UTC)
    on_time = datetime(2027, 3, 2, 9, tzinfo=UTC)
    facts = Facts(completed={}, occurrences={"w": [early, on_time]})
    action = measure(plan, facts, datetime(2027, 3, 3, tzinfo=UTC)).actions[0]
    assert action.occurrences_done == 1
