"""Every conflict rule of DESIGN.md as one row: plan side, state, remote side -> actions.

A row reads left to right: what the plan wants (`plan`), what the state store remembers of the
last sync (`state`), what the remote shows now (`remote`), and the actions `decide` must return.
Values are the one field `title`: "old" is what was last synced, "new" a plan edit, "user" an
edit made in Todoist or Calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from sync.decide import check_safety, decide
from sync.errors import SafetyError
from sync.model import (
    Action,
    Create,
    Delete,
    Forget,
    Item,
    Link,
    Record,
    Remote,
    Snapshot,
    Status,
    Update,
)

DONE = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
KEY = "task:study"


@dataclass(frozen=True)
class Side:
    """A remote object: open with a title, completed, deleted, or (None) not there at all."""

    title: str = "old"
    completed: bool = False
    deleted: bool = False
    marked: bool = True  # carries careersync's marker for KEY


@dataclass(frozen=True)
class Kept:
    """What the state store remembers of KEY."""

    title: str = "old"
    status: Status = "active"


def remote(side: Side | None, remote_id: str = "r1") -> dict[str, Remote]:
    if side is None:
        return {}
    return {
        remote_id: Remote(
            remote_id,
            "task",
            KEY if side.marked else None,
            {"title": side.title},
            completed_at=DONE if side.completed else None,
            deleted=side.deleted,
        )
    }


def item(title: str) -> Item:
    return Item(KEY, "task", {"title": title})


def run(plan: str | None, state: Kept | None, side: Side | None) -> list[Action]:
    desired = [item(plan)] if plan is not None else []
    records = {}
    if state is not None:
        completed = DONE if state.status == "completed" else None
        records[KEY] = Record(KEY, "r1", {"title": state.title}, state.status, completed)
    return decide(desired, records, Snapshot(remote(side)), keep=lambda r: False)


RULES = [
    # --- a new plan item ---------------------------------------------------------------
    ("created when nothing is there", "new", None, None, [Create(item("new"))]),
    (
        "a marked copy left by a lost state is re-linked, not duplicated",
        "old",
        None,
        Side(),
        [Link(KEY, "r1", {"title": "old"})],
    ),
    (
        "a re-linked copy gets the plan's words",
        "new",
        None,
        Side("old"),
        [Link(KEY, "r1", {}), Update(item("new"), "r1", {"title": "new"})],
    ),
    (
        "a re-linked copy the user completed stays completed",
        "old",
        None,
        Side(completed=True),
        [Link(KEY, "r1", {"title": "old"}, "completed", DONE)],
    ),
    (
        "a marked copy that was deleted is not a reason to skip the create",
        "new",
        None,
        Side(deleted=True),
        [Create(item("new"))],
    ),
    (
        "an unmarked object with the same title is the user's: ours is created beside it",
        "old",
        None,
        Side(marked=False),
        [Create(item("old"))],
    ),
    # --- a synced item: who owns which change -------------------------------------------
    ("nothing changed: nothing to do", "old", Kept(), Side(), []),
    (
        "the plan changed a field: the plan wins",
        "new",
        Kept(),
        Side(),
        [Update(item("new"), "r1", {"title": "new"})],
    ),
    (
        "the plan changed a field the remote already has: remembered, not written",
        "new",
        Kept(),
        Side("new"),
        [Link(KEY, "r1", {"title": "new"})],
    ),
    (
        "the user edited a field the plan did not change: the user wins",
        "old",
        Kept(),
        Side("user"),
        [],
    ),
    (
        "both changed the field: the plan's new value wins",
        "new",
        Kept(),
        Side("user"),
        [Update(item("new"), "r1", {"title": "new"})],
    ),
    (
        "the user completed it: recorded, never undone",
        "old",
        Kept(),
        Side(completed=True),
        [Link(KEY, "r1", {"title": "old"}, "completed", DONE)],
    ),
    (
        "the user deleted it: dismissed, not recreated",
        "old",
        Kept(),
        None,
        [Link(KEY, "r1", {"title": "old"}, "dismissed")],
    ),
    (
        "a deleted remote reads as a user deletion too",
        "old",
        Kept(),
        Side(deleted=True),
        [Link(KEY, "r1", {"title": "old"}, "dismissed")],
    ),
    ("completed history is never touched again", "new", Kept(status="completed"), Side(), []),
    (
        "a dismissed item stays dismissed, even after a plan edit",
        "new",
        Kept(status="dismissed"),
        None,
        [],
    ),
    # --- an item that left the plan -----------------------------------------------------
    ("removed from the plan: deleted remotely", None, Kept(), Side(), [Delete(KEY, "r1", "task")]),
    (
        "removed from the plan but completed remotely: kept as history",
        None,
        Kept(),
        Side(completed=True),
        [Link(KEY, "r1", {"title": "old"}, "completed", DONE)],
    ),
    ("removed from the plan and already gone: forgotten", None, Kept(), None, [Forget(KEY)]),
    (
        "removed from the plan, completed before: left alone",
        None,
        Kept(status="completed"),
        Side(),
        [],
    ),
    # --- objects nobody owns ------------------------------------------------------------
    (
        "a marked orphan (its key left the plan during a lost state) is deleted",
        None,
        None,
        Side(),
        [Delete(KEY, "r1", "task")],
    ),
    ("a marked orphan that is completed is history: kept", None, None, Side(completed=True), []),
    ("an object without a marker is never touched", None, None, Side(marked=False), []),
]


@pytest.mark.parametrize(
    ("plan", "state", "side", "expected"),
    [row[1:] for row in RULES],
    ids=[row[0] for row in RULES],
)
def test_conflict_rule(
    plan: str | None, state: Kept | None, side: Side | None, expected: list[Action]
) -> None:
    assert run(plan, state, side) == expected


def test_a_second_marked_copy_of_one_key_is_deleted() -> None:
    snapshot = Snapshot({**remote(Side(), "r1"), **remote(Side(), "r2")})
    records = {KEY: Record(KEY, "r1", {"title": "old"})}
    assert decide([item("old")], records, snapshot) == [Delete(KEY, "r2", "task")]


def test_history_the_keep_rule_names_is_never_deleted() -> None:
    records = {KEY: Record(KEY, "r1", {"title": "old"})}
    snapshot = Snapshot(remote(Side()))
    assert decide([], records, snapshot, keep=lambda r: r.key == KEY) == []


def test_the_children_of_a_container_the_user_deleted_are_left_alone() -> None:
    section = Record("section:cert", "s1", {"name": "Cert"}, "dismissed")
    child = Item(KEY, "task", {"title": "old"}, parent="section:cert")
    grandchild = Item("sub:study:1", "task", {"title": "a"}, parent=KEY)
    assert decide([child, grandchild], {"section:cert": section}, Snapshot({})) == []


def many(n: int, status: Status = "active") -> dict[str, Record]:
    return {f"task:{i}": Record(f"task:{i}", f"r{i}", {"title": "old"}, status) for i in range(n)}


@pytest.mark.parametrize(
    ("actions", "refused"),
    [
        ([Delete(f"task:{i}", f"r{i}", "task") for i in range(5)], False),  # half of 10
        ([Delete(f"task:{i}", f"r{i}", "task") for i in range(6)], True),  # most of 10
        ([Forget(f"task:{i}") for i in range(6)], True),  # most of them vanished
        ([Link(f"task:{i}", f"r{i}", {}, "dismissed") for i in range(6)], True),
        ([Link(f"task:{i}", f"r{i}", {}, "completed", DONE) for i in range(10)], False),
    ],
    ids=["half deleted", "most deleted", "most forgotten", "most dismissed", "all completed"],
)
def test_the_mass_delete_guard(actions: list[Action], refused: bool) -> None:
    if refused:
        with pytest.raises(SafetyError):
            check_safety(actions, many(10), "Todoist", allow_mass_delete=False)
    else:
        check_safety(actions, many(10), "Todoist", allow_mass_delete=False)
    check_safety(actions, many(10), "Todoist", allow_mass_delete=True)  # the flag overrides


def test_the_guard_leaves_small_plans_alone() -> None:
    deletes = [Delete(f"task:{i}", f"r{i}", "task") for i in range(4)]
    check_safety(deletes, many(4), "Todoist", allow_mass_delete=False)
