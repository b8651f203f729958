"""The action answer grammar: every field the person typed is read as that field, or refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.durations import format_duration
from sync.interview import (
    ActionDraft,
    Interview,
    describe,
    field_of,
    interview,
    plan_file,
    run_answers,
)
from sync.interview.actions import Context, read_action, reads_as_field
from sync.loader import parse_plan

TODAY = date(2026, 12, 15)
DUE = date(2027, 4, 30)
EARLIER = [
    ActionDraft("Email the head teacher", timedelta(minutes=15)),
    ActionDraft("Draft the consent letter", timedelta(hours=1)),
    ActionDraft("Get permission", timedelta(0)),
    ActionDraft("Read one research paper", timedelta(hours=1), every="week"),
]
CONTEXT = Context(TODAY, DUE, EARLIER)


def read(text: str) -> ActionDraft:
    return read_action(text, CONTEXT)


def test_the_teachers_answer_keeps_its_time_and_dependency() -> None:
    action = read("Run the five sessions, 6h, after Get permission")
    assert (action.title, action.effort, action.after) == (
        "Run the five sessions",
        timedelta(hours=6),
        [2],
    )
    assert describe(action, 5, EARLIER) == (
        "→ #5 “Run the five sessions”: 6h, after #3 “Get permission”"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Book the exam, 15m", ActionDraft("Book the exam", timedelta(minutes=15))),
        ("Book the exam", ActionDraft("Book the exam")),  # no time: the interview asks
        ("Call the school, 0", ActionDraft("Call the school", timedelta(0))),
        ("Study, an hour", ActionDraft("Study", timedelta(hours=1))),
        (
            "Read, write, and review, 2h, by end of March, every week",
            ActionDraft("Read, write, and review", timedelta(hours=2), date(2027, 3, 31), None, "week"),
        ),
        (
            "Work through the guide, from 4 January, by end of March, 12h",
            ActionDraft("Work through the guide", timedelta(hours=12), date(2027, 3, 31), date(2027, 1, 4)),
        ),
        (
            "Practise, 30m, every week on tue, thu",
            ActionDraft("Practise", timedelta(minutes=30), every="week", days=("tue", "thu")),
        ),
        ("Practise, every tuesday, 1h", ActionDraft("Practise", timedelta(hours=1), every="week", days=("tue",))),
        ("Reflect, 15m, fortnightly", ActionDraft("Reflect", timedelta(minutes=15), every="2 weeks")),
        ("Report, 1h, after #1 and #2", ActionDraft("Report", timedelta(hours=1), after=[0, 1])),
        ("Report, after #2, 1h, after #1", ActionDraft("Report", timedelta(hours=1), after=[1, 0])),
        ("Report, 1h, after consent", ActionDraft("Report", timedelta(hours=1), after=[1])),
        ("Report, 1h, due by mid April", ActionDraft("Report", timedelta(hours=1), date(2027, 4, 15))),
        ('"Meet Sam, 3pm", 15m', ActionDraft("Meet Sam, 3pm", timedelta(minutes=15))),
        ("“Ask, after lunch”", ActionDraft("Ask, after lunch")),
        ("30 minutes of reading", ActionDraft("30 minutes of reading")),  # not a time: a title
        ("After-school club, 1h", ActionDraft("After-school club", timedelta(hours=1))),
        ('"every week", 1h', ActionDraft("every week", timedelta(hours=1))),
    ],
)  # fmt: skip
def test_fields_are_read_wherever_they_stand(text: str, expected: ActionDraft) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Meet Sam, 3pm", r"can't read '3pm' as a time; try 15m.* put the title in quotes"),
        ("Study, 45", "45 what. write 45m or 45h"),
        ("Study, by whenever", "can't read 'whenever' as a date"),
        ("Study, by", "which date"),
        ("Study, 2h, by end of May", "after 2027-04-30, when its milestone is due"),
        ("Study, from 2026-12-01", "in the past"),
        ("Study, from end of March, by February", "starts .2027-03-31. after it is due"),
        ("Study, after lunch", "no earlier action is called 'lunch' .so far: #1 Email"),
        ("Study, after get permision", "did you mean #3 “Get permission”. write after #3"),
        ("Study, after #7", r"#7 is not an earlier action \(earlier ones: #1 to #4\)"),
        ("Study, after the", "matches #1, #2; write after #N"),
        ("Study, after #4", "#4 repeats, so nothing can wait"),
        ("Study, every now and then", "can't read 'every now and then' as a repeat"),
        ("Study, every month on tue", "days don't go with every month"),
        ("Study, 2h, 3h", "two times .'2h' and '3h'.; give one"),
        (", 2h", "needs an answer"),
        ('"Unclosed, 2h', "closing quote is missing"),
        ('"Quoted" 2h', "after a comma"),
        ('"Quoted", soon', "'soon' after the quoted title is not"),
        ("Study, 500h", "over 100 hours"),
        ("2h, Study", "'2h' reads as a field: start with the title"),
        ("every week", "reads as a field"),
    ],
)
def test_an_unreadable_field_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        read(text)


# --- properties --------------------------------------------------------------------------------

WORDS = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
TITLES = st.lists(WORDS, min_size=1, max_size=5).map(" ".join).filter(lambda t: field_of(t) is None)
EFFORTS = st.integers(0, 100 * 60).map(lambda m: timedelta(minutes=m))
DATES = st.integers(0, (DUE - TODAY).days).map(lambda d: TODAY + timedelta(days=d))


@st.composite
def answers(draw: st.DrawFn) -> tuple[str, ActionDraft]:
    """An answer as a person may type it (fields in any order) and what it means."""
    title = ", ".join(draw(st.lists(TITLES, min_size=1, max_size=3)))
    want = ActionDraft(title)
    fields: list[str] = []
    if draw(st.booleans()):
        want.effort = draw(EFFORTS)
        fields.append(format_duration(want.effort) if want.effort else "0")
    if draw(st.booleans()):
        want.start = draw(DATES)
        fields.append(f"from {want.start}")
    if draw(st.booleans()):
        want.due = draw(DATES.filter(lambda d: want.start is None or d >= want.start))
        fields.append(f"by {want.due}")
    if draw(st.booleans()):
        want.every = draw(st.sampled_from(["day", "week", "2 weeks", "month"]))
        fields.append(f"every {want.every}")
    if draw(st.booleans()):
        want.after = draw(st.lists(st.integers(0, 2), min_size=1, max_size=2, unique=True))
        fields += [f"after #{i + 1}" for i in want.after]
        if len(want.after) == 2:
            fields[-2:] = [f"after #{want.after[0] + 1} and #{want.after[1] + 1}"]
    order = draw(st.permutations(fields))
    return ", ".join([title, *order]), want


@settings(deadline=None, max_examples=300)
@given(answers())
def test_every_typed_field_is_read_as_that_field(case: tuple[str, ActionDraft]) -> None:
    text, want = case
    assert read(text) == want


@settings(deadline=None, max_examples=300)
@given(st.text(st.sampled_from("ab 1h,#23m-yevrbfto"), max_size=40))
def test_no_text_that_reads_as_a_field_ends_in_a_title(text: str) -> None:
    try:
        action = read(text)
    except ValueError:
        return
    first, *rest = action.title.split(",")
    assert not reads_as_field(first, CONTEXT), (text, action)
    for part in rest:
        assert field_of(part) is None, (text, action)


# --- through the whole interview ---------------------------------------------------------------

NOW = datetime(2026, 12, 15, 9, 0, tzinfo=UTC)
PLAN_END = date(2028, 3, 14)


@st.composite
def milestone_answers(draw: st.DrawFn) -> tuple[list[str], list[ActionDraft]]:
    """Answers for the first milestone's actions (then "n": no order), and what they mean."""
    lines: list[str] = []
    wanted: list[ActionDraft] = []
    for n in range(draw(st.integers(1, 4))):
        want = ActionDraft(f"Step {n + 1}")
        parts = [want.title]
        if draw(st.booleans()):
            want.effort = draw(EFFORTS)
            parts.append(format_duration(want.effort) if want.effort else "0")
        if draw(st.booleans()):
            want.due = draw(DATES)
            parts.append(f"by {want.due}")
        if n and draw(st.booleans()):
            want.after = [draw(st.integers(0, n - 1))]
            parts.append(f"after Step {want.after[0] + 1}")
        lines.append(", ".join(parts))
        if want.effort is None:  # asked: "How long will it take?"
            want.effort = draw(EFFORTS)
            lines.append(format_duration(want.effort) if want.effort else "0")
        wanted.append(want)
    return lines, wanted


@settings(deadline=None, max_examples=40)
@given(milestone_answers())
def test_the_written_plan_has_what_was_typed(case: tuple[list[str], list[ActionDraft]]) -> None:
    lines, wanted = case
    order = ["n"] if len(wanted) > 1 else []
    head = ["vision", "", "15 months", "Goal", "", "", "", "", "Step", "", "end of April", ""]
    head += ["", ""]  # the end point's date and kind
    tail = ["", "", "", "", "none", "y"]  # milestone 2: no actions; schedule; make it happen
    draft = run_answers(lambda: interview(NOW, "UTC"), [*head, *lines, "", *order, *tail])
    assert draft is not None
    plan = parse_plan(
        plan_file(draft, "p.yaml"), Path("p.yaml"), today=TODAY, default_timezone="UTC"
    ).plan
    actions = plan.milestones[0].actions
    ids = [a.id for a in actions]
    for action, want in zip(actions, wanted, strict=True):
        assert action.title == want.title
        assert action.effort == want.effort
        assert action.due == (want.due or DUE)
        assert action.after == tuple(ids[i] for i in want.after)


# Answers a person might give, per question (by key); each draw may also be noise.
CANDIDATES = {
    "exercise": ["vision", "short-term"],
    "timezone": ["", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"],
    "horizon": ["", "15 months", "3", "end of 2027", "2 years"],
    "title": ["Goal", "Become a UX researcher"],
    "step": ["", "", "Step"],
    "due": ["", "in 2 months", "end of 2027", "in 6 weeks"],
    "kind": ["", "k", "none", "experience"],
    "action": [
        "",
        "",
        "Read, 1h",
        "Plan, by in 1 month",
        "Practise, 30m, every week on tue",
        "Report, 2h, after #1",
        "Build, from in 2 weeks, 2h",
        "Ask",
        "Share, every month, by in 2 months",
        '"Call, after lunch", 15m',
    ],
    "effort": ["0", "30m", "6h"],
    "order": ["y", "n", "2, 1"],
    "window": ["", "weekdays 7-8", "sun 9-10"],
    "weekly_hours": ["", "2", "0.5"],
    "first": ["", "1", "none", "1, 2"],
    "today": ["", "1", "2", "1, 3"],
    "ways": ["", "1, 2"],
    "write": ["y"],
}
NOISE = ["", "back", "soon", "x, 3pm", "99", "after #9"]


def candidates(key: str) -> list[str]:
    for name in ("effort", "order", "ways", "kind", "due", "step", "window", "action"):
        if name in key.split(".") or key.split(".")[0] == name:
            return CANDIDATES[name]
    if key.endswith(".goal") or ".month." in key:
        return ["", "A goal"]
    if key.startswith("vision."):
        return ["", "Somewhere"]
    return CANDIDATES.get(key, [""])


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_every_plan_the_interview_accepts_loads(data: st.DataObject) -> None:
    session = Interview(lambda: interview(NOW, "UTC"))
    for _ in range(300):
        if session.question is None:
            break
        choices = candidates(session.question.key)
        text = data.draw(st.sampled_from(choices + NOISE if data.draw(st.booleans()) else choices))
        try:
            session.answer(text)
        except ValueError:
            continue
    if session.draft is None:
        return  # not finished within the bound (or "back" at the end): nothing to write
    text = plan_file(session.draft, "p.yaml")
    loaded = parse_plan(text, Path("p.yaml"), today=session.draft.start, default_timezone="UTC")
    assert len(loaded.plan.milestones) == len(session.draft.milestones)
