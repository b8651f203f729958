"""The `careersync init` interview: the two coaching exercises as questions, and the plan file.

Pure, no terminal. Each exercise is a generator script: it yields `Question`s and receives each
parsed answer. An `Interview` keeps the raw answers and replays them through a fresh script, so
"back" is only dropping the last answer. The answers become a plan dict in the documented format
(`build`), then commented YAML (`render`). The prompts live in `sync.cli.init`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from sync.dates import EXAMPLES, parse_date
from sync.durations import add_months, format_duration, horizon_end
from sync.plan import DEFAULT_WINDOWS as MODEL_WINDOWS
from sync.plan import KINDS, WEEKDAYS, Kind, slug

Exercise = Literal["vision", "short-term"]
EXERCISES: tuple[Exercise, ...] = ("vision", "short-term")
BACK = "back"
MAX_STEPS = 10  # milestones found by walking back; plenty for 18 months
MAX_ITEMS = 15  # actions per milestone (18 monthly goals x 16 stay under Todoist's 300 tasks)
SHORT_TERM_MONTHS = 6  # 3 areas x 6 months stay under Todoist's 20 sections
TITLE_LIMIT = 120  # a plan title is a Todoist project name


@dataclass(frozen=True)
class Question:
    """One prompt. An empty answer means `default`; `parse` raises ValueError to re-ask."""

    key: str  # stable name, shown in errors about an answers file
    text: str
    hint: str = ""  # what to write, with an example; shown before the prompt
    default: str = ""
    parse: Callable[[str], Any] = field(default=lambda raw: optional_text(raw))
    heading: str = ""  # a section title, shown before the section's first question
    echo: Callable[[Any], str | None] = field(default=lambda value: None)  # e.g. the ISO date

    def read(self, answer: str) -> Any:
        return self.parse(answer.strip() or self.default)


Script = Generator[Question, Any, "Draft"]
Steps = Generator[Question, Any, Any]


class Interview:
    """An exercise in progress: the current question, or (once over) the finished draft."""

    question: Question | None
    draft: Draft | None

    def __init__(self, script: Callable[[], Script]) -> None:
        self._script = script
        self.answers: list[str] = []
        self._replay()

    def answer(self, text: str) -> Any:
        """Take one answer and return its value; "back" returns to the previous question.

        A ValueError (the answer does not fit) leaves the interview where it was.
        """
        if text.strip().lower() == BACK:
            if self.answers:
                self.answers.pop()
                self._replay()
            return None
        assert self.question is not None, "the interview is over"
        value = self.question.read(text)
        self.answers.append(text)
        self._advance(value)
        return value

    def _replay(self) -> None:
        self._running = self._script()
        self.question, self.draft = next(self._running), None
        for text in self.answers:
            assert self.question is not None
            self._advance(self.question.read(text))

    def _advance(self, value: Any) -> None:
        try:
            self.question = self._running.send(value)
        except StopIteration as end:
            self.question, self.draft = None, end.value


# --- answers -----------------------------------------------------------------------------------


def optional_text(raw: str) -> str | None:
    if len(raw) > 500:
        raise ValueError(f"keep it under 500 characters (this is {len(raw)})")
    return raw or None


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


def _show_date(value: Any) -> str | None:
    return f"→ {value.isoformat()}" if isinstance(value, date) else None


@dataclass(frozen=True)
class Horizon:
    """How far the plan looks: its last day, and the whole months that make it (if given so)."""

    end: date
    months: int | None = None


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


def _show_horizon(value: Any) -> str | None:
    return f"→ until {value.end.isoformat()}" if isinstance(value, Horizon) else None


_EFFORT = re.compile(
    r"(?:(\d+(?:\.\d+)?)\s*h(?:ours?|rs?)?)?\s*(?:(\d+)\s*m(?:ins?|inutes?)?)?", re.IGNORECASE
)


def parse_effort(raw: str) -> timedelta:
    """'45m', '1h30m', '2h', '1.5 hours', '90 min'; at most 100 hours (split bigger actions)."""
    m = _EFFORT.fullmatch(raw.strip())
    if not raw.strip() or not m or not (m[1] or m[2]):
        raise ValueError(f"can't read {raw!r} as a time; try 15m, 1h30m or 2h")
    effort = timedelta(hours=float(m[1] or 0), minutes=int(m[2] or 0))
    if effort > timedelta(hours=100):
        raise ValueError("that is over 100 hours: split it into smaller actions")
    return timedelta(minutes=round(effort.total_seconds() / 60))


_EVERY = {
    "day": "day",
    "daily": "day",
    "week": "week",
    "weekly": "week",
    "2 weeks": "2 weeks",
    "fortnight": "2 weeks",
    "fortnightly": "2 weeks",
    "month": "month",
    "monthly": "month",
}


@dataclass
class ActionDraft:
    title: str
    effort: timedelta = timedelta(0)
    due: date | None = None
    every: str | None = None
    first: bool = False


def action_parser(today: date, due: date) -> Callable[[str], ActionDraft | None]:
    """'Title[, effort][, by DATE][, every week]' for a milestone due on `due`; empty: no more."""
    by_date = date_between(today, (today, "today"), (due, "when its milestone is due"))

    def parse(raw: str) -> ActionDraft | None:
        if not raw:
            return None
        parts = [p.strip() for p in raw.split(",")]
        action = ActionDraft(title="")
        while len(parts) > 1:  # read the options from the end; the rest is the title
            part = parts[-1].lower()
            if m := re.fullmatch(r"(?:by|due|before) (.+)", part):
                action.due = by_date(m[1])
            elif every := _EVERY.get(part.removeprefix("every ")):
                action.every = every
            elif _EFFORT.fullmatch(part) and re.search(r"\d", part):
                action.effort = parse_effort(part)
            else:
                break
            parts.pop()
        action.title = required_text("Book the exam, 15m")(", ".join(parts))
        return action

    return parse


def numbers_parser(count: int, what: str = "action") -> Callable[[str], list[int]]:
    """'1, 3' or '2-4' -> zero-based indexes; 'none' or empty -> []."""

    def parse(raw: str) -> list[int]:
        picked: list[int] = []
        for token in re.split(r"[,\s]+", raw.strip().lower()):
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


def _day(token: str) -> int:
    for i, full in enumerate(_FULL_DAYS):
        if len(token) >= 2 and full.startswith(token):
            return i
    raise ValueError(f"{token!r} is not a day; use mon, tue ... sun, weekdays or weekend")


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
    days: set[int] = set()
    for token in re.split(r"[\s,/&+]+|\band\b", m[1].replace("every day", "daily")):
        if not token:
            continue
        if token in _DAY_GROUPS:
            days.update(WEEKDAYS.index(d) for d in _DAY_GROUPS[token])
        elif "-" in token:
            first, last = (_day(t) for t in token.split("-", 1))
            days.update(
                range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
            )
        else:
            days.add(_day(token))
    start, end = _clock(m[2], m[3], m[4]), _clock(m[5], m[6], m[7])
    if start >= end:
        raise ValueError(f"the window must end after it starts ({start} to {end})")
    return {"days": [WEEKDAYS[d] for d in sorted(days)], "from": start, "to": end}


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


# --- the exercises -----------------------------------------------------------------------------


@dataclass
class MilestoneDraft:
    title: str
    due: date
    kind: Kind | None = None
    after: int | None = None  # index of the milestone this one comes after
    notes: str | None = None
    actions: list[ActionDraft] = field(default_factory=list)


@dataclass
class Draft:
    """Everything the interview learned, before ids are given out."""

    exercise: Exercise
    title: str
    start: date
    horizon: Horizon
    timezone: str
    vision: dict[str, str | None] = field(default_factory=dict)
    milestones: list[MilestoneDraft] = field(default_factory=list)
    windows: list[dict[str, Any]] = field(default_factory=list)
    weekly_hours: float = 4.0


def interview(today: date, timezone: str, exercise: Exercise | None = None) -> Script:
    """The whole interview: which exercise (unless given), then that exercise."""
    if exercise is None:
        exercise = yield Question(
            "exercise",
            "Which plan shall we make: vision or short-term?",
            hint="vision: picture where you want to be in 12-18 months and walk back to today.\n"
            "short-term: goals for the next 3-6 months in knowledge, skills and experience.\n"
            "Type 'back' at any question to return to the previous one.",
            default="vision",
            parse=_exercise,
            heading="careersync init",
        )
    steps = vision_steps if exercise == "vision" else short_term_steps
    return (yield from steps(today, timezone))


def _exercise(raw: str) -> Exercise:
    choice = raw.lower().replace(" ", "-")
    if choice in ("1", "2"):
        return EXERCISES[int(choice) - 1]
    for name in EXERCISES:
        if name.startswith(choice):
            return name
    raise ValueError("answer vision or short-term")


def vision_steps(today: date, timezone: str) -> Generator[Question, Any, Draft]:
    horizon: Horizon = yield Question(
        "horizon",
        "How far ahead are you looking?",
        hint="Close enough to feel real: 12 to 18 months works well; longer is fine too.\n"
        "e.g. 15 months, 2 years, or a date such as 'end of 2027'",
        default="15 months",
        parse=horizon_parser(today, 120, "plan at most 10 years ahead"),
        heading="The end point",
        echo=_show_horizon,
    )
    title: str = yield Question(
        "title",
        "Picture yourself there. Sum it up in a few words (the plan's title)",
        hint="e.g. Lead a data engineering team",
        parse=required_text("Lead a data engineering team", TITLE_LIMIT),
    )
    draft = Draft("vision", title, today, horizon, timezone)
    for key, text, hint in (
        (
            "where",
            "Where are you?",
            "Capture what you can see; leave out what you don't know yet and add it later.\n"
            "e.g. Leading the data group at a mid-size fintech",
        ),
        ("doing", "What are you doing there?", "e.g. Designing pipelines, running team planning"),
        ("who", "Who is there with you?", "e.g. Five engineers, a supportive director"),
        ("notes", "Any other detail you can see?", "e.g. Remote-first, two office days a week"),
    ):
        draft.vision[key] = yield Question(f"vision.{key}", text, hint=hint, parse=optional_line)

    steps: list[str] = []
    while len(steps) < MAX_STEPS - 1:
        step: str | None = yield Question(
            f"step.{len(steps) + 1}",
            f"What was the step just before “{steps[-1] if steps else title}”?",
            hint="Work back from the end point, one step at a time, until you reach today.\n"
            "e.g. Pass the cloud data engineer certification. Empty answer: that is where "
            "you are now."
            if not steps
            else "Empty answer: that step starts from where you are today.",
            parse=optional_text,
            heading="Walking back to today" if not steps else "",
        )
        if not step:
            break
        steps.append(step)

    titles = [*reversed(steps), title]
    low = (today, "today")
    for i, name in enumerate(titles):
        spaced = today + (horizon.end - today) * (i + 1) // len(titles)
        last = i == len(titles) - 1
        due: date = yield Question(
            f"due.{i + 1}",
            f"When should “{name}” be reached?",
            hint=f"Give each milestone a time frame, earliest first. Dates like {EXAMPLES}."
            if i == 0
            else "",
            default=(horizon.end if last else max(spaced, low[0])).isoformat(),
            parse=date_between(today, low, (horizon.end, "the plan's end")),
            heading="Zoom out: milestones and their dates" if i == 0 else "",
            echo=_show_date,
        )
        draft.milestones.append(MilestoneDraft(name, due, after=i - 1 if i else None))
        low = (due, "when the step before it is due")

    for i, milestone in enumerate(draft.milestones):
        milestone.actions = yield from _actions(milestone, today, f"milestone.{i + 1}", i == 0)
    yield from _make_it_happen(draft, today)
    yield from _schedule(draft)
    return draft


AREAS: dict[Kind, tuple[str, str, str]] = {
    "knowledge": (
        "Knowledge to acquire",
        "What do you need to know that you don't yet?",
        "What you need to know for the next role: a domain, a tool, a method. Courses,\n"
        "webinars, certifications and reading are the usual routes. e.g. Product analytics basics",
    ),
    "skills": (
        "Skills to develop",
        "Which skill do you want to develop?",
        "Skills put knowledge to work (communicating clearly, deciding, negotiating) and grow\n"
        "with practice: start small, aim higher each month. e.g. Present ideas clearly to a room",
    ),
    "experience": (
        "Experience to gain",
        "What experience do you want to gain?",
        "Doing the work for real, which shows you understand the new role.\n"
        "e.g. Hands-on product discovery",
    ),
}
EXPERIENCE_WAYS: tuple[tuple[str, timedelta], ...] = (
    ("Join a professional organisation or community in the field", timedelta(hours=1)),
    ("Start a personal project that uses the new skills", timedelta(hours=3)),
    ("Ask for a task at my current job that leans toward the new role", timedelta(minutes=30)),
    ("Ask a colleague who does this work to show how they approach it", timedelta(minutes=30)),
    ("Find a mentor who has made a similar move", timedelta(hours=1)),
)


def short_term_steps(today: date, timezone: str) -> Generator[Question, Any, Draft]:
    horizon: Horizon = yield Question(
        "horizon",
        "How many months does this plan cover?",
        hint="3 to 6 months keeps the goals close; e.g. 3, 6 months, or 'end of June'",
        default="3 months",
        parse=horizon_parser(today, SHORT_TERM_MONTHS, "for a longer view, make a vision plan"),
        heading="The next few months",
        echo=_show_horizon,
    )
    title: str = yield Question(
        "title",
        "What are these months for? (the plan's title)",
        hint="e.g. Move from customer support into product management",
        parse=required_text("Move from customer support into product management", TITLE_LIMIT),
    )
    draft = Draft("short-term", title, today, horizon, timezone)
    draft.vision["doing"] = yield Question(
        "vision.doing",
        "Where should they take you?",
        hint="e.g. Working as an associate product manager. Empty answer: skip.",
        parse=optional_line,
    )
    months = _months(today, horizon.end)
    for kind in KINDS:
        heading, text, hint = AREAS[kind]
        goal: str | None = yield Question(
            f"{kind}.goal",
            text,
            hint=f"{hint}\nEmpty answer: nothing in this area.",
            parse=optional_text,
            heading=heading,
        )
        if not goal:
            continue
        ways: list[int] = []
        if kind == "experience":
            ways = yield Question(
                "experience.ways",
                "Which of these will you use? Their numbers, e.g. 1, 3",
                hint="You don't need the job to start gaining its experience:\n"
                + "\n".join(f"  {n}. {way}" for n, (way, _) in enumerate(EXPERIENCE_WAYS, 1)),
                default="none",
                parse=numbers_parser(len(EXPERIENCE_WAYS), "way"),
            )
        previous: int | None = None
        for month in range(1, months + 1):
            due = min(add_months(today, month) - timedelta(days=1), horizon.end)
            before = draft.milestones[previous].title if previous is not None else None
            target: str | None = yield Question(
                f"{kind}.month.{month}",
                f"Month {month} (until {due}): the {kind} goal",
                hint=f"A step bigger than “{before}”. Empty answer: none this month."
                if before
                else "Start small; each month's goal grows from the last. "
                "Empty answer: none this month.",
                parse=optional_text,
            )
            if not target:
                continue
            milestone = MilestoneDraft(target, due, kind, previous, f"Toward the goal “{goal}”")
            draft.milestones.append(milestone)
            milestone.actions = yield from _actions(
                milestone, today, f"{kind}.month.{month}", len(draft.milestones) == 1
            )
            if previous is None:  # the ways to gain experience start in the first month
                milestone.actions[:0] = [ActionDraft(*EXPERIENCE_WAYS[w]) for w in ways]
            previous = len(draft.milestones) - 1
        if previous is None:  # no monthly goals: the area's goal, due at the end
            milestone = MilestoneDraft(goal, horizon.end, kind)
            milestone.actions = [ActionDraft(*EXPERIENCE_WAYS[w]) for w in ways]
            draft.milestones.append(milestone)
    yield from _make_it_happen(draft, today)
    yield from _schedule(draft)
    return draft


def _months(start: date, last: date) -> int:
    """How many months, counted from `start`, it takes to cover `last`."""
    months = 1
    while add_months(start, months) <= last:
        months += 1
    return months


def _actions(milestone: MilestoneDraft, today: date, key: str, explain: bool) -> Steps:
    """Zoom in: the small actions inside a milestone, until an empty answer."""
    actions: list[ActionDraft] = []
    while len(actions) < MAX_ITEMS:
        action: ActionDraft | None = yield Question(
            f"{key}.action.{len(actions) + 1}",
            f"An action toward “{milestone.title}” (by {milestone.due})"
            if not actions
            else "Another action",
            hint="Small and concrete, with a rough time so it gets a calendar block:\n"
            "  Book the exam, 15m  |  Work through the study guide, 12h, by end of March\n"
            "  Explain one concept to a colleague, 30m, every week\n"
            "Empty answer: no more actions for this one."
            if explain and not actions
            else "",
            parse=action_parser(today, milestone.due),
            heading="Zoom in: small actions" if explain and not actions else "",
        )
        if action is None:
            break
        actions.append(action)
    return actions


def _make_it_happen(draft: Draft, today: date) -> Steps:
    actions = [a for m in draft.milestones for a in m.actions]
    if not actions:
        return
    listing = "\n".join(f"  {n}. {a.title}" for n, a in enumerate(actions, 1))
    first: list[int] = yield Question(
        "first",
        "Which actions come first? Their numbers, e.g. 1, 3",
        hint=listing,
        default="1",
        parse=numbers_parser(len(actions)),
        heading="Make it happen",
    )
    one_off = [i for i, a in enumerate(actions) if not a.every]
    now: list[int] = yield Question(
        "today",
        "Can any of them be done today? Their numbers",
        hint="Small steps taken now add up quickly. Empty answer: none today.",
        default="none",
        parse=_only(numbers_parser(len(actions)), one_off, "repeats, so it has no single day"),
    )
    for i in first:
        actions[i].first = True
    for i in now:
        actions[i].first, actions[i].due = True, today


def _only(
    parse: Callable[[str], list[int]], allowed: list[int], why: str
) -> Callable[[str], list[int]]:
    def check(raw: str) -> list[int]:
        picked = parse(raw)
        for i in picked:
            if i not in allowed:
                raise ValueError(f"action {i + 1} {why}")
        return picked

    return check


DEFAULT_WINDOWS = tuple(
    {"days": list(w.days), "from": f"{w.start:%H:%M}", "to": f"{w.end:%H:%M}"}
    for w in MODEL_WINDOWS
)


def _slots(windows: Iterable[dict[str, Any]]) -> str:
    return "; ".join(f"{', '.join(w['days'])} {w['from']}-{w['to']}" for w in windows)


def _schedule(draft: Draft) -> Steps:
    draft.timezone = yield Question(
        "timezone",
        "Your time zone",
        hint="Focus blocks are placed in this zone, e.g. Europe/London, America/New_York",
        default=draft.timezone,
        parse=parse_timezone,
        heading="Time for your career",
    )
    while len(draft.windows) < MAX_ITEMS:
        window: dict[str, Any] | None = yield Question(
            f"window.{len(draft.windows) + 1}",
            "When can you work on your career? One slot per answer"
            if not draft.windows
            else "Another slot",
            hint="Days and hours: mon wed 07:00-08:30  |  weekdays 18-19  |  sat 9am-12\n"
            f"Empty answer: done (with none given: {_slots(DEFAULT_WINDOWS)})."
            if not draft.windows
            else "",
            parse=parse_window,
        )
        if window is None:
            break
        draft.windows.append(window)
    draft.windows = draft.windows or [dict(w) for w in DEFAULT_WINDOWS]
    draft.weekly_hours = yield Question(
        "weekly_hours",
        "At most how many hours a week for career work?",
        hint="careersync blocks no more than this in a week; 2 to 6 is typical.",
        default="4",
        parse=parse_hours,
    )


# --- the plan file -----------------------------------------------------------------------------

ID_LIMIT = 32  # ids may have 63 characters; short ones read better
_FILLER = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "its", "my", "of", "on"}
_FILLER |= {"or", "our", "s", "the", "to", "with", "your"}


def slugify(title: str, taken: set[str]) -> str:
    """An id from a title, unique among `taken` (which it joins): 'Book the exam' -> book-exam."""
    words = [word for word in slug(title).split("-") if word]
    words = [word for word in words if word not in _FILLER] or words or ["item"]
    base = words[0][:ID_LIMIT]
    for word in words[1:]:
        if len(base) + 1 + len(word) > ID_LIMIT:
            break
        base += f"-{word}"
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"-{n}"
        candidate, n = base[: ID_LIMIT - len(suffix)].rstrip("-") + suffix, n + 1
    taken.add(candidate)
    return candidate


def build(draft: Draft) -> dict[str, Any]:
    """The plan dict in the documented format (format 1), ids derived from titles."""
    plan: dict[str, Any] = {
        "id": slugify(draft.title, set()),
        "title": draft.title,
        "timezone": draft.timezone,
        "start": draft.start,
    }
    if draft.horizon.months:
        plan["horizon"] = f"{draft.horizon.months} months"
    else:
        plan["end"] = draft.horizon.end
    vision = {k: v for k, v in draft.vision.items() if v}
    if vision:
        plan["vision"] = vision
    weekly = int(draft.weekly_hours) if draft.weekly_hours.is_integer() else draft.weekly_hours
    taken: set[str] = set()
    ids = [slugify(m.title, taken) for m in draft.milestones]
    milestones = []
    for m, mid in zip(draft.milestones, ids, strict=True):
        item: dict[str, Any] = {"id": mid, "title": m.title}
        if m.kind:
            item["kind"] = m.kind
        item["due"] = m.due
        if m.after is not None:
            item["after"] = [ids[m.after]]
        if m.notes:
            item["notes"] = m.notes
        item["actions"] = [_action(a, slugify(a.title, taken)) for a in m.actions]
        milestones.append(item)
    return {
        "format": 1,
        "plan": plan,
        "schedule": {"weekly_hours": weekly, "windows": draft.windows},
        "milestones": milestones,
    }


def _action(action: ActionDraft, action_id: str) -> dict[str, Any]:
    item: dict[str, Any] = {"id": action_id, "title": action.title}
    if action.effort:
        item["effort"] = format_duration(action.effort)
    if action.first:
        item["first"] = True
    if action.due:
        item["due"] = action.due
    if action.every:
        item["every"] = action.every
    return item


_NOTES = {
    "plan": "The plan: where it starts, how far it looks ahead, and the picture at its end point.",
    "plan.vision": "Where you are, what you do, who is with you at the end. Fill in gaps any time.",
    "schedule": "When careersync may place focus blocks (in the plan's time zone), and how many\n"
    "hours a week at most.",
}
_MILESTONE_NOTES: dict[Exercise, str] = {
    "vision": "Milestones in order toward the end point, each with its date (zoom out), and the\n"
    "small actions inside each (zoom in). `after` names the step that comes before;\n"
    "`first: true` marks the actions to start with.",
    "short-term": "Monthly goals per area (knowledge, skills, experience), each a step bigger\n"
    "than the last: `after` names the previous month's goal in the same area. `first: true`\n"
    "marks the actions to start with.",
}


def plan_file(draft: Draft, filename: str, template: bool = False) -> str:
    """The plan file's text: the plan dict as commented YAML."""
    notes = {**_NOTES, "milestones": _MILESTONE_NOTES[draft.exercise]}
    return render(build(draft), header(draft, filename, template), notes)


def render(doc: dict[str, Any], header: str, notes: dict[str, str]) -> str:
    """Block-style YAML with a header and a comment before each noted section."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    return "\n".join(lines + _lines(doc, 0, "", notes)) + "\n"


def _lines(mapping: dict[str, Any], indent: int, path: str, notes: dict[str, str]) -> list[str]:
    pad, out = "  " * indent, []
    for key, value in mapping.items():
        here = f"{path}.{key}" if path else key
        if here in notes:
            out += [""] if indent == 0 else []
            out += [f"{pad}# {line}" for line in notes[here].splitlines()]
        if isinstance(value, dict):
            out += [f"{pad}{key}:", *_lines(value, indent + 1, here, notes)]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out.append(f"{pad}{key}:")
            for i, item in enumerate(value):
                if i and indent == 0:
                    out.append("")
                first, *rest = _lines(item, indent + 2, here, {})
                out += [f"{pad}  - {first.lstrip()}", *rest]
        else:
            out.append(f"{pad}{key}: {_scalar(value)}")
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, str) and re.fullmatch(r"\d\d:\d\d", value):
        return f'"{value}"'  # times: quoted, as YAML 1.1 reads 12:00 as a number
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1 << 30)
    return text.removesuffix("\n...\n").removesuffix("\n")


def header(draft: Draft, filename: str, template: bool = False) -> str:
    if draft.exercise == "vision":
        kind = "vision plan (12-18 months)"
    else:
        kind = "short-term plan (3-6 months)"
    origin = (
        f"A starting {kind}: replace the examples with your own."
        if template
        else f"Your {kind}, written by `careersync init` on {draft.start}."
    )
    return (
        f"careersync plan file (format 1)\n{origin}\n\n"
        "This file is yours: edit it as your goals change, then preview the changes with\n"
        f"  careersync sync {filename} --dry-run\n"
        "Keep each `id` when you rename something: ids tie items to their Todoist tasks and\n"
        "calendar blocks. Dates are YYYY-MM-DD; efforts are like 15m, 1h30m or 2h."
    )


# --- summary, answers files, templates ---------------------------------------------------------


def summary(draft: Draft) -> str:
    """What will be written, in a few lines, for the user to confirm."""
    lines = [f"{draft.title}  ({draft.start} to {draft.horizon.end}, {draft.timezone})"]
    for m in draft.milestones:
        kind = f"[{m.kind}] " if m.kind else ""
        count = len(m.actions)
        lines.append(f"  {m.due}  {kind}{m.title}  ({count} action{'s' * (count != 1)})")
    first = [a.title for m in draft.milestones for a in m.actions if a.first]
    if first:
        lines.append(f"First: {'; '.join(first)}")
    lines.append(f"Career time: up to {draft.weekly_hours:g} h a week, {_slots(draft.windows)}")
    return "\n".join(lines)


class AnswersError(ValueError):
    """An answers file that does not fit the interview; names the line."""


def run_answers(script: Callable[[], Script], lines: Iterable[str]) -> Draft:
    """Feed answers, one per line ('#' lines are comments), and return the finished draft."""
    session = Interview(script)
    for n, line in enumerate(lines, 1):
        if line.lstrip().startswith("#"):
            continue
        if session.question is None:
            if line.strip():
                raise AnswersError(f"line {n}: more answers than questions")
            continue
        key = session.question.key
        try:
            session.answer(line)
        except ValueError as err:
            raise AnswersError(f"line {n} ({key}): {err}") from None
    if session.draft is None:
        q = session.question
        assert q is not None
        raise AnswersError(f"the answers end before question {q.key!r}: {q.text}")
    return session.draft


TEMPLATE_ANSWERS: dict[Exercise, tuple[str, ...]] = {
    "vision": (
        "15 months",
        "Lead a data engineering team",
        "Leading the data platform group at a mid-size company",
        "Designing streaming pipelines and running the team's planning",
        "Five engineers, a supportive director, the local data community",
        "",
        "Lead a cross-team project as its technical lead",
        "Pass the cloud data engineer certification",
        "",
        "in 4 months",
        "in 10 months",
        "",
        "Book the exam, 15m",
        "Work through the study guide, 12h, due in 3 months",
        "Take two practice exams, 3h",
        "",
        "Ask my manager for a project to lead, 30m",
        "Explain one design decision to a colleague, 30m, every week",
        "",
        "Talk to three data leads about their first year, 3h",
        "Update my CV and profile with the results, 2h",
        "",
        "1, 4",
        "",
        "",
        "",
        "",
    ),
    "short-term": (
        "3 months",
        "Move from customer support into product management",
        "Working as an associate product manager",
        "Product discovery and analytics basics",
        "Finish an introductory product management course",
        "Enrol in the course, 30m",
        "Complete the first four modules, 8h",
        "",
        "Read the product's usage dashboards every week",
        "Ask the analyst for a tour of the dashboards, 30m",
        "Note three questions the data raises, 1h, every week",
        "",
        "Write a discovery brief for a real customer problem",
        "Draft the brief, 4h",
        "",
        "Present ideas clearly to a room",
        "Summarise one customer trend in the weekly team meeting",
        "Prepare a five-minute summary, 1h",
        "",
        "Run a 15-minute demo for the support team",
        "Rehearse the demo with a colleague, 1h",
        "",
        "Present the discovery brief to the product team",
        "Book a slot in the product review, 15m",
        "",
        "Hands-on product work",
        "3, 5",
        "Shadow a product manager through one sprint",
        "Join the sprint planning and review, 3h",
        "",
        "Own a small improvement from idea to release",
        "",
        "Run the discovery for the brief's problem",
        "Interview five customers, 5h",
        "",
        "1",
        "",
        "",
        "",
        "",
    ),
}


def template(exercise: Exercise, today: date, timezone: str, filename: str) -> str:
    """A realistic starting file: the interview, answered with example content."""
    draft = run_answers(lambda: interview(today, timezone, exercise), TEMPLATE_ANSWERS[exercise])
    return plan_file(draft, filename, template=True)
