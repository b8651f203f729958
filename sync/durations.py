"""Lengths of time as plan files write them.

A duration is the effort of an action or the size of a focus block: `45m`, `1h30m`, `2h`, or whole
minutes (`90`). A horizon is the length of a plan: `15 months`, `26 weeks`, `1 year`; months are
added calendar-wise, so a plan starting on the 31st ends on the last day of a shorter month.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

_MINUTES = re.compile(r"[0-9]{1,9}")
_HOURS_MINUTES = re.compile(r"(?:([0-9]{1,7})\s*h)?\s*(?:([0-9]{1,9})\s*m)?")
_HORIZON = re.compile(r"([0-9]{1,4})\s*(day|week|month|year)s?")
HORIZON_EXAMPLES = "15 months, 26 weeks, 1 year"


def parse_duration(value: str | int) -> timedelta:
    """`45m`, `1h30m`, `2h`, or whole minutes (`90` or 90) as a timedelta; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"{value} is negative")
        return timedelta(minutes=value)
    text = value.strip().lower()
    if _MINUTES.fullmatch(text):
        return timedelta(minutes=int(text))
    match = _HOURS_MINUTES.fullmatch(text)
    if match is None or (match.group(1) is None and match.group(2) is None):
        raise ValueError(f"{value!r} is not a duration like 45m, 1h30m or 2h")
    hours, minutes = (int(group or 0) for group in match.groups())
    if match.group(1) is not None and minutes >= 60:
        raise ValueError(f"{value!r} has {minutes} minutes after the hours; write at most 59")
    return timedelta(hours=hours, minutes=minutes)


def format_duration(td: timedelta) -> str:
    """The inverse of `parse_duration`: `1h30m`, `45m`, `2h`, `0m` (seconds are dropped)."""
    minutes = int(abs(td).total_seconds()) // 60
    sign = "-" if td < timedelta(0) and minutes else ""
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{sign}{minutes}m"
    return f"{sign}{hours}h{minutes}m" if minutes else f"{sign}{hours}h"


def add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def horizon_end(start: date, horizon: str) -> date:
    """The last day of a plan that starts on `start` and runs for `horizon` (`15 months`).

    The span is inclusive: 15 months from 2026-12-01 end on 2028-02-29. ValueError when `horizon`
    is not a positive count of days, weeks, months or years, or runs past the calendar.
    """
    match = _HORIZON.fullmatch(horizon.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{horizon!r} is not a horizon like {HORIZON_EXAMPLES}")
    count, unit = int(match.group(1)), match.group(2)
    try:
        if unit == "day":
            after = start + timedelta(days=count)
        elif unit == "week":
            after = start + timedelta(weeks=count)
        else:
            after = add_months(start, count * (12 if unit == "year" else 1))
    except (OverflowError, ValueError):
        raise ValueError(f"{horizon!r} runs past the year 9999") from None
    return after - timedelta(days=1)
