"""A hypothesis state machine: plan edits, user edits in Todoist and syncs, interleaved.

After every sync it checks that Todoist matches the plan under the conflict rules (the plan's
words win where the plan changed; the user's renames, completions and deletions survive
otherwise; nothing is duplicated; the user's own tasks are untouched) and that a second sync
decides nothing.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from connectors.todoist_map import read_mark
from sync.model import is_write
from tests.world import World

WORDS = st.text("abcdefghijklmnopqrstuvwxyz ", min_size=3, max_size=20).map(str.strip).filter(bool)


class TodoistSync(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = World(Path(tempfile.mkdtemp()))
        self.actions: dict[str, dict[str, Any]] = {
            f"a{n}": {"id": f"a{n}", "title": f"Action {n}", "effort": "1h"} for n in range(4)
        }
        self.next_id = 4
        self.title_owner: dict[str, str] = {}  # action id -> the content the user last gave it
        self.renamed: set[str] = set()  # actions the plan renamed since the last sync
        self.completed: set[str] = set()
        self.deleted: set[str] = set()
        self.own_tasks: set[str] = set()
        self.synced = False
        self._write_plan()

    def _write_plan(self) -> None:
        doc = {
            "format": 1,
            "plan": {
                "id": "prop",
                "title": "Property plan",
                "timezone": "UTC",
                "start": "2026-12-01",
                "horizon": "6 months",
            },
            "milestones": [
                {
                    "id": "m1",
                    "title": "Milestone one",
                    "due": "2027-03-31",
                    "actions": list(self.actions.values()),
                },
            ],
        }
        self.world.text = yaml.safe_dump(doc, sort_keys=False)

    def _remote(self, action_id: str) -> dict[str, Any] | None:
        for task in self.world.sandbox.todoist.tasks(include_completed=True):
            if read_mark(task["description"]) == ("prop", f"task:{action_id}"):
                return task
        return None

    # Plan edits ----------------------------------------------------------------------------
    @rule(data=st.data(), title=WORDS)
    def rename_in_plan(self, data: st.DataObject, title: str) -> None:
        action = data.draw(st.sampled_from(sorted(self.actions)))
        self.actions[action]["title"] = title
        self.renamed.add(action)  # at the next sync, the plan's new value wins
        self._write_plan()

    @rule(title=WORDS)
    def add_to_plan(self, title: str) -> None:
        action = f"a{self.next_id}"
        self.next_id += 1
        self.actions[action] = {"id": action, "title": title, "effort": "30m"}
        self._write_plan()

    @precondition(lambda self: len(self.actions) > 1)
    @rule(data=st.data())
    def remove_from_plan(self, data: st.DataObject) -> None:
        action = data.draw(st.sampled_from(sorted(self.actions)))
        del self.actions[action]
        self.title_owner.pop(action, None)
        self._write_plan()

    # User edits in Todoist -------------------------------------------------------------------
    def _open(self) -> list[str]:
        return [
            a
            for a in sorted(self.actions)
            if a not in self.completed | self.deleted and self._remote(a)
        ]

    @precondition(lambda self: self.synced)
    @rule(data=st.data(), title=WORDS)
    def user_renames(self, data: st.DataObject, title: str) -> None:
        if open_ := self._open():
            action = data.draw(st.sampled_from(open_))
            task = self._remote(action)
            assert task is not None
            self.world.sandbox.todoist.user_update(task["id"], content=title)
            self.title_owner[action] = title

    @precondition(lambda self: self.synced)
    @rule(data=st.data())
    def user_completes(self, data: st.DataObject) -> None:
        if open_ := self._open():
            action = data.draw(st.sampled_from(open_))
            task = self._remote(action)
            assert task is not None
            self.world.sandbox.todoist.user_complete(task["id"])
            self.completed.add(action)

    @precondition(lambda self: self.synced)
    @rule(data=st.data())
    def user_deletes(self, data: st.DataObject) -> None:
        if open_ := self._open():
            action = data.draw(st.sampled_from(open_))
            task = self._remote(action)
            assert task is not None
            self.world.sandbox.todoist.user_delete(task["id"])
            self.deleted.add(action)

    @precondition(lambda self: self.synced)
    @rule(title=WORDS)
    def user_adds_own_task(self, title: str) -> None:
        self.own_tasks.add(self.world.sandbox.todoist.user_add_task(self.world.project_id(), title))

    # Syncs -----------------------------------------------------------------------------------
    @rule()
    def sync(self) -> None:
        for action in self.renamed:
            self.title_owner.pop(action, None)
        self.renamed.clear()
        self.world.sync(allow_mass_delete=True)
        self.synced = True
        again = self.world.sync(allow_mass_delete=True)
        assert not [a for a in again.actions["todoist"] if is_write(a)], again.actions
        assert self.world.counts()["writes"] == 0
        self._check()

    def _check(self) -> None:
        tasks = self.world.sandbox.todoist.tasks(include_completed=True)
        keys = Counter(
            m[1] for t in tasks if (m := read_mark(t["description"])) and not t["checked"]
        )
        assert all(n == 1 for n in keys.values()), keys  # never a duplicate
        for action, spec in self.actions.items():
            task = self._remote(action)
            if action in self.deleted:
                assert task is None or task.get("is_deleted")
                continue
            assert task is not None, action
            if action in self.completed:
                assert task["checked"]
                continue
            assert task["content"] == self.title_owner.get(action, spec["title"])
        for action in set(keys) - {f"task:{a}" for a in self.actions} - {"checkpoint:m1"}:
            raise AssertionError(f"{action} is still open after leaving the plan")
        ids = {t["id"] for t in tasks}
        assert self.own_tasks <= ids

    @invariant()
    def state_is_consistent(self) -> None:
        if self.synced:
            assert self.world.records()  # the state store opens and has records


TodoistSync.TestCase.settings = settings(
    max_examples=12,
    stateful_step_count=14,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_todoist_sync_state_machine = TodoistSync.TestCase
