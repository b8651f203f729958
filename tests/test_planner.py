"""Unit tests of the time-blocking planner (sync.planner)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sync.plan import Action, Every, Milestone, Plan, Recurrence, Schedule, Weekday, Window
from sync.planner import Block, Interval, Placement, place_blocks

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")
START = date(2027, 1, 4)  # a Monday
END = date(2027, 6, 30)
H = timedelta(hours=1)
M = timedelta(minutes=1)
ALL_WEEK: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, tz: ZoneInfo = LONDON) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz)


def window(days: Sequence[Weekday], start: str, end: str) -> Window:
    return Window(days=tuple(days), start=time.fromisoformat(start), end=time.fromisoformat(end))


def act(aid: str, effort: timedelta = H, *, due: date = END, **kw: object) -> Action:
    return Action(id=aid, title=aid.title(), effort=effort, due=due, **kw)


def make_plan(
    *actions: Action,
    milestones: Sequence[Milestone] = (),
    tz: str = "Europe/London",
    start: date = START,
    end: date = END,
    **schedule: object,
) -> Plan:
    sched = Schedule(**schedule)
    if actions:
        milestones = (Milestone(id="m", title="M", due=end, actions=actions), *milestones)
    return Plan(
        id="p", title="P", timezone=tz, start=start, end=end, schedule=sched, milestones=milestones
    )


def place(
    plan: Plan,
    now: datetime | None = None,
    remaining: Mapping[str, timedelta] | None = None,
    **kw: object,
) -> Placement:
    if remaining is None:
        remaining = {a.id: a.effort for _, a in plan.actions() if a.recurrence is None}
    now = now or datetime.combine(plan.start, time(0), tzinfo=plan.tz)
    return place_blocks(plan, now=now, remaining=remaining, **kw)  # type: ignore[arg-type]


def spans(result: Placement, action_id: str | None = None) -> list[tuple[datetime, datetime]]:
    return [(b.start, b.end) for b in result.blocks if action_id in (None, b.action_id)]


def lengths(result: Placement, action_id: str) -> list[timedelta]:
    return [b.end - b.start for b in result.blocks if b.action_id == action_id]


# -- windows, busy time, now, start, end -----------------------------------------------------


def test_blocks_fill_windows_in_order_from_now() -> None:
    plan = make_plan(act("a", 4 * H))  # default windows: mon+wed 07:00-08:30, sat 09:00-12:00
    result = place(plan, now=at(2027, 1, 4, 7, 30))
    assert spans(result) == [
        (at(2027, 1, 4, 7, 30), at(2027, 1, 4, 8, 30)),
        (at(2027, 1, 6, 7), at(2027, 1, 6, 8, 30)),
        (at(2027, 1, 9, 9), at(2027, 1, 9, 10, 30)),
    ]
    assert all(b.start.tzinfo == LONDON for b in result.blocks)
    assert result.unplaced == {}
    assert result.risks == ()


def test_now_is_rounded_up_to_five_minutes() -> None:
    plan = make_plan(act("a", 30 * M))
    result = place(plan, now=at(2027, 1, 4, 7, 1))
    assert spans(result) == [(at(2027, 1, 4, 7, 5), at(2027, 1, 4, 7, 35))]


def test_busy_time_is_avoided_and_rounded_outward() -> None:
    plan = make_plan(act("a", H), windows=(window(["mon"], "07:00", "10:00"),))
    busy = [
        Interval(at(2027, 1, 4, 6), at(2027, 1, 4, 7, 50)),
        Interval(at(2027, 1, 4, 9, 2), at(2027, 1, 4, 9, 3)),
    ]
    result = place(plan, busy=busy)
    # 07:50-09:00 is 70 minutes, 09:00-09:05 is busy after rounding outward.
    assert spans(result) == [(at(2027, 1, 4, 7, 50), at(2027, 1, 4, 8, 50))]


def test_busy_in_another_zone_is_compared_as_instants() -> None:
    plan = make_plan(act("a", H), windows=(window(["mon"], "07:00", "09:00"),))
    busy = [Interval(at(2027, 1, 4, 2, tz=NEW_YORK), at(2027, 1, 4, 3, tz=NEW_YORK))]  # 07-08 UK
    assert spans(place(plan, busy=busy)) == [(at(2027, 1, 4, 8), at(2027, 1, 4, 9))]


def test_not_before_the_action_start_and_not_past_its_due() -> None:
    plan = make_plan(
        act("later", H, start=date(2027, 1, 13)),
        act("soon", 6 * H, due=date(2027, 1, 9)),
        weekly_hours=20,
    )
    result = place(plan)
    assert min(b.start for b in result.blocks if b.action_id == "later") >= at(2027, 1, 13)
    assert max(b.end for b in result.blocks if b.action_id == "soon") <= at(2027, 1, 10)
    # Mon 1.5h, Wed 1.5h, Sat 2h + a 30m break + 30m
    assert result.unplaced == {"soon": 30 * M}


def test_never_past_the_plan_end() -> None:
    plan = make_plan(act("a", 10 * H), end=date(2027, 1, 10))
    result = place(plan)
    assert max(b.end for b in result.blocks) <= at(2027, 1, 11)
    assert result.unplaced == {"a": 6 * H}


def test_nothing_for_zero_effort_done_or_nothing_remaining() -> None:
    plan = make_plan(act("zero", timedelta(0)), act("finished", H), act("kept", H))
    result = place(
        plan, remaining={"zero": H, "finished": H, "kept": timedelta(0)}, done={"finished"}
    )
    assert result == Placement(blocks=(), risks=(), unplaced={})


def test_naive_datetimes_are_refused() -> None:
    plan = make_plan(act("a"))
    with pytest.raises(ValueError, match="aware"):
        place_blocks(plan, now=datetime(2027, 1, 4), remaining={"a": H})  # noqa: DTZ001


# -- weekly budget, block lengths ------------------------------------------------------------


def test_weekly_budget_counts_kept_blocks_per_local_week() -> None:
    plan = make_plan(
        act("a", 5 * H),
        weekly_hours=2,
        windows=(window(ALL_WEEK, "07:00", "09:00"),),
    )
    kept = [Block("a", 0, at(2027, 1, 4, 20), at(2027, 1, 4, 21, 30))]  # Monday, 1.5h used
    result = place(plan, kept=kept, next_index={"a": 1})
    per_week: dict[int, timedelta] = {}
    for b in result.blocks:
        week = b.start.isocalendar().week
        per_week[week] = per_week.get(week, timedelta(0)) + b.end - b.start
    assert per_week == {1: 30 * M, 2: 2 * H, 3: 2 * H, 4: 30 * M}


@pytest.mark.parametrize(
    ("effort", "min_block", "max_block", "expected"),
    [
        (150 * M, 30 * M, 2 * H, [2 * H, 30 * M]),
        (150 * M, 45 * M, 2 * H, [105 * M, 45 * M]),
        (15 * M, 30 * M, 2 * H, [15 * M]),
        (4 * H, 30 * M, 2 * H, [2 * H, 2 * H]),
        (80 * M, 45 * M, H, [H, 20 * M]),  # max < 2 * min: a short tail cannot be avoided
    ],
)
def test_block_lengths(
    effort: timedelta, min_block: timedelta, max_block: timedelta, expected: list[timedelta]
) -> None:
    plan = make_plan(
        act("a", effort),
        min_block=min_block,
        max_block=max_block,
        weekly_hours=20,
        windows=(window(["mon", "wed", "fri"], "07:00", "12:00"),),
    )
    assert lengths(place(plan), "a") == expected


def test_blocks_of_one_action_keep_a_break() -> None:
    plan = make_plan(act("a", 4 * H), weekly_hours=20, windows=(window(["sat"], "09:00", "17:00"),))
    assert spans(place(plan)) == [
        (at(2027, 1, 9, 9), at(2027, 1, 9, 11)),
        (at(2027, 1, 9, 11, 30), at(2027, 1, 9, 13, 30)),
    ]


def test_gaps_shorter_than_min_block_are_skipped() -> None:
    plan = make_plan(act("a", H), min_block=45 * M, windows=(window(["mon"], "07:00", "09:00"),))
    busy = [Interval(at(2027, 1, 4, 7, 30), at(2027, 1, 4, 8, 30))]  # leaves 30m + 30m
    result = place(plan, busy=busy)
    assert spans(result) == [(at(2027, 1, 11, 7), at(2027, 1, 11, 8))]


# -- order -----------------------------------------------------------------------------------


def test_first_actions_get_the_earliest_slots() -> None:
    plan = make_plan(
        act("urgent", H, due=date(2027, 1, 20)),
        act("book", 30 * M, first=True),
    )
    result = place(plan)
    assert result.blocks[0].action_id == "book"
    assert result.blocks[0].start == at(2027, 1, 4, 7)


def test_a_first_action_pulls_its_dependency_forward() -> None:
    plan = make_plan(
        act("urgent", H, due=date(2027, 1, 20)),
        act("prep", 30 * M),
        act("book", 30 * M, first=True, after=("prep",)),
    )
    order = [b.action_id for b in place(plan).blocks]
    assert order[:2] == ["prep", "book"]


def test_earliest_due_first_then_plan_order() -> None:
    plan = make_plan(
        act("late", H),
        act("tie-1", H, due=date(2027, 2, 1)),
        act("tie-2", H, due=date(2027, 2, 1)),
        act("early", H, due=date(2027, 1, 15)),
    )
    order = dict.fromkeys(b.action_id for b in place(plan).blocks)
    assert list(order) == ["early", "tie-1", "tie-2", "late"]


def test_result_is_deterministic() -> None:
    plan = make_plan(*(act(f"a{i}", (i % 3 + 1) * H) for i in range(12)), weekly_hours=6)
    assert place(plan) == place(plan)


# -- dependencies ----------------------------------------------------------------------------


def test_dependent_starts_after_its_dependency_last_block() -> None:
    plan = make_plan(
        act("study", 3 * H),
        act("exam", H, after=("study",), due=date(2027, 2, 1)),  # earlier due, but must wait
    )
    result = place(plan)
    study_end = max(b.end for b in result.blocks if b.action_id == "study")
    assert min(b.start for b in result.blocks if b.action_id == "exam") >= study_end


def test_dependency_inherits_the_earlier_due() -> None:
    plan = make_plan(
        act("other", 3 * H, due=date(2027, 1, 20)),
        act("prep", H),
        act("talk", H, after=("prep",), due=date(2027, 1, 10)),
    )
    order = [b.action_id for b in place(plan).blocks]
    assert order[:2] == ["prep", "talk"]


def test_kept_block_of_a_dependency_orders_the_dependent() -> None:
    plan = make_plan(act("a", H), act("b", H, after=("a",)))
    kept = [Block("a", 0, at(2027, 1, 9, 9), at(2027, 1, 9, 10))]
    result = place(plan, remaining={"a": timedelta(0), "b": H}, kept=kept)
    assert spans(result, "b") == [(at(2027, 1, 9, 10), at(2027, 1, 9, 11))]


def test_done_dependency_is_satisfied() -> None:
    plan = make_plan(act("a", H), act("b", H, after=("a",)))
    result = place(plan, done={"a"})
    assert spans(result) == [(at(2027, 1, 4, 7), at(2027, 1, 4, 8))]


def test_dependency_that_does_not_fit_blocks_its_dependents() -> None:
    plan = make_plan(
        act("big", 10 * H, due=date(2027, 1, 10)),
        act("next", H, after=("big",)),
        act("last", H, after=("next",)),
    )
    result = place(plan)
    assert {b.action_id for b in result.blocks} == {"big"}
    assert result.unplaced == {"big": 6 * H, "next": H, "last": H}  # 4h a week
    (risk,) = result.risks
    assert risk.short == 8 * H
    assert "'next' and 1 more wait for 'big', which does not fit" in risk.fixes


def test_dependency_cycle_is_reported_not_looped() -> None:
    plan = make_plan(act("a", H, after=("b",)), act("b", H, after=("a",)), act("c", H))
    result = place(plan)
    assert [b.action_id for b in result.blocks] == ["c"]
    assert result.unplaced == {"a": H, "b": H}
    assert any("dependency cycle" in f for f in result.risks[0].fixes)


# -- recurrence ------------------------------------------------------------------------------


def recurring(aid: str, every: Every, days: Sequence[Weekday] = (), **kw: date) -> Action:
    return act(aid, 30 * M, recurrence=Recurrence(every=every, days=tuple(days)), **kw)


def test_weekly_on_given_days() -> None:
    plan = make_plan(
        recurring("weekly", "week", ["wed", "sat"], until=date(2027, 1, 31)),
        windows=(window(["mon", "wed", "sat"], "07:00", "08:00"),),
    )
    result = place(plan, now=at(2027, 1, 7))  # a Thursday: this week's Wednesday has passed
    assert spans(result) == [
        (at(2027, 1, 9, 7), at(2027, 1, 9, 7, 30)),
        (at(2027, 1, 13, 7), at(2027, 1, 13, 7, 30)),
        (at(2027, 1, 20, 7), at(2027, 1, 20, 7, 30)),
        (at(2027, 1, 27, 7), at(2027, 1, 27, 7, 30)),
    ]
    assert [b.index for b in result.blocks] == [0, 1, 2, 3]


def test_daily_on_window_days_or_given_days() -> None:
    windows = (window(["mon", "tue", "fri"], "07:00", "08:00"),)
    plan = make_plan(recurring("daily", "day", until=date(2027, 1, 10)), windows=windows)
    assert [b.start.day for b in place(plan).blocks] == [4, 5, 8]
    plan = make_plan(recurring("daily", "day", ["tue"], until=date(2027, 1, 19)), windows=windows)
    assert [b.start.day for b in place(plan).blocks] == [5, 12, 19]


def test_monthly_is_anchored_at_the_start() -> None:
    plan = make_plan(
        recurring("monthly", "month", start=date(2027, 1, 20), until=date(2027, 4, 30)),
        windows=(window(ALL_WEEK, "07:00", "08:00"),),
    )
    days = [b.start.date() for b in place(plan, now=at(2027, 2, 1)).blocks]
    # periods: Jan 20 - Feb 19 (now is Feb 1), Feb 20 - Mar 19, Mar 20 - Apr 19, Apr 20 - 30
    assert days == [date(2027, 2, 1), date(2027, 2, 20), date(2027, 3, 20), date(2027, 4, 20)]


def test_every_two_weeks_counts_from_the_start_week() -> None:
    plan = make_plan(
        recurring(
            "fortnightly", "2 weeks", ["mon"], start=date(2027, 1, 13), until=date(2027, 2, 28)
        ),
        windows=(window(["mon"], "07:00", "08:00"),),
    )
    # 14 days from the Monday of the start's week: Jan 13-24, Jan 25-Feb 7, Feb 8-21, Feb 22-28
    assert [b.start.day for b in place(plan).blocks] == [18, 25, 8, 22]


def test_kept_block_fills_its_period_and_a_full_period_is_reported() -> None:
    plan = make_plan(
        recurring("weekly", "week", ["mon"], until=date(2027, 1, 24)),
        windows=(window(["mon"], "07:00", "08:00"),),
    )
    kept = [Block("weekly", 0, at(2027, 1, 4, 18), at(2027, 1, 4, 18, 30))]
    busy = [Interval(at(2027, 1, 18, 7), at(2027, 1, 18, 8))]
    result = place(plan, kept=kept, busy=busy, next_index={"weekly": 1})
    assert [(b.index, b.start) for b in result.blocks] == [(1, at(2027, 1, 11, 7))]
    assert result.unplaced == {"weekly": 30 * M}
    (risk,) = result.risks
    assert risk.slip_to is None  # an occurrence cannot run late


def test_a_missed_occurrence_does_not_block_dependents() -> None:
    plan = make_plan(
        recurring("weekly", "week", ["mon"], until=date(2027, 1, 17)),
        act("wrap-up", H, after=("weekly",)),
        windows=(window(["mon", "sat"], "07:00", "08:00"),),
    )
    busy = [Interval(at(2027, 1, 4, 7), at(2027, 1, 4, 8))]
    result = place(plan, busy=busy)
    assert result.unplaced == {"weekly": 30 * M}
    assert spans(result, "weekly") == [(at(2027, 1, 11, 7), at(2027, 1, 11, 7, 30))]
    assert spans(result, "wrap-up") == [
        (at(2027, 1, 11, 7, 30), at(2027, 1, 11, 8)),
        (at(2027, 1, 16, 7), at(2027, 1, 16, 7, 30)),
    ]


def test_recurring_days_without_a_window_suggest_one() -> None:
    plan = make_plan(recurring("weekly", "week", ["tue"], until=date(2027, 1, 17)))
    result = place(plan)
    assert result.unplaced == {"weekly": H}
    assert "add a window on tue for 'weekly'" in result.risks[0].fixes


# -- daylight saving -------------------------------------------------------------------------


def test_london_spring_forward_keeps_local_time() -> None:
    plan = make_plan(
        recurring("daily", "day", start=date(2027, 3, 26), until=date(2027, 3, 30)),
        start=date(2027, 3, 1),
        windows=(window(ALL_WEEK, "07:00", "08:30"),),
        weekly_hours=10,
    )
    result = place(plan)
    assert [(b.start.day, b.start.time()) for b in result.blocks] == [
        (d, time(7)) for d in (26, 27, 28, 29, 30)
    ]
    utc_hours = [b.start.astimezone(UTC).hour for b in result.blocks]
    assert utc_hours == [7, 7, 6, 6, 6]  # BST from Sunday 2027-03-28


def test_new_york_fall_back_keeps_local_time() -> None:
    plan = make_plan(
        act("a", 6 * H, due=date(2027, 12, 31)),
        tz="America/New_York",
        start=date(2027, 11, 1),
        end=date(2027, 12, 31),
        windows=(window(["sat", "sun", "mon"], "07:00", "09:00"),),
        weekly_hours=10,
    )
    result = place(plan)
    assert [b.start for b in result.blocks] == [at(2027, 11, d, 7, tz=NEW_YORK) for d in (1, 6, 7)]
    assert [b.start.astimezone(UTC).hour for b in result.blocks] == [11, 11, 12]
    assert all(b.end - b.start == 2 * H for b in result.blocks)


def test_blocks_in_the_repeated_hour_sort_by_instant() -> None:
    plan = make_plan(
        act("a", 2 * H, due=date(2027, 11, 30)),
        start=date(2027, 10, 31),
        end=date(2027, 11, 30),
        windows=(window(["sun"], "00:00", "02:00"),),  # 01:00-02:00 happens twice on 10-31
        max_block=timedelta(minutes=50),
        min_block=10 * M,
        weekly_hours=10,
    )
    result = place(plan)
    starts = [b.start.astimezone(UTC) for b in result.blocks[:3]]
    assert starts == sorted(starts)
    assert [b.start.strftime("%H:%M%z") for b in result.blocks[:3]] == [
        "00:00+0100",
        "01:00+0100",
        "01:00+0000",  # the hour again, after the clocks went back
    ]


def test_window_in_a_daylight_saving_gap_shrinks() -> None:
    plan = make_plan(
        act("a", 3 * H),
        start=date(2027, 3, 28),
        windows=(window(["sun"], "00:30", "02:30"),),  # 01:00-02:00 does not exist on 03-28
        min_block=15 * M,
        weekly_hours=10,
    )
    result = place(plan)
    first = result.blocks[0]
    assert (first.start, first.end) == (at(2027, 3, 28, 0, 30), at(2027, 3, 28, 2, 30))
    # 00:30-01:00 GMT, then 02:00-02:30 BST (same-zone subtraction would say 2h)
    assert first.end.astimezone(UTC) - first.start.astimezone(UTC) == H
    assert result.blocks[1].start == at(2027, 4, 4, 0, 30)


def test_window_inside_a_gap_is_skipped() -> None:
    plan = make_plan(
        act("a", 30 * M),
        start=date(2027, 3, 28),
        windows=(window(["sun"], "01:15", "01:45"),),
    )
    assert place(plan).blocks[0].start == at(2027, 4, 4, 1, 15)


# -- risks -----------------------------------------------------------------------------------


def test_infeasible_plan_reports_a_computed_budget_and_a_slip() -> None:
    windows = (window(["mon", "tue", "wed", "thu", "fri"], "18:00", "21:00"),)
    plan = make_plan(
        milestones=(
            Milestone(
                id="cert",
                title="Cert",
                due=date(2027, 1, 17),
                actions=(act("study", 10 * H, due=date(2027, 1, 17)),),
            ),
        ),
        weekly_hours=2,
        windows=windows,
    )
    result = place(plan)
    assert result.unplaced == {"study": 6 * H}
    (risk,) = result.risks
    assert risk.milestone_id == "cert"
    assert risk.short == 6 * H
    assert risk.slip_to == date(2027, 2, 1)  # 2 hours a week: the fifth week's Monday
    assert risk.fixes == ("raise weekly_hours to 5", "move 'cert' to 2027-02-01")
    # The suggested budget is the least that works.
    for hours, fits in ((5, True), (4.5, False)):
        again = place(
            plan.model_copy(update={"schedule": Schedule(weekly_hours=hours, windows=windows)})
        )
        assert (again.unplaced == {}) is fits


def test_windows_as_the_bottleneck_suggest_a_window() -> None:
    plan = make_plan(act("a", 6 * H, due=date(2027, 1, 9)), weekly_hours=40, end=date(2027, 1, 31))
    (risk,) = place(plan).risks
    assert risk.short == 30 * M  # Mon 1.5h, Wed 1.5h, Sat 2h + a break + 30m
    assert risk.slip_to == date(2027, 1, 11)
    assert risk.fixes == (
        "move 'a' to 2027-01-11",
        "add a window (or free up busy time) on or before 2027-01-09",
    )


def test_work_that_cannot_finish_even_late_has_no_slip() -> None:
    plan = make_plan(act("a", 500 * H), end=date(2027, 1, 31))
    (risk,) = place(plan).risks
    assert risk.slip_to is None
    assert "move" not in " ".join(risk.fixes)


def test_slip_past_the_plan_end_suggests_extending_it() -> None:
    plan = make_plan(act("a", 12 * H), end=date(2027, 1, 17))
    (risk,) = place(plan).risks
    assert risk.slip_to == date(2027, 1, 23)  # 4h a week
    assert risk.fixes[:2] == ("move 'm' to 2027-01-23", "extend the plan's end to 2027-01-23")


# -- kept blocks and indices -----------------------------------------------------------------


def test_kept_blocks_occupy_time_and_indices_continue() -> None:
    plan = make_plan(act("a", 2 * H), act("b", H))
    kept = [
        Block("a", 0, at(2027, 1, 4, 7), at(2027, 1, 4, 8)),
        Block("a", 3, at(2027, 1, 6, 7), at(2027, 1, 6, 7, 30)),
    ]
    result = place(plan, remaining={"a": H, "b": H}, kept=kept, next_index={"a": 4})
    for b in result.blocks:
        assert all(b.end <= k.start or b.start >= k.end for k in kept)
    assert sorted((b.action_id, b.index) for b in result.blocks) == [
        ("a", 4),
        ("a", 5),
        ("b", 0),
        ("b", 1),
    ]
    # a break from a's kept blocks: not Monday 08:00 right after 07-08, not Wednesday 07:30
    assert spans(result, "a")[0] == (at(2027, 1, 6, 8), at(2027, 1, 6, 8, 30))
