"""Free time for the planner: instants as integers, window instances per local day, and the
sorted free intervals left once busy time and fixed blocks are cut out.

Every instant is an integer count of microseconds since the Unix epoch (UTC): the arithmetic is
exact and free of the wall-clock semantics of same-zone datetime arithmetic. Pure.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sync.plan import WEEKDAYS, Plan, Weekday

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
SECOND = 1_000_000
HOUR = 3600 * SECOND
GRAIN = 5 * 60 * SECOND  # `now`, busy and fixed edges are rounded outward to 5 minutes


def us(dt: datetime) -> int:
    if dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()}: the planner needs aware datetimes")
    return (dt - EPOCH) // US


def at(value: int, tz: ZoneInfo) -> datetime:
    return (EPOCH + value * US).astimezone(tz)


def local_us(day: date, wall_time: time, tz: ZoneInfo) -> int:
    """The instant of a local wall time; in a daylight-saving gap, the moment the clocks jump."""
    wall = datetime.combine(day, wall_time)
    instant = us(wall.replace(tzinfo=tz))
    if at(instant, tz).replace(tzinfo=None) == wall:
        return instant
    # fold=1 reads a gap time with the offset after the jump, giving an instant before it.
    lo, hi = us(wall.replace(tzinfo=tz, fold=1)) // SECOND, -(-instant // SECOND)
    before = at(lo * SECOND, tz).utcoffset()
    while hi - lo > 1:  # transitions fall on whole seconds
        mid = (lo + hi) // 2
        if at(mid * SECOND, tz).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi * SECOND


def midnight(day: date, tz: ZoneInfo) -> int:
    return local_us(day, time(0), tz)


def week(ordinal: int) -> int:
    """ISO week number counted from 0001-01-01, a Monday."""
    return (ordinal - 1) // 7


def weekday(ordinal: int) -> int:
    return (ordinal - 1) % 7


def local_day(value: int, tz: ZoneInfo) -> int:
    """The ordinal of the local day an instant falls on."""
    return at(value, tz).date().toordinal()


def add_months(day: date, months: int, anchor_day: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(anchor_day, last))


def ordinals(first: date, stop: date) -> range:
    return range(first.toordinal(), stop.toordinal())


def weekday_set(names: Iterable[Weekday]) -> frozenset[int]:
    return frozenset(WEEKDAYS.index(n) for n in names)


def round_out(a: int, b: int) -> tuple[int, int]:
    return a // GRAIN * GRAIN, -(-b // GRAIN) * GRAIN


class Free:
    """Disjoint free intervals sorted by start, each within one local day (ordinal)."""

    __slots__ = ("days", "ends", "starts")

    def __init__(self, starts: list[int], ends: list[int], days: list[int]) -> None:
        self.starts, self.ends, self.days = starts, ends, days

    def copy(self) -> Free:
        return Free(self.starts[:], self.ends[:], self.days[:])

    def find(self, a: int, b: int) -> int | None:
        """The interval that holds all of [a, b), if one does."""
        i = bisect_left(self.ends, b)
        if i < len(self.starts) and self.starts[i] <= a:
            return i
        return None

    def take(self, i: int, a: int, b: int) -> None:
        """Remove [a, b) from interval i, which contains it."""
        s, e = self.starts[i], self.ends[i]
        if a > s and b < e:
            self.ends[i] = a
            self.starts.insert(i + 1, b)
            self.ends.insert(i + 1, e)
            self.days.insert(i + 1, self.days[i])
        elif a > s:
            self.ends[i] = a
        elif b < e:
            self.starts[i] = b
        else:
            del self.starts[i], self.ends[i], self.days[i]

    def give(self, a: int, b: int, day: int) -> None:
        """Put back [a, b) of local day `day`, which was taken out before."""
        starts, ends, days = self.starts, self.ends, self.days
        i = bisect_left(starts, a)
        joins_left = i > 0 and ends[i - 1] == a and days[i - 1] == day
        joins_right = i < len(starts) and starts[i] == b and days[i] == day
        if joins_left and joins_right:
            ends[i - 1] = ends[i]
            del starts[i], ends[i], days[i]
        elif joins_left:
            ends[i - 1] = b
        elif joins_right:
            starts[i] = a
        else:
            starts.insert(i, a)
            ends.insert(i, b)
            days.insert(i, day)


def window_spans(plan: Plan, first: date, last: date) -> list[tuple[int, int, int]]:
    """Window instances (start, end, day ordinal) per local day from first to last, merged."""
    tz = plan.tz
    by_weekday: list[list[tuple[time, time]]] = [[] for _ in WEEKDAYS]
    for w in plan.schedule.windows:
        for d in weekday_set(w.days):
            by_weekday[d].append((w.start, w.end))
    spans: list[tuple[int, int, int]] = []
    for ordinal in range(first.toordinal(), last.toordinal() + 1):
        day = date.fromordinal(ordinal)
        todays = sorted(
            (local_us(day, a, tz), local_us(day, b, tz)) for a, b in by_weekday[weekday(ordinal)]
        )
        for a, b in todays:
            if a >= b:
                continue  # swallowed by a daylight-saving gap
            if spans and spans[-1][2] == ordinal and a <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(b, spans[-1][1]), ordinal)
            else:
                spans.append((a, b, ordinal))
    return spans


def merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(b, out[-1][1]))
        else:
            out.append((a, b))
    return out


def subtract(spans: list[tuple[int, int, int]], taken: list[tuple[int, int]], floor: int) -> Free:
    """Window spans minus merged taken time, from `floor` on."""
    starts: list[int] = []
    ends: list[int] = []
    days: list[int] = []

    def emit(a: int, b: int, day: int) -> None:
        starts.append(a)
        ends.append(b)
        days.append(day)

    j = 0
    for a, b, day in spans:
        if b <= floor:
            continue
        cur = max(a, floor)
        while j < len(taken) and taken[j][1] <= cur:
            j += 1
        k = j
        while k < len(taken) and taken[k][0] < b:
            if taken[k][0] > cur:
                emit(cur, taken[k][0], day)
            cur = max(cur, taken[k][1])
            k += 1
        if cur < b:
            emit(cur, b, day)
    return Free(starts, ends, days)
