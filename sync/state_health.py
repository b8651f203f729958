"""Checking and resetting the state database: `careersync state check` and `state reset`.

The check reads the file without writing anything (SQLite's own integrity check, the schema
against what the migrations make, careersync's consistency rules) and says what is wrong, in
one line each. A reset deletes the database: nothing local is kept, and nothing is lost,
because every remote item careersync made carries its marker and the next sync re-links it.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sync.state import _TABLES, MIGRATIONS, RESET_FIX, StateError, StateStore

FILES = ("", "-wal", "-shm")  # the database and its journal


def expected_schema() -> dict[str, set[str]]:
    """Each table careersync's migrations make, with its columns."""
    db = sqlite3.connect(":memory:")
    try:
        for script in MIGRATIONS:
            db.executescript(script)
        return _schema(db)
    finally:
        db.close()


def _schema(db: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [row[0] for row in db.execute(_TABLES)]
    return {t: {row[1] for row in db.execute(f"PRAGMA table_info('{t}')")} for t in tables}


def diagnose(path: Path) -> list[str]:
    """What is wrong with the state database at `path` (nothing when it does not exist yet)."""
    if not path.exists():
        return []
    problems = []
    if not os.access(path.parent, os.W_OK) or not os.access(path, os.W_OK):
        problems.append(f"{path.parent} is not writable by you: syncs cannot record anything")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return [*problems, f"{path} cannot be opened ({exc})"]
    try:
        problems += _problems(db, path)
    except sqlite3.Error as exc:
        problems.append(f"{path} is damaged ({exc})")
    finally:
        db.close()
    if problems:
        return problems
    store = StateStore.read_only(path)
    try:
        plans = [row[0] for row in store.db.execute("SELECT DISTINCT plan_id FROM records")]
        return [f"plan {p}: {problem}" for p in plans for problem in store.check(p)]
    finally:
        store.close()


def _problems(db: sqlite3.Connection, path: Path) -> list[str]:
    integrity = [row[0] for row in db.execute("PRAGMA quick_check")]
    if integrity != ["ok"]:
        return [f"{path} is damaged: {integrity[0]}"]
    version = db.execute("PRAGMA user_version").fetchone()[0]
    found = _schema(db)
    if version == 0 and found:
        return [f"{path} is not careersync's state database (it holds {', '.join(found)})"]
    if version > len(MIGRATIONS):
        return [f"{path} was written by a newer careersync (schema {version})"]
    problems = []
    for table, columns in expected_schema().items():
        if table not in found:
            problems.append(f"{path}: table {table} is missing")
        elif missing := sorted(columns - found[table]):
            problems.append(f"{path}: table {table} lacks column {', '.join(missing)}")
    return problems


def reset(path: Path) -> list[Path]:
    """Delete the state database and its journal; returns what was deleted."""
    gone = []
    for suffix in FILES:
        file = path.with_name(path.name + suffix)
        try:
            file.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StateError(
                f"{file}: cannot delete it ({exc.strerror})",
                f"make {path.parent} writable by you, then run this again",
            ) from exc
        gone.append(file)
    return gone


__all__ = ["RESET_FIX", "diagnose", "expected_schema", "reset"]
