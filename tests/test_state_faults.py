"""State faults (issue 16): each is one clear line with its fix, and a way forward.

A corrupt `state.db`, another program's SQLite file, a missing column, a read-only home, a full
disk mid-sync. `careersync state check` says what is wrong; `careersync state reset` deletes the
state, and the next sync re-links everything by its markers without duplicates.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import sync.session
from sync.errors import CareersyncError
from sync.state import StateError, StateStore, state_error
from tests.test_machine import careersync, served
from tests.world import VISION, World

__all__ = ["served"]  # the fixture, used here


def _one_line(result: Any, code: int, *words: str) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines
    assert "internal error" not in lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def _sync_then(
    tmp_path: Path, served: dict[str, str], damage: Any
) -> tuple[Path, dict[str, str], Path]:
    plan = tmp_path / "plan.yaml"
    plan.write_text(VISION)
    first = careersync("sync", str(plan), env=served)
    assert first.returncode == 0, first.stderr
    db = Path(served["CAREERSYNC_HOME"]) / "state.db"
    damage(db)
    return plan, served, db


def _resets_and_converges(plan: Path, env: dict[str, str]) -> None:
    check = careersync("state", "check", env=env)
    assert check.returncode == 2
    assert "problem:" in check.stderr
    assert "careersync state reset" in check.stderr
    reset = careersync("state", "reset", "--yes", env=env)
    assert reset.returncode == 0, reset.stderr
    assert "re-links" in reset.stdout
    again = careersync("sync", str(plan), "--json", env=env)
    assert again.returncode == 0, again.stderr
    assert '"op": "create"' not in again.stdout  # re-linked by markers: no duplicates
    assert careersync("state", "check", env=env).returncode == 0


def test_a_corrupt_state_db(tmp_path: Path, served: dict[str, str]) -> None:
    def corrupt(db: Path) -> None:
        for journal in ("-wal", "-shm"):
            db.with_name(db.name + journal).unlink(missing_ok=True)
        db.write_bytes(b"SQLite format 3\x00" + b"\xde\xad" * 4000)

    plan, env, _ = _sync_then(tmp_path, served, corrupt)
    _one_line(careersync("sync", str(plan), env=env), 2, "damaged", "careersync state check")
    _resets_and_converges(plan, env)


def test_another_programs_sqlite_file(tmp_path: Path, served: dict[str, str]) -> None:
    def foreign(db: Path) -> None:
        for journal in ("", "-wal", "-shm"):
            db.with_name(db.name + journal).unlink(missing_ok=True)
        other = sqlite3.connect(db)
        other.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
        other.commit()
        other.close()

    plan, env, db = _sync_then(tmp_path, served, foreign)
    _one_line(careersync("sync", str(plan), env=env), 2, "not careersync's state database")
    other = sqlite3.connect(db)
    tables = {row[0] for row in other.execute("SELECT name FROM sqlite_master")}
    other.close()
    assert tables == {"moz_places"}  # nothing written into it
    _resets_and_converges(plan, env)


def test_a_missing_column(tmp_path: Path, served: dict[str, str]) -> None:
    def drop_column(db: Path) -> None:
        conn = sqlite3.connect(db)
        conn.execute("ALTER TABLE records DROP COLUMN completed_at")
        conn.commit()
        conn.close()

    plan, env, _ = _sync_then(tmp_path, served, drop_column)
    _one_line(careersync("sync", str(plan), env=env), 2, "completed_at", "state reset")
    check = careersync("state", "check", env=env)
    assert "table records lacks column completed_at" in check.stderr
    _resets_and_converges(plan, env)


def test_a_home_that_cannot_be_written(tmp_path: Path, served: dict[str, str]) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(VISION)
    blocked = tmp_path / "a-file"
    blocked.write_text("")  # the home path is taken by a file: nothing can be made in it
    env = served | {"CAREERSYNC_HOME": str(blocked)}
    _one_line(careersync("sync", str(plan), env=env), 2, f"home {blocked} is not a directory")


def test_a_read_only_database_is_one_clear_line(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    StateStore(db).close()
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)  # as a read-only mount answers
    with pytest.raises(sqlite3.OperationalError) as caught:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    error = state_error(caught.value, db)
    assert error.exit_code == 2
    assert f"cannot write to {tmp_path}" in error.message
    assert error.fix is not None
    assert "CAREERSYNC_HOME" in error.fix


# -- a full disk mid-sync --------------------------------------------------------------------


class _FullDisk:
    """A SQLite connection whose writes fail once `room` of them have landed."""

    WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE")

    def __init__(self, db: sqlite3.Connection, room: int) -> None:
        self.db, self.room = db, room

    def _write(self, sql: str) -> None:
        if sql.lstrip().upper().startswith(self.WRITES):
            self.room -= 1
            if self.room < 0:
                raise sqlite3.OperationalError("database or disk is full")

    def execute(self, sql: str, args: Any = ()) -> sqlite3.Cursor:
        self._write(sql)
        return self.db.execute(sql, args)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        self._write(sql)
        return self.db.executemany(sql, rows)

    def executescript(self, script: str) -> sqlite3.Cursor:
        return self.db.executescript(script)

    def close(self) -> None:
        self.db.close()


@pytest.mark.parametrize("room", [3, 12, 40])
def test_a_full_disk_mid_sync_converges_on_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, room: int
) -> None:
    world = World(tmp_path, google=True)

    class FullStore(StateStore):
        def __init__(self, path: Path | None) -> None:
            super().__init__(path)
            self.db._db = _FullDisk(self.db._db, room)  # type: ignore[attr-defined]

    with monkeypatch.context() as patched:
        patched.setattr(sync.session, "StateStore", FullStore)
        with pytest.raises(CareersyncError) as caught:
            world.sync()
    assert isinstance(caught.value, StateError)
    assert "disk is full" in caught.value.message
    assert caught.value.exit_code == 1

    world.sync()  # space freed: the next run finishes the job
    assert world.sync().changes == 0
    contents = Counter(t["content"] for t in world.tasks(include_completed=True))
    assert max(contents.values()) == 1
    records = world.records("google")
    calendar = records["calendar"].remote_id
    events = world.sandbox.google.events(calendar)
    keys = Counter(e["extendedProperties"]["private"]["careersync_key"] for e in events)
    assert max(keys.values()) == 1
    assert (
        len(
            [
                c
                for c in world.sandbox.google.calendars()
                if "careersync" in c.get("description", "")
            ]
        )
        == 1
    )
    assert {r.remote_id for r in records.values() if r.key != "calendar"} <= {
        e["id"] for e in events
    }
