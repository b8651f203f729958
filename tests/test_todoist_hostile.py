"""Issue 16, the Todoist side: hostile conditions against the real SDK and the sandbox.

Two machines on one plan, lost state, the user's own items inside careersync's project, broken
answers. Each test reproduces one story from the issue.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from connectors.sandbox.transport import HttpxTransport
from connectors.sandbox.wire import Wire
from sync.errors import RemoteError, SafetyError, UserError
from sync.examples import big_plan
from sync.state import StateStore
from tests.world import World

Rewrite = Callable[[httpx.Response], httpx.Response]


class Tampering(HttpxTransport):
    """The sandbox behind a proxy that rewrites chosen answers (by request number, from 1)."""

    def __init__(self, wire: Wire, rewrites: dict[int, Rewrite]) -> None:
        super().__init__(wire)
        self.rewrites = rewrites
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        response = super().handle_request(request)
        rewrite = self.rewrites.get(self.requests)
        return rewrite(response) if rewrite else response


def body(content: bytes, content_type: str = "application/json") -> Rewrite:
    return lambda r: httpx.Response(200, headers={"content-type": content_type}, content=content)


def emptied(response: httpx.Response) -> httpx.Response:
    """A well-formed read with every resource list empty (a proxy glitch)."""
    data = json.loads(response.read())
    for name in ("projects", "sections", "items"):
        data[name] = []
    data["full_sync"] = True
    return httpx.Response(200, json=data)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def set_token(world: World, token: str) -> None:
    store = StateStore(world.home / "state.db")
    try:
        store.set_cursor(world.plan.id, "todoist", "sync_token", token)
    finally:
        store.close()


def token(world: World) -> str | None:
    store = StateStore(world.home / "state.db")
    try:
        return store.cursor(world.plan.id, "todoist", "sync_token")
    finally:
        store.close()


def all_contents(world: World) -> Counter[str]:
    return Counter(t["content"] for t in world.sandbox.todoist.tasks(include_completed=True))


# 8: a sync token the server no longer accepts ---------------------------------------------------


def test_a_refused_sync_token_falls_back_to_one_full_read(world: World) -> None:
    world.sync()
    before = all_contents(world)
    set_token(world, "c3RhbGUtdG9rZW4tZnJvbS1hbm90aGVyLXNlcnZlcg==")
    out = world.sync()
    assert any("sync token" in n and "full read" in n for n in out.notices)
    assert all_contents(world) == before
    assert out.changes == 0
    assert world.sync().notices == []  # the new token is saved: the next run is normal


# 9: an empty but well-formed read leaves nothing poisoned ---------------------------------------


def test_an_empty_read_is_refused_and_the_next_normal_read_recovers(world: World) -> None:
    world.sync()
    saved, records = token(world), world.records()
    with pytest.raises(SafetyError, match="look deleted"):
        world.sync(transport=Tampering(world.sandbox.wire, {1: emptied}))
    assert token(world) == saved
    assert world.records() == records
    out = world.sync()  # no --allow-mass-delete needed
    assert out.changes == 0
    assert {r.status for r in world.records().values()} == {"active"}


# 11: malformed answers are transient ------------------------------------------------------------


@pytest.mark.parametrize(
    "rewrite",
    [
        body(b'{"sync_token": "abc", "items": [{"id": '),
        body(b"<html><body>Sign in to the hotel wifi</body></html>", "text/html"),
        body(b""),
    ],
    ids=["truncated", "captive-portal", "empty-body"],
)
def test_a_malformed_answer_is_retried_then_one_clear_transient_error(
    world: World, rewrite: Rewrite
) -> None:
    world.sync()
    once = world.sync(transport=Tampering(world.sandbox.wire, {1: rewrite}))
    assert once.changes == 0  # retried, then read fine
    always = Tampering(world.sandbox.wire, dict.fromkeys(range(1, 50), rewrite))
    with pytest.raises(RemoteError) as caught:
        world.sync(transport=always)
    assert caught.value.exit_code == 1
    assert "not a valid answer" in str(caught.value)
    assert "\n" not in str(caught.value)


# 10: a dry run during a sync sees a consistent state ---------------------------------------------


class Pausing(HttpxTransport):
    """Holds the Nth write request (after the sandbox applied it) until `release` is set."""

    def __init__(self, wire: Wire, at: int) -> None:
        super().__init__(wire)
        self.at, self.writes = at, 0
        self.paused, self.release = threading.Event(), threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.url.path.endswith("/sync") and b"commands" in request.read():
            self.writes += 1
            if self.writes == self.at:
                self.paused.set()
                assert self.release.wait(60)
        return response


@pytest.mark.parametrize("at", [1, 2])
def test_a_dry_run_during_a_sync_sees_a_consistent_state(tmp_path: Path, at: int) -> None:
    world = World(tmp_path, text=big_plan(120, 12))
    world.sync()
    world.text = world.text.replace("practise step", "practice step")  # 120 updates to make
    pausing = Pausing(world.sandbox.wire, at)
    errors: list[BaseException] = []

    def sync() -> None:
        try:
            world.sync(transport=pausing)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    writer = threading.Thread(target=sync)
    writer.start()
    assert pausing.paused.wait(60)
    try:
        preview = world.sync(dry_run=True, transport=HttpxTransport(world.sandbox.wire))
    finally:
        pausing.release.set()
        writer.join()
    assert not errors
    ops = Counter(type(a).__name__ for a in preview.actions["todoist"])
    assert ops["Delete"] == ops["Create"] == 0
    assert world.sync().changes == 0


# 5: un-completing a task re-opens the action -----------------------------------------------------


def blocks(world: World, action: str) -> int:
    return sum(
        k.startswith(f"block:{action}:") and r.status == "active"
        for k, r in world.records("google").items()
    )


def test_uncompleting_a_task_reopens_the_action_and_its_blocks(tmp_path: Path) -> None:
    world = World(tmp_path, google=True)
    world.sync()
    assert blocks(world, "read-managers-path") > 0
    book = world.task("task:read-managers-path")["id"]
    world.sandbox.todoist.user_complete(book)
    world.sync()
    assert world.records()["task:read-managers-path"].status == "completed"
    assert blocks(world, "read-managers-path") == 0

    world.sandbox.todoist.user_uncomplete(book)
    world.sync()
    record = world.records()["task:read-managers-path"]
    assert (record.status, record.completed_at) == ("active", None)
    assert world.sandbox.todoist.task(book)["checked"] is False
    assert blocks(world, "read-managers-path") > 0
    assert "0/4 actions" in world.task("checkpoint:foundations")["description"]
    assert world.sync().changes == 0


# 6: an archived project is said, and left alone --------------------------------------------------


@pytest.mark.parametrize("lost_state", [False, True], ids=["with-state", "lost-state"])
def test_an_archived_project_stops_the_run_with_a_clear_message(
    world: World, lost_state: bool
) -> None:
    world.sync()
    project = world.project_id()
    world.sandbox.todoist.user_archive_project(project)
    before = world.sandbox.todoist.tasks(include_completed=True)
    if lost_state:
        for name in ("state.db", "state.db-wal", "state.db-shm"):
            (world.home / name).unlink(missing_ok=True)
    world.edit("Take a short course on running one-to-ones", "Take a course on one-to-ones")
    with pytest.raises(UserError, match="is archived") as caught:
        world.sync()
    assert caught.value.exit_code == 2
    assert "unarchive it in Todoist" in str(caught.value)
    assert world.counts()["writes"] == 0
    assert world.sandbox.todoist.tasks(include_completed=True) == before
    assert [p["id"] for p in world.sandbox.todoist.projects() if p["name"] == world.plan.title] == [
        project
    ]


# 7: renaming an action's id keeps its task and completion ---------------------------------------


def test_renaming_an_action_id_keeps_its_task_and_completion(world: World) -> None:
    world.sync()
    talk = world.task("task:talk-to-manager")["id"]
    book = world.task("task:read-managers-path")["id"]
    subtasks = {t["id"] for t in world.tasks() if t["parent_id"] == book}
    world.sandbox.todoist.user_complete(talk)
    world.sync()
    world.edit("id: talk-to-manager", "id: tell-manager")
    world.edit("after: [talk-to-manager]", "after: [tell-manager]")
    world.edit("id: read-managers-path", "id: managers-path")
    world.edit("after: [read-managers-path]", "after: [managers-path]")

    preview = world.sync(dry_run=True)
    renames = [a for a in preview.actions["todoist"] if type(a).__name__ == "Rename"]
    assert {(a.old, a.key) for a in renames} >= {  # type: ignore[attr-defined]
        ("task:talk-to-manager", "task:tell-manager"),
        ("task:read-managers-path", "task:managers-path"),
    }
    assert not [a for a in preview.actions["todoist"] if type(a).__name__ in ("Create", "Delete")]

    world.sync()
    records = world.records()
    assert records["task:tell-manager"].remote_id == talk
    assert records["task:tell-manager"].status == "completed"
    assert "task:talk-to-manager" not in records
    assert records["task:managers-path"].remote_id == book
    assert {records[f"sub:managers-path:{n}"].remote_id for n in (1, 2, 3)} == subtasks
    assert world.sandbox.todoist.task(talk)["checked"] is True
    assert world.sandbox.todoist.task(book)["description"].endswith(
        "[careersync eng-manager task:managers-path]"
    )
    assert world.sync().changes == 0
