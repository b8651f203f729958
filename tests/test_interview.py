"""The `careersync init` core: friendly dates, answer parsing, the two exercises, the plan file."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.dates import parse_date
from sync.interview import (
    EXERCISES,
    ActionDraft,
    AnswersError,
    Draft,
    Exercise,
    Horizon,
    Interview,
    MilestoneDraft,
    answers_file,
    build,
    guess_kind,
    interview,
    plan_file,
    render,
    run_answers,
    slugify,
    summary,
    template,
)
from sync.interview.answers import (
    horizon_parser,
    numbers_parser,
    parse_effort,
    parse_hours,
    parse_window,
)
from sync.interview.steps import today_dues
from sync.loader import parse_plan
from sync.plan import ID_PATTERN, Plan
from sync.planner import place_blocks

TODAY = date(2026, 12, 15)  # a Tuesday, near the year's end
NOW = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)  # 10:00 in Berlin: the 07:00 window is over
PATH = Path("plan.yaml")


def load(text: str, today: date = TODAY) -> tuple[Plan, tuple[str, ...]]:
    loaded = parse_plan(text, PATH, today=today, default_timezone="UTC")
    return loaded.plan, loaded.warnings


def run(answers: list[str], exercise: Exercise | None = None, now: datetime = NOW) -> Draft:
    draft = run_answers(lambda: interview(now, "Europe/London", exercise), answers)
    assert draft is not None
    return draft


# --- friendly dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("2027-03-31", TODAY, date(2027, 3, 31)),
        ("end of March", TODAY, date(2027, 3, 31)),  # next year: this March is past
        ("End of march.", date(2027, 3, 31), date(2027, 3, 31)),  # today counts
        ("end of march", date(2027, 4, 1), date(2028, 3, 31)),
        ("end of December", TODAY, date(2026, 12, 31)),
        ("end of February", date(2027, 12, 31), date(2028, 2, 29)),  # leap year
        ("end of March 2028", TODAY, date(2028, 3, 31)),
        ("end of next month", TODAY, date(2027, 1, 31)),  # across the year
        ("end of next month", date(2027, 1, 31), date(2027, 2, 28)),
        ("end of the month", TODAY, date(2026, 12, 31)),
        ("end of this year", TODAY, date(2026, 12, 31)),
        ("end of next year", TODAY, date(2027, 12, 31)),
        ("end of 2027", TODAY, date(2027, 12, 31)),
        ("end of next week", TODAY, date(2026, 12, 27)),  # weeks end on Sunday
        ("in 6 weeks", TODAY, date(2027, 1, 26)),
        ("in 3 months", TODAY, date(2027, 3, 15)),
        ("in 3 months", date(2026, 11, 30), date(2027, 2, 28)),  # clamped to February
        ("in a year", TODAY, date(2027, 12, 15)),
        ("in 10 days", TODAY, date(2026, 12, 25)),
        ("next friday", TODAY, date(2026, 12, 18)),
        ("friday", date(2026, 12, 18), date(2026, 12, 25)),  # on a Friday: the next one
        ("next Tue", TODAY, date(2026, 12, 22)),
        ("mid April", TODAY, date(2027, 4, 15)),
        ("mid-April 2028", TODAY, date(2028, 4, 15)),
        ("start of May", TODAY, date(2027, 5, 1)),
        ("March", TODAY, date(2027, 3, 31)),  # a month alone: its end
        ("31 March", TODAY, date(2027, 3, 31)),
        ("March 3rd, 2027", TODAY, date(2027, 3, 3)),
        ("december 20", TODAY, date(2026, 12, 20)),
        ("today", TODAY, TODAY),
        ("tomorrow", date(2026, 12, 31), date(2027, 1, 1)),
    ],
)
def test_friendly_dates(text: str, today: date, expected: date) -> None:
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("soon", "try 2027-03-31, 'end of March'"),
        ("", "can't read"),
        ("2027-02-30", "not a real date"),
        ("Feb 30", "February has no day 30"),
        ("in many weeks", "can't read"),
        ("end of Marchember", "can't read"),
    ],
)
def test_friendly_dates_refuse_with_help(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_date(text, TODAY)


# --- answers -----------------------------------------------------------------------------------


def test_slugs_are_short_valid_and_unique() -> None:
    taken: set[str] = set()
    assert slugify("Book the exam", taken) == "book-exam"
    assert slugify("Book the exam", taken) == "book-exam-2"
    assert slugify("Book THE exam!", taken) == "book-exam-3"
    assert slugify("Café résumé", taken) == "cafe-resume"
    assert slugify("???", taken) == "item"
    assert slugify("The", taken) == "the"  # only filler words: keep them
    long = "Ask for a task at my current job that leans toward the new role"
    ids = [slugify(long, taken) for _ in range(12)]
    assert len(set(ids)) == 12
    assert all(ID_PATTERN.fullmatch(i) and len(i) <= 32 for i in ids)


@settings(deadline=None)  # no timing: a busy machine must not fail it
@given(st.lists(st.text(max_size=80), max_size=30))
def test_slugs_are_always_valid_and_unique(titles: list[str]) -> None:
    taken: set[str] = set()
    ids = [slugify(title, taken) for title in titles]
    assert len(set(ids)) == len(ids)
    assert all(ID_PATTERN.fullmatch(i) for i in ids)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon wed 07:00-08:30", {"days": ["mon", "wed"], "from": "07:00", "to": "08:30"}),
        (
            "weekdays 18-19",
            {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "18:00", "to": "19:00"},
        ),
        ("Sat 9am-12", {"days": ["sat"], "from": "09:00", "to": "12:00"}),
        (
            "tue and thursday 7pm to 8.30pm",
            {"days": ["tue", "thu"], "from": "19:00", "to": "20:30"},
        ),
        ("fri-mon 6-7", {"days": ["mon", "fri", "sat", "sun"], "from": "06:00", "to": "07:00"}),
        ("sat-tue 6-7", {"days": ["mon", "tue", "sat", "sun"], "from": "06:00", "to": "07:00"}),
        ("weekend 10:00 - 12:00", {"days": ["sat", "sun"], "from": "10:00", "to": "12:00"}),
        ("", None),
    ],
)
def test_windows(text: str, expected: dict[str, Any] | None) -> None:
    assert parse_window(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("9-12", "write days then hours"),
        ("mon", "write days then hours"),
        ("funday 9-12", "'funday' is not a day"),
        ("mon 12-9", "must end after it starts"),
        ("mon 9-25", "not a time of day"),
    ],
)
def test_windows_refuse(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_window(text)


def test_efforts_hours_and_numbers() -> None:
    assert parse_effort("45m") == timedelta(minutes=45)
    assert parse_effort("1h30m") == parse_effort("1.5 hours") == parse_effort("90 min")
    assert parse_effort("2h") == timedelta(hours=2)
    with pytest.raises(ValueError, match="try 15m"):
        parse_effort("a while")
    with pytest.raises(ValueError, match="split it"):
        parse_effort("500h")
    assert parse_hours("4") == 4
    assert parse_hours("2.5 hours a week") == 2.5
    with pytest.raises(ValueError, match="between"):
        parse_hours("200")
    assert numbers_parser(5)("1, 3-4 3") == [0, 2, 3]
    assert numbers_parser(5)("none") == []
    with pytest.raises(ValueError, match="no action 6"):
        numbers_parser(5)("6")


def test_horizons() -> None:
    vision = horizon_parser(TODAY, 120, "plan at most 10 years ahead")
    assert vision("15 months") == Horizon(date(2028, 3, 14), 15)  # inclusive, like the loader
    assert vision("2 years") == Horizon(date(2028, 12, 14), 24)
    assert vision("18") == Horizon(date(2028, 6, 14), 18)
    assert vision("end of 2027") == Horizon(date(2027, 12, 31))
    with pytest.raises(ValueError, match="10 years"):
        vision("11 years")
    with pytest.raises(ValueError, match="after today"):
        vision("0 months")
    with pytest.raises(ValueError, match="make a vision plan"):
        horizon_parser(TODAY, 6, "make a vision plan")("9 months")


# --- the interview -----------------------------------------------------------------------------

VISION = [
    "vision",
    "Europe/Berlin",
    "15 months",
    "Become a staff engineer",
    "At a climate-tech company",
    "",
    "",
    "",
    "Lead a cross-team design",  # the step just before the end point
    "Write a design doc for my team",  # and the one before that
    "",  # that is today
    "end of March",
    "",  # kind: the guess (skills: writing, design)
    "mid August",
    "",  # experience (lead)
    "",  # the end point: the plan's end
    "",
    "Pick a problem worth a design doc, 1h",
    "Draft the doc, 6h, by mid March",
    "",
    "y",  # in this order
    "Ask to lead the next cross-team design, 30m",
    "Review one design a week, 45m, every week",
    "",
    "",
    "weekdays 7-8",
    "sat 9am-12",
    "",
    "3",
    "2",  # first
    "1",  # today
    "y",  # write it
]


def test_vision_walks_back_then_forward() -> None:
    plan, warnings = load(plan_file(run(VISION), "plan.yaml"))
    assert warnings == ()
    assert plan.title == "Become a staff engineer"
    assert (plan.start, plan.end, plan.timezone) == (TODAY, date(2028, 3, 14), "Europe/Berlin")
    assert plan.vision.where == "At a climate-tech company"
    assert plan.vision.doing is None
    assert [(m.id, m.kind, m.due, m.after) for m in plan.milestones] == [
        ("write-design-doc-team", "skills", date(2027, 3, 31), ()),
        ("lead-cross-team-design", "experience", date(2027, 8, 15), ("write-design-doc-team",)),
        ("become-staff-engineer", "experience", date(2028, 3, 14), ("lead-cross-team-design",)),
    ]
    pick, draft = plan.milestones[0].actions
    # "today", but today's 07:00-08:00 window is over at 10:00: tomorrow's has room
    assert (pick.first, pick.due, pick.effort) == (True, date(2026, 12, 16), timedelta(hours=1))
    assert (draft.first, draft.due, draft.effort) == (True, date(2027, 3, 15), timedelta(hours=6))
    assert draft.after == ("pick-problem-worth-design-doc",)  # the confirmed order
    ask, review = plan.milestones[1].actions
    assert not ask.first
    assert ask.due == date(2027, 8, 15)
    assert ask.after == ()  # one one-off action: no order to confirm
    assert review.recurrence is not None
    assert review.recurrence.every == "week"
    assert plan.milestones[2].actions == ()
    assert plan.schedule.weekly_hours == 3
    assert [(w.days, str(w.start), str(w.end)) for w in plan.schedule.windows] == [
        (("mon", "tue", "wed", "thu", "fri"), "07:00:00", "08:00:00"),
        (("sat",), "09:00:00", "12:00:00"),
    ]


def test_the_plan_starts_on_today_in_the_zone_given() -> None:
    late = datetime(2026, 12, 15, 23, 30, tzinfo=UTC)  # already the 16th in Berlin
    answers = ["Europe/Berlin", "15 months", "Goal", "", "", "", "", "", "", "", "", ""]
    draft = run([*answers, "", "y"], "vision", now=late)
    assert draft.start == date(2026, 12, 16)
    assert run(["", *answers[1:], "", "y"], "vision", now=late).start == TODAY  # London


def test_back_returns_to_the_previous_question_with_its_answer() -> None:
    session = Interview(lambda: interview(NOW, "UTC", "vision"))
    session.answer("")  # time zone
    session.answer("15 months")
    session.answer("Wrong title")
    assert session.question is not None
    assert session.question.key == "vision.where"
    session.answer("back")
    assert session.question.key == "title"
    assert session.default == "Wrong title"  # Enter keeps it
    session.answer("")
    assert session.answers == ["", "15 months", "Wrong title"]
    session.answer("back")
    session.answer("Right title")
    assert session.answers == ["", "15 months", "Right title"]
    for _ in range(4):
        session.answer("back")  # nothing before the first question: stays
    assert session.question.key == "timezone"
    assert session.answers == []


def test_back_at_the_last_question() -> None:
    session = Interview(lambda: interview(NOW, "UTC"))
    for text in VISION[:-1]:
        session.answer(text)
    assert session.question is not None
    assert session.question.key == "write"
    session.answer("back")
    assert session.question.key == "today"
    assert session.default == "1"
    session.answer("none")
    session.answer("y")
    assert session.draft is not None
    assert not any(a.due == date(2026, 12, 16) for a in session.draft.actions())


def test_no_at_the_end_writes_nothing() -> None:
    assert run_answers(lambda: interview(NOW, "UTC"), [*VISION[:-1], "n"]) is None


def test_a_wrong_answer_keeps_the_question() -> None:
    session = Interview(lambda: interview(NOW, "UTC", "vision"))
    session.answer("")
    with pytest.raises(ValueError, match="10 years"):
        session.answer("30 years")
    assert session.question is not None
    assert session.question.key == "horizon"
    assert session.answers == [""]


def test_milestone_dates_keep_their_order() -> None:
    answers = ["", "15 months", "Goal", "", "", "", "", "Step", "", "end of June", ""]
    session = Interview(lambda: interview(NOW, "UTC", "vision"))
    for text in answers:
        session.answer(text)
    assert session.question is not None
    assert session.question.key == "due.2"
    with pytest.raises(ValueError, match="before 2027-06-30, when the step before it is due"):
        session.answer("end of March")
    with pytest.raises(ValueError, match="after 2028-03-14, the plan's end"):
        session.answer("end of 2029")
    assert session.question.default == "2028-03-14"  # the end point defaults to the plan's end


@pytest.mark.parametrize(
    ("title", "last", "kind"),
    [
        ("Pass the cloud data engineer certification", False, "knowledge"),
        ("Finish an online UX course", False, "knowledge"),
        ("Present my findings to the staff", False, "skills"),
        ("Run a usability study at school", False, "experience"),
        ("Get permission", False, "experience"),  # no hint: doing the work
        ("Read everything about research", True, "experience"),  # the end point
    ],
)
def test_a_milestone_kind_is_guessed_from_its_wording(title: str, last: bool, kind: str) -> None:
    assert guess_kind(title, last) == kind


def test_a_kind_can_be_changed_or_left_open() -> None:
    answers = [*VISION[:12], "knowledge", "mid August", "", "", "none", *VISION[17:]]
    plan, _ = load(plan_file(run(answers), "plan.yaml"))
    assert [m.kind for m in plan.milestones] == ["knowledge", "experience", None]
    assert plan.milestones[0].actions[0].kind == "knowledge"


def test_the_order_of_actions_is_confirmed_or_given() -> None:
    def order(answer: str, *actions: str) -> list[tuple[str, tuple[str, ...]]]:
        answers = [*VISION[:17], *actions, "", answer, *VISION[21:]]
        plan, _ = load(plan_file(run(answers), "plan.yaml"))
        return [(a.id, a.after) for a in plan.milestones[0].actions]

    three = ("Read, 1h", "Write, 2h", "Publish, 15m")
    assert order("y", *three) == [
        ("read", ()),
        ("write", ("read",)),
        ("publish", ("write",)),
    ]
    assert order("n", *three) == [("read", ()), ("write", ()), ("publish", ())]
    assert order("3, 1, 2", *three) == [
        ("read", ("publish",)),
        ("write", ("read",)),
        ("publish", ()),
    ]
    with_after = ("Read, 1h, after #2", "Write, 2h")  # #2 is Write itself: not earlier
    with pytest.raises(AnswersError, match="#2 is not an earlier action"):
        order("y", *with_after)
    told = ("Read, 1h", "Write, 2h, after Read", "Publish, 15m, after #1")
    with pytest.raises(AnswersError, match=r"#2 comes after #1 .* another order"):
        order("2, 1, 3", *told)
    assert order("y", *told) == [
        ("read", ()),
        ("write", ("read",)),
        ("publish", ("read", "write")),
    ]


SHORT_TERM = [
    "short-term",
    "",  # time zone: Europe/London
    "3",
    "Move into data analysis",
    "Junior data analyst at a charity",  # where it takes you
    "SQL and statistics",  # knowledge
    "Finish a SQL course",
    "Enrol, 15m",
    "",
    "",  # no goal in month 2
    "Answer a real question with SQL",
    "",
    "",  # no skills
    "Real analysis work",  # experience
    "1, 5",
    "",
    "",
    "",  # no monthly goals: the area's goal, due at the end
    "",  # windows: the defaults
    "",  # weekly hours
    "",  # first: #1
    "",  # none today
    "y",
]


def test_short_term_chains_monthly_goals_per_area() -> None:
    plan, warnings = load(plan_file(run(SHORT_TERM), "plan.yaml"))
    assert warnings == ()
    assert plan.end == date(2027, 3, 14)
    assert plan.vision.where == "Junior data analyst at a charity"
    assert plan.vision.doing is None
    assert [(m.id, m.kind, m.due, m.after) for m in plan.milestones] == [
        ("finish-sql-course", "knowledge", date(2027, 1, 14), ()),
        ("answer-real-question-sql", "knowledge", date(2027, 3, 14), ("finish-sql-course",)),
        ("real-analysis-work", "experience", date(2027, 3, 14), ()),
    ]
    assert plan.milestones[0].notes == "Toward the goal “SQL and statistics”"
    assert [a.title for a in plan.milestones[2].actions] == [
        "Join a professional organisation or community in the field",
        "Find a mentor who has made a similar move",
    ]
    assert all(a.kind == "experience" for a in plan.milestones[2].actions)
    assert [a.id for _, a in plan.actions() if a.first] == ["enrol"]


def test_experience_ways_lead_the_first_month() -> None:
    answers = ["", "3 months", "T", "", "", "", "Hands-on work", "2", "Shadow a PM", "Join", "1h"]
    answers += ["", "y", "", "", "", "", "", "", "y"]
    draft = run(answers, "short-term")
    (milestone,) = draft.milestones
    assert [(a.title, a.effort, a.after) for a in milestone.actions] == [
        ("Start a personal project that uses the new skills", timedelta(hours=3), []),
        ("Join", timedelta(hours=1), [0]),
    ]


def test_answers_files_must_fit() -> None:
    with pytest.raises(AnswersError, match="end before question 'horizon'"):
        run(["vision", ""])
    with pytest.raises(AnswersError, match=r"line 3 \(horizon\): .*10 years"):
        run(["vision", "", "40 years"])
    with pytest.raises(AnswersError, match=r"end before question 'write': Write it\?"):
        run(VISION[:-1])
    extra = len(VISION) + 2
    with pytest.raises(AnswersError, match=f"line {extra}: more answers than questions"):
        run([*VISION, "", "extra"])
    draft = run(["# a comment", *VISION, "", ""])  # comments and trailing empty lines are fine
    assert draft.title == "Become a staff engineer"


def test_kept_answers_replay_even_when_one_starts_with_a_hash() -> None:
    session = Interview(lambda: interview(NOW, "UTC"))
    for text in [*VISION[:-2], "#1", "y"]:  # today: "#1"
        session.answer(text)
    kept = answers_file(session.answers, "kept\nfor a test")
    assert kept.startswith("# kept\n# for a test\n")
    again = run_answers(lambda: interview(NOW, "UTC"), kept.splitlines())
    assert again == session.draft


def test_summary_lists_what_will_be_written() -> None:
    text = summary(run(VISION))
    assert "Become a staff engineer" in text
    assert "2027-03-31  [skills] Write a design doc for my team  (2 actions)" in text
    assert "First: Pick a problem worth a design doc (by 2026-12-16); Draft the doc" in text
    assert "up to 3 h a week, mon, tue, wed, thu, fri 07:00-08:00; sat 09:00-12:00" in text


# --- the plan file -----------------------------------------------------------------------------


@pytest.mark.parametrize("answers", [VISION, SHORT_TERM], ids=["vision", "short-term"])
def test_rendering_reads_back_as_the_same_content(answers: list[str]) -> None:
    draft = run(answers)
    text = plan_file(draft, "plan.yaml")
    assert yaml.safe_load(text) == build(draft)
    assert text.startswith("# careersync plan file (format 1)\n")
    assert "\nformat: 1\n" in text
    assert all(len(line) <= 100 for line in text.splitlines())


def test_awkward_text_survives_rendering() -> None:
    draft = Draft("vision", "yes: #1 - 'quoted' \"too\"", TODAY, Horizon(date(2027, 12, 31)), "UTC")
    draft.vision = {"where": "12:00", "doing": "- a list?", "who": "null", "notes": "Zoë & co"}
    draft.milestones = [
        MilestoneDraft("on", date(2027, 6, 1), actions=[ActionDraft("[x] {y}: z", first=True)])
    ]
    draft.windows = [{"days": ["sun"], "from": "12:00", "to": "13:00"}]
    text = plan_file(draft, "plan.yaml")
    assert yaml.safe_load(text) == build(draft)
    plan, _ = load(text)
    assert plan.title == draft.title
    assert plan.vision.who == "null"
    assert plan.milestones[0].title == "on"
    assert plan.milestones[0].actions[0].title == "[x] {y}: z"


@settings(deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=60))
def test_any_one_line_text_round_trips(text: str) -> None:
    assert yaml.safe_load(render({"title": text}, "", {})) == {"title": text}


@pytest.mark.parametrize("exercise", EXERCISES)
@pytest.mark.parametrize(
    "today", [TODAY, date(2026, 12, 31), date(2027, 1, 31), date(2028, 2, 29), date(2027, 6, 30)]
)
def test_templates_load_cleanly(exercise: Exercise, today: date) -> None:
    text = template(exercise, today, "America/New_York", "plan.yaml")
    plan, warnings = load(text, today)
    assert warnings == ()
    assert plan.timezone == "America/New_York"
    assert len(plan.milestones) >= 3
    assert any(a.first for _, a in plan.actions())
    assert "replace the examples with your own" in text
    if exercise == "short-term":
        assert {m.kind for m in plan.milestones} == {"knowledge", "skills", "experience"}


# --- "can any of them be done today?" ----------------------------------------------------------


def sunday_plan(start: date, *efforts: timedelta) -> Draft:
    """One milestone, one Sunday window 09:00-10:00 in London."""
    draft = Draft("vision", "Goal", start, Horizon(date(2027, 12, 31)), "Europe/London")
    actions = [ActionDraft(f"Step {n}", effort) for n, effort in enumerate(efforts, 1)]
    draft.milestones = [MilestoneDraft("Goal", date(2027, 12, 31), actions=actions)]
    draft.windows = [{"days": ["sun"], "from": "09:00", "to": "10:00"}]
    return draft


@pytest.mark.parametrize(
    ("now", "effort", "due"),
    [
        # 28 March 2027: the clocks go forward at 01:00, so 08:10 UTC is 09:10 in London
        (datetime(2027, 3, 28, 8, 10, tzinfo=UTC), timedelta(minutes=15), date(2027, 3, 28)),
        # 09:50 in London: ten minutes left, too few; the next Sunday (in UTC, 08:50 has room)
        (datetime(2027, 3, 28, 8, 50, tzinfo=UTC), timedelta(minutes=15), date(2027, 4, 4)),
        # before the window on the day: today
        (datetime(2027, 3, 28, 6, 0, tzinfo=UTC), timedelta(hours=1), date(2027, 3, 28)),
        # no time needed: no block to wait for
        (datetime(2027, 3, 28, 9, 30, tzinfo=UTC), timedelta(0), date(2027, 3, 28)),
    ],
)
def test_today_means_the_first_window_with_room(
    now: datetime, effort: timedelta, due: date
) -> None:
    draft = sunday_plan(date(2027, 3, 28), effort)
    assert today_dues(draft, now, [0]) == {0: due}
    # so the plan written with that due is on track from the start: the planner places it
    draft.actions()[0].first, draft.actions()[0].due = True, due
    plan, _ = load(plan_file(draft, "plan.yaml"), date(2027, 3, 28))
    remaining = {a.id: a.effort for _, a in plan.actions()}
    assert place_blocks(plan, now=now, remaining=remaining).risks == ()
    # while "due today" after the window would not be
    if due != date(2027, 3, 28):
        draft.actions()[0].due = date(2027, 3, 28)
        plan, _ = load(plan_file(draft, "plan.yaml"), date(2027, 3, 28))
        assert place_blocks(plan, now=now, remaining=remaining).risks != ()


def test_today_actions_share_the_window_and_the_week() -> None:
    now = datetime(2027, 3, 28, 6, 0, tzinfo=UTC)  # Sunday, before the window
    draft = sunday_plan(
        date(2027, 3, 28), timedelta(minutes=30), timedelta(minutes=30), timedelta(minutes=45)
    )
    dues = today_dues(draft, now, [0, 1, 2])
    assert dues == {0: date(2027, 3, 28), 1: date(2027, 3, 28), 2: date(2027, 4, 4)}
    assert [a.first for a in draft.actions()] == [False, False, False]  # the draft is untouched


def test_today_work_that_does_not_fit_keeps_its_milestone_date() -> None:
    draft = sunday_plan(date(2027, 3, 28), timedelta(hours=90))
    draft.milestones[0].due = date(2027, 4, 30)
    dues = today_dues(draft, datetime(2027, 3, 28, 6, 0, tzinfo=UTC), [0])
    assert dues == {0: date(2027, 4, 30)}
