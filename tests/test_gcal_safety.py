"""Calendar-side promises under hostile conditions (issue 16), through the real SDK and the sandbox.

Each test reproduces one reported case: a calendar taken over by its title, two calendars after a
lost answer, a restored milestone that never came back, freeBusy ranges that cross a
daylight-saving change, malformed answers. Every scenario runs in-process and over loopback.
"""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.gcal_map import FREEBUSY_LIMIT, freebusy_windows, marker
from connectors.sandbox.wire import Faults
from sync.errors import RemoteError
from sync.model import Create, Delete, is_write
from tests.sandbox.conftest import Env
from tests.test_gcal_connector import Harness, clock, env, make_plan

__all__ = ["clock", "env"]  # the sandbox's fixtures, used by every test here

NEW_YORK = ZoneInfo("America/New_York")


def _ours(world: Harness, plan_id: str = "career") -> list[dict[str, object]]:
    """Calendars carrying the plan's marker."""
    mark = marker(plan_id)
    return [c for c in world.env.sandbox.google.calendars() if mark in c.get("description", "")]


# -- 1. a calendar is the plan's only by its marker ------------------------------------------


def test_the_users_own_calendar_with_the_plans_title_is_not_taken_over(
    env: Env, tmp_path: Path
) -> None:
    google = env.sandbox.google
    users = google.add_calendar("Career plan: Test plan")
    world = Harness(env, tmp_path)

    world.sync()

    assert world.calendar_id != users
    users_calendar = next(c for c in google.calendars() if c["id"] == users)
    assert users_calendar["summary"] == "Career plan: Test plan"
    assert "description" not in users_calendar  # not rewritten
    assert google.events(users) == []
    world.lose_state()  # found again by its marker, not by its title
    assert not [a for a in world.sync()[0].actions if is_write(a)]
    assert world.calendar_id != users


def test_a_second_plan_with_the_same_title_gets_its_own_calendar(env: Env, tmp_path: Path) -> None:
    first = Harness(env, tmp_path / "a")
    first.sync()
    second_plan = make_plan().model_copy(update={"id": "career-two"})
    second = Harness(env, tmp_path / "b", plan=second_plan)

    second.sync()

    assert second.calendar_id != first.calendar_id
    assert len(_ours(first)) == len(_ours(second, "career-two")) == 1
    assert first.sync()[0].actions == []  # the first plan's calendar untouched


# -- 2. creating the calendar is idempotent under any drop pattern ---------------------------


DROPS = {
    "the insert's answer": Faults(drop_after_write={1}, service="google"),
    "the insert's answer, then every third request": Faults(
        drop_after_write={1}, drop_at=set(range(3, 60, 3)), service="google"
    ),
    "every third request": Faults(drop_at=set(range(3, 60, 3)), service="google"),
    "every other request": Faults(drop_at=set(range(2, 60, 2)), service="google"),
    "the first two writes": Faults(drop_after_write={1, 2}, service="google"),
    "the look before the retry": Faults(drop_after_write={1}, drop_at={3, 4}, service="google"),
}


@pytest.mark.parametrize("faults", DROPS.values(), ids=DROPS.keys())
def test_a_lost_calendar_insert_answer_makes_one_calendar(world: Harness, faults: Faults) -> None:
    world.env.sandbox.wire.reset(faults)
    connector = world.connector()
    with contextlib.suppress(RemoteError):  # a run may give up; the next one converges
        connector.apply(world.decide(connector).actions)
    assert len(_ours(world)) <= 1
    world.sync()
    world.sync()
    assert len(_ours(world)) == 1
    assert world.sync()[0].actions == []


@pytest.fixture
def world(env: Env, tmp_path: Path) -> Harness:
    return Harness(env, tmp_path)


# -- 3. a milestone removed and restored comes back -------------------------------------------


def test_a_milestone_removed_then_restored_gets_its_event_back(world: Harness) -> None:
    full = world.plan
    world.sync()
    world.plan = full.model_copy(update={"milestones": full.milestones[:1]})
    removed, _ = world.sync()
    assert "milestone:talk" in {a.key for a in removed.actions if isinstance(a, Delete)}
    assert world.event("milestone:talk")["status"] == "cancelled"

    world.plan = full
    restored, _ = world.sync()

    assert "milestone:talk" in {a.key for a in restored.actions if isinstance(a, Create)}
    event = world.event("milestone:talk")
    assert event["status"] == "confirmed"
    assert event["summary"] == "Milestone: Give a talk"
    assert world.store.records("career", "google")["milestone:talk"].status == "active"
    assert world.blocks("draft")  # its action's blocks are back too
    assert world.sync()[0].actions == []


def test_an_event_the_user_deleted_stays_deleted(world: Harness) -> None:
    world.sync()
    eid = world.event("milestone:talk")["id"]
    world.env.sandbox.google.user_delete_event(world.calendar_id, eid)
    world.sync()
    world.sync()
    assert world.event("milestone:talk")["status"] == "cancelled"
    assert world.store.records("career", "google")["milestone:talk"].status == "dismissed"


# -- 4. freeBusy windows, whatever the zone ---------------------------------------------------


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/London", "Australia/Sydney"])
def test_freebusy_windows_stay_under_the_limit_across_daylight_saving(zone: str) -> None:
    tz = ZoneInfo(zone)
    start = datetime(2026, 9, 1, 7, 0, tzinfo=tz)
    end = datetime(2028, 1, 1, tzinfo=tz)  # 16 months: several DST changes
    windows = freebusy_windows(start, end)
    assert windows[0][0] == start
    assert windows[-1][1] == end
    for (_, b), (c, _) in itertools.pairwise(windows):
        assert b == c  # no gap, no overlap
    for a, b in windows:
        assert timedelta(0) < b.astimezone(UTC) - a.astimezone(UTC) <= FREEBUSY_LIMIT
        assert a.utcoffset() == timedelta(0)  # sent in UTC


def test_busy_time_over_a_daylight_saving_change_is_read(world: Harness) -> None:
    start = datetime(2026, 9, 1, 7, 0, tzinfo=NEW_YORK)  # 90 wall days later: DST has ended
    far = datetime(2027, 9, 1, 10, 0, tzinfo=NEW_YORK)
    world.env.sandbox.google.add_busy(far, far + timedelta(hours=1))
    spans = world.connector().busy(start, start + timedelta(days=450))
    assert [(s.start, s.end) for s in spans] == [(far, far + timedelta(hours=1))]


def test_a_fifteen_month_plan_in_new_york_syncs_first_time(env: Env, tmp_path: Path) -> None:
    env.clock.now = datetime(2026, 9, 1, 8, 0, tzinfo=NEW_YORK)  # the CLI's clock is zoned
    plan = make_plan().model_copy(
        update={"timezone": "America/New_York", "start": date(2026, 9, 1), "end": date(2027, 12, 1)}
    )
    world = Harness(env, tmp_path, plan=plan)
    decision, _ = world.sync()
    assert decision.actions
    assert world.sync()[0].actions == []


# -- 10. malformed answers are transient ------------------------------------------------------


BROKEN = ["truncated", "empty", "html"]


@pytest.mark.parametrize("kind", BROKEN)
def test_a_malformed_answer_is_retried(world: Harness, kind: str) -> None:
    # the first three requests: the token refresh (a captive portal signs nobody in), its
    # retry, the retry after that; then the calendar list, the insert
    broken = {n: kind for n in (1, 2, 3, 5)}
    world.env.sandbox.wire.reset(Faults(malformed=broken, service="google"))
    connector = world.connector()
    applied = connector.apply(world.decide(connector).actions)
    assert applied.errors == []
    assert world.policy.retries >= 4
    assert len(_ours(world)) == 1
    assert world.sync()[0].actions == []


def _renamed(world: Harness) -> None:
    """Change the plan so the next run patches the calendar and sends a batch."""
    cert = world.plan.milestones[0].model_copy(update={"title": "Get certified soon"})
    world.plan = world.plan.model_copy(
        update={"title": "Renamed plan", "milestones": (cert, *world.plan.milestones[1:])}
    )


@pytest.mark.parametrize("kind", [*BROKEN, "multipart"])
def test_a_malformed_write_answer_is_retried(world: Harness, kind: str) -> None:
    world.sync()
    _renamed(world)
    connector = world.connector()
    decision = world.decide(connector)
    world.env.sandbox.wire.reset(Faults(malformed={1: kind, 2: kind, 3: kind}))
    applied = connector.apply(decision.actions)  # the calendar patch, then the batch
    assert applied.errors == []
    assert world.policy.retries >= 2
    assert world.event("milestone:cert")["summary"] == "Milestone: Get certified soon"
    assert world.sync()[0].actions == []


@pytest.mark.parametrize("kind", [*BROKEN, "multipart"])
def test_answers_that_stay_malformed_are_one_clear_transient_error(
    world: Harness, kind: str
) -> None:
    world.sync()
    _renamed(world)
    connector = world.connector()
    decision = world.decide(connector)
    world.env.sandbox.wire.reset(Faults(malformed={n: kind for n in range(1, 99)}))
    with pytest.raises(RemoteError) as caught:
        connector.apply(decision.actions)
    assert caught.value.exit_code == 1
    assert "still failing after" in caught.value.message
    assert "malformed" in caught.value.message
    world.env.sandbox.wire.reset()
    world.sync()  # the next run finishes the job
    assert world.sync()[0].actions == []
