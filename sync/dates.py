"""Friendly dates: what people type ("end of March", "in 6 weeks", "next friday") as a `date`.

Everything is relative to a `today` passed in; nothing here reads the clock. A date named without a
year ("end of March", "mid April", "June 3") is the next one on or after `today`.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, timedelta

from sync.durations import add_months

MONTHS = {
    name: number
    for number, full in enumerate(calendar.month_name)
    if full
    for name in (full.lower(), full[:3].lower())
} | {"sept": 9}
WEEKDAYS = {
    name: number
    for number, full in enumerate(calendar.day_name)
    for name in (full.lower(), full[:3].lower())
}
_UNITS = {"day": 1, "week": 7}  # in days; months and years go through add_months
_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "six": 6}

EXAMPLES = "2027-03-31, 'end of March', 'mid April', 'in 6 weeks', 'in 3 months', 'next friday'"


def end_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def parse_date(text: str, today: date) -> date:
    """Read a friendly date; raise ValueError naming the forms that work."""
    phrase = re.sub(r"\s+", " ", text.strip().lower().rstrip(".")).replace("-", " ")
    phrase = re.sub(r"\bthe\b ?", "", phrase).strip()
    if re.fullmatch(r"\d{4} \d{1,2} \d{1,2}", phrase):  # ISO, with its dashes turned into spaces
        try:
            return date(*map(int, phrase.split()))
        except ValueError as err:
            raise ValueError(f"{text.strip()!r} is not a real date ({err})") from None
    for reader in (_relative, _weekday, _in_month, _day_of_month):
        found = reader(phrase, today)
        if found is not None:
            return found
    raise ValueError(f"can't read {text.strip()!r} as a date; try {EXAMPLES}")


def _relative(phrase: str, today: date) -> date | None:
    """today, tomorrow, in 6 weeks, in a month, end of next month, end of this year, end of 2027."""
    if phrase in ("today", "now"):
        return today
    if phrase == "tomorrow":
        return today + timedelta(days=1)
    if m := re.fullmatch(r"in (\d+|\w+) (day|week|month|year)s?", phrase):
        count = int(m[1]) if m[1].isdigit() else _COUNT_WORDS.get(m[1])
        if count is None:
            return None
        unit = m[2]
        if unit in _UNITS:
            return today + timedelta(days=count * _UNITS[unit])
        return add_months(today, count * (12 if unit == "year" else 1))
    if m := re.fullmatch(r"end of (?:(this|next) )?(week|month|year)", phrase):
        step = 1 if m[1] == "next" else 0
        if m[2] == "week":  # weeks end on Sunday
            return today + timedelta(days=6 - today.weekday() + 7 * step)
        if m[2] == "month":
            first = add_months(today.replace(day=1), step)
            return end_of_month(first.year, first.month)
        return date(today.year + step, 12, 31)
    if m := re.fullmatch(r"end of (\d{4})", phrase):
        return date(int(m[1]), 12, 31)
    return None


def _weekday(phrase: str, today: date) -> date | None:
    """friday, next friday, this friday: the first one after today."""
    m = re.fullmatch(r"(?:next |this |on )?(\w+)", phrase)
    if not m or m[1] not in WEEKDAYS:
        return None
    return today + timedelta(days=(WEEKDAYS[m[1]] - today.weekday() - 1) % 7 + 1)


def _in_month(phrase: str, today: date) -> date | None:
    """end of March, mid April, start of May 2027, March (= its end)."""
    m = re.fullmatch(
        r"(?:(end|mid|middle|start|beginning|early|late) (?:of )?)?(\w+)(?: (\d{4}))?", phrase
    )
    if not m or m[2] not in MONTHS:
        return None
    part, month = m[1] or "end", MONTHS[m[2]]

    def pick(year: int) -> date:
        if part in ("end", "late"):
            return end_of_month(year, month)
        return date(year, month, 15 if part in ("mid", "middle") else 1)

    return _next_or_given(pick, m[3], today)


def _day_of_month(phrase: str, today: date) -> date | None:
    """March 31, 31 March, 31st of March 2027."""
    day_month = r"(\d{1,2})(?:st|nd|rd|th)?(?: of)? (\w+)"
    month_day = r"(\w+) (\d{1,2})(?:st|nd|rd|th)?"
    phrase = phrase.replace(",", "")
    if m := re.fullmatch(day_month + r"(?: (\d{4}))?", phrase):
        day, name, year = m[1], m[2], m[3]
    elif m := re.fullmatch(month_day + r"(?: (\d{4}))?", phrase):
        name, day, year = m[1], m[2], m[3]
    else:
        return None
    if name not in MONTHS:
        return None
    month = MONTHS[name]
    try:
        return _next_or_given(lambda y: date(y, month, int(day)), year, today)
    except ValueError:
        in_year = f" in {year}" if year else ""
        raise ValueError(f"{calendar.month_name[month]} has no day {day}{in_year}") from None


def _next_or_given(pick: Callable[[int], date], year: str | None, today: date) -> date:
    """The date in the given year, or else the next one on or after today."""
    if year:
        return pick(int(year))
    found = pick(today.year)
    return found if found >= today else pick(today.year + 1)
