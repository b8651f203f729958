"""Reading answers: texts, dates, horizons, efforts, numbers, windows, hours, time zones.

Each reader takes the answer's text and returns a value, or raises ValueError with the reason
and an example of what works; the interview shows the reason and asks the same question again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync.dates import parse_date
from sync.durations import horizon_end
from sync.interview.draft import Horizon
from sync.plan import WEEKDAYS, Weekday

MAX_EFFORT = timedelta(hours=100)


def optional_line(raw: str) -> str | None:
    """Free text for the vision: at most 240 characters, as the four share Todoist's 1024."""
    if len(raw) > 240:
        raise ValueError(f"keep it under 240 characters (this is {len(raw)}); add detail later")
    return raw or None


def required_text(example: str, limit: int = 500) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if not raw:
            raise ValueError(f"this one needs an answer, for example: {example}")
        if len(raw) > limit:
            raise ValueError(f"keep it under {limit} characters (this is {len(raw)})")
        return raw

    return parse


def yes_no(raw: str) -> bool:
    answer = raw.strip().lower()
    if answer in ("y", "yes"):
        return True
    if answer in ("n", "no"):
        return False
    raise ValueError("answer y or n")


def date_between(
    today: date, low: tuple[date, str], high: tuple[date, str]
) -> Callable[[str], date]:
    """A friendly date inside the bounds; each bound comes with why it is one."""

    def parse(raw: str) -> date:
        day = parse_date(raw, today)
        if day < low[0]:
            raise ValueError(f"{day} is before {low[0]}, {low[1]}")
        if day > high[0]:
            raise ValueError(f"{day} is after {high[0]}, {high[1]}")
        return day

    return parse


def show_date(value: Any) -> str | None:
    return f"→ {value.isoformat()}" if isinstance(value, date) else None


def horizon_parser(today: date, longest: int, advice: str) -> Callable[[str], Horizon]:
    """'15 months', '2 years', '15' (months) or a date; at most `longest` months."""

    def parse(raw: str) -> Horizon:
        m = re.fullmatch(r"(\d+)\s*(months?|years?|m|y)?", raw.strip().lower())
        if m:
            months = int(m[1]) * (12 if (m[2] or "m").startswith("y") else 1)
            horizon = Horizon(horizon_end(today, f"{months} months"), months) if months else None
        else:
            horizon = Horizon(parse_date(raw, today))
        if horizon is None or horizon.end <= today:
            raise ValueError("the plan must end after today")
        if horizon.end > horizon_end(today, f"{longest} months"):
            raise ValueError(f"that is more than {longest} months; {advice}")
        return horizon

    return parse


def show_horizon(value: Any) -> str | None:
    return f"→ until {value.end.isoformat()}" if isinstance(value, Horizon) else None


EFFORT = re.compile(
    r"(?:(\d+(?:\.\d+)?)\s*h(?:ours?|rs?)?)?\s*(?:(\d+)\s*m(?:ins?|inutes?)?)?", re.IGNORECASE
)
_WORD_EFFORTS = {
    "half an hour": 30,
    "an hour": 60,
    "one hour": 60,
    "a quarter of an hour": 15,
    "quarter of an hour": 15,
    "two hours": 120,
    "three hours": 180,
}
EFFORT_EXAMPLES = "15m, 1h30m or 2h"


def parse_effort(raw: str, zero: bool = False) -> timedelta:
    """'45m', '1h30m', '2h', '1.5 hours', '90 min', 'an hour'; `zero`: also '0' (no time needed).

    At most 100 hours: a bigger action is better split.
    """
    text = re.sub(r"\s+", " ", raw.strip().lower())
    if zero and text in ("0", "0m", "0h", "none", "no time"):
        return timedelta(0)
    if text in _WORD_EFFORTS:
        return timedelta(minutes=_WORD_EFFORTS[text])
    m = EFFORT.fullmatch(text)
    if not text or not m or not (m[1] or m[2]):
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            raise ValueError(f"{text} what? write {text}m or {text}h")
        raise ValueError(f"can't read {raw.strip()!r} as a time; try {EFFORT_EXAMPLES}")
    effort = timedelta(hours=float(m[1] or 0), minutes=int(m[2] or 0))
    if effort > MAX_EFFORT:
        raise ValueError("that is over 100 hours: split it into smaller actions")
    effort = timedelta(minutes=round(effort.total_seconds() / 60))
    if not effort and not zero:
        raise ValueError(f"that is no time at all; try {EFFORT_EXAMPLES}")
    return effort


def numbers_parser(count: int, what: str = "action") -> Callable[[str], list[int]]:
    """'1, 3' or '2-4' or '#2' -> zero-based indexes; 'none' or empty -> []."""

    def parse(raw: str) -> list[int]:
        picked: list[int] = []
        for token in re.split(r"[,\s]+", raw.strip().lower().replace("#", "")):
            if token in ("", "none", "-"):
                continue
            m = re.fullmatch(r"(\d+)(?:-(\d+))?", token)
            if not m:
                raise ValueError(f"give {what} numbers, like 1, 3 or 2-4")
            for n in range(int(m[1]), int(m[2] or m[1]) + 1):
                if not 1 <= n <= count:
                    raise ValueError(f"there is no {what} {n} (1 to {count})")
                if n - 1 not in picked:
                    picked.append(n - 1)
        return picked

    return parse


_DAY_GROUPS = {
    "weekdays": WEEKDAYS[:5],
    "workdays": WEEKDAYS[:5],
    "weekend": WEEKDAYS[5:],
    "weekends": WEEKDAYS[5:],
    "daily": WEEKDAYS,
    "everyday": WEEKDAYS,
}
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?"


def day_index(token: str) -> int:
    for i, full in enumerate(_FULL_DAYS):
        if len(token) >= 2 and full.startswith(token):
            return i
    raise ValueError(f"{token!r} is not a day; use mon, tue ... sun, weekdays or weekend")


def parse_days(text: str) -> tuple[Weekday, ...]:
    """'mon wed', 'tue and thu', 'weekdays', 'fri-mon' -> weekdays in week order."""
    days: set[int] = set()
    for token in re.split(r"[\s,/&+]+|\band\b", text.lower().replace("every day", "daily")):
        if not token:
            continue
        if token in _DAY_GROUPS:
            days.update(WEEKDAYS.index(d) for d in _DAY_GROUPS[token])
        elif "-" in token:
            first, last = (day_index(t) for t in token.split("-", 1))
            days.update(
                range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
            )
        else:
            days.add(day_index(token))
    if not days:
        raise ValueError("name the days, like mon wed, weekdays or weekend")
    return tuple(WEEKDAYS[d] for d in sorted(days))


def _clock(hour: str, minute: str | None, half: str | None) -> str:
    h, m = int(hour), int(minute or 0)
    if half:
        if not 1 <= h <= 12:
            raise ValueError(f"{hour}{half} is not a time")
        h = h % 12 + (12 if half == "pm" else 0)
    if h > 23 or m > 59:
        raise ValueError(f"{hour}:{minute or '00'} is not a time of day")
    return f"{h:02d}:{m:02d}"


def parse_window(raw: str) -> dict[str, Any] | None:
    """'mon wed 07:00-08:30', 'weekdays 18-19', 'sat 9am-12' -> a schedule window."""
    if not raw:
        return None
    text = raw.strip().lower()
    m = re.fullmatch(rf"(.*?)\s*{_TIME}\s*(?:-|–|to)\s*{_TIME}", text)
    if not m or not m[1].strip():
        raise ValueError("write days then hours, like 'mon wed 07:00-08:30' or 'sat 9-12'")
    days = parse_days(m[1])
    start, end = _clock(m[2], m[3], m[4]), _clock(m[5], m[6], m[7])
    if start >= end:
        raise ValueError(f"the window must end after it starts ({start} to {end})")
    return {"days": list(days), "from": start, "to": end}


def parse_hours(raw: str) -> float:
    m = re.fullmatch(
        r"(\d+(?:\.\d+)?)\s*(?:h|hours?|hrs?)?(?: a week| per week|/week)?", raw.lower()
    )
    if not m or not 0 < float(m[1]) <= 80:
        raise ValueError("give hours a week, between 0.5 and 80, like 4 or 2.5")
    return float(m[1])


def parse_timezone(raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{raw!r} is not a time zone name; use one like Europe/London or America/New_York"
        ) from None
    return raw
