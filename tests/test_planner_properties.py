"""Property tests of the time-blocking planner: every invariant holds on random inputs.

The checks below are written from the rules, not from the implementation: windows are read as
local wall-clock times, and every comparison of instants is made in UTC (comparing two aware
datetimes of the same zone compares wall clocks, which is wrong across a daylight-saving fold).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.plan import WEEKDAYS, Action, Milestone, Plan, Recurrence, Schedule, Window
from sync.planner import Block, Interval, Placement, place_blocks

M = timedelta(minutes=1)
ZONES = (
    "Europe/London",
    "America/New_York",
    "UTC",
    "Australia/Lord_Howe",  # a 30-minute daylight-saving shift
    "America/Santiago",  # clocks jump at midnight
    "Asia/Kathmandu",  # +05:45
)
# Dates near daylight-saving changes in those zones (2027).
NEAR_CHANGES = (
    date(2027, 3, 10),
    date(2027, 3, 25),
    date(2027, 4, 1),
    date(2027, 9, 2),
    date(2027, 10, 1),
    date(2027, 10, 28),
    date(2027, 11, 5),
)
GRAIN = 5 * M


@dataclass
class Case:
    plan: Plan
    now: datetime
    remaining: dict[str, timedelta]
    done: frozenset[str]
    busy: list[Interval]
    kept: list[Block]
    next_index: dict[str, int]

    def place(self) -> Placement:
        return place_blocks(
            self.plan,
            now=self.now,
            remaining=self.remaining,
            done=self.done,
            busy=self.busy,
            kept=self.kept,
            next_index=self.next_index,
        )


minutes = st.integers(min_value=0, max_value=24 * 4 - 1).map(lambda q: 15 * q)


@st.composite
def windows(draw: st.DrawFn) -> Window:
    days = draw(st.sets(st.sampled_from(WEEKDAYS), min_size=1))
    start = draw(minutes.filter(lambda m: m < 23 * 60))
    length = draw(st.integers(min_value=1, max_value=24)) * 15
    end = min(start + length, 23 * 60 + 45)
    return Window(
        days=tuple(d for d in WEEKDAYS if d in days),
        start=time(start // 60, start % 60),
        end=time(end // 60, end % 60),
    )


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    min_block = draw(st.sampled_from([10, 15, 30, 45, 60]))
    max_block = draw(st.sampled_from([m for m in (15, 30, 45, 60, 90, 120, 180) if m >= min_block]))
    return Schedule(
        weekly_hours=draw(st.sampled_from([0, 0.5, 1, 2, 3.5, 4, 8, 20])),
        min_block=timedelta(minutes=min_block),
        max_block=timedelta(minutes=max_block),
        windows=tuple(draw(st.lists(windows(), min_size=1, max_size=3))),
    )


def day_between(draw: st.DrawFn, first: date, last: date) -> date:
    return first + timedelta(days=draw(st.integers(0, (last - first).days)))


@st.composite
def actions(draw: st.DrawFn, aid: str, earlier: list[str], start: date, due: date) -> Action:
    a_due = day_between(draw, start, due) if draw(st.booleans()) else due
    a_start = day_between(draw, start, a_due) if draw(st.booleans()) else None
    after = (
        tuple(draw(st.lists(st.sampled_from(earlier), unique=True, max_size=2))) if earlier else ()
    )
    recurrence = None
    until = None
    if draw(st.integers(0, 4)) == 0:
        days = draw(st.sets(st.sampled_from(WEEKDAYS), max_size=3))
        recurrence = Recurrence(
            every=draw(st.sampled_from(["day", "week", "2 weeks", "month"])),
            days=tuple(d for d in WEEKDAYS if d in days),
        )
        until = day_between(draw, a_start or start, a_due)
        effort = timedelta(minutes=draw(st.sampled_from([0, 15, 30, 45, 60])))
    else:
        effort = timedelta(
            minutes=draw(st.sampled_from([0, 10, 15, 30, 45, 60, 75, 100, 150, 240, 400]))
        )
    return Action(
        id=aid,
        title=aid,
        effort=effort,
        first=draw(st.integers(0, 5)) == 0,
        start=a_start,
        due=a_due,
        after=after,
        recurrence=recurrence,
        until=until,
    )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    tz_name = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(tz_name)
    base = draw(st.sampled_from(NEAR_CHANGES))
    start = base - timedelta(days=draw(st.integers(0, 12)))
    end = start + timedelta(days=draw(st.integers(6, 60)))
    milestones: list[Milestone] = []
    ids: list[str] = []
    for m in range(draw(st.integers(1, 3))):
        due = day_between(draw, start, end)
        acts: list[Action] = []
        for _ in range(draw(st.integers(0, 5))):
            aid = f"a{len(ids)}"
            acts.append(draw(actions(aid, list(ids), start, due)))
            ids.append(aid)
        milestones.append(Milestone(id=f"m{m}", title=f"M{m}", due=due, actions=tuple(acts)))
    plan = Plan(
        id="p",
        title="P",
        timezone=tz_name,
        start=start,
        end=end,
        schedule=draw(schedules()),
        milestones=tuple(milestones),
    )
    origin = datetime.combine(start, time(0), tzinfo=tz).astimezone(UTC)
    span = int((end - start).days + 2) * 24 * 60

    def instant(low: int = -24 * 60) -> datetime:
        return origin + timedelta(
            minutes=draw(st.integers(low, span)), seconds=draw(st.integers(0, 59))
        )

    now = instant().astimezone(tz)
    busy = []
    for _ in range(draw(st.integers(0, 12))):
        s = instant()
        busy.append(Interval(s, s + timedelta(minutes=draw(st.integers(5, 360)))))
    kept = []
    for k in range(draw(st.integers(0, 5))):
        s = instant().astimezone(tz)
        owner = draw(st.sampled_from([*ids, "gone"]))
        kept.append(Block(owner, k, s, s + timedelta(minutes=draw(st.integers(15, 120)))))
    remaining = {}
    for _, a in plan.actions():
        if a.recurrence is None:
            remaining[a.id] = draw(st.sampled_from([a.effort, a.effort / 2, timedelta(0)]))
    done = frozenset(draw(st.sets(st.sampled_from(ids), max_size=2))) if ids else frozenset()
    next_index = {i: draw(st.integers(0, 5)) for i in ids if draw(st.booleans())}
    return Case(plan, now, remaining, done, busy, kept, next_index)


# -- the checks ------------------------------------------------------------------------------


def utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


def length(x: Block | Interval) -> timedelta:
    return utc(x.end) - utc(x.start)


def local_day(dt: datetime, tz: ZoneInfo) -> date:
    return dt.astimezone(tz).date()


def overlaps(a: Block | Interval, b: Block | Interval) -> bool:
    return utc(a.start) < utc(b.end) and utc(b.start) < utc(a.end)


def ceil_now(now: datetime) -> datetime:
    u = utc(now)
    rounded = u.replace(second=0, microsecond=0) - timedelta(minutes=u.minute % 5)
    return rounded if rounded == u else rounded + GRAIN


def add_months(day: date, n: int, anchor_day: int) -> date:
    y, m = divmod(day.month - 1 + n, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(anchor_day, calendar.monthrange(year, month)[1]))


def period_key(a: Action, anchor: date, day: date) -> object:
    assert a.recurrence is not None
    every = a.recurrence.every
    if every == "day":
        return day
    monday = anchor - timedelta(days=anchor.weekday())
    if every == "week":
        return (day - monday).days // 7
    if every == "2 weeks":
        return (day - monday).days // 14
    k = (day.year - anchor.year) * 12 + day.month - anchor.month + 1
    while add_months(anchor, k, anchor.day) > day:
        k -= 1
    return k


def open_periods(case: Case, a: Action) -> set[object]:
    """Periods of a recurring action that still need a block, computed day by day."""
    plan, tz = case.plan, case.plan.tz
    assert a.recurrence is not None
    anchor = a.start or plan.start
    until = min(a.until or a.due, plan.end)
    allowed = {WEEKDAYS.index(d) for d in a.recurrence.days}
    if a.recurrence.every == "day" and not allowed:
        allowed = {WEEKDAYS.index(d) for w in plan.schedule.windows for d in w.days}
    days_of: dict[object, list[date]] = defaultdict(list)
    day = anchor
    while day <= until:
        days_of[period_key(a, anchor, day)].append(day)
        day += timedelta(days=1)
    kept_days = (local_day(b.start, tz) for b in case.kept if b.action_id == a.id)
    kept = {period_key(a, anchor, d) for d in kept_days if anchor <= d <= until}
    floor = ceil_now(case.now)
    out = set()
    for key, days in days_of.items():
        period_end = datetime.combine(days[-1] + timedelta(days=1), time(0), tzinfo=tz)
        if allowed and not any(d.weekday() in allowed for d in days):
            continue
        if utc(period_end) > floor and key not in kept:
            out.add(key)
    return out


def wall(day: date, at: time, tz: ZoneInfo) -> time:
    """A local wall time as it happens that day: a time in a spring-forward gap becomes the
    first wall time after the jump (found by stepping minute by minute)."""
    t = datetime.combine(day, at)
    while t.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) != t:
        t += M
    return t.time() if t.date() == day else time.max


def inside_a_window(b: Block, plan: Plan) -> bool:
    """Within the union of the day's windows, read as local wall-clock times."""
    tz = plan.tz
    s, e = b.start.astimezone(tz), b.end.astimezone(tz)
    todays = sorted(
        (wall(s.date(), w.start, tz), wall(s.date(), w.end, tz))
        for w in plan.schedule.windows
        if WEEKDAYS[s.weekday()] in w.days
    )
    merged: list[list[time]] = []
    for start, end in todays:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return s.date() == e.date() and any(a <= s.time() and e.time() <= z for a, z in merged)


def by_action(blocks: Iterable[Block]) -> dict[str, list[Block]]:
    out: dict[str, list[Block]] = defaultdict(list)
    for b in blocks:
        out[b.action_id].append(b)
    return out


def check(case: Case, result: Placement) -> None:
    plan, tz, sched = case.plan, case.plan.tz, case.plan.schedule
    actions = {a.id: a for _, a in plan.actions()}
    milestone_of = {a.id: m.id for m, a in plan.actions()}
    new = by_action(result.blocks)
    kept = by_action(case.kept)
    unplaced = result.unplaced

    assert list(result.blocks) == sorted(result.blocks, key=lambda b: utc(b.start))
    for i, b in enumerate(result.blocks):
        a = actions[b.action_id]
        assert b.start.tzinfo == tz
        assert b.end.tzinfo == tz
        assert utc(b.start) < utc(b.end)
        assert inside_a_window(b, plan), b
        assert utc(b.start) >= utc(case.now)
        assert local_day(b.start, tz) >= max(plan.start, a.start or plan.start)
        last = local_day(b.end - timedelta(microseconds=1), tz)
        if b.action_id in result.overdue:  # due passed: placed from now on, within the cap
            assert a.recurrence is None
            assert a.due < local_day(case.now, tz) + timedelta(days=1)
            assert last <= plan.end + timedelta(weeks=26)
        else:
            assert last <= min(plan.end, a.due if a.recurrence is None else (a.until or a.due))
        assert not any(overlaps(b, x) for x in case.busy), b
        assert not any(overlaps(b, k) for k in case.kept), b
        assert not any(overlaps(b, c) for c in result.blocks[i + 1 :]), b
        assert b.action_id not in case.done

    # The weekly budget, per local ISO week, kept blocks included.
    budget = timedelta(hours=sched.weekly_hours)
    kept_week: dict[tuple[int, int], timedelta] = defaultdict(timedelta)
    new_week: dict[tuple[int, int], timedelta] = defaultdict(timedelta)
    for k in case.kept:
        kept_week[local_day(k.start, tz).isocalendar()[:2]] += max(length(k), timedelta(0))
    for b in result.blocks:
        new_week[local_day(b.start, tz).isocalendar()[:2]] += length(b)
    for week, used in new_week.items():
        assert used <= max(timedelta(0), budget - kept_week[week]), week

    for aid, a in actions.items():
        blocks = new.get(aid, [])
        assert [b.index for b in blocks] == list(
            range(case.next_index.get(aid, 0), case.next_index.get(aid, 0) + len(blocks))
        )
        # Dependencies: after every block of each undone dependency; none if one failed.
        for dep in a.after:
            if dep in case.done or dep not in actions or dep == aid:
                continue
            dep_end = max((utc(x.end) for x in new.get(dep, []) + kept.get(dep, [])), default=None)
            if blocks and dep_end is not None:
                assert min(utc(b.start) for b in blocks) >= dep_end, (aid, dep)
            if actions[dep].recurrence is None and dep in unplaced:
                assert not blocks, (aid, dep)
        if aid in case.done:
            assert aid not in unplaced
        elif a.recurrence is None:
            check_one_off(case, a, blocks, unplaced.get(aid, timedelta(0)))
        else:
            check_recurring(case, a, blocks, unplaced.get(aid, timedelta(0)))

    assert all(v > timedelta(0) for v in unplaced.values())
    late: dict[str, timedelta] = defaultdict(timedelta)
    for aid, v in unplaced.items():
        late[milestone_of[aid]] += v
    order = [m.id for m in plan.milestones]
    assert [r.milestone_id for r in result.risks] == [m for m in order if m in late]
    cap = plan.end + timedelta(weeks=26)
    for r in result.risks:
        assert r.short == late[r.milestone_id]
        assert r.slip_to is None or plan.start <= r.slip_to <= cap
        assert r.fixes, r
        assert len(set(r.fixes)) == len(r.fixes)


def check_one_off(case: Case, a: Action, blocks: list[Block], unplaced: timedelta) -> None:
    sched = case.plan.schedule
    wanted = max(case.remaining.get(a.id, timedelta(0)), timedelta(0))
    if a.effort <= timedelta(0):
        wanted = timedelta(0)
    assert sum((length(b) for b in blocks), timedelta(0)) + unplaced == wanted, a.id
    short = [b for b in blocks if length(b) < sched.min_block]
    assert all(length(b) <= sched.max_block for b in blocks)
    assert len(short) <= 1
    if short:
        assert wanted < sched.min_block or sched.max_block < 2 * sched.min_block
    ordered = sorted(blocks, key=lambda b: utc(b.start))
    for x, y in pairwise(ordered):
        assert utc(y.start) - utc(x.end) >= sched.min_block  # a break between blocks
    for b in blocks:  # and from the action's blocks already in the calendar
        for k in case.kept:
            if k.action_id == a.id and utc(k.start) < utc(k.end):
                gap = max(utc(b.start) - utc(k.end), utc(k.start) - utc(b.end))
                assert gap >= sched.min_block, (b, k)


def check_recurring(case: Case, a: Action, blocks: list[Block], unplaced: timedelta) -> None:
    assert a.recurrence is not None
    anchor = a.start or case.plan.start
    if a.effort <= timedelta(0):
        assert not blocks
        assert not unplaced
        return
    keys = [period_key(a, anchor, local_day(b.start, case.plan.tz)) for b in blocks]
    assert len(keys) == len(set(keys)), a.id
    open_ = open_periods(case, a)
    assert set(keys) <= open_, a.id
    assert all(length(b) == a.effort for b in blocks)
    if a.recurrence.days:
        days = {WEEKDAYS.index(d) for d in a.recurrence.days}
        assert all(local_day(b.start, case.plan.tz).weekday() in days for b in blocks)
    assert unplaced % a.effort == timedelta(0)
    assert len(blocks) + unplaced // a.effort == len(open_), a.id


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_invariant_holds(case: Case) -> None:
    result = case.place()
    check(case, result)
    assert case.place() == result  # deterministic
