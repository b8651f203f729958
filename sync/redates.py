"""Re-dated tasks: a user who moves an action's Todoist task to a later day says "not now".

Pure. That day becomes a "not before" for the action's tentative focus blocks; the next sync
moves them, and the task's due then follows its next block again. The days are remembered (a
cursor of the state store) because once careersync writes the new due, the remote and the
synced value agree again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

from sync.model import Record, Snapshot

TASK = "task:"


def redated(records: Mapping[str, Record], snapshot: Snapshot) -> dict[str, date]:
    """action id -> the later day the user moved its (non-recurring) task to."""
    out: dict[str, date] = {}
    for key, record in records.items():
        if not key.startswith(TASK) or record.status != "active":
            continue
        remote = snapshot.remotes.get(record.remote_id)
        if remote is None or remote.deleted or remote.completed_at is not None:
            continue
        synced, now = _day(record.synced.get("due")), _day(remote.fields.get("due"))
        if synced is not None and now is not None and now > synced:
            out[key[len(TASK) :]] = now
    return out


def merged(stored: str | None, found: Mapping[str, date], today: date) -> dict[str, date]:
    """The remembered days plus the new ones; days that have come are dropped."""
    days = {k: date.fromisoformat(v) for k, v in json.loads(stored or "{}").items()}
    days.update(found)
    return {k: v for k, v in sorted(days.items()) if v > today}


def encode(days: Mapping[str, date]) -> str | None:
    return json.dumps({k: v.isoformat() for k, v in days.items()}) if days else None


def _day(value: object) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None  # absent, or a recurring due string
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
