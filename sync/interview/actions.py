"""An action answer: a title, then optional fields, each after a comma.

    Run the five sessions, 6h, after #3
    Work through the study guide, 12h, from 4 January, by end of March
    Explain one concept to a colleague, 30m, every week on tue
    "Call Sam, after lunch", 15m        (quotes keep commas and field words in the title)

Fields: `<effort>`, `by <date>`, `from <date>`, `every <period> [on <days>]` and
`after <title or #number>` (an earlier action). Any part after the first comma that looks like a
field is read as that field, wherever it stands; one that cannot be read refuses the whole
answer with the reason, so field text never ends up in a title.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from difflib import get_close_matches

from sync.dates import parse_date
from sync.durations import format_duration
from sync.interview.answers import EFFORT_EXAMPLES, parse_days, parse_effort, required_text
from sync.interview.draft import ActionDraft
from sync.plan import Every, Weekday

GRAMMAR = (
    "An action is a title, then any of these after commas:\n"
    "  , 2h   , by end of March   , from 4 January   , every week on tue   , after #3\n"
    "e.g. Run the five sessions, 6h, after Get permission\n"
    'Quotes keep commas in a title: "Call Sam, after lunch", 15m'
)
_QUOTES = {'"': '"', "“": "”"}
_KEEP = 'to keep it in the title, put the title in quotes: "..., ...", 1h'
_EVERY: dict[str, Every] = {
    "day": "day",
    "daily": "day",
    "week": "week",
    "weekly": "week",
    "2 weeks": "2 weeks",
    "two weeks": "2 weeks",
    "other week": "2 weeks",
    "fortnight": "2 weeks",
    "fortnightly": "2 weeks",
    "month": "month",
    "monthly": "month",
}
_WORD_TIME = r"(?:an?|one|two|three|half an?|a quarter of an?) (?:hours?|minutes?|mins?)"


def field_of(part: str) -> str | None:
    """The field a comma-separated part looks like ('effort', 'by', ...), or None: title text."""
    text = re.sub(r"\s+", " ", part.strip().lower())
    if re.match(r"(?:by|due|before|until|till)\b", text):
        return "by"
    if re.match(r"(?:from|starting|not before)\b", text):
        return "from"
    if re.match(r"(?:every|each)\b", text) or text in _EVERY:
        return "every"
    if re.match(r"after\b", text):
        return "after"
    if re.match(r"\d", text) or re.fullmatch(_WORD_TIME, text):
        return "effort"
    return None


@dataclass(frozen=True)
class Context:
    """What an action answer is read against: today, its milestone's due, the actions so far."""

    today: date
    due: date
    earlier: Sequence[ActionDraft]  # every action before this one, plan-wide (#1 is index 0)


def action_parser(context: Context) -> Callable[[str], ActionDraft | None]:
    """Read one action answer; empty: no more actions."""

    def parse(raw: str) -> ActionDraft | None:
        return read_action(raw, context) if raw.strip() else None

    return parse


def read_action(raw: str, context: Context) -> ActionDraft:
    title, parts = _split(raw.strip())
    if not raw.strip().startswith(tuple(_QUOTES)) and reads_as_field(title, context):
        raise ValueError(f"{title!r} reads as a field: start with the title, e.g. Study, {title}")
    action = ActionDraft(title="")
    given: dict[str, str] = {}
    for part in parts:
        name = field_of(part)
        if name is None:
            title += f", {part}"
            continue
        if name in given and name != "after":  # `after` may come more than once
            raise ValueError(f"two {_NAMES[name]}s ({given[name]!r} and {part!r}); give one")
        given[name] = part
        _READERS[name](action, part, context)
    action.title = required_text("Book the exam, 15m")(title.strip())
    if action.start and action.due and action.start > action.due:
        raise ValueError(f"it starts ({action.start}) after it is due ({action.due})")
    if action.every == "month" and action.days:
        raise ValueError("days don't go with every month; use every week on ... instead")
    return action


def reads_as_field(part: str, context: Context) -> bool:
    """Whether `part` is a field that reads without error (so it is not title text)."""
    name = field_of(part)
    if name is None:
        return False
    try:
        _READERS[name](ActionDraft(title=""), part, context)
    except ValueError:
        return False
    return True


def _split(text: str) -> tuple[str, list[str]]:
    """The title and the parts after it. A quoted title is whole; every part after it a field."""
    if text[:1] in _QUOTES:
        end = text.find(_QUOTES[text[0]], 1)
        if end < 0:
            raise ValueError("the title's closing quote is missing")
        title, rest = text[1:end], text[end + 1 :].strip()
        if rest and not rest.startswith(","):
            raise ValueError("after the quoted title, put each field after a comma")
        parts = _join_days([p.strip() for p in rest[1:].split(",")] if rest else [])
        for part in parts:
            if field_of(part) is None:
                raise ValueError(f"{part!r} after the quoted title is not a time, date or after")
        return title, parts
    first, *parts = (p.strip() for p in text.split(","))
    return first, _join_days(parts)


def _join_days(parts: list[str]) -> list[str]:
    """'every week on tue, thu': a part of day names after an `every` belongs to it."""
    joined: list[str] = []
    for part in parts:
        if joined and field_of(joined[-1]) == "every" and _is_days(part):
            joined[-1] += f" {part}"
        else:
            joined.append(part)
    return [p for p in joined if p]


def _is_days(text: str) -> bool:
    try:
        parse_days(text)
    except ValueError:
        return False
    return True


_DATE_WORDS = re.compile(
    r"^\s*(?:due(?: by| on)?|by|before|until|till|from|starting(?: on| from)?|not before)\b\s*",
    re.IGNORECASE,
)


def _date(part: str, context: Context, what: str) -> date:
    text = _DATE_WORDS.sub("", part, count=1).strip()
    if not text:
        raise ValueError(f"{part.strip()!r}: which date? e.g. {what} end of March")
    try:
        day = parse_date(text, context.today)
    except ValueError as err:
        raise ValueError(f"{err}; or, {_KEEP}") from None
    if day < context.today:
        raise ValueError(f"{what} {day} is in the past (today is {context.today})")
    if day > context.due:
        raise ValueError(f"{what} {day} is after {context.due}, when its milestone is due")
    return day


def _by(action: ActionDraft, part: str, context: Context) -> None:
    action.due = _date(part, context, "by")


def _from(action: ActionDraft, part: str, context: Context) -> None:
    action.start = _date(part, context, "from")


def _effort(action: ActionDraft, part: str, context: Context) -> None:
    try:
        action.effort = parse_effort(part, zero=True)
    except ValueError as err:
        raise ValueError(f"{err}; or, {_KEEP}") from None


def _every(action: ActionDraft, part: str, context: Context) -> None:
    text = re.sub(r"\s+", " ", part.strip().lower())
    text = re.sub(r"^(?:every|each) ?", "", text)
    period, _, days = text.partition(" on ")
    every: Every | None = _EVERY.get(period.strip())
    found: tuple[Weekday, ...] = ()
    if every is None and period.strip() not in ("", "weekday", "weekdays") and _is_days(period):
        every, found = "week", parse_days(period)  # every tuesday
    elif every is None and period.strip() in ("weekday", "weekdays"):
        every, found = "week", parse_days("weekdays")
    if every is None:
        raise ValueError(
            f"can't read {part.strip()!r} as a repeat; try every day, every week on tue, "
            f"every 2 weeks or every month; or, {_KEEP}"
        )
    if days.strip():
        found = parse_days(days)
    action.every, action.days = every, found


def _after(action: ActionDraft, part: str, context: Context) -> None:
    text = re.sub(r"^\s*after\s*", "", part, flags=re.IGNORECASE).strip()
    if not text:
        raise ValueError("after which action? give its title or number, e.g. after #1")
    try:
        found = [_earlier(text, context)]
    except ValueError as whole:
        pieces = [p for p in re.split(r"\s*(?:&|\+|\band\b)\s*", text) if p]
        if len(pieces) < 2:
            raise whole from None
        found = [_earlier(piece, context) for piece in pieces]
    for index in found:
        if context.earlier[index].every:
            raise ValueError(f"#{index + 1} repeats, so nothing can wait for it to be done")
        if index not in action.after:
            action.after.append(index)


def _earlier(text: str, context: Context) -> int:
    """An earlier action by number (#3, 3) or by its title (whole, start, or part of it)."""
    count = len(context.earlier)
    if m := re.fullmatch(r"#?\s*(\d+)", text.strip()):
        n = int(m[1])
        if not 1 <= n <= count:
            span = f"#1 to #{count}" if count else "none yet"
            raise ValueError(f"#{n} is not an earlier action (earlier ones: {span})")
        return n - 1
    wanted = text.strip().strip("'\"“”‘’").casefold()
    titles = [a.title.casefold() for a in context.earlier]
    for test in (str.__eq__, str.startswith, str.__contains__):
        hits = [i for i, title in enumerate(titles) if test(title, wanted)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            which = ", ".join(f"#{i + 1}" for i in hits)
            raise ValueError(f"{text.strip()!r} matches {which}; write after #N with one of them")
    close = get_close_matches(wanted, titles, n=1, cutoff=0.8)
    if close:
        n = titles.index(close[0]) + 1
        guess = f"did you mean #{n} “{context.earlier[n - 1].title}”? write after #{n}"
    else:
        listing = "; ".join(f"#{i} {a.title}" for i, a in enumerate(context.earlier, 1))
        guess = f"so far: {listing or 'none'}; write after #N"
    raise ValueError(f"no earlier action is called {text.strip()!r} ({guess}), or, {_KEEP}")


_READERS: dict[str, Callable[[ActionDraft, str, Context], None]] = {
    "effort": _effort,
    "by": _by,
    "from": _from,
    "every": _every,
    "after": _after,
}
_NAMES = {
    "effort": "time",
    "by": "due date",
    "from": "start date",
    "every": "repeat",
    "after": "after",
}


def describe(action: ActionDraft, number: int, earlier: Sequence[ActionDraft]) -> str:
    """One line: what was read. '→ #4 “Run the sessions”: 6h, after #3 “Get permission”'."""
    bits: list[str] = []
    if action.effort is None:
        bits.append("time not given yet")
    elif action.effort:
        bits.append(format_duration(action.effort))
    else:
        bits.append("no time needed")
    if action.start:
        bits.append(f"from {action.start}")
    if action.every:
        on = f" on {' '.join(action.days)}" if action.days else ""
        bits.append(f"every {action.every}{on}")
    if action.due:
        bits.append(f"{'until' if action.every else 'by'} {action.due}")
    bits += [f"after #{i + 1} “{earlier[i].title}”" for i in action.after]
    return f"→ #{number} “{action.title}”: {', '.join(bits)}"


def effort_echo(value: object) -> str | None:
    if not isinstance(value, timedelta):
        return None
    return f"→ {format_duration(value)}" if value else "→ no time needed (no calendar block)"


EFFORT_HINT = f"The time to block in your calendar, e.g. {EFFORT_EXAMPLES}."
