"""The live schedule in the pure planner: order, stability, overdue work, and the placement gaps
an exact-solver comparison found (each reproduced as the smallest plan that shows it).

Dates: 2027-01-04 is a Monday; 2027-03-28 (a Sunday) is the UK's spring-forward day.
"""

from __future__ import annotations

from datetime import date, timedelta

from sync.plan import Milestone, Plan, Recurrence
from sync.planner import Block, Interval, Placement
from tests.test_planner import END, H, M, act, at, make_plan, place, spans, window

MON_WED = (window(["mon", "wed"], "07:00", "08:00"),)


def replan(plan_: object, first: Placement, **kw: object) -> Placement:
    """A re-plan where every block of `first` is tentative."""
    return place(plan_, tentative=first.blocks, **kw)  # type: ignore[arg-type]


def overlap(b: Block, x: Interval) -> bool:
    return b.start < x.end and x.start < b.end


# -- the gaps --------------------------------------------------------------------------------


def test_dependencies_pass_through_an_action_with_no_effort() -> None:
    plan = make_plan(
        act("a", 30 * M, start=date(2027, 1, 6)),  # a Wednesday
        act("b", timedelta(0), after=("a",)),
        act("c", 30 * M, after=("b",)),
        windows=MON_WED,
    )
    result = place(plan)
    (a,) = [b for b in result.blocks if b.action_id == "a"]
    (c,) = [b for b in result.blocks if b.action_id == "c"]
    assert a.start == at(2027, 1, 6, 7)
    assert c.start >= a.end  # not on Monday the 4th, before `a`


def test_break_and_max_block_hold_against_blocks_already_in_the_calendar() -> None:
    plan = make_plan(
        act("a", 3 * H),
        windows=(window(["mon"], "07:00", "11:00"),),
        max_block=H,
        min_block=30 * M,
    )
    kept = [Block("a", 0, at(2027, 1, 4, 7), at(2027, 1, 4, 8))]
    result = place(plan, remaining={"a": 2 * H}, kept=kept, next_index={"a": 1})
    assert spans(result)[0] == (at(2027, 1, 4, 8, 30), at(2027, 1, 4, 9, 30))  # not 08:00-09:00
    for b in result.blocks:
        assert b.end - b.start <= H
        assert b.start - kept[0].end >= 30 * M


def test_a_recurring_occurrence_keeps_its_only_slot_from_a_one_off() -> None:
    plan = make_plan(
        act("x", 30 * M, due=date(2027, 1, 6)),  # due Wednesday: placed first
        act(
            "review",
            30 * M,
            due=date(2027, 1, 10),
            recurrence=Recurrence(every="week", days=("tue",)),
        ),
        windows=(window(["tue", "wed"], "07:00", "07:30"),),
        end=date(2027, 1, 10),
    )
    result = place(plan)
    assert result.unplaced == {}
    assert result.risks == ()
    assert spans(result, "review") == [(at(2027, 1, 5, 7), at(2027, 1, 5, 7, 30))]
    assert spans(result, "x") == [(at(2027, 1, 6, 7), at(2027, 1, 6, 7, 30))]


def test_first_does_not_take_an_occurrences_only_slot() -> None:
    plan = make_plan(
        act("x", 30 * M, first=True, due=date(2027, 1, 10)),
        act(
            "review",
            30 * M,
            due=date(2027, 1, 10),
            recurrence=Recurrence(every="week", days=("tue",)),
        ),
        windows=(window(["tue", "wed"], "07:00", "07:30"),),
        end=date(2027, 1, 10),
    )
    result = place(plan)
    assert result.unplaced == {}
    assert spans(result, "x") == [(at(2027, 1, 6, 7), at(2027, 1, 6, 7, 30))]


def test_a_short_block_does_not_leave_a_sliver_below_min_block() -> None:
    # `a`'s block from 05:30 (the user moved it there) keeps `a` an hour away, so its last 30m
    # may start at 07:30; there it would leave 30m and 40m, neither enough for `b`'s hour.
    plan = make_plan(
        act("a", 90 * M, due=date(2027, 1, 4)),
        act("b", H, due=date(2027, 1, 4)),
        windows=(window(["mon"], "07:00", "08:40"),),
        min_block=H,
    )
    kept = [Block("a", 0, at(2027, 1, 4, 5, 30), at(2027, 1, 4, 6, 30))]
    result = place(plan, remaining={"a": 30 * M, "b": H}, kept=kept, next_index={"a": 1})
    assert result.unplaced == {}
    assert spans(result, "a") == [(at(2027, 1, 4, 8, 10), at(2027, 1, 4, 8, 40))]
    assert spans(result, "b") == [(at(2027, 1, 4, 7), at(2027, 1, 4, 8))]


def test_work_that_cannot_all_fit_gets_what_fits() -> None:
    plan = make_plan(
        act("a", 90 * M, due=date(2027, 1, 4)),
        windows=(window(["mon"], "07:00", "08:15"),),
        min_block=H,
    )
    result = place(plan)
    assert spans(result) == [(at(2027, 1, 4, 7), at(2027, 1, 4, 8, 15))]
    assert result.unplaced == {"a": 15 * M}
    (risk,) = result.risks
    assert risk.short == 15 * M  # not 1h30m


# -- milestone order -------------------------------------------------------------------------


def chain(**kw: object) -> object:
    """Three milestones in a backward chain: learn -> apply -> offer."""
    learn = Milestone(
        id="learn",
        title="Learn",
        due=date(2027, 2, 26),
        actions=(act("course", 4 * H, due=date(2027, 2, 26)),),
    )
    apply_ = Milestone(
        id="apply",
        title="Apply",
        due=date(2027, 4, 30),
        after=("learn",),
        actions=(act("cv", H, due=date(2027, 4, 30)), act("roles", 2 * H, due=date(2027, 4, 30))),
    )
    offer = Milestone(
        id="offer",
        title="Offer",
        due=date(2027, 6, 30),
        after=("apply",),
        actions=(act("notice", 30 * M, due=date(2027, 6, 30)),),
    )
    return make_plan(milestones=(learn, apply_, offer), **kw)


def test_no_block_of_a_milestone_starts_before_the_milestones_it_comes_after_end() -> None:
    plan = chain()
    result = place(plan)
    end = {
        m: max(b.end for b in result.blocks if b.action_id in ids)
        for m, ids in (("learn", {"course"}), ("apply", {"cv", "roles"}))
    }
    assert all(b.start >= end["learn"] for b in result.blocks if b.action_id in ("cv", "roles"))
    assert all(b.start >= end["apply"] for b in result.blocks if b.action_id == "notice")
    assert result.finish["notice"] > result.finish["roles"]
    assert result.milestone_finish(plan, "apply") == end["apply"]  # type: ignore[arg-type]


def test_a_done_milestone_no_longer_constrains_and_empty_ones_pass_the_order_on() -> None:
    plan = chain()
    result = place(plan, done={"learn"} | {"course"})
    first_cv = min(b.start for b in result.blocks if b.action_id == "cv")
    assert first_cv == at(2027, 1, 4, 7)  # learn is done: apply starts at once
    # `apply`'s work all done but the milestone open: `notice` still waits for `learn`
    result = place(plan, done={"cv", "roles"})
    course_end = max(b.end for b in result.blocks if b.action_id == "course")
    assert min(b.start for b in result.blocks if b.action_id == "notice") >= course_end


def test_a_chain_that_cannot_fit_is_explained() -> None:
    plan: Plan = chain(weekly_hours=1)  # type: ignore[assignment]
    course = act("course", 40 * H, due=date(2027, 2, 26))
    learn = plan.milestones[0].model_copy(update={"actions": (course,)})
    plan = plan.model_copy(update={"milestones": (learn, *plan.milestones[1:])})
    result = place(plan)
    fixes = {r.milestone_id: r.fixes for r in result.risks}
    assert "apply" in fixes
    assert fixes["apply"][0] == (
        "'cv' and 1 more wait for milestone 'learn', whose action 'course' does not fit before its due"
    )


# -- stability -------------------------------------------------------------------------------


def test_a_replan_with_nothing_changed_moves_nothing() -> None:
    plan = make_plan(act("a", 3 * H), act("b", 2 * H, after=("a",)))
    first = place(plan)
    again = replan(plan, first)
    assert again.blocks == ()
    assert set(again.kept) == set(first.blocks)


def test_a_busy_event_over_one_block_moves_only_that_block_and_keeps_its_index() -> None:
    plan = make_plan(act("a", 3 * H), act("x", 2 * H))
    first = place(plan)
    hit = first.blocks[1]
    busy = [Interval(hit.start, hit.end)]
    again = replan(plan, first, busy=busy)
    assert len(again.blocks) == 1
    (moved,) = again.blocks
    assert (moved.action_id, moved.index) == (hit.action_id, hit.index)  # a patch, not a new event
    assert not overlap(moved, busy[0])
    assert set(again.kept) == set(first.blocks) - {hit}


def test_a_busy_event_removed_moves_nothing_back() -> None:
    plan = make_plan(act("a", 3 * H))
    busy = [Interval(at(2027, 1, 4, 7), at(2027, 1, 4, 8, 30))]
    first = place(plan, busy=busy)
    again = replan(plan, first)
    assert again.blocks == ()


def test_a_lower_budget_moves_the_excess_to_later_weeks_a_higher_one_moves_nothing() -> None:
    plan = make_plan(act("a", 8 * H), weekly_hours=5)
    first = place(plan)
    lower = plan.model_copy(
        update={"schedule": plan.schedule.model_copy(update={"weekly_hours": 3})}
    )
    cut = replan(lower, first)
    week: dict[tuple[int, int], timedelta] = {}
    for b in (*cut.kept, *cut.blocks):
        k = b.start.isocalendar()[:2]
        week[k] = week.get(k, timedelta(0)) + (b.end - b.start)
    assert max(week.values()) <= 3 * H
    assert cut.unplaced == {}
    higher = plan.model_copy(
        update={"schedule": plan.schedule.model_copy(update={"weekly_hours": 8})}
    )
    assert replan(higher, first).blocks == ()


def test_a_due_date_moves_tentative_blocks_of_later_work_out_of_the_way() -> None:
    plan = make_plan(act("late", 3 * H, due=END), windows=MON_WED)
    first = place(plan)
    urgent = make_plan(
        act("late", 3 * H, due=END), act("now", H, due=date(2027, 1, 6)), windows=MON_WED
    )
    again = place(urgent, tentative=first.blocks)
    assert again.unplaced == {}
    assert spans(again, "now")


def test_a_not_before_day_moves_the_actions_tentative_blocks() -> None:
    plan = make_plan(act("a", 2 * H))
    first = place(plan)
    again = replan(plan, first, not_before={"a": date(2027, 1, 20)})
    assert again.blocks
    assert all(b.start.date() >= date(2027, 1, 20) for b in again.blocks)
    assert again.kept == ()


def test_blocks_follow_a_new_time_zone() -> None:
    plan = make_plan(act("a", 2 * H))
    first = place(plan)
    moved = plan.model_copy(update={"timezone": "America/New_York"})
    again = replan(moved, first)
    for b in again.blocks + again.kept:
        local = b.start.astimezone(moved.tz)
        assert 7 <= local.hour < 12


def test_tentative_blocks_across_the_clock_change_stay() -> None:
    plan = make_plan(act("a", 6 * H), start=date(2027, 3, 22))
    now = at(2027, 3, 22)
    first = place(plan, now=now)
    assert any(b.start.date() == date(2027, 3, 29) for b in first.blocks)  # after the change
    again = place(plan, now=now, tentative=first.blocks)
    assert again.blocks == ()


# -- overdue work ----------------------------------------------------------------------------


def test_overdue_work_is_placed_from_now_on_first_and_in_plan_order() -> None:
    plan = make_plan(
        act("old", 2 * H, due=date(2027, 1, 8)),
        act("older", H, due=date(2027, 1, 6)),
        act("fresh", H),
    )
    now = at(2027, 1, 11, 12)  # both dues have passed
    result = place(plan, now=now)
    assert result.overdue == {"old", "older"}
    old, older, fresh = (
        min(b.start for b in result.blocks if b.action_id == a) for a in ("old", "older", "fresh")
    )
    assert now < old < older < fresh or now < old <= older
    assert result.unplaced == {}
    assert result.finish["old"] > now
