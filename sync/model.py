"""The vocabulary of a sync, shared by the pure core and the connectors.

Every remote object careersync owns has a stable *key* derived from the plan (`project`,
`section:cert`, `task:book-exam`, `sub:study:2`, `block:study:3` ...). The plan side is a set of
desired `Item`s; the remote side is a snapshot of `Remote`s; the state store remembers, per key, the
remote id and the plan's field values at the last sync (`Record`). `decide` compares the three and
returns `Action`s; connectors carry them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Service = Literal["todoist", "google"]
Status = Literal["active", "completed", "dismissed"]
# dismissed: the user deleted it remotely; careersync leaves it deleted.


@dataclass(frozen=True)
class Item:
    """What the plan wants to exist remotely."""

    key: str
    kind: str  # todoist: project | section | task ; google: calendar | event
    fields: Mapping[str, Any]  # plan-owned values, compared field by field (JSON-able)
    parent: str | None = None  # key of the container: project, section, parent task, calendar
    initial: Mapping[str, Any] = field(default_factory=dict)  # sent on create only (block times)


@dataclass(frozen=True)
class Remote:
    """A remote object as the last gather saw it, normalised to the item's field names."""

    remote_id: str
    kind: str
    key: str | None  # recognised from careersync's marker, or None (then it is not ours)
    fields: Mapping[str, Any]
    completed_at: datetime | None = None
    deleted: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_open(self) -> bool:
        return self.completed_at is None and not self.deleted


@dataclass(frozen=True)
class Record:
    """What the state store remembers of one key."""

    key: str
    remote_id: str
    synced: Mapping[str, Any]  # the plan's values at the last successful write
    status: Status = "active"
    completed_at: datetime | None = None


@dataclass(frozen=True)
class Snapshot:
    """One service's remote side: every object careersync can see in its own containers."""

    remotes: Mapping[str, Remote]  # remote id -> remote

    def by_key(self) -> dict[str, Remote]:
        """One remote per key, preferring an open one, then a completed one, then a deleted one."""
        rank = sorted(
            (r for r in self.remotes.values() if r.key is not None),
            key=lambda r: (not r.deleted, r.completed_at is None),
        )
        return {r.key: r for r in rank if r.key is not None}


@dataclass(frozen=True)
class Create:
    item: Item

    @property
    def key(self) -> str:
        return self.item.key


@dataclass(frozen=True)
class Update:
    item: Item
    remote_id: str
    changes: Mapping[str, Any]  # only the fields to write

    @property
    def key(self) -> str:
        return self.item.key


@dataclass(frozen=True)
class Delete:
    key: str
    remote_id: str
    kind: str


@dataclass(frozen=True)
class Link:
    """State-only: remember a remote id and/or new synced values, status or completion."""

    key: str
    remote_id: str
    synced: Mapping[str, Any]
    status: Status = "active"
    completed_at: datetime | None = None


@dataclass(frozen=True)
class Forget:
    """State-only: drop a key whose remote object is gone for good."""

    key: str


@dataclass(frozen=True)
class Rename:
    """State-only: the item `old` is now `key` (an action's id changed; its task is kept)."""

    key: str
    old: str


Action = Create | Update | Delete | Link | Forget | Rename


@dataclass
class Applied:
    """What a connector's `apply` did: writes that landed, and per-item failures."""

    writes: int = 0
    errors: list[str] = field(default_factory=list)


WRITES = (Create, Update, Delete)


def is_write(action: Action) -> bool:
    return isinstance(action, WRITES)
