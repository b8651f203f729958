"""The two coaching exercises as question scripts.

The vision plan (12-18 months): picture the end point, walk back one step at a time to today,
zoom out (each step a milestone with a date and a kind), zoom in (small actions in each, in an
order), then make it happen. The short-term plan (3-6 months): a goal in each of knowledge,
skills and experience, broken into monthly goals that grow, each with its actions.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sync.dates import EXAMPLES
from sync.durations import add_months
from sync.interview.answers import (
    date_between,
    horizon_parser,
    numbers_parser,
    optional_line,
    parse_timezone,
    required_text,
    show_date,
    show_horizon,
    yes_no,
)
from sync.interview.draft import EXERCISES, ActionDraft, Draft, Exercise, MilestoneDraft
from sync.interview.planfile import summary
from sync.interview.session import Question, Script, optional_text
from sync.interview.steps import make_it_happen, schedule, zoom_in
from sync.plan import KINDS, Kind

MAX_STEPS = 10  # milestones found by walking back; plenty for 18 months
SHORT_TERM_MONTHS = 6  # 3 areas x 6 months stay under Todoist's 20 sections
TITLE_LIMIT = 120  # a plan title is a Todoist project name


def interview(now: datetime, timezone: str, exercise: Exercise | None = None) -> Script:
    """The whole interview: the exercise (unless given), the time zone, the exercise, "Write it?".

    `now` is the clock (any zone): the plan starts on its date in the zone the person gives.
    """
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
    zone: str = yield Question(
        "timezone",
        "Your time zone",
        hint="Dates and focus blocks follow it, e.g. Europe/London, America/New_York",
        default=timezone,
        parse=parse_timezone,
    )
    local = now.astimezone(ZoneInfo(zone))
    steps = vision_steps if exercise == "vision" else short_term_steps
    draft = yield from steps(local)
    confirmed: bool = yield Question(
        "write",
        "Write it?",
        hint=summary(draft),
        default="y",
        parse=yes_no,
        heading="Your plan",
    )
    return draft if confirmed else None


def _exercise(raw: str) -> Exercise:
    choice = raw.lower().replace(" ", "-")
    if choice in ("1", "2"):
        return EXERCISES[int(choice) - 1]
    for name in EXERCISES:
        if name.startswith(choice):
            return name
    raise ValueError("answer vision or short-term")


# Words that hint at a step's kind; the person confirms or changes the guess.
_KIND_WORDS: dict[Kind, tuple[str, ...]] = {
    "knowledge": (
        "learn", "course", "certif", "exam", "read", "study", "research", "understand",
        "know", "webinar", "class", "degree", "qualif", "training", "book", "module",
    ),
    "skills": (
        "practi", "present", "speak", "talk", "writ", "communicat", "negotiat", "decid",
        "facilitat", "coach", "skill", "code", "program", "design", "analys", "interview",
    ),
    "experience": (
        "job", "role", "work", "project", "intern", "volunteer", "apply", "join", "become",
        "hired", "position", "shadow", "portfolio", "launch", "ship", "deliver", "pilot",
        "lead", "run", "manag", "promot", "mentor",
    ),
}  # fmt: skip
KIND_HINT = (
    "knowledge: something to know (courses, reading, certifications)\n"
    "skills: putting it into practice (presenting, deciding), growing with practice\n"
    "experience: doing the work for real, which shows you can do the role\n"
    "Enter takes the guess; 'none' leaves it open."
)


def guess_kind(title: str, last: bool) -> Kind:
    """The kind a step's wording suggests; the end point (or no hint at all): experience."""
    words = re.findall(r"[a-z]+", title.lower())
    score = {k: sum(w.startswith(s) for w in words for s in _KIND_WORDS[k]) for k in KINDS}
    best = max(reversed(KINDS), key=lambda k: score[k])  # a tie: the more hands-on kind
    return best if score[best] and not last else "experience"


def _kind(raw: str) -> Kind | None:
    text = raw.strip().lower()
    if text in ("none", "-", "no"):
        return None
    for kind in KINDS:
        if len(text) >= 1 and kind.startswith(text):
            return kind
    raise ValueError("answer knowledge, skills or experience (or k, s, e), or none")


def vision_steps(now: datetime) -> Generator[Question, Any, Draft]:
    today = now.date()
    horizon = yield Question(
        "horizon",
        "How far ahead are you looking?",
        hint="Close enough to feel real: 12 to 18 months works well; longer is fine too.\n"
        "e.g. 15 months, 2 years, or a date such as 'end of 2027'",
        default="15 months",
        parse=horizon_parser(today, 120, "plan at most 10 years ahead"),
        heading="The end point",
        echo=show_horizon,
    )
    title: str = yield Question(
        "title",
        "Picture yourself there. Sum it up in a few words (the plan's title)",
        hint="e.g. Lead a data engineering team",
        parse=required_text("Lead a data engineering team", TITLE_LIMIT),
    )
    draft = Draft("vision", title, today, horizon, str(now.tzinfo))
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
            echo=show_date,
        )
        kind: Kind | None = yield Question(
            f"kind.{i + 1}",
            "Is it knowledge, skills or experience?",
            hint=KIND_HINT if i == 0 else "",
            default=guess_kind(name, last),
            parse=_kind,
        )
        draft.milestones.append(MilestoneDraft(name, due, kind, after=i - 1 if i else None))
        low = (due, "when the step before it is due")

    for i, milestone in enumerate(draft.milestones):
        yield from zoom_in(milestone, draft, f"milestone.{i + 1}", i == 0)
    yield from schedule(draft)
    yield from make_it_happen(draft, now)
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


def short_term_steps(now: datetime) -> Generator[Question, Any, Draft]:
    today = now.date()
    horizon = yield Question(
        "horizon",
        "How many months does this plan cover?",
        hint="3 to 6 months keeps the goals close; e.g. 3, 6 months, or 'end of June'",
        default="3 months",
        parse=horizon_parser(today, SHORT_TERM_MONTHS, "for a longer view, make a vision plan"),
        heading="The next few months",
        echo=show_horizon,
    )
    title: str = yield Question(
        "title",
        "What are these months for? (the plan's title)",
        hint="e.g. Move from customer support into product management",
        parse=required_text("Move from customer support into product management", TITLE_LIMIT),
    )
    draft = Draft("short-term", title, today, horizon, str(now.tzinfo))
    draft.vision["where"] = yield Question(
        "vision.where",
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
            if previous is None:  # the ways to gain experience start in the first month
                milestone.actions = [ActionDraft(*EXPERIENCE_WAYS[w]) for w in ways]
            draft.milestones.append(milestone)
            yield from zoom_in(
                milestone, draft, f"{kind}.month.{month}", len(draft.milestones) == 1
            )
            previous = len(draft.milestones) - 1
        if previous is None:  # no monthly goals: the area's goal, due at the end
            milestone = MilestoneDraft(goal, horizon.end, kind)
            milestone.actions = [ActionDraft(*EXPERIENCE_WAYS[w]) for w in ways]
            draft.milestones.append(milestone)
    yield from schedule(draft)
    yield from make_it_happen(draft, now)
    return draft


def _months(start: date, last: date) -> int:
    """How many months, counted from `start`, it takes to cover `last`."""
    months = 1
    while add_months(start, months) <= last:
        months += 1
    return months
