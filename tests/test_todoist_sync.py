"""End to end: the plan in Todoist through the real SDK and the sandbox, under the conflict rules."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from sync.errors import SafetyError
from sync.model import is_write
from tests.world import SHORT_TERM, VISION, World


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def writes(world: World) -> int:
    return world.counts()["writes"]


def contents(world: World) -> Counter[str]:
    return Counter(t["content"] for t in world.tasks())


@pytest.mark.parametrize("text", [VISION, SHORT_TERM], ids=["vision", "short-term"])
def test_first_sync_then_a_second_sync_writes_nothing(tmp_path: Path, text: str) -> None:
    world = World(tmp_path, text=text)
    first = world.sync()
    plan = world.plan
    actions = [a for _, a in plan.actions()]
    checklist = sum(len(a.checklist) for a in actions)
    assert len(world.tasks()) == len(actions) + checklist + len(plan.milestones)
    sections = world.sandbox.todoist.sections(world.project_id())
    assert [s["name"] for s in sections] == [m.title for m in plan.milestones]
    assert first.writes["todoist"] == first.changes
    # the /sync read, and the archived projects (a full read leaves them out): 1 write
    assert world.counts() == {"reads": 2, "writes": 1}

    second = world.sync()
    assert second.changes == 0
    assert world.counts() == {"reads": 1, "writes": 0}


def test_task_fields_follow_the_mapping(world: World) -> None:
    world.sync()
    talk = world.task("task:talk-to-manager")
    assert talk["priority"] == 4  # first: true is urgent
    assert talk["duration"] == {"amount": 30, "unit": "minute"}
    assert talk["labels"] == ["knowledge"]
    assert talk["deadline"]["date"] == "2027-02-26"
    weekly = world.task("task:weekly-update")
    assert weekly["due"]["is_recurring"] is True
    assert weekly["due"]["string"] == "every thu starting 2027-03-15 until 2027-06-25"
    assert weekly["due"]["date"] == "2027-03-18"  # the first Thursday from its start
    checkpoint = world.task("checkpoint:foundations")
    assert checkpoint["content"] == "Milestone: Learn the basics of managing people"
    assert checkpoint["due"]["date"] == "2027-02-26"
    subtasks = [
        t for t in world.tasks() if t["parent_id"] == world.task("task:read-managers-path")["id"]
    ]
    assert [t["content"] for t in subtasks] == [
        "Chapters on mentoring and tech lead",
        "Chapters on managing a team",
        "Notes on what surprised me",
    ]


def test_plan_edits_make_exactly_the_expected_writes(world: World) -> None:
    world.sync()
    before = world.task("task:one-to-one-course")["id"]

    world.edit("Take a short course on running one-to-ones", "Take a course on one-to-ones")
    out = world.sync()
    assert [a.key for a in out.actions["todoist"] if type(a).__name__ == "Update"] == [
        "task:one-to-one-course"
    ]
    task = world.task("task:one-to-one-course")
    assert (task["id"], task["content"]) == (before, "Take a course on one-to-ones")

    world.edit(
        "        due: 2027-06-30\n        after: [kickoff]",
        "        due: 2027-06-15\n        after: [kickoff]",
    )
    out = world.sync()
    assert world.task("task:retro")["deadline"]["date"] == "2027-06-15"
    assert out.writes["todoist"] == 1

    # add an action, then remove it
    world.edit(
        "      - id: feedback-guide",
        "      - id: shadow-manager\n        title: Shadow my manager for a day\n        effort: 4h\n"
        "      - id: feedback-guide",
    )
    world.sync()
    assert contents(world)["Shadow my manager for a day"] == 1
    world.edit(
        "      - id: shadow-manager\n        title: Shadow my manager for a day\n        effort: 4h\n",
        "",
    )
    out = world.sync()
    assert contents(world)["Shadow my manager for a day"] == 0
    assert [type(a).__name__ for a in out.actions["todoist"] if type(a).__name__ != "Link"].count(
        "Delete"
    ) == 1


def test_reordering_milestones_reorders_sections(world: World) -> None:
    world.sync()
    lead = world.text.index("  - id: lead-a-project")
    mentor = world.text.index("  - id: mentor")
    interviewing = world.text.index("  - id: interviewing")
    block_lead, block_mentor = world.text[lead:mentor], world.text[mentor:interviewing]
    world.text = world.text[:lead] + block_mentor + block_lead + world.text[interviewing:]
    out = world.sync()
    sections = sorted(
        world.sandbox.todoist.sections(world.project_id()), key=lambda s: s["section_order"]
    )
    assert [s["name"] for s in sections][1:3] == [
        "Mentor two junior engineers",
        "Lead a cross-team project as tech lead",
    ]
    assert writes(world) == 1  # one /sync request carries the reorder commands
    assert all(type(a).__name__ in ("Update", "Link") for a in out.actions["todoist"])


def test_user_changes_survive_until_the_plan_changes_the_same_field(world: World) -> None:
    world.sync()
    talk = world.task("task:talk-to-manager")["id"]
    book = world.task("task:read-managers-path")["id"]
    world.sandbox.todoist.user_update(
        book, content="Read 'The Manager's Path'", due={"date": "2027-01-20"}
    )
    world.sandbox.todoist.user_complete(talk)

    out = world.sync()
    # the only writes are progress and forecasts, in the checkpoints' descriptions
    written = [a for a in out.actions["todoist"] if is_write(a)]
    assert {a.key.split(":")[0] for a in written} == {"checkpoint"}
    assert {field for a in written for field in a.changes} == {"description"}  # type: ignore[union-attr]
    assert "1/4 actions" in world.task("checkpoint:foundations")["description"]
    assert world.task("task:read-managers-path")["content"] == "Read 'The Manager's Path'"
    assert world.task("task:read-managers-path")["due"]["date"] == "2027-01-20"
    assert world.task("task:talk-to-manager")["checked"] is True
    assert world.records()["task:talk-to-manager"].status == "completed"

    # the plan changes the title: the plan wins for that field only
    world.edit("Read a book on the engineering manager's path", "Read two books on management")
    world.sync()
    assert world.task("task:read-managers-path")["content"] == "Read two books on management"
    assert world.task("task:read-managers-path")["due"]["date"] == "2027-01-20"
    # a completed task is never reopened or rewritten
    world.edit("Tell my manager I want to move into management", "Tell my manager my plan")
    world.sync()
    assert world.task("task:talk-to-manager")["checked"] is True
    assert (
        world.task("task:talk-to-manager")["content"]
        == "Tell my manager I want to move into management"
    )


def test_user_deleted_task_is_not_recreated(world: World) -> None:
    world.sync()
    world.sandbox.todoist.user_delete(world.task("task:feedback-guide")["id"])
    out = world.sync()
    assert out.changes == 0
    assert contents(world)["Write my own guide to giving feedback"] == 0
    assert world.records()["task:feedback-guide"].status == "dismissed"


def test_losing_the_state_db_never_duplicates(world: World) -> None:
    world.sync()
    world.sandbox.todoist.user_complete(world.task("task:talk-to-manager")["id"])
    world.sync()
    before = Counter(t["content"] for t in world.sandbox.todoist.tasks(include_completed=True))
    for name in ("state.db", "state.db-wal", "state.db-shm"):
        (world.home / name).unlink(missing_ok=True)
    out = world.sync()
    after = Counter(t["content"] for t in world.sandbox.todoist.tasks(include_completed=True))
    assert after == before
    assert len(world.sandbox.todoist.projects()) == 2  # the inbox and the plan's project
    assert out.writes["todoist"] == 0
    assert world.records()["task:talk-to-manager"].status == "completed"
    assert world.sync().changes == 0


def test_tasks_the_user_made_are_never_touched(world: World) -> None:
    world.sync()
    todoist = world.sandbox.todoist
    other = todoist.user_add_project("Groceries")
    milk = todoist.user_add_task(other, "Buy milk")
    mine = todoist.user_add_task(world.project_id(), "My own note about the plan")
    world.edit("title: Become an engineering manager", "title: Become an EM")
    world.sync()
    world.text = world.text.split("milestones:")[0] + "milestones: []\n"
    world.sync(allow_mass_delete=True)
    assert [t["content"] for t in todoist.tasks(other)] == ["Buy milk"]
    assert any(t["id"] == mine for t in todoist.tasks(world.project_id()))
    assert any(t["id"] == milk for t in todoist.tasks(other))


def test_mass_delete_and_a_vanished_project_are_refused(world: World) -> None:
    world.sync()
    full = world.text
    world.text = world.text.split("milestones:")[0] + "milestones: []\n"
    with pytest.raises(SafetyError, match="would delete"):
        world.sync()
    assert writes(world) == 0
    world.text = full
    world.sandbox.todoist.user_delete_project(world.project_id())
    with pytest.raises(SafetyError, match="look deleted"):
        world.sync()
    assert writes(world) == 0


def test_recurrence_strings_match_what_the_planner_places() -> None:
    from datetime import date

    from connectors.todoist_map import recurrence_string
    from sync.plan import Action, Recurrence

    def every(kind: str, *days: str) -> str:
        rec = Recurrence(every=kind, days=days)  # type: ignore[arg-type]
        return recurrence_string(Action(id="a", title="A", due=date(2027, 1, 1), recurrence=rec))

    dated = Action(
        id="a",
        title="A",
        due=date(2027, 6, 1),
        start=date(2027, 3, 1),
        until=date(2027, 6, 1),
        recurrence=Recurrence(every="week", days=("mon",)),
    )
    assert recurrence_string(dated) == "every mon starting 2027-03-01 until 2027-06-01"

    assert every("day") == "every day"
    assert every("day", "tue", "fri") == "every tue, fri"  # each listed day
    assert every("week", "thu") == "every thu"
    assert every("week", "tue", "fri") == "every week"  # once a week, on whichever has room
    assert every("2 weeks", "mon") == "every other mon"
    assert every("month") == "every month"
