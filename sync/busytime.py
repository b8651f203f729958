"""Busy time as the engine knows it: 89-day pieces, each with the moment it was read.

Pure data and arithmetic; the engine does the reading. A sync starts from an empty cache, so it
reads fresh busy time over the whole range the planner needs. The scheduler keeps one cache
across cycles: a piece younger than `max_age` is not read again, and an idle cycle refreshes at
most `per_run` stale pieces (the stalest first), so it stays within its request budget while a
new busy event is seen within `max_age` (for plans whose blocks reach up to 89 days x
`max_age` / poll interval ahead).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sync.spans import Interval

PIECE = timedelta(days=89)  # one freeBusy query's range, under Google's 90 days (in UTC)
MAX_AGE = timedelta(minutes=15)


@dataclass
class BusyCache:
    max_age: timedelta = MAX_AGE
    per_run: int | None = None  # stale pieces refreshed per run; None: all of them
    anchor: datetime | None = None  # piece 0 starts here (UTC)
    pieces: dict[int, tuple[datetime, tuple[Interval, ...]]] = field(default_factory=dict)

    def span(self, k: int) -> tuple[datetime, datetime]:
        assert self.anchor is not None
        return self.anchor + k * PIECE, self.anchor + (k + 1) * PIECE

    def to_read(self, start: datetime, end: datetime, now: datetime) -> list[int]:
        """The pieces over [start, end) to read now: every missing one, and stale ones up to
        `per_run`, stalest first."""
        if end <= start:
            return []
        if self.anchor is None:
            self.anchor = start.astimezone(UTC)
        first = (start.astimezone(UTC) - self.anchor) // PIECE
        last = -(-(end.astimezone(UTC) - self.anchor) // PIECE)
        wanted = range(first, last)
        missing = [k for k in wanted if k not in self.pieces]
        stale = sorted(
            (self.pieces[k][0], k)
            for k in wanted
            if k in self.pieces and now - self.pieces[k][0] >= self.max_age
        )
        room = len(stale) if self.per_run is None else max(0, self.per_run - len(missing))
        return missing + sorted(k for _, k in stale[:room])

    def known_until(self, end: datetime) -> datetime:
        """The end of the piece holding `end`: how far a read up to `end` reaches."""
        assert self.anchor is not None
        return self.span(-(-(end.astimezone(UTC) - self.anchor) // PIECE) - 1)[1]

    def put(self, k: int, read_at: datetime, busy: list[Interval]) -> None:
        self.pieces[k] = (read_at, tuple(busy))

    def busy(self) -> list[Interval]:
        seen = {x for _, spans in self.pieces.values() for x in spans}
        return sorted(seen)
