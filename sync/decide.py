"""Decide: a pure function from (desired items, state, remote snapshot) to actions.

The conflict rules, field by field and three-way:
- the plan owns structure and words: a field is written only when the plan's value changed since
  the last sync (and the remote does not already have it);
- the remote owns what the user did there: a completion is recorded and never undone (a task
  the user un-completes is open again), a user deletion is respected (the item is "dismissed", not recreated), a user edit to a field the
  plan did not change survives;
- an item removed from the plan is deleted remotely unless it is completed or `keep` says it is
  history (a past focus block);
- a remote object that carries careersync's marker but is unknown to the state is re-linked (the
  state was lost, or a create landed but its answer did not), so nothing is ever created twice;
  surplus copies of one key are deleted;
- an action whose id changed (same title, same milestone) is a rename: its task is re-keyed,
  with its completion and history, never deleted and created again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sync.errors import SafetyError
from sync.model import (
    Action,
    Create,
    Delete,
    Forget,
    Item,
    Link,
    Record,
    Remote,
    Rename,
    Snapshot,
    Update,
)

Keep = Callable[[Record], bool]


def decide(
    desired: Iterable[Item],
    records: Mapping[str, Record],
    snapshot: Snapshot,
    keep: Keep = lambda record: False,
) -> list[Action]:
    items = list(desired)
    wanted = {item.key for item in items}
    by_key = snapshot.by_key()
    skipped: set[str] = set()
    moved = renames(items, records)
    actions: list[Action] = [Rename(new, old) for new, old in moved.items()]
    records = rekeyed(records, moved)

    for item in items:
        record = records.get(item.key)
        parent = records.get(item.parent) if item.parent else None
        if item.parent in skipped or (parent is not None and parent.status == "dismissed"):
            skipped.add(item.key)  # its container was deleted by the user
            continue
        if record is None:
            actions += _new(item, by_key.get(item.key))
        else:
            actions += _existing(item, record, snapshot)

    for key, record in records.items():
        if key in wanted or key in skipped:
            continue
        remote = snapshot.remotes.get(record.remote_id)
        if record.status != "active" or keep(record):
            continue
        if remote is None or remote.deleted:
            actions.append(Forget(key))
        elif remote.completed_at is not None:
            actions.append(
                Link(key, record.remote_id, record.synced, "completed", remote.completed_at)
            )
        else:
            actions.append(Delete(key, record.remote_id, remote.kind))

    owned = {r.remote_id for r in records.values()}
    owned |= {a.remote_id for a in actions if isinstance(a, Link | Update | Delete)}
    return actions + _surplus(snapshot, owned, keep)


def renames(items: Iterable[Item], records: Mapping[str, Record]) -> dict[str, str]:
    """New key -> old key for actions whose id changed: a new task whose title and milestone
    match exactly one task that left the plan. Their checklist subtasks follow them."""
    items = list(items)
    wanted = {item.key for item in items}
    gone: dict[tuple[Any, Any], list[str]] = {}
    for key, record in records.items():
        if key.startswith("task:") and key not in wanted:
            gone.setdefault((record.synced.get("content"), record.synced.get("parent")), []).append(
                key
            )
    moved: dict[str, str] = {}
    for item in items:
        olds = gone.get((item.fields.get("content"), item.fields.get("parent")), [])
        if item.key.startswith("task:") and item.key not in records and len(olds) == 1:
            moved[item.key] = olds[0]
    for new, old in list(moved.items()):
        for n in range(1, 1 + sum(k.startswith(f"sub:{old[5:]}:") for k in records)):
            sub, was = f"sub:{new[5:]}:{n}", f"sub:{old[5:]}:{n}"
            if sub in wanted and sub not in records and was in records and was not in wanted:
                moved[sub] = was
    return moved


def rekeyed(records: Mapping[str, Record], moved: Mapping[str, str]) -> dict[str, Record]:
    """`records` as they are once the renames in `moved` are carried out."""
    result = {k: r for k, r in records.items() if k not in moved.values()}
    for new, old in moved.items():
        r = records[old]
        result[new] = Record(new, r.remote_id, r.synced, r.status, r.completed_at)
    return result


def _new(item: Item, found: Remote | None) -> list[Action]:
    if found is None or found.deleted:
        return [Create(item)]
    if found.completed_at is not None:
        return [Link(item.key, found.remote_id, item.fields, "completed", found.completed_at)]
    changes = {f: v for f, v in item.fields.items() if found.fields.get(f) != v}
    link = Link(item.key, found.remote_id, {} if changes else item.fields)
    return [link, Update(item, found.remote_id, changes)] if changes else [link]


def _existing(item: Item, record: Record, snapshot: Snapshot) -> list[Action]:
    remote = snapshot.remotes.get(record.remote_id)
    reopened = record.status == "completed" and remote is not None and remote.is_open
    if record.status != "active" and not reopened:
        return []  # completed history or dismissed by the user: never touched again
    if remote is None or remote.deleted:
        return [Link(item.key, record.remote_id, record.synced, "dismissed")]
    if remote.completed_at is not None:
        return [Link(item.key, record.remote_id, record.synced, "completed", remote.completed_at)]
    changed = {f: v for f, v in item.fields.items() if record.synced.get(f, _MISSING) != v}
    changes = {f: v for f, v in changed.items() if remote.fields.get(f, _MISSING) != v}
    if changes:
        return [Update(item, record.remote_id, changes)]  # lands as an active record
    if changed or set(record.synced) - set(item.fields) or reopened:
        return [Link(item.key, record.remote_id, item.fields if changed else record.synced)]
    return []


def _surplus(snapshot: Snapshot, owned: set[str], keep: Keep) -> list[Action]:
    """Remote objects marked as ours that nothing owns: duplicates and orphans of a lost state."""
    return [
        Delete(remote.key, remote.remote_id, remote.kind)
        for remote in snapshot.remotes.values()
        if remote.key is not None
        and remote.remote_id not in owned
        and not remote.deleted
        and remote.completed_at is None  # completed history is kept
        and not keep(Record(remote.key, remote.remote_id, remote.fields))  # so is other history
    ]


_MISSING: Any = object()


def check_safety(
    actions: Iterable[Action],
    records: Mapping[str, Record],
    service: str,
    *,
    allow_mass_delete: bool,
    minimum: int = 5,
) -> None:
    """Refuse a run that would delete most of what exists, or that finds most of it gone."""
    if allow_mass_delete:
        return
    active = sum(r.status == "active" for r in records.values())
    acts = list(actions)
    deletes = sum(isinstance(a, Delete) and a.key in records for a in acts)
    vanished = sum(isinstance(a, Link | Forget) and _vanished(a, records) for a in acts)
    if active < minimum:
        return
    if vanished > active / 2:
        raise SafetyError(
            f"{service}: {vanished} of {active} items careersync created look deleted remotely;"
            " refusing to continue in case the remote side failed to load",
            "check the remote side; if you deleted them on purpose, re-run with"
            " --allow-mass-delete",
        )
    if deletes > active / 2:
        raise SafetyError(
            f"{service}: this run would delete {deletes} of {active} items",
            "check the plan file; if that is what you want, re-run with --allow-mass-delete",
        )


def _vanished(action: Link | Forget, records: Mapping[str, Record]) -> bool:
    if isinstance(action, Forget):
        return True
    return action.status == "dismissed" and records[action.key].status == "active"
