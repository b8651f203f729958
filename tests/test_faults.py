"""Fault injection: lost answers, killed runs and request storms never duplicate or lose anything.

For every write position N of a clean first sync, the Nth write is applied by the sandbox and
its answer dropped; the run either retries (same command uuids) or dies; a re-run converges to
the clean sync's end state, the state DB stays consistent, and nothing is duplicated.
Set CAREERSYNC_SLOW=1 for the full sweep over a 250-action plan.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from connectors.retry import RetryPolicy
from connectors.sandbox import Faults
from connectors.todoist_map import read_mark
from sync.errors import CareersyncError
from sync.examples import big_plan
from sync.state import StateStore
from tests.world import World

SLOW = os.environ.get("CAREERSYNC_SLOW") == "1"
SIZE = 250 if SLOW else 120


def fingerprint(world: World) -> Counter[tuple[Any, ...]]:
    """Todoist's and the calendar's content as careersync sees it, independent of remote ids."""
    google = world.sandbox.google
    rows: Counter[tuple[Any, ...]] = Counter(("calendar", c["summary"]) for c in google.calendars())
    for calendar in google.calendars():
        rows.update(
            ("event", e["id"], e["summary"], e["start"].get("dateTime") or e["start"].get("date"))
            for e in google.events(calendar["id"])
        )
    todoist = world.sandbox.todoist
    projects = [p for p in todoist.projects() if "careersync" in (p.get("description") or "")]
    rows.update(("project", p["name"]) for p in projects)
    for project in projects:
        names = {s["id"]: s["name"] for s in todoist.sections(project["id"])}
        rows.update(("section", name) for name in names.values())
        tasks = todoist.tasks(project["id"], include_completed=True)
        marks = {t["id"]: read_mark(t["description"]) for t in tasks}
        rows.update(
            (
                "task",
                marks[t["id"]],
                t["content"],
                t["checked"],
                names.get(t["section_id"]),
                marks.get(t["parent_id"]),
            )
            for t in tasks
        )
    return rows


def consistent(world: World) -> None:
    store = StateStore(world.home / "state.db")
    try:
        assert store.check(world.plan.id) == []
        assert store.pending(world.plan.id, "todoist") == []
        events = [
            e["id"]
            for c in world.sandbox.google.calendars()
            for e in world.sandbox.google.events(c["id"])
        ]
        assert len(events) == len(set(events))
    finally:
        store.close()


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Counter[tuple[Any, ...]], int]:
    world = World(tmp_path_factory.mktemp("clean"), text=big_plan(SIZE, 20), google=True)
    world.sync()
    return fingerprint(world), world.sandbox.wire.counts()["writes"]


def test_clean_sync_batches_writes(clean: tuple[Counter[tuple[Any, ...]], int]) -> None:
    rows, writes = clean
    tasks = sum(n for r, n in rows.items() if r[0] in ("task", "section", "project"))
    events = sum(n for r, n in rows.items() if r[0] == "event")
    assert sum(1 for r in rows if r[0] == "task") >= SIZE
    assert events >= SIZE  # a block per action, an event per milestone
    # 100 commands a Todoist request; the calendar, then 50 events a batch
    assert writes == -(-tasks // 100) + 1 + -(-events // 50)


@pytest.mark.parametrize("mode", ["retry", "killed"])
def test_every_lost_answer_converges(
    tmp_path: Path, clean: tuple[Counter[tuple[Any, ...]], int], mode: str
) -> None:
    rows, writes = clean
    for n in range(1, writes + 1):
        world = World(tmp_path / f"{mode}-{n}", text=big_plan(SIZE, 20), google=True)
        faults = Faults(drop_after_write={n})
        if mode == "retry":
            world.sync(faults=faults)
        else:
            with pytest.raises(CareersyncError):
                world.sync(faults=faults, policy=RetryPolicy(attempts=1, sleep=lambda s: None))
            world.sync()
        assert fingerprint(world) == rows, f"write {n}"
        assert world.sync().changes == 0
        consistent(world)


def test_a_storm_of_failures_converges(
    tmp_path: Path, clean: tuple[Counter[tuple[Any, ...]], int]
) -> None:
    rows, _ = clean
    for seed in range(4 if SLOW else 2):
        world = World(tmp_path / f"storm-{seed}", text=big_plan(SIZE, 20), google=True)
        storm = Faults(fraction=0.2, seed=seed, retry_after=1)
        for _ in range(5):  # within the retry budget, or after a re-run
            try:
                world.sync(faults=storm)
                break
            except CareersyncError:
                continue
        world.sync()
        assert fingerprint(world) == rows
        consistent(world)
        assert world.sync().changes == 0


def test_rate_limit_is_honoured_then_succeeds(tmp_path: Path) -> None:
    world = World(tmp_path)
    waits: list[float] = []
    policy = RetryPolicy(sleep=waits.append)
    world.sync(faults=Faults(fail_at={1: 429}, retry_after=7), policy=policy)
    assert waits
    assert waits[0] >= 7
    assert world.sync().changes == 0
