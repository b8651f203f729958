"""The state store: SQLite under CAREERSYNC_HOME, private to the user.

It maps plan keys to remote ids and keeps the plan's field values as last synced (what the
conflict rules compare against), a mirror of each remote for incremental reads, the sync tokens,
completions, and write commands recorded *before* they are sent (so a crash can replay them with
the same idempotency keys). Schema changes go through `MIGRATIONS`, never drop-and-recreate.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sync.errors import CareersyncError
from sync.model import Action, Forget, Link, Record, Rename, Service, Status

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE records (
        plan_id TEXT NOT NULL, service TEXT NOT NULL, key TEXT NOT NULL,
        remote_id TEXT NOT NULL, synced TEXT NOT NULL, status TEXT NOT NULL,
        completed_at TEXT,
        PRIMARY KEY (plan_id, service, key)
    );
    CREATE TABLE cursors (
        plan_id TEXT NOT NULL, service TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
        PRIMARY KEY (plan_id, service, name)
    );
    CREATE TABLE mirror (
        plan_id TEXT NOT NULL, service TEXT NOT NULL, remote_id TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (plan_id, service, remote_id)
    );
    CREATE TABLE pending (
        uuid TEXT PRIMARY KEY, plan_id TEXT NOT NULL, service TEXT NOT NULL,
        seq INTEGER NOT NULL, command TEXT NOT NULL
    );
    CREATE TABLE occurrences (
        plan_id TEXT NOT NULL, item_id TEXT NOT NULL, completed_at TEXT NOT NULL,
        PRIMARY KEY (plan_id, item_id, completed_at)
    );
    """,
)


class StateError(CareersyncError):
    pass


@dataclass(frozen=True)
class Pending:
    uuid: str
    command: dict[str, Any]


class StateStore:
    """One SQLite database; every method is a small transaction unless inside `transaction()`."""

    def __init__(self, path: Path | None) -> None:
        """Open (or create, private to the user) the store at `path`; None: in memory only."""
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not path.exists():
                path.touch(mode=0o600)
            os.chmod(path, 0o600)
        try:
            self.db = sqlite3.connect(
                path or ":memory:", isolation_level=None, check_same_thread=False
            )
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA busy_timeout=5000")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StateError(
                f"{path}: the state database cannot be opened ({exc})",
                "move it aside and sync again; careersync re-links remote items without duplicates",
            ) from exc
        self._depth = 0

    @classmethod
    def read_only(cls, path: Path) -> StateStore:
        """Open an existing store for reading only: nothing is created, migrated or written
        (views such as `agenda` use it). A missing file is a `StateError`."""
        store = cls.__new__(cls)
        store.path, store._depth = path, 0
        try:
            store.db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            store.db.execute("PRAGMA busy_timeout=5000")
            version = store.db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise StateError(
                f"{path}: the state database cannot be read ({exc})",
                "run `careersync sync` for this plan first",
            ) from exc
        if version != len(MIGRATIONS):
            store.close()
            raise StateError(
                f"{path} has schema {version}, this careersync reads {len(MIGRATIONS)}",
                "run `careersync sync` (or upgrade careersync) first",
            )
        return store

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StateError(
                f"{self.path} was written by a newer careersync (schema {version})",
                "upgrade careersync",
            )
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self.db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes; nested uses join the outer transaction."""
        if self._depth == 0:
            self.db.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if self._depth == 0:
                self.db.execute("ROLLBACK")
            raise
        self._depth -= 1
        if self._depth == 0:
            self.db.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Read one consistent state, whatever a concurrent sync commits meanwhile (read-only)."""
        self.db.execute("BEGIN")
        self.db.execute("SELECT COUNT(*) FROM records").fetchone()  # pins the WAL snapshot
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            self.db.execute("ROLLBACK")

    # Records ---------------------------------------------------------------------------
    def records(self, plan_id: str, service: Service) -> dict[str, Record]:
        rows = self.db.execute(
            "SELECT key, remote_id, synced, status, completed_at FROM records"
            " WHERE plan_id = ? AND service = ?",
            (plan_id, service),
        )
        return {
            key: Record(key, rid, json.loads(synced), status, _dt(done))
            for key, rid, synced, status, done in rows
        }

    def put(self, plan_id: str, service: Service, record: Record) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                plan_id,
                service,
                record.key,
                record.remote_id,
                json.dumps(record.synced, sort_keys=True),
                record.status,
                record.completed_at.isoformat() if record.completed_at else None,
            ),
        )

    def set_status(
        self, plan_id: str, service: Service, key: str, status: Status, at: datetime | None
    ) -> None:
        self.db.execute(
            "UPDATE records SET status = ?, completed_at = ? WHERE plan_id = ? AND service = ?"
            " AND key = ?",
            (status, at.isoformat() if at else None, plan_id, service, key),
        )

    def note(self, plan_id: str, service: Service, actions: Iterable[Action]) -> None:
        """Carry out the state-only actions (Link, Forget, Rename) among `actions`, in one transaction."""
        with self.transaction():
            for action in actions:
                if isinstance(action, Link):
                    record = Record(
                        action.key,
                        action.remote_id,
                        action.synced,
                        action.status,
                        action.completed_at,
                    )
                    self.put(plan_id, service, record)
                elif isinstance(action, Forget):
                    self.remove(plan_id, service, action.key)
                elif isinstance(action, Rename):
                    self.rename(plan_id, service, action.old, action.key)

    def rename(self, plan_id: str, service: Service, old: str, new: str) -> None:
        """Move a record (and a recurring action's completions) from key `old` to `new`."""
        where = " WHERE plan_id = ? AND service = ? AND key = ?"
        self.db.execute("UPDATE records SET key = ?" + where, (new, plan_id, service, old))
        old_id, new_id = old.partition(":")[2], new.partition(":")[2]
        if old.startswith("task:"):
            self.db.execute(
                "UPDATE OR IGNORE occurrences SET item_id = ? WHERE plan_id = ? AND item_id = ?",
                (new_id, plan_id, old_id),
            )

    def remove(self, plan_id: str, service: Service, key: str) -> None:
        self.db.execute(
            "DELETE FROM records WHERE plan_id = ? AND service = ? AND key = ?",
            (plan_id, service, key),
        )

    # Cursors (sync tokens, created container ids) ----------------------------------------
    def cursor(self, plan_id: str, service: Service, name: str) -> str | None:
        row = self.db.execute(
            "SELECT value FROM cursors WHERE plan_id = ? AND service = ? AND name = ?",
            (plan_id, service, name),
        ).fetchone()
        return None if row is None else str(row[0])

    def cursors_named(self, service: Service, name: str) -> dict[str, str]:
        """plan id -> value of the cursor `name`, for every plan in the store."""
        rows = self.db.execute(
            "SELECT plan_id, value FROM cursors WHERE service = ? AND name = ?", (service, name)
        )
        return {str(p): str(v) for p, v in rows}

    def set_cursor(self, plan_id: str, service: Service, name: str, value: str | None) -> None:
        if value is None:
            self.db.execute(
                "DELETE FROM cursors WHERE plan_id = ? AND service = ? AND name = ?",
                (plan_id, service, name),
            )
        else:
            self.db.execute(
                "INSERT OR REPLACE INTO cursors VALUES (?, ?, ?, ?)",
                (plan_id, service, name, value),
            )

    # The remote mirror -------------------------------------------------------------------
    def mirror(self, plan_id: str, service: Service) -> dict[str, dict[str, Any]]:
        rows = self.db.execute(
            "SELECT remote_id, data FROM mirror WHERE plan_id = ? AND service = ?",
            (plan_id, service),
        )
        return {rid: json.loads(data) for rid, data in rows}

    def update_mirror(
        self,
        plan_id: str,
        service: Service,
        objects: Mapping[str, Mapping[str, Any]],
        *,
        replace: bool = False,
    ) -> None:
        with self.transaction():
            if replace:
                self.db.execute(
                    "DELETE FROM mirror WHERE plan_id = ? AND service = ?", (plan_id, service)
                )
            self.db.executemany(
                "INSERT OR REPLACE INTO mirror VALUES (?, ?, ?, ?)",
                [(plan_id, service, rid, json.dumps(obj)) for rid, obj in objects.items()],
            )

    # Pending commands --------------------------------------------------------------------
    def add_pending(self, plan_id: str, service: Service, commands: Iterable[Pending]) -> None:
        with self.transaction():
            start = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM pending").fetchone()[0]
            self.db.executemany(
                "INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?, ?)",
                [
                    (p.uuid, plan_id, service, start + n, json.dumps(p.command))
                    for n, p in enumerate(commands, start=1)
                ],
            )

    def pending(self, plan_id: str, service: Service) -> list[Pending]:
        rows = self.db.execute(
            "SELECT uuid, command FROM pending WHERE plan_id = ? AND service = ? ORDER BY seq",
            (plan_id, service),
        )
        return [Pending(uuid, json.loads(cmd)) for uuid, cmd in rows]

    def clear_pending(self, uuids: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM pending WHERE uuid = ?", [(u,) for u in uuids])

    # Completions of recurring actions -----------------------------------------------------
    def add_occurrence(self, plan_id: str, item_id: str, at: datetime) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO occurrences VALUES (?, ?, ?)", (plan_id, item_id, at.isoformat())
        )

    def occurrences(self, plan_id: str) -> dict[str, list[datetime]]:
        result: dict[str, list[datetime]] = {}
        rows = self.db.execute(
            "SELECT item_id, completed_at FROM occurrences WHERE plan_id = ? ORDER BY completed_at",
            (plan_id,),
        )
        for item_id, at in rows:
            result.setdefault(item_id, []).append(datetime.fromisoformat(at))
        return result

    def check(self, plan_id: str) -> list[str]:
        """Consistency problems (for tests and `status`): duplicate remote ids, bad statuses."""
        problems = []
        dup = self.db.execute(
            "SELECT service, remote_id, COUNT(*) FROM records WHERE plan_id = ?"
            " GROUP BY service, remote_id HAVING COUNT(*) > 1",
            (plan_id,),
        ).fetchall()
        problems += [f"{s}: remote id {rid} linked to {n} keys" for s, rid, n in dup]
        bad = self.db.execute(
            "SELECT key, status FROM records WHERE plan_id = ? AND status NOT IN"
            " ('active', 'completed', 'dismissed')",
            (plan_id,),
        ).fetchall()
        problems += [f"{key}: unknown status {status}" for key, status in bad]
        return problems


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
