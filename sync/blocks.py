"""Block bookkeeping: which focus blocks stay, which are history, and what is left to place.

Pure: the calendar records, the remote snapshot, the done actions and `now` go in; the blocks to
keep in the calendar, the effort still to place and the numbering of new blocks come out.

A block's key is `block:<action id>:<index>`; its calendar event's `start`/`end` fields, as last
synced or as the user left them, say where it is. The rules (DESIGN.md "Who owns what"):
- a block that has started is history: it stays in the calendar and is never deleted;
- an ended block of an open one-off action is *missed*: its effort is placed again;
- a future block the user moved stays where they put it and counts;
- a block the user deleted is not recreated: its effort is placed again, elsewhere (its span is
  busy time for the planner);
- future blocks of done actions, or of actions no longer in the plan, are left out, so decide
  deletes them;
- block indexes are never reused: Google keeps deleted events' ids (a second insert is a 409).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sync.model import Record, Remote, Snapshot
from sync.plan import Plan
from sync.planner import Block, Interval, Placement, place_blocks

BLOCK = "block:"
BusyLookup = Callable[[datetime, datetime], Sequence[Interval]]
_FETCH_STEP = timedelta(days=28)  # a re-fetch of busy time looks at least this far further


def block_key(action_id: str, index: int) -> str:
    return f"{BLOCK}{action_id}:{index}"


def parse_block_key(key: str) -> tuple[str, int] | None:
    """(action id, index) of a block key, or None for any other key."""
    if not key.startswith(BLOCK):
        return None
    action_id, _, index = key[len(BLOCK) :].rpartition(":")
    return (action_id, int(index)) if action_id and index.isdigit() else None


# Event times: the shape shared by items, remotes and records --------------------------------


def time_field(at: datetime, tz: ZoneInfo) -> dict[str, str]:
    """An event's `start`/`end` for an instant, in the plan's zone (Google's EventDateTime)."""
    return {"dateTime": at.astimezone(tz).isoformat(timespec="seconds"), "timeZone": tz.key}


def parse_time(value: Any, tz: ZoneInfo) -> datetime | None:
    """The instant of an EventDateTime (an all-day `date` is local midnight); None if absent."""
    if not isinstance(value, Mapping):
        return None
    if value.get("dateTime"):
        at = datetime.fromisoformat(str(value["dateTime"]).replace("z", "Z"))
        zone = ZoneInfo(value["timeZone"]) if value.get("timeZone") else tz
        return at if at.tzinfo else at.replace(tzinfo=zone)
    if value.get("date"):
        return datetime.combine(date.fromisoformat(str(value["date"])), time(0), tzinfo=tz)
    return None


def span_of(fields: Mapping[str, Any], tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    start, end = parse_time(fields.get("start"), tz), parse_time(fields.get("end"), tz)
    return (start, end) if start is not None and end is not None and start < end else None


# The state of an action's blocks ------------------------------------------------------------


@dataclass(frozen=True)
class BlockState:
    desired: tuple[Block, ...]  # stay in the calendar: future blocks of open actions, history
    kept: tuple[Block, ...]  # future or running blocks of open actions: their effort counts
    missed: tuple[Block, ...]  # ended blocks of open one-off actions: their effort is re-placed
    dropped: tuple[Block, ...]  # future blocks of done or removed actions: decide deletes them
    deleted: tuple[Interval, ...]  # future spans of blocks the user deleted: busy for re-plans
    remaining: Mapping[str, timedelta]  # one-off open action -> effort still to place
    next_index: Mapping[str, int]  # action -> first unused block index

    @property
    def planner_kept(self) -> tuple[Block, ...]:
        """What the planner must work around: every block staying, except missed ones (their
        time was not used, so it does not count against the week's budget)."""
        missed = set(self.missed)
        return tuple(b for b in self.desired if b not in missed)


@dataclass(frozen=True)
class _Seen:
    """One block key as the state and the remote side know it."""

    action_id: str
    index: int
    span: tuple[datetime, datetime] | None
    gone: bool  # the user deleted it (or it vanished from a complete snapshot)


def block_state(
    plan: Plan,
    records: Mapping[str, Record],
    snapshot: Snapshot,
    done: AbstractSet[str],
    now: datetime,
) -> BlockState:
    """Sort every block careersync ever made for this plan into the rules above."""
    actions = {a.id: a for _, a in plan.actions()}
    desired: list[Block] = []
    kept: list[Block] = []
    missed: list[Block] = []
    dropped: list[Block] = []
    deleted: list[Interval] = []
    next_index: dict[str, int] = {}
    for seen in _seen_blocks(records, snapshot, plan.tz):
        next_index[seen.action_id] = max(next_index.get(seen.action_id, 0), seen.index + 1)
        if seen.span is None:
            continue
        block = Block(seen.action_id, seen.index, *seen.span)
        action = actions.get(seen.action_id)
        started, ended = block.start <= now, block.end <= now
        if seen.gone:
            if not started:
                deleted.append(Interval(block.start, block.end))
            continue
        is_open = action is not None and seen.action_id not in done
        if not started:
            (desired if is_open else dropped).append(block)
            if is_open:
                kept.append(block)
            continue
        if action is None:
            continue  # history of an action no longer in the plan: keep() protects its record
        desired.append(block)  # history stays
        if is_open and not ended:
            kept.append(block)  # running now
        elif is_open and not action.recurring:
            missed.append(block)
    return BlockState(
        desired=_sorted(desired),
        kept=_sorted(kept),
        missed=_sorted(missed),
        dropped=_sorted(dropped),
        deleted=tuple(sorted(deleted)),
        remaining=_remaining(plan, kept, done),
        next_index=next_index,
    )


def _seen_blocks(
    records: Mapping[str, Record], snapshot: Snapshot, tz: ZoneInfo
) -> Iterable[_Seen]:
    by_key = snapshot.by_key()
    for key in sorted({*records, *by_key}):
        parsed = parse_block_key(key)
        if parsed is None:
            continue
        record = records.get(key)
        remote = snapshot.remotes.get(record.remote_id) if record else None
        remote = remote or by_key.get(key)
        gone = _gone(record, remote)
        yield _Seen(*parsed, _span(record, remote, gone, tz), gone)


def _gone(record: Record | None, remote: Remote | None) -> bool:
    if record is not None and record.status != "active":
        return True
    return remote is None or remote.deleted  # known to the state, absent from the read


def _span(
    record: Record | None, remote: Remote | None, gone: bool, tz: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """Where the block is: where the user left it, else where careersync last put it."""
    live = None if remote is None or gone else span_of(remote.fields, tz)
    synced = None if record is None else span_of(record.synced, tz)
    last_seen = None if remote is None else span_of(remote.fields, tz)
    return live or synced or last_seen


def _remaining(plan: Plan, kept: Iterable[Block], done: AbstractSet[str]) -> dict[str, timedelta]:
    """Effort of each open one-off action minus its kept blocks (the part still ahead)."""
    placed: dict[str, timedelta] = defaultdict(timedelta)
    for b in kept:
        placed[b.action_id] += b.end - b.start
    return {
        a.id: max(timedelta(0), a.effort - placed[a.id])
        for _, a in plan.actions()
        if not a.recurring and a.id not in done
    }


def _sorted(blocks: Iterable[Block]) -> tuple[Block, ...]:
    return tuple(sorted(blocks, key=lambda b: (b.start, b.action_id, b.index)))


def history(now: datetime) -> Callable[[Record], bool]:
    """decide's `keep`: a block that has started is history, never deleted."""

    def keep(record: Record) -> bool:
        if parse_block_key(record.key) is None:
            return False
        start = parse_time(record.synced.get("start"), ZoneInfo("UTC"))
        return start is not None and start <= now

    return keep


# Placing new blocks -------------------------------------------------------------------------


def plan_blocks(
    plan: Plan,
    state: BlockState,
    *,
    now: datetime,
    done: AbstractSet[str],
    busy: BusyLookup | None = None,
) -> tuple[tuple[Block, ...], Placement]:
    """All blocks the calendar should hold (staying + new) and the planner's placement.

    Busy time is looked up lazily: not at all when nothing new is placed, otherwise only up to
    the last new block, widening while busy time pushes blocks further out.
    """

    def place(extra: Sequence[Interval]) -> Placement:
        return place_blocks(
            plan,
            now=now,
            remaining=state.remaining,
            done=done,
            busy=[*state.deleted, *extra],
            kept=state.planner_kept,
            next_index=state.next_index,
        )

    found: list[Interval] = []
    looked_until = now
    placement = place(found)
    while busy is not None and placement.blocks:
        last = max(b.end for b in placement.blocks)
        if last <= looked_until:
            break
        until = max(last, looked_until + _FETCH_STEP)
        found += busy(looked_until, until)
        looked_until = until
        placement = place(found)
    return _sorted([*state.desired, *placement.blocks]), placement


def next_block_day(
    action_id: str, blocks: Iterable[Block], tz: ZoneInfo, now: datetime | None = None
) -> date | None:
    """The local day of the action's next block (one not over by `now`), or None."""
    starts = [b.start for b in blocks if b.action_id == action_id and (now is None or b.end > now)]
    return min(starts).astimezone(tz).date() if starts else None
