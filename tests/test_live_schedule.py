"""The live schedule end to end: the real engine, both real SDKs, the sandbox (issue 12's
stories). Every plan here spans the UK's spring-forward week (the clocks go forward on Sunday
2027-03-28), and the windows are local: 07:00 stays 07:00 across it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.world import World

LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)

PLAN = """\
format: 1
plan:
  id: live
  title: Live schedule
  timezone: Europe/London
  start: 2027-03-15
  end: 2027-06-30
schedule:
  weekly_hours: 5
  min_block: 30m
  max_block: 2h
  windows:
    - days: [mon, wed]
      from: "07:00"
      to: "08:30"
    - days: [sat]
      from: "09:00"
      to: "12:00"
milestones:
  - id: learn
    title: Learn the basics
    due: 2027-04-30
    actions:
      - id: course
        title: Take the course
        effort: 6h
      - id: reading
        title: Read the book
        effort: 3h
  - id: apply
    title: Apply for roles
    due: 2027-06-15
    after: [learn]
    actions:
      - id: cv
        title: Rewrite the CV
        effort: 2h
      - id: roles
        title: Apply to two roles
        effort: 2h
        after: [cv]
"""


def make_world(tmp_path: Path, text: str = PLAN, now: datetime | None = None) -> World:
    world = World(tmp_path, text=text, google=True)
    world.now = now or datetime(2027, 3, 22, 5, 0, tzinfo=UTC)  # Monday, before its window
    return world


def calendar_id(world: World) -> str:
    return world.records("google")["calendar"].remote_id


def blocks(world: World, action: str | None = None) -> dict[str, tuple[datetime, datetime]]:
    """key -> (start, end) of the plan's live focus blocks."""
    out = {}
    for e in world.sandbox.google.events(calendar_id(world)):
        key = e.get("extendedProperties", {}).get("private", {}).get("careersync_key", "")
        if key.startswith("block:") and action in (None, key.split(":")[1]):
            span = (_at(e["start"]), _at(e["end"]))
            out[key] = span
    return dict(sorted(out.items(), key=lambda kv: kv[1][0]))


def _at(field: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(field["dateTime"]).astimezone(LONDON)


def overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def in_windows(span: tuple[datetime, datetime]) -> bool:
    start, end = span[0].astimezone(LONDON), span[1].astimezone(LONDON)
    day, s, e = start.weekday(), start.time(), end.time()
    if day in (0, 2):
        return s.hour >= 7 and (e.hour, e.minute) <= (8, 30) and start.date() == end.date()
    return day == 5 and s.hour >= 9 and (e.hour, e.minute) <= (12, 0)


def weekly(spans: Any) -> dict[tuple[int, int], timedelta]:
    out: dict[tuple[int, int], timedelta] = defaultdict(timedelta)
    for s, e in spans:
        out[s.astimezone(LONDON).isocalendar()[:2]] += e - s
    return out


def google_writes(world: World) -> int:
    return world.counts("google").get("writes", 0)


def test_the_first_sync_spans_the_clock_change_and_nothing_changed_writes_nothing(
    tmp_path: Path,
) -> None:
    world = make_world(tmp_path)
    world.sync()
    placed = blocks(world)
    assert all(in_windows(s) for s in placed.values())
    after_change = [s for s in placed.values() if s[0].date() > date(2027, 3, 28)]
    assert after_change
    assert after_change[0][0].utcoffset() == H  # BST: 07:00 local is 06:00 UTC
    again = world.sync()
    assert again.changes == 0
    assert sum(again.writes.values()) == 0
    world.later(hours=3)  # time passes, nothing else
    assert world.sync().changes == 0


def changed(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}


def test_a_busy_event_over_a_block_moves_only_that_block(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.sync()
    before = blocks(world)
    key, span = next(iter(blocks(world, "roles").items()))  # nothing waits for `roles`
    world.sandbox.google.add_busy(span[0], span[1], "Dentist")
    outcome = world.sync()
    after = blocks(world)
    assert all(not overlaps(s, span) for s in after.values())
    assert key in changed(before, after)
    assert {k.split(":")[1] for k in changed(before, after)} == {"roles"}
    assert outcome.writes["google"] <= 2
    assert world.sync().changes == 0


def test_a_busy_event_moves_a_block_and_the_chain_that_waits_for_it(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.sync()
    before = blocks(world)
    key, span = next((k, s) for k, s in before.items() if s[0] > world.now + 3 * 24 * H)
    assert key.startswith("block:course:")
    world.sandbox.google.add_busy(span[0], span[1], "Dentist")
    world.sync()
    after = blocks(world)
    assert all(not overlaps(s, span) for s in after.values())
    moved = changed(before, after)
    assert key in moved
    # only `course` and the milestone that comes after its milestone shift; `reading` stays
    assert {k.split(":")[1] for k in moved} <= {"course", "cv", "roles"}
    learn_end = max(e for k, (_, e) in after.items() if k.split(":")[1] in ("course", "reading"))
    assert all(s >= learn_end for k, (s, _) in after.items() if k.split(":")[1] in ("cv", "roles"))
    assert world.sync().changes == 0


def test_a_busy_event_removed_moves_nothing_back(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    wed = datetime(2027, 3, 24, 7, 0, tzinfo=LONDON)
    busy_id = world.sandbox.google.add_busy(wed, wed + 1.5 * H, "Workshop")
    world.sync()
    before = blocks(world)
    assert all(not overlaps(s, (wed, wed + 1.5 * H)) for s in before.values())
    world.sandbox.google.user_delete_event("primary", busy_id)
    world.later(hours=1)
    assert world.sync().changes == 0
    assert blocks(world) == before


def test_weekly_hours_lowered_then_raised(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.sync()
    assert max(weekly(blocks(world).values()).values()) > 3 * H
    world.edit("weekly_hours: 5", "weekly_hours: 3")
    world.sync()
    cut = blocks(world)
    assert max(weekly(cut.values()).values()) <= 3 * H
    assert sum((e - s for s, e in cut.values()), timedelta()) == 13 * H  # nothing dropped
    world.edit("weekly_hours: 3", "weekly_hours: 5")
    outcome = world.sync()
    assert outcome.writes.get("google", 0) == 0  # every block is still valid: none moves
    assert blocks(world) == cut


def test_two_plans_in_one_account_never_double_book(tmp_path: Path) -> None:
    first = make_world(tmp_path)
    first.sync()
    second = make_world(
        tmp_path,
        PLAN.replace("id: live", "id: other").replace("title: Live schedule", "title: Other"),
    )
    second.sandbox = first.sandbox  # one Google account, one Todoist account
    second.sync()
    mine, theirs = blocks(first), blocks(second)
    assert theirs
    assert not any(overlaps(a, b) for a in mine.values() for b in theirs.values())
    # the first plan's blocks stay put: they were there first and are still valid
    assert first.sync().changes == 0


def test_a_milestone_chain_is_kept(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.sync()
    learn = [s for k, s in blocks(world).items() if k.split(":")[1] in ("course", "reading")]
    apply_ = [s for k, s in blocks(world).items() if k.split(":")[1] in ("cv", "roles")]
    assert apply_
    assert min(s for s, _ in apply_) >= max(e for _, e in learn)
    cv_task = world.task("task:cv")
    assert date.fromisoformat(cv_task["due"]["date"]) == min(s for s, _ in apply_).date()


def test_an_action_re_dated_in_todoist_moves_its_blocks(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.sync()
    later = date(2027, 4, 12)
    task = world.task("task:reading")
    assert date.fromisoformat(task["due"]["date"]) < later
    world.sandbox.todoist.user_update(task["id"], due={"date": later.isoformat()})
    world.sync()
    moved = blocks(world, "reading")
    assert moved
    assert all(s.date() >= later for s, _ in moved.values())
    due = date.fromisoformat(world.task("task:reading")["due"]["date"])
    assert due == min(s for s, _ in moved.values()).date()
    assert world.sync().changes == 0  # the new place holds
    assert all(s.date() >= later for s, _ in blocks(world, "reading").values())


def test_an_overdue_action_is_placed_from_now_on(tmp_path: Path) -> None:
    text = PLAN.replace("        effort: 3h\n", "        effort: 3h\n        due: 2027-03-24\n")
    world = make_world(tmp_path, text)
    world.sync()
    world.now = datetime(2027, 3, 29, 5, 0, tzinfo=UTC)  # past its due; its blocks were missed
    world.sync()
    ahead = [s for s in blocks(world, "reading").values() if s[0] >= world.now]
    assert sum((e - s for s, e in ahead), timedelta()) == 3 * H
    due = date.fromisoformat(world.task("task:reading")["due"]["date"])
    assert due == min(s for s, _ in ahead).date() >= date(2027, 3, 29)


def test_a_block_the_user_moved_is_never_moved_back(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.sync()
    key, span = next(
        (k, s) for k, s in blocks(world, "course").items() if s[0] > world.now + 4 * 24 * H
    )
    sunday = datetime(2027, 4, 4, 15, 0, tzinfo=LONDON)  # outside every window
    event_id = world.records("google")[key].remote_id
    world.sandbox.google.user_move_event(
        calendar_id(world), event_id, sunday, sunday + (span[1] - span[0])
    )
    for _ in range(3):
        world.sync()
        assert blocks(world)[key][0] == sunday
        world.later(hours=20)


def test_a_new_plan_time_zone_moves_blocks_to_the_new_windows(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.sync()
    world.edit("timezone: Europe/London", "timezone: America/New_York")
    world.sync()
    ny = ZoneInfo("America/New_York")
    for s, _e in blocks(world).values():
        if s < world.now + 24 * H:
            continue  # inside the frozen horizon
        local = s.astimezone(ny)
        assert (local.weekday() in (0, 2) and 7 <= local.hour < 9) or (
            local.weekday() == 5 and 9 <= local.hour < 12
        )


@pytest.mark.parametrize("hours", [1, 30])
def test_time_passing_keeps_the_schedule(tmp_path: Path, hours: int) -> None:
    world = make_world(tmp_path)
    world.sync()
    world.later(hours=hours)
    world.sync()
    assert world.sync().changes == 0


def test_a_weekly_task_without_days_is_due_on_its_blocks_weekday(tmp_path: Path) -> None:
    text = PLAN.replace(
        "  - id: apply\n",
        "  - id: review\n    title: Keep going\n    due: 2027-06-15\n    actions:\n"
        "      - id: weekly\n        title: Weekly review\n        effort: 30m\n"
        "        every: week\n        start: 2027-03-24\n        until: 2027-06-15\n"
        "  - id: apply\n",
    )
    world = make_world(tmp_path, text)
    world.sync()
    placed = blocks(world, "weekly")
    assert placed
    first = min(s for s, _ in placed.values())
    due = world.task("task:weekly")["due"]
    assert due["is_recurring"]
    weekday = first.strftime("%a").lower()
    assert due["string"].startswith(f"every {weekday}"), due["string"]
    assert date.fromisoformat(due["date"][:10]).weekday() == first.weekday()
    assert world.sync().changes == 0


def test_a_pull_reads_no_busy_time_and_plans_nothing(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.sync()
    before = blocks(world)
    _, span = next(iter(before.items()))
    world.sandbox.google.add_busy(span[0], span[1], "A meeting")
    outcome = world.sync(pull_only=True)
    assert not any(e.path.endswith("/freeBusy") for e in world.sandbox.wire.log)
    assert outcome.writes.get("google", 0) == 0
    assert blocks(world) == before
