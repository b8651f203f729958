"""Block bookkeeping: which focus blocks are history, pinned or tentative, and what is left.

Pure: the calendar records, the remote snapshot, the done actions and `now` go in; the blocks to
keep in the calendar, the effort still to place and the numbering of new blocks come out.

A block's key is `block:<action id>:<index>`; its calendar event's `start`/`end` fields, as last
synced or as the user left them, say where it is. The rules (DESIGN.md "Who owns what"):
- a block that has started is history: it stays in the calendar and is never deleted;
- an ended block of an open one-off action is *missed*: its effort is placed again;
- a future block the user moved or resized is *pinned* where they put it and counts;
- so is a block inside the frozen horizon (the next 24 hours by default), unless it now sits on
  busy time;
- every other future block careersync placed is *tentative*: the planner keeps it where it is
  while it stays valid and moves it when it must (see `sync.planner`);
- a block the user deleted is not recreated: its effort is placed again, elsewhere (its span is
  busy time for the planner);
- future blocks of done actions, or of actions no longer in the plan, are left out, so decide
  deletes them;
- block indexes are never reused for a new block: Google keeps deleted events' ids (a second
  insert is a 409); a moved block keeps its key, so its event is patched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

from sync.model import Record, Remote, Snapshot
from sync.plan import Plan
from sync.planner import Placement, place_blocks
from sync.spans import (
    BLOCK,
    Block,
    Interval,
    block_key,
    parse_block_key,
    parse_time,
    span_of,
    time_field,
)

__all__ = [
    "BLOCK",
    "FROZEN",
    "BlockState",
    "block_key",
    "block_state",
    "busy_horizon",
    "history",
    "next_block_day",
    "parse_block_key",
    "parse_time",
    "plan_blocks",
    "span_of",
    "time_field",
    "without",
]

FROZEN = timedelta(hours=24)  # default frozen horizon: blocks starting sooner stay put
_NO_DAYS: Mapping[str, date] = MappingProxyType({})


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
    moved: tuple[Block, ...] = ()  # future blocks of open actions the user moved or resized
    placed: tuple[Block, ...] = ()  # future blocks of open actions where careersync put them

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
    moved: bool  # the user moved or resized it (the live span differs from the synced one)
    known: bool  # the state has a record of it (careersync forgets the blocks it deletes)


def block_state(
    plan: Plan,
    records: Mapping[str, Record],
    snapshot: Snapshot,
    done: AbstractSet[str],
    now: datetime,
    moved_keys: AbstractSet[str] = frozenset(),
) -> BlockState:
    """Sort every block careersync ever made for this plan into the rules above.

    `moved_keys`: blocks the user moved in an earlier run (their new place is synced since)."""
    actions = {a.id: a for _, a in plan.actions()}
    desired: list[Block] = []
    kept: list[Block] = []
    missed: list[Block] = []
    dropped: list[Block] = []
    deleted: list[Interval] = []
    moved: list[Block] = []
    placed: list[Block] = []
    next_index: dict[str, int] = {}
    for seen in _seen_blocks(records, snapshot, plan.tz):
        next_index[seen.action_id] = max(next_index.get(seen.action_id, 0), seen.index + 1)
        if seen.span is None:
            continue
        block = Block(seen.action_id, seen.index, *seen.span)
        action = actions.get(seen.action_id)
        started, ended = block.start <= now, block.end <= now
        if seen.gone:
            if not started and seen.known:  # the user deleted it: not there again
                deleted.append(Interval(block.start, block.end))
            continue
        is_open = action is not None and seen.action_id not in done
        if not started:
            (desired if is_open else dropped).append(block)
            if is_open:
                kept.append(block)
                was_moved = seen.moved or block_key(block.action_id, block.index) in moved_keys
                (moved if was_moved else placed).append(block)
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
        moved=_sorted(moved),
        placed=_sorted(placed),
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
        span = _span(record, remote, gone, tz)
        yield _Seen(*parsed, span, gone, _moved(record, remote, tz), record is not None)


def _gone(record: Record | None, remote: Remote | None) -> bool:
    if record is not None and record.status != "active":
        return True
    return remote is None or remote.deleted  # known to the state, absent from the read


def _moved(record: Record | None, remote: Remote | None, tz: ZoneInfo) -> bool:
    if record is None or remote is None or remote.deleted:
        return False
    synced, live = span_of(record.synced, tz), span_of(remote.fields, tz)
    return synced is not None and live is not None and synced != live


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


# Placing blocks ----------------------------------------------------------------------------


def split_placed(
    state: BlockState, busy: Sequence[Interval], now: datetime, frozen: timedelta = FROZEN
) -> tuple[tuple[Block, ...], tuple[Block, ...]]:
    """(pinned, tentative) of careersync-placed future blocks: a block starting within the
    frozen horizon is pinned unless it now sits on busy time."""
    pinned: list[Block] = []
    tentative: list[Block] = []
    for b in state.placed:
        on_busy = any(x.start < b.end and b.start < x.end for x in busy)
        (pinned if b.start < now + frozen and not on_busy else tentative).append(b)
    return tuple(pinned), tuple(tentative)


def plan_blocks(
    plan: Plan,
    state: BlockState,
    *,
    now: datetime,
    done: AbstractSet[str],
    busy: Sequence[Interval] = (),
    frozen: timedelta = FROZEN,
    not_before: Mapping[str, date] = _NO_DAYS,
) -> tuple[tuple[Block, ...], Placement]:
    """All blocks the calendar should hold (history, pinned, kept, new or moved) and the
    planner's placement, against the busy time given (see `busy_horizon` for how far it must
    reach)."""
    _, tentative = split_placed(state, busy, now, frozen)
    loose = set(tentative)
    remaining = dict(state.remaining)
    for b in tentative:
        if b.action_id in remaining:
            remaining[b.action_id] += b.end - b.start
    placement = place_blocks(
        plan,
        now=now,
        remaining=remaining,
        done=done,
        busy=[*state.deleted, *busy],
        kept=tuple(b for b in state.planner_kept if b not in loose),
        tentative=tentative,
        next_index=state.next_index,
        not_before=not_before,
    )
    staying = [b for b in state.desired if b not in loose]
    return _sorted([*staying, *placement.kept, *placement.blocks]), placement


def busy_horizon(blocks: Iterable[Block], now: datetime) -> datetime:
    """How far busy time must be known to check these blocks: the end of the last one ahead."""
    return max((b.end for b in blocks if b.end > now), default=now)


def without(busy: Sequence[Interval], blocks: Iterable[Block]) -> list[Interval]:
    """Busy time minus the spans of careersync's own blocks (busy time read from a calendar
    that holds them)."""
    cuts = sorted((b.start, b.end) for b in blocks)
    out: list[Interval] = []
    for x in busy:
        start = x.start
        for a, e in cuts:
            if e <= start or a >= x.end:
                continue
            if a > start:
                out.append(Interval(start, a))
            start = max(start, e)
        if start < x.end:
            out.append(Interval(start, x.end))
    return out


def next_block_day(
    action_id: str, blocks: Iterable[Block], tz: ZoneInfo, now: datetime | None = None
) -> date | None:
    """The local day of the action's next block (one not over by `now`), or None."""
    starts = [b.start for b in blocks if b.action_id == action_id and (now is None or b.end > now)]
    return min(starts).astimezone(tz).date() if starts else None
