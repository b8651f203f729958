"""The plan loader: the documented example loads, defaults are resolved, and every rule of the plan
format is a `PlanError` with the file, the line of the offending value, and a fix.

Bad documents mark the line the error must point at with a `# <-` comment.
"""

from __future__ import annotations

import os
from datetime import date, time, timedelta
from pathlib import Path

import pytest

from sync.durations import add_months, format_duration, horizon_end, parse_duration
from sync.errors import PlanError
from sync.loader import Loaded, load_plan, parse_plan
from sync.plan import Recurrence, Schedule, slug

PLANS = Path(__file__).parent / "plans"
TODAY = date(2026, 11, 2)
FILE = Path("plan.yaml")

HEAD = """\
format: 1
plan:
  title: Lead a team
  start: 2027-01-01
  horizon: 15 months
"""


def parse(text: str | bytes) -> Loaded:
    return parse_plan(text, FILE, today=TODAY, default_timezone="Europe/Paris")


def marked_line(doc: str) -> int:
    return next(n for n, line in enumerate(doc.splitlines(), 1) if "# <-" in line)


def fails(doc: str | bytes, phrase: str) -> PlanError:
    with pytest.raises(PlanError) as info:
        parse(doc)
    assert phrase in str(info.value)
    assert info.value.path == FILE
    return info.value


# -- the example and defaults -----------------------------------------------------------------


def test_the_documented_example_loads() -> None:
    loaded = load_plan(PLANS / "example.yaml", today=TODAY, default_timezone="UTC")
    plan = loaded.plan
    assert loaded.warnings == ()
    assert (plan.id, plan.timezone, plan.start) == ("data-lead", "Europe/London", date(2026, 12, 1))
    assert plan.end == date(2028, 2, 29)  # 15 months, inclusive, as the format's comment says
    assert [w.days for w in plan.schedule.windows] == [("mon", "wed"), ("sat",)]
    assert plan.schedule.windows[0].start == time(7, 0)
    assert plan.vision.where == "Leading the data platform group at a mid-size fintech"
    cert = plan.milestone("cert")
    assert (cert.kind, cert.due, cert.after) == ("knowledge", date(2027, 4, 30), ())
    book, study, explain = cert.actions
    assert (book.effort, book.first, book.due, book.kind) == (
        timedelta(minutes=15),
        True,
        date(2027, 4, 30),
        "knowledge",
    )
    assert (study.start, study.due, study.after) == (
        date(2027, 1, 4),
        date(2027, 3, 31),
        ("book-exam",),
    )
    assert study.checklist == (
        "Storage and modelling chapters",
        "Streaming chapters",
        "Two practice exams",
    )
    assert explain.kind == "skills"
    assert explain.recurrence == Recurrence(every="week")
    assert explain.until == date(2027, 4, 30)
    assert plan.task_count() == 1 + 3 + 3


def test_defaults_are_resolved() -> None:
    plan = parse(
        """\
format: 1
plan:
  title: Grow into a Staff Engineer!
  horizon: 6 months
milestones:
  - title: Lead a design review
    kind: experience
    due: 2027-03-31
    actions:
      - title: Volunteer for the next review
      - title: Read one design doc
        every: week
        days: tue
"""
    ).plan
    assert (plan.id, plan.timezone, plan.start) == (
        "grow-into-a-staff-engineer",
        "Europe/Paris",
        TODAY,
    )
    assert plan.end == date(2027, 5, 1)
    assert plan.schedule == Schedule()
    milestone = plan.milestones[0]
    assert milestone.id == "lead-a-design-review"
    volunteer, read = milestone.actions
    assert (volunteer.id, volunteer.kind, volunteer.due, volunteer.until) == (
        "volunteer-for-the-next-review",
        "experience",
        date(2027, 3, 31),
        None,
    )
    assert (volunteer.effort, volunteer.first, volunteer.recurrence) == (timedelta(0), False, None)
    assert read.recurrence == Recurrence(every="week", days=("tue",))
    assert read.until == date(2027, 3, 31)


def test_lenient_spellings() -> None:
    plan = parse(
        HEAD
        + """\
  end:
  timezone: America/New_York
schedule:
  weekly_hours: 2.5
  min_block: 45
  max_block: 1h30m
  windows:
    - {days: [Monday, sat, SUN], from: 7:30, to: "09:00"}
milestones:
  - {id: a, title: 1984, due: 2027-02-01, notes: yes, kind: Skills}
  - id: b
    title: "Second"
    due: 2027-03-01
    after: a
    actions:
      - {id: x, title: on, effort: 1h, first: yes, every: 2  weeks}
      - {id: y, title: Then, after: x, checklist: [one, 2, true]}
"""
    ).plan
    assert plan.timezone == "America/New_York"
    window = plan.schedule.windows[0]
    assert (window.days, window.start, window.end) == (("mon", "sat", "sun"), time(7, 30), time(9))
    assert plan.schedule.min_block == timedelta(minutes=45)
    assert plan.schedule.weekly_hours == 2.5
    a, b = plan.milestones
    assert (a.title, a.notes, a.kind, b.after) == ("1984", "yes", "skills", ("a",))
    x, y = b.actions
    assert (x.title, x.first, x.recurrence) == ("on", True, Recurrence(every="2 weeks"))
    assert (y.after, y.checklist) == (("x",), ("one", "2", "true"))


def test_anchors_and_merge_keys() -> None:
    plan = parse(
        HEAD
        + """\
schedule:
  windows:
    - &early {days: [mon], from: "07:00", to: "08:00"}
    - <<: *early
      days: [thu]
milestones:
  - {id: a, title: A, due: &due 2027-02-01}
  - {id: b, title: B, due: *due}
"""
    ).plan
    assert [w.days for w in plan.schedule.windows] == [("mon",), ("thu",)]
    assert plan.schedule.windows[1].start == time(7)
    assert plan.milestones[1].due == date(2027, 2, 1)


@pytest.mark.parametrize(
    "data",
    [
        HEAD.encode(),
        b"\xef\xbb\xbf" + HEAD.encode(),
        HEAD.encode("utf-16"),
        "\ufeff" + HEAD,
    ],
    ids=["utf-8", "utf-8 bom", "utf-16", "str bom"],
)
def test_encodings(data: str | bytes) -> None:
    assert parse(data).plan.title == "Lead a team"


def test_a_plan_without_milestones_loads() -> None:
    assert parse(HEAD + "milestones:\n").plan.milestones == ()


# -- warnings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("horizon", "warned"),
    [
        ("15 months", False),
        ("6 months", False),
        ("3 months", False),
        ("13 weeks", False),
        ("26 weeks", False),
        ("1 year", False),
        ("18 months", False),
        ("9 months", True),
        ("2 months", True),
        ("2 years", True),
        ("10 days", True),
    ],
)
def test_horizon_outside_the_coaching_ranges_is_a_warning(horizon: str, warned: bool) -> None:
    loaded = parse(HEAD.replace("15 months", horizon))
    if warned:
        (warning,) = loaded.warnings
        assert warning.startswith("plan.yaml:5: the plan runs ")
        assert "12-18 months" in warning
    else:
        assert loaded.warnings == ()


def test_end_outside_the_coaching_ranges_is_a_warning() -> None:
    (warning,) = parse(HEAD.replace("horizon: 15 months", "end: 2027-09-30")).warnings
    assert warning.startswith("plan.yaml:5: the plan runs about 9 months")


def test_schedule_warnings() -> None:
    doc = (
        HEAD
        + 'schedule:\n  min_block: 2h\n  windows: [{days: [mon], from: "07:00", to: "08:00"}]\n'
    )
    (warning,) = parse(doc).warnings
    assert warning == "plan.yaml:6: no window is as long as min_block 2h: no focus block fits"
    doc = HEAD + "schedule:\n  windows: []\nmilestones:\n"
    doc += "  - {title: A, due: 2027-02-01, actions: [{title: B, effort: 1h}]}\n"
    (warning,) = parse(doc).warnings
    assert "no effort will be blocked" in warning


# -- errors -----------------------------------------------------------------------------------

MILESTONE = """\
milestones:
  - id: cert
    title: Pass the cert
    due: 2027-06-30
    actions:
"""


def actions(*lines: str) -> str:
    return HEAD + MILESTONE + "".join(f"      {line}\n" for line in lines)


CHECKS = [f"c{n}" for n in range(14)]
BAD = [
    pytest.param("plan:  # <-\n  title: A\n", "has no `format`", id="format missing"),
    pytest.param("format: 2  # <-\n", "newer than this careersync", id="format newer"),
    pytest.param("format: one  # <-\n", "unknown format", id="format unknown"),
    pytest.param(HEAD + "milestone: []  # <-\n", "did you mean `milestones`", id="unknown top key"),
    pytest.param(
        HEAD.replace("horizon: 15 months", "horizn: 15 months  # <-"),
        "unknown key `horizn`",
        id="unknown plan key",
    ),
    pytest.param(
        HEAD + "schedule:\n  windows:\n    - {days: [mon], form: '07:00', to: '08:00'}  # <-\n",
        "did you mean `from`",
        id="unknown window key",
    ),
    pytest.param(
        actions("- title: A", "  efort: 1h  # <-"), "did you mean `effort`", id="unknown action key"
    ),
    pytest.param(
        actions("- id: Book Exam  # <-", "  title: A"), "'Book Exam' is not valid", id="bad id"
    ),
    pytest.param(
        actions("- title: A", "- title: a  # <-"), "id `a` is used twice", id="duplicate default id"
    ),
    pytest.param(
        actions("- id: cert  # <-", "  title: A"),
        "id `cert` is used twice",
        id="id shared with milestone",
    ),
    pytest.param(actions("- title: '???'  # <-"), "no id can be made", id="no slug"),
    pytest.param(
        actions("- id: a", "  title: A", "  after: [b00k]  # <-"), "not an id", id="after unknown"
    ),
    pytest.param(
        actions("- id: a", "  title: A", "  after: [cert]  # <-"),
        "which is a milestone",
        id="after other level",
    ),
    pytest.param(
        actions("- {id: a, title: A, after: [b]}", "- {id: b, title: B, after: [a]}  # <-"),
        "cycle: a -> b -> a",
        id="action cycle",
    ),
    pytest.param(actions("- {id: a, title: A, after: a}  # <-"), "cycle: a -> a", id="self cycle"),
    pytest.param(
        HEAD
        + "milestones:\n  - {id: a, title: A, due: 2027-05-01, after: [b]}\n"
        + "  - {id: b, title: B, due: 2027-05-01, after: [a]}  # <-\n",
        "milestones depend on each other in a cycle: a -> b -> a",
        id="milestone cycle",
    ),
    pytest.param(
        HEAD
        + "milestones:\n  - {id: a, title: A, due: 2027-05-01}\n"
        + "  - {id: b, title: B, due: 2027-04-01, after: [a]}  # <-\n",
        "milestone `b` is due 2027-04-01, before `a` (2027-05-01)",
        id="milestone due before its after",
    ),
    pytest.param(
        HEAD + "milestones:\n  - title: A\n    due: 2029-01-01  # <-\n",
        "after the plan's end (2028-03-31)",
        id="due after end",
    ),
    pytest.param(
        actions("- title: A", "  start: 2026-12-01  # <-"),
        "before the plan's start",
        id="start before plan",
    ),
    pytest.param(
        actions("- title: A", "  due: 2027-13-01  # <-"), "not a real date", id="month 13"
    ),
    pytest.param(
        actions("- title: A", "  due: next week  # <-"),
        "'next week' is not a date",
        id="not a date",
    ),
    pytest.param(
        actions("- title: A", "  due: 2027-05-01 10:00  # <-"), "is not a date", id="timestamp"
    ),
    pytest.param(
        actions("- title: A", "  start: 2027-06-01  # <-", "  due: 2027-05-01"),
        "`start` 2027-06-01 is after its `due`",
        id="start after due",
    ),
    pytest.param(
        actions("- title: A", "  start: 2027-07-10  # <-", "  every: week"),
        "is after its milestone's due",
        id="start after milestone due",
    ),
    pytest.param(
        actions("- title: A", "  due: 2027-07-01  # <-"),
        "after its milestone's due (2027-06-30)",
        id="due after milestone",
    ),
    pytest.param(
        actions("- title: A", "  effort: 1.5h  # <-"), "'1.5h' is not a duration", id="bad duration"
    ),
    pytest.param(
        actions("- title: A", "  effort: -30m  # <-"),
        "`effort` cannot be negative",
        id="negative effort",
    ),
    pytest.param(
        actions("- title: A", "  effort: 1001h  # <-"), "more than 1000h", id="effort too big"
    ),
    pytest.param(
        actions("- title: A", "  effort: " + "9" * 5000 + "  # <-"),
        "is not a duration",
        id="huge number",
    ),
    pytest.param(
        HEAD + "schedule:\n  min_block: 3h  # <-\n", "longer than max_block 2h", id="min over max"
    ),
    pytest.param(
        HEAD + "schedule:\n  max_block: 0m  # <-\n", "not a block length", id="zero block"
    ),
    pytest.param(
        HEAD + "schedule:\n  weekly_hours: lots  # <-\n",
        "'lots' is not a number",
        id="weekly hours",
    ),
    pytest.param(
        HEAD + "schedule:\n  weekly_hours: 200  # <-\n",
        "more than a week",
        id="weekly hours too many",
    ),
    pytest.param(
        HEAD + "schedule:\n  windows:\n    - {days: [mon], from: '09:00', to: '08:00'}  # <-\n",
        "ends (08:00) before it starts (09:00)",
        id="window backwards",
    ),
    pytest.param(
        HEAD
        + "schedule:\n  windows:\n    - days: [mnday]  # <-\n      from: '07:00'\n      to: '08:00'\n",
        "did you mean `monday`",
        id="unknown day",
    ),
    pytest.param(
        HEAD + "schedule:\n  windows:\n    - days: [mon]  # <-\n      from: '07:00'\n",
        "`to` is missing",
        id="window without to",
    ),
    pytest.param(
        HEAD + "schedule:\n  windows:\n    - {days: [mon], from: 7, to: '08:00'}  # <-\n",
        "'7' is not a time",
        id="not a time",
    ),
    pytest.param(
        actions("- title: A", "  every: fortnight  # <-"),
        "unknown `every` 'fortnight'",
        id="bad every",
    ),
    pytest.param(
        actions("- title: A", "  until: 2027-05-01  # <-"),
        "`until` applies to recurring actions only",
        id="until without every",
    ),
    pytest.param(
        actions("- title: A", "  days: [mon]  # <-"),
        "`days` applies to recurring",
        id="days without every",
    ),
    pytest.param(
        actions("- title: A", "  every: month", "  days: [mon]  # <-"),
        "does not go with `every: month`",
        id="days with month",
    ),
    pytest.param(
        actions("- title: A", "  every: day", "  start: 2027-05-01", "  until: 2027-04-01  # <-"),
        "`until` 2027-04-01 is before `start`",
        id="until before start",
    ),
    pytest.param(
        actions("- title: A", "  kind: skill  # <-"), "did you mean `skills`", id="bad kind"
    ),
    pytest.param(
        actions("- title: A", "  first: maybe  # <-"), "must be true or false", id="bad flag"
    ),
    pytest.param(
        actions("- title: A", "  checklist: read  # <-"),
        "`checklist` must be a list",
        id="checklist not a list",
    ),
    pytest.param(
        actions("- title: A", "  checklist: ['']  # <-"),
        "`checklist` is empty",
        id="empty checklist item",
    ),
    pytest.param(
        HEAD.replace("horizon: 15 months", "timezone: Europe/Londn  # <-\n  horizon: 1 year"),
        "did you mean `Europe/London`",
        id="unknown timezone",
    ),
    pytest.param(
        HEAD + "  end: 2028-01-01  # <-\n", "`horizon` and `end` are both set", id="horizon and end"
    ),
    pytest.param(
        HEAD.replace("  horizon: 15 months\n", "").replace("plan:", "plan:  # <-"),
        "needs a `horizon` or an `end`",
        id="no horizon",
    ),
    pytest.param(
        HEAD.replace("15 months", "fifteen months  # <-"), "is not a horizon", id="bad horizon"
    ),
    pytest.param(HEAD.replace("15 months", "30 years  # <-"), "runs past", id="horizon too long"),
    pytest.param(
        HEAD.replace("15 months", "0 months  # <-"), "is not a horizon", id="zero horizon"
    ),
    pytest.param(
        HEAD.replace("horizon: 15 months", "end: 2026-06-01  # <-"),
        "before the plan's start",
        id="end before start",
    ),
    pytest.param(
        actions("- title: " + "x" * 501 + "  # <-"),
        "501 characters; at most 500 fit",
        id="title too long",
    ),
    pytest.param(
        actions("- title: A", "  notes: " + "x" * 15884 + "  # <-"),
        "at most 15883 fit",
        id="notes too long",
    ),
    pytest.param(
        HEAD.replace("Lead a team", "x" * 121 + "  # <-"),
        "at most 120 fit",
        id="plan title too long",
    ),
    pytest.param(
        HEAD + "  vision:  # <-\n    where: " + "x" * 600 + "\n    who: " + "y" * 600 + "\n",
        "at most 924 fit",
        id="vision too long",
    ),
    pytest.param(
        HEAD
        + "milestones:\n"
        + "".join(f"  - {{title: M{n}, due: 2027-06-30}}\n" for n in range(20))
        + "  - {title: M20, due: 2027-06-30}  # <-\n",
        "the plan has 21 milestones",
        id="too many milestones",
    ),
    pytest.param(
        HEAD
        + "milestones:  # <-\n"
        + "".join(
            f"  - {{title: M{n}, due: 2027-06-30, actions: [{{title: A{n}, checklist: {CHECKS}}}]}}\n"
            for n in range(20)
        ),
        "the plan makes 320 Todoist tasks",
        id="too many tasks",
    ),
    pytest.param(
        HEAD + "plan: {}  # <-\n", "`plan` appears twice (first on line 2)", id="duplicate key"
    ),
    pytest.param(
        actions("- !!python/object:os.system  # <-", "  title: A"),
        "tag `!!python/object:os.system`",
        id="python tag",
    ),
    pytest.param(
        actions("- title: A", "  effort: !!binary aGVsbG8=  # <-"),
        "tag `!!binary`",
        id="binary tag",
    ),
    pytest.param(
        HEAD + "milestones:\n  - title: A\n   due: 2027-01-01  # <-\n",
        "not valid YAML",
        id="bad indentation",
    ),
    pytest.param(
        HEAD + "milestones: [a, b\nschedule: {}  # <-\n", "not valid YAML", id="unclosed bracket"
    ),
    pytest.param(
        HEAD + "--- 2  # <-\n", "not valid YAML: expected a single document", id="two documents"
    ),
    pytest.param("- format: 1  # <-\n", "the file must be a mapping, not a list", id="a list"),
    pytest.param(
        "format: 1\nplan: Lead a team  # <-\n",
        "the `plan` section must be a mapping",
        id="plan a string",
    ),
    pytest.param(
        HEAD + "milestones:  # <-\n  cert: {title: A}\n",
        "`milestones` must be a list",
        id="milestones a mapping",
    ),
    pytest.param(
        actions("- Book the exam  # <-"), "an action must be a mapping", id="action a string"
    ),
    pytest.param(
        actions("- title: [a, b]  # <-"), "`title` must be text, not a list", id="title a list"
    ),
    pytest.param(actions("- title:  # <-", "  effort: 1h"), "`title` is empty", id="title empty"),
    pytest.param(actions("- effort: 1h  # <-"), "`title` is missing", id="title missing"),
    pytest.param(
        actions("- title: |  # <-", "    two", "    lines"),
        "spans several lines",
        id="title two lines",
    ),
    pytest.param(
        HEAD + "milestones:\n  - title: A  # <-\n", "`due` is missing", id="milestone due missing"
    ),
    pytest.param(HEAD + "x: &a [*a]  # <-\n", "nests too deeply", id="recursive alias"),
    pytest.param(
        HEAD + "schedule:\n  windows:\n    - <<: [1]  # <-\n",
        "`<<` merges something that is not a mapping",
        id="merge a scalar",
    ),
    pytest.param(HEAD + "? [a]  # <-\n: 1\n", "a key is a list or mapping", id="complex key"),
    pytest.param(HEAD + "milestones:\n\t- a  # <-\n", "not valid YAML", id="tab"),
    pytest.param(
        HEAD + "schedule:\n  bad: \x07  # <-\n",
        "control character (U+0007)",
        id="control character",
    ),
]


@pytest.mark.parametrize(("doc", "phrase"), BAD)
def test_bad_plans_are_errors_on_the_right_line(doc: str, phrase: str) -> None:
    error = fails(doc, phrase)
    assert error.line == marked_line(doc)
    assert error.column is not None
    assert error.fix or "not valid YAML" not in error.message


def test_an_error_reads_as_one_line() -> None:
    error = fails(actions("- title: A", "  effort: 1.5h"), "")
    assert str(error) == (
        "plan.yaml:12:17: `effort` '1.5h' is not a duration"
        " (write minutes and hours, e.g. 45m, 1h30m, 2h, or 90 (minutes))"
    )


def test_unknown_key_lists_the_keys_when_nothing_is_close() -> None:
    error = fails(HEAD + "zzz: 1\n", "unknown key `zzz` in the file")
    assert error.fix == "use one of: format, plan, schedule, milestones"


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 8)]
    error = fails(HEAD + "\n".join(lines) + "\n", "more than 20000 values")
    assert error.line is not None


@pytest.mark.parametrize(
    "nested",
    [
        "schedule: " + "[" * 50 + "]" * 50,
        "schedule: " + "[" * 100_000 + "]" * 100_000,
        "schedule:\n" + "- " * 800 + "x",
        "schedule:\n" + "- " * 50_000 + "x",
    ],
    ids=["flow 50", "flow 100000", "block 800", "block 50000"],
)
def test_deep_nesting_is_refused_not_crashed(nested: str) -> None:
    fails(HEAD + nested + "\n", "nests too deeply")


def test_invalid_utf8_points_at_the_byte() -> None:
    error = fails(HEAD.encode() + b"x: \xff\xfe\n", "not UTF-8 text (byte 0xff)")
    assert (error.line, error.column) == (6, 4)


@pytest.mark.parametrize("doc", ["", "   \n", "# only a comment\n"])
def test_empty_file(doc: str) -> None:
    assert fails(doc, "the file is empty").line is None


def test_huge_file() -> None:
    fails(HEAD + "#" * 1_000_001, "larger than 1 MB")


def test_default_timezone_is_checked() -> None:
    with pytest.raises(PlanError, match="unknown time zone 'Mars/Base'"):
        parse_plan(HEAD, FILE, today=TODAY, default_timezone="Mars/Base")


# -- files ------------------------------------------------------------------------------------


def load(path: Path) -> Loaded:
    return load_plan(path, today=TODAY, default_timezone="UTC")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="no such file") as info:
        load(tmp_path / "nope.yaml")
    assert "careersync init" in str(info.value)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="is a directory"):
        load(tmp_path)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(HEAD)
    path.chmod(0)
    with pytest.raises(PlanError, match="permission denied"):
        load(path)


def test_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "career.yaml"
    path.write_text(HEAD + "milestones: 3\n")
    with pytest.raises(PlanError) as info:
        load(path)
    assert str(info.value).startswith(f"{path}:6:")


# -- durations and horizons -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("45m", 45),
        ("1h30m", 90),
        ("2h", 120),
        ("90", 90),
        (90, 90),
        ("0", 0),
        ("1h 5m", 65),
        (" 2H ", 120),
    ],
)
def test_parse_duration(text: str | int, minutes: int) -> None:
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    "text", ["", "h", "m", "1.5h", "-5", -5, "1h60m", "1d", "30 min", True, "١٢"]
)
def test_parse_duration_refuses(text: str | int) -> None:
    with pytest.raises(ValueError, match=r"duration|negative|minutes"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0m"), (45, "45m"), (60, "1h"), (90, "1h30m"), (125, "2h5m"), (-90, "-1h30m")],
)
def test_format_duration(minutes: int, text: str) -> None:
    assert format_duration(timedelta(minutes=minutes)) == text
    if minutes >= 0:
        assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("start", "horizon", "end"),
    [
        (date(2026, 12, 1), "15 months", date(2028, 2, 29)),
        (date(2027, 1, 31), "1 month", date(2027, 2, 27)),
        (date(2027, 1, 1), "26 weeks", date(2027, 7, 1)),
        (date(2027, 1, 1), "1 year", date(2027, 12, 31)),
        (date(2027, 1, 1), "10 days", date(2027, 1, 10)),
    ],
)
def test_horizon_end(start: date, horizon: str, end: date) -> None:
    assert horizon_end(start, horizon) == end


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 12, 15), 2) == date(2028, 2, 15)


def test_slug() -> None:
    assert slug("  Café & Co: 2027!  ") == "cafe-co-2027"
    assert slug("x" * 70) == "x" * 63
    assert slug("a" * 62 + " b") == "a" * 62
    assert slug("???") == ""
