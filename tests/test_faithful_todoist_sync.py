"""careersync against the faithful Todoist emulator: recurring completions and rejected tokens."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sync.errors import AuthError
from sync.state import StateStore
from tests.world import World


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def occurrences(world: World, action_id: str) -> list[datetime]:
    store = StateStore(world.home / "state.db")
    try:
        return store.occurrences(world.plan.id).get(action_id, [])
    finally:
        store.close()


def test_recurring_occurrences_are_counted_though_completed_lists_omit_them(world: World) -> None:
    """Completed-task endpoints list no recurring completions: the due moving on is the evidence."""
    world.sync()
    weekly = world.task("task:weekly-update")["id"]
    world.sandbox.todoist.user_complete(weekly)
    world.later(hours=1)
    world.sync()
    assert len(occurrences(world, "weekly-update")) == 1
    world.later(days=1)
    world.sync()  # nothing new
    assert len(occurrences(world, "weekly-update")) == 1


def test_two_completions_between_syncs_are_two_occurrences(world: World) -> None:
    world.sync()
    weekly = world.task("task:weekly-update")["id"]
    world.sandbox.todoist.user_complete(weekly)
    world.later(minutes=5)
    world.sandbox.todoist.user_complete(weekly)
    world.later(hours=1)
    world.sync()
    found = occurrences(world, "weekly-update")
    assert len(found) == 2
    assert len(set(found)) == 2
    world.sync()
    assert len(occurrences(world, "weekly-update")) == 2  # a re-read adds none


def test_a_full_re_read_keeps_counting_occurrences(world: World) -> None:
    """After a full read (the completed lists give nothing for recurring tasks) the count holds."""
    world.sync()
    weekly = world.task("task:weekly-update")["id"]
    world.sandbox.todoist.user_complete(weekly)
    world.later(hours=1)
    world.sync()
    store = StateStore(world.home / "state.db")
    store.set_cursor(world.plan.id, "todoist", "sync_token", None)  # next read is a full one
    store.close()
    world.sandbox.todoist.user_complete(weekly)
    world.later(hours=1)
    world.sync()
    assert len(occurrences(world, "weekly-update")) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_token_is_one_line_with_the_fix(world: World, status: int) -> None:
    world.sync()
    world.sandbox.todoist.token = "a-new-token-the-user-made"  # the stored one is now invalid
    world.sandbox.todoist.invalid_token_status = status
    with pytest.raises(AuthError) as caught:
        world.sync()
    error = caught.value
    assert error.exit_code == 2
    assert "the API token was rejected" in error.message
    assert error.fix is not None
    assert "careersync auth todoist" in error.fix
