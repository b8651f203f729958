"""The zone a plan is synced in, whatever the machine's.

A plan that names its `timezone:` uses it. One that does not is pinned at its first sync to the
default zone of that moment (the `timezone` setting, else the machine's) and the pin is kept in
the state, so a laptop that travels or a server in UTC syncs the plan the same way ever after.
The plan's default `start` (today) is read in that zone too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sync.loader import Loaded
from sync.state import StateStore

PIN = "timezone"
Read = Callable[[date, str], Loaded]  # (today, default zone) -> the loaded plan


@dataclass(frozen=True)
class Zoned:
    loaded: Loaded
    note: str | None = None  # what to tell the user about the plan's zone, if anything


def load_zoned(
    read: Read,
    where: Path,
    state_db: Path,
    default_zone: str,
    today: Callable[[str], date],
    *,
    pin: bool,
) -> Zoned:
    """The plan as `read` loads it, in its own zone, its pinned zone, or (pinned now, when
    `pin`) the default zone."""
    loaded = read(today(default_zone), default_zone)
    if loaded.zone_given:
        return Zoned(loaded)
    plan_id = loaded.plan.id
    pinned = _pinned(state_db, plan_id)
    if pinned is None:
        if not pin:
            return Zoned(loaded)
        with _store(state_db) as store:
            store.set_plan_value(plan_id, PIN, default_zone)
        return Zoned(
            loaded,
            f"{where}: the plan names no `timezone:`; pinned to {default_zone} for every later"
            " sync (add `timezone:` to the plan to choose another)",
        )
    if pinned == default_zone:
        return Zoned(loaded)
    note = (
        f"{where}: the plan names no `timezone:`; using {pinned}, pinned at its first sync"
        f" (this machine's default is {default_zone})"
    )
    return Zoned(read(today(pinned), pinned), note)


def _pinned(state_db: Path, plan_id: str) -> str | None:
    if not state_db.exists():
        return None  # a first sync, or a dry run before it: nothing to read, nothing made
    with _store(state_db) as store:
        return store.plan_value(plan_id, PIN)


class _store:
    def __init__(self, path: Path) -> None:
        self.store = StateStore(path)

    def __enter__(self) -> StateStore:
        return self.store

    def __exit__(self, *exc: object) -> None:
        self.store.close()
