"""Unit tests of block bookkeeping (sync.blocks): kept, moved, missed, deleted, done, re-plan."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sync.blocks import (
    FROZEN,
    block_key,
    block_state,
    busy_horizon,
    history,
    next_block_day,
    parse_block_key,
    parse_time,
    plan_blocks,
    span_of,
    split_placed,
    time_field,
    without,
)
from sync.decide import decide
from sync.model import Delete, Record, Remote, Snapshot
from sync.plan import Action, Milestone, Plan, Recurrence
from sync.planner import Block, Interval

LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=LONDON)  # a Wednesday, after its 07:00 window


def at(m: int, d: int, h: int, mi: int = 0, y: int = 2026) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=LONDON)


def make_plan(*extra: Action) -> Plan:
    actions = (
        Action(id="a", title="Read the book", effort=3 * H, due=date(2027, 2, 26)),
        Action(id="b", title="Write notes", effort=H, due=date(2027, 2, 26), after=("a",)),
        Action(
            id="r",
            title="Weekly review",
            effort=H / 2,
            due=date(2027, 2, 26),
            recurrence=Recurrence(every="week"),
        ),
        *extra,
    )
    milestone = Milestone(id="m", title="Certified", due=date(2027, 2, 26), actions=actions)
    return Plan(
        id="p",
        title="P",
        timezone="Europe/London",
        start=date(2026, 12, 1),
        end=date(2027, 3, 31),
        milestones=(milestone,),
    )


PLAN = make_plan()


def times(start: datetime, end: datetime) -> dict[str, object]:
    return {"summary": "x", "start": time_field(start, LONDON), "end": time_field(end, LONDON)}


def rec(aid: str, i: int, start: datetime, end: datetime, status: str = "active") -> Record:
    return Record(block_key(aid, i), f"e{aid}{i}", times(start, end), status)  # type: ignore[arg-type]


def rem(aid: str, i: int, start: datetime, end: datetime, *, deleted: bool = False) -> Remote:
    return Remote(f"e{aid}{i}", "event", block_key(aid, i), times(start, end), deleted=deleted)


def snap(*remotes: Remote) -> Snapshot:
    return Snapshot({r.remote_id: r for r in remotes})


def recs(*records: Record) -> dict[str, Record]:
    return {r.key: r for r in records}


def keys(blocks: Sequence[Block]) -> list[tuple[str, int]]:
    return [(b.action_id, b.index) for b in blocks]


# -- keys and times --------------------------------------------------------------------------


def test_block_keys_round_trip() -> None:
    assert parse_block_key(block_key("read-book", 12)) == ("read-book", 12)
    assert parse_block_key("milestone:m") is None
    assert parse_block_key("block:x") is None
    assert parse_block_key("block:a:b") is None


def test_time_fields_are_local_and_survive_daylight_saving() -> None:
    before = at(3, 27, 7, y=2027)  # GMT
    after = at(3, 29, 7, y=2027)  # BST, the clocks went forward on the 28th
    assert time_field(before, LONDON)["dateTime"] == "2027-03-27T07:00:00+00:00"
    assert time_field(after, LONDON)["dateTime"] == "2027-03-29T07:00:00+01:00"
    # Google may answer in UTC or another zone: the same instant parses back
    utc = {"dateTime": "2027-03-29T06:00:00Z", "timeZone": "UTC"}
    assert parse_time(utc, LONDON) == after
    assert time_field(parse_time(utc, LONDON), LONDON) == time_field(after, LONDON)  # type: ignore[arg-type]
    assert parse_time({"date": "2027-03-28"}, LONDON) == at(3, 28, 0, y=2027)
    assert span_of({"start": {}, "end": {}}, LONDON) is None


# -- sorting the blocks ----------------------------------------------------------------------


def test_future_blocks_are_kept_and_counted() -> None:
    r = [rec("a", 0, at(12, 5, 9), at(12, 5, 11)), rec("r", 0, at(12, 5, 11), at(12, 5, 11, 30))]
    s = snap(
        rem("a", 0, at(12, 5, 9), at(12, 5, 11)), rem("r", 0, at(12, 5, 11), at(12, 5, 11, 30))
    )
    state = block_state(PLAN, recs(*r), s, set(), NOW)
    assert keys(state.desired) == keys(state.kept) == [("a", 0), ("r", 0)]
    assert state.remaining == {"a": H, "b": H}  # recurring actions have no remaining
    assert state.next_index == {"a": 1, "r": 1}
    assert not state.missed
    assert not state.dropped
    assert not state.deleted


def test_a_moved_block_stays_where_the_user_put_it() -> None:
    moved = (at(12, 9, 7), at(12, 9, 8, 30))
    state = block_state(
        PLAN,
        recs(rec("a", 0, at(12, 5, 9), at(12, 5, 11))),
        snap(rem("a", 0, *moved)),
        set(),
        NOW,
    )
    assert [(b.start, b.end) for b in state.kept] == [moved]
    assert state.remaining["a"] == 1.5 * H


def test_a_block_moved_into_the_past_is_missed() -> None:
    state = block_state(
        PLAN,
        recs(rec("a", 0, at(12, 5, 9), at(12, 5, 11))),
        snap(rem("a", 0, at(12, 1, 9), at(12, 1, 11))),
        set(),
        NOW,
    )
    assert keys(state.missed) == keys(state.desired) == [("a", 0)]
    assert state.remaining["a"] == 3 * H
    assert state.planner_kept == ()


def test_a_block_the_user_deleted_is_not_recreated_in_place() -> None:
    span = (at(12, 5, 9), at(12, 5, 11))
    state = block_state(
        PLAN, recs(rec("a", 0, *span)), snap(rem("a", 0, *span, deleted=True)), set(), NOW
    )
    assert state.desired == ()
    assert state.deleted == (Interval(*span),)
    assert state.remaining["a"] == 3 * H
    assert state.next_index["a"] == 1  # its id is never reused


def test_dismissed_or_vanished_blocks_are_gone() -> None:
    span = (at(12, 5, 9), at(12, 5, 10))
    dismissed = block_state(PLAN, recs(rec("a", 0, *span, "dismissed")), snap(), set(), NOW)
    vanished = block_state(PLAN, recs(rec("a", 0, *span)), snap(), set(), NOW)
    assert dismissed.deleted == vanished.deleted == (Interval(*span),)


def test_past_blocks_are_history_and_missed_ones_are_replanned() -> None:
    past = (at(12, 1, 9), at(12, 1, 10))
    running = (at(12, 2, 11, 30), at(12, 2, 12, 30))
    r = recs(rec("a", 0, *past), rec("a", 1, *running), rec("r", 0, *past))
    s = snap(rem("a", 0, *past), rem("a", 1, *running), rem("r", 0, *past))
    state = block_state(PLAN, r, s, set(), NOW)
    assert keys(state.desired) == [("a", 0), ("r", 0), ("a", 1)]
    assert keys(state.missed) == [("a", 0)]
    assert keys(state.kept) == [("a", 1)]  # running now: its hour counts
    assert state.remaining["a"] == 2 * H
    assert keys(state.planner_kept) == [("r", 0), ("a", 1)]  # a recurring block fills its week
    keep = history(NOW)
    assert keep(r["block:a:0"])
    assert keep(r["block:a:1"])
    assert not keep(rec("a", 2, at(12, 9, 7), at(12, 9, 8)))
    assert not keep(Record("milestone:m", "x", {}))


def test_blocks_of_done_actions_future_removed_past_kept() -> None:
    past, future = (at(12, 1, 9), at(12, 1, 10)), (at(12, 9, 7), at(12, 9, 8))
    r = recs(rec("a", 0, *past), rec("a", 1, *future))
    s = snap(rem("a", 0, *past), rem("a", 1, *future))
    state = block_state(PLAN, r, s, {"a"}, NOW)
    assert keys(state.desired) == [("a", 0)]
    assert keys(state.dropped) == [("a", 1)]
    assert not state.missed
    assert "a" not in state.remaining


def test_blocks_of_removed_actions() -> None:
    past, future = (at(12, 1, 9), at(12, 1, 10)), (at(12, 9, 7), at(12, 9, 8))
    r = recs(rec("gone", 0, *past), rec("gone", 1, *future))
    state = block_state(PLAN, r, snap(rem("gone", 0, *past), rem("gone", 1, *future)), set(), NOW)
    assert state.desired == ()
    assert keys(state.dropped) == [("gone", 1)]
    assert history(NOW)(r["block:gone:0"])  # decide keeps its history


def test_history_is_spared_when_no_record_owns_it() -> None:
    past, future = (at(12, 1, 9), at(12, 1, 10)), (at(12, 9, 7), at(12, 9, 8))
    s = snap(rem("gone", 0, *past), rem("gone", 1, *future))
    # after a lost state, decide deletes the future block nothing owns, but not the past one
    actions = decide([], {}, s, keep=history(NOW))
    assert actions == [Delete(block_key("gone", 1), "egone1", "event")]


def test_lost_state_recovers_blocks_and_indexes_from_the_calendar() -> None:
    s = snap(
        rem("a", 0, at(12, 9, 7), at(12, 9, 8)),
        rem("a", 4, at(12, 5, 9), at(12, 5, 10), deleted=True),
    )
    state = block_state(PLAN, {}, s, set(), NOW)
    assert keys(state.kept) == [("a", 0)]
    assert state.next_index == {"a": 5}
    # with no record, a cancelled event may be one careersync deleted itself (a block that
    # moved or was dropped): its time is not taken as the user's "not there"
    assert state.deleted == ()


# -- placing ---------------------------------------------------------------------------------


def synced(blocks: Sequence[Block]) -> tuple[dict[str, Record], Snapshot]:
    """The records and calendar after a sync that put these blocks in place."""
    records = recs(*(rec(b.action_id, b.index, b.start, b.end) for b in blocks))
    return records, snap(*(rem(b.action_id, b.index, b.start, b.end) for b in blocks))


def test_nothing_changed_moves_nothing() -> None:
    plan = make_plan()
    blocks, first = plan_blocks(
        plan, block_state(plan, {}, snap(), set(), NOW), now=NOW, done=set()
    )
    records, s = synced(blocks)
    again, placement = plan_blocks(
        plan, block_state(plan, records, s, set(), NOW), now=NOW, done=set()
    )
    assert first.blocks
    assert placement.blocks == ()
    assert again == blocks
    assert busy_horizon(blocks, NOW) == max(b.end for b in blocks)


def test_a_busy_event_over_a_tentative_block_moves_only_that_block() -> None:
    plan = make_plan()
    blocks, _ = plan_blocks(plan, block_state(plan, {}, snap(), set(), NOW), now=NOW, done=set())
    records, s = synced(blocks)
    later = [b for b in blocks if b.start > NOW + 2 * FROZEN]
    hit = later[0]
    busy = [Interval(hit.start, hit.end)]
    again, placement = plan_blocks(
        plan, block_state(plan, records, s, set(), NOW), now=NOW, done=set(), busy=busy
    )
    moved = [b for b in placement.blocks if (b.action_id, b.index) == (hit.action_id, hit.index)]
    assert moved
    assert not (moved[0].start < hit.end and hit.start < moved[0].end)
    # the others stay exactly where they were, unless the order made them move after it
    unchanged = set(blocks) & set(again)
    assert len(unchanged) >= len(blocks) - 1 - len(placement.blocks)
    assert all(not (b.start < hit.end and hit.start < b.end) for b in again)


def test_a_block_in_the_frozen_horizon_stays_unless_on_busy_time() -> None:
    plan = make_plan()
    blocks, _ = plan_blocks(plan, block_state(plan, {}, snap(), set(), NOW), now=NOW, done=set())
    records, s = synced(blocks)
    soon = min(blocks, key=lambda b: b.start)
    state = block_state(plan, records, s, set(), NOW)
    horizon = 4 * FROZEN  # the first block is on Saturday
    pinned, tentative = split_placed(state, [], NOW, horizon)
    assert soon.start < NOW + horizon
    assert soon in pinned
    assert soon not in tentative
    pinned, tentative = split_placed(state, [Interval(soon.start, soon.end)], NOW, horizon)
    assert soon in tentative
    assert all(b.start >= NOW + horizon for b in tentative if b != soon)


def test_new_blocks_avoid_busy_and_deleted_time_and_never_reuse_an_index() -> None:
    deleted = (at(12, 5, 9), at(12, 5, 12))  # Saturday's window
    busy = Interval(at(12, 7, 7), at(12, 7, 8, 30))  # Monday's window
    state = block_state(
        PLAN, recs(rec("a", 3, *deleted)), snap(rem("a", 3, *deleted, deleted=True)), set(), NOW
    )
    blocks, placement = plan_blocks(PLAN, state, now=NOW, done=set(), busy=[busy])
    mine = [b for b in blocks if b.action_id == "a"]
    assert sum((b.end - b.start for b in mine), timedelta()) == 3 * H
    assert [b.index for b in mine] == [4, 5]
    for b in blocks:
        assert b.start >= NOW
        assert not (b.start < busy.end and busy.start < b.end)
        assert not (b.start < deleted[1] and deleted[0] < b.end)
    assert placement.blocks == tuple(blocks)
    assert next_block_day("a", blocks, LONDON) == mine[0].start.date()
    assert next_block_day("a", blocks, LONDON, mine[-1].end) is None
    assert next_block_day("zzz", blocks, LONDON) is None


def test_busy_time_without_own_blocks() -> None:
    own = [Block("a", 0, at(12, 9, 7), at(12, 9, 8))]
    busy = [Interval(at(12, 9, 6), at(12, 9, 9)), Interval(at(12, 10, 7), at(12, 10, 8))]
    assert without(busy, own) == [
        Interval(at(12, 9, 6), at(12, 9, 7)),
        Interval(at(12, 9, 8), at(12, 9, 9)),
        Interval(at(12, 10, 7), at(12, 10, 8)),
    ]


def test_a_missed_block_is_placed_again_after_now() -> None:
    past = (at(12, 2, 7), at(12, 2, 8, 30))
    state = block_state(PLAN, recs(rec("b", 0, *past)), snap(rem("b", 0, *past)), {"a"}, NOW)
    blocks, placement = plan_blocks(PLAN, state, now=NOW, done={"a"})
    assert ("b", 0) in keys(blocks)  # history stays
    new = [b for b in placement.blocks if b.action_id == "b"]
    assert [b.index for b in new] == [1]
    assert new[0].start > NOW
    assert new[0].end - new[0].start == H


def test_blocks_across_the_clock_change_keep_local_times() -> None:
    now = at(3, 24, 12, y=2027)  # Wednesday before the change; next windows Sat 27 and Mon 29
    plan = make_plan(Action(id="c", title="C", effort=4 * H, due=date(2027, 3, 31)))
    state = block_state(plan, {}, snap(), {"a", "b", "r"}, now)
    _, placement = plan_blocks(plan, state, now=now, done={"a", "b", "r"})
    local = [(b.start.strftime("%a %d %H:%M"), b.start.utcoffset()) for b in placement.blocks]
    assert local[0] == ("Sat 27 09:00", timedelta(0))
    monday = next(b for b in placement.blocks if b.start.date() == date(2027, 3, 29))
    assert (monday.start.hour, monday.start.utcoffset()) == (7, H)
    fields = time_field(monday.start, LONDON)
    assert fields == {"dateTime": "2027-03-29T07:00:00+01:00", "timeZone": "Europe/London"}
