"""The state store: SQLite under CAREERSYNC_HOME, private to the user.

It maps plan keys to remote ids and keeps the plan's field values as last synced (what the
conflict rules compare against), a mirror of each remote for incremental reads, the sync tokens,
completions, and write commands recorded *before* they are sent (so a crash can replay them with
the same idempotency keys). Schema changes go through `MIGRATIONS`, never drop-and-recreate.
"""

from __future__ import annotations

import errno
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sync.errors import CareersyncError
from sync.model import Action, Forget, Link, Record, Rename, Service, Status
from sync.private import private_dir, private_file

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


RESET_FIX = (
    "run `careersync state check` to see what is wrong, then `careersync state reset`: the next"
    " sync re-links everything careersync made by its markers, without duplicates"
)


class StateError(CareersyncError):
    """The state database cannot be used; what to do is in the fix. Exit 2 unless transient."""

    def __init__(self, message: str, fix: str | None = None, exit_code: int = 2) -> None:
        super().__init__(message, fix)
        self.exit_code = exit_code


def state_error(exc: sqlite3.Error | OSError, path: Path | None) -> StateError:
    """A failure of the state database (or its folder) as one line with its fix."""
    text = str(exc)
    where = path or "the state database"
    folder = path.parent if path else "CAREERSYNC_HOME"
    if (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "full" in text:
        return StateError(
            f"{where}: the disk is full",
            "free some space and run the same command again; nothing is lost: what was written"
            " remotely is re-linked by its markers on the next sync",
            exit_code=1,
        )
    if isinstance(exc, PermissionError) or "readonly" in text or "unable to open" in text:
        return StateError(
            f"{where}: cannot write to {folder} ({text})",
            f"make {folder} writable by you, or set CAREERSYNC_HOME to a folder that is",
        )
    if "locked" in text or "busy" in text:
        return StateError(
            f"{where}: the state database is busy ({text})",
            "another careersync is using it; run the same command again",
            exit_code=1,
        )
    return StateError(f"{where}: the state database is damaged ({text})", RESET_FIX)


class _Guarded:
    """The SQLite connection, its failures raised as `StateError`s."""

    def __init__(self, db: sqlite3.Connection, path: Path | None) -> None:
        self._db, self._path = db, path

    def execute(self, sql: str, args: Any = ()) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, args)
        except sqlite3.Error as exc:
            raise state_error(exc, self._path) from exc

    def executemany(self, sql: str, rows: Iterable[Any]) -> sqlite3.Cursor:
        try:
            return self._db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise state_error(exc, self._path) from exc

    def executescript(self, script: str) -> sqlite3.Cursor:
        try:
            return self._db.executescript(script)
        except sqlite3.Error as exc:
            raise state_error(exc, self._path) from exc

    def close(self) -> None:
        self._db.close()


@dataclass(frozen=True)
class Pending:
    uuid: str
    command: dict[str, Any]


_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"


class StateStore:
    """One SQLite database; every method is a small transaction unless inside `transaction()`."""

    def __init__(self, path: Path | None) -> None:
        """Open (or create, private to the user) the store at `path`; None: in memory only."""
        self.path = path
        self._depth = 0
        try:
            if path is not None:
                private_dir(path.parent)
                if not path.exists():
                    path.touch(mode=0o600)
                for journal in ("", "-wal", "-shm"):
                    private_file(path.with_name(path.name + journal))
            raw = sqlite3.connect(path or ":memory:", isolation_level=None, check_same_thread=False)
        except (sqlite3.Error, OSError) as exc:
            raise state_error(exc, path) from exc
        self.db = _Guarded(raw, path)
        try:
            self.db.execute("PRAGMA busy_timeout=5000")
            self.db.execute("PRAGMA journal_mode=WAL")
            self._migrate()
        except StateError:
            raw.close()
            raise

    @classmethod
    def read_only(cls, path: Path) -> StateStore:
        """Open an existing store for reading only: nothing is created, migrated or written
        (views such as `agenda` use it). A missing file is a `StateError`."""
        store = cls.__new__(cls)
        store.path, store._depth = path, 0
        try:
            store.db = _Guarded(
                sqlite3.connect(
                    f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
                ),
                path,
            )
            store.db.execute("PRAGMA busy_timeout=5000")
            version = store.db.execute("PRAGMA user_version").fetchone()[0]
        except StateError as exc:
            raise StateError(
                f"{path}: the state database cannot be read ({exc.message})",
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
        tables = [row[0] for row in self.db.execute(_TABLES)]
        if version == 0 and tables:  # not made by careersync: never write into it
            raise StateError(
                f"{self.path} is not careersync's state database (it holds {', '.join(tables)})",
                "set CAREERSYNC_HOME to a folder of careersync's own, or move that file away",
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

    def remove(
        self, plan_id: str, service: Service, key: str, remote_id: str | None = None
    ) -> None:
        """Drop a key's record; with `remote_id`, only if it still names that remote object."""
        self.db.execute(
            "DELETE FROM records WHERE plan_id = ? AND service = ? AND key = ?"
            " AND (? IS NULL OR remote_id = ?)",
            (plan_id, service, key, remote_id, remote_id),
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

    # Facts about the plan itself (the zone a plan without `timezone:` was pinned to) -------
    def plan_value(self, plan_id: str, name: str) -> str | None:
        row = self.db.execute(
            "SELECT value FROM cursors WHERE plan_id = ? AND service = 'plan' AND name = ?",
            (plan_id, name),
        ).fetchone()
        return None if row is None else str(row[0])

    def set_plan_value(self, plan_id: str, name: str, value: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO cursors VALUES (?, 'plan', ?, ?)", (plan_id, name, value)
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
