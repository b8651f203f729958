"""`careersync init` end to end: the interview through a real terminal, and its scripted forms."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pexpect  # type: ignore[import-untyped]
import pytest
from typer.main import get_command

from sync.cli import app
from sync.loader import load_plan
from sync.plan import Plan

ZONE = "Europe/London"
NOW = "2026-12-15T09:30:00+00:00"  # a Tuesday, after its 07:00-08:00 window
TODAY = date(2026, 12, 15)
TIMEOUT = 20  # seconds per expected prompt: generous for a loaded machine, still bounded
# `careersync init` once the app registers it; until then the module's own entry point.
if "init" in get_command(app).commands:  # type: ignore[attr-defined]
    CLI = [str(Path(sys.executable).with_name("careersync")), "init"]
else:
    CLI = [sys.executable, "-m", "sync.cli.init"]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "a").mkdir()
    return tmp_path / "a"


def environment(home: Path) -> dict[str, str]:
    """Plain output (no colours, no cursor codes), a fixed clock, settings only this test sees."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERSYNC_")}
    env.update(
        TERM="dumb",
        NO_COLOR="1",
        PYTHONIOENCODING="utf-8",
        XDG_CONFIG_HOME=str(home / "config"),
        CAREERSYNC_HOME=str(home / "data"),
        CAREERSYNC_TIMEZONE=ZONE,
        CAREERSYNC_NOW=NOW,
        TZ="Pacific/Auckland",  # the machine's zone must not matter
    )
    return env


def load(path: Path) -> Plan:
    loaded = load_plan(path, today=TODAY, default_timezone="UTC")
    assert loaded.warnings == ()
    return loaded.plan


def words(text: str) -> str:
    """A pattern for `text` that the terminal may have wrapped at any space."""
    return r"\s+".join(re.escape(word) for word in text.split())


_REFUSED = re.compile(r"can't read|no earlier action|is not|must|needs an answer")


class Terminal:
    """The command in a pseudo-terminal, answered prompt by prompt; the replies are recorded."""

    def __init__(self, home: Path, *args: str) -> None:
        self.replies: list[str] = []
        self.child = pexpect.spawn(
            CLI[0],
            [*CLI[1:], *args],
            cwd=str(home),
            env=environment(home),
            encoding="utf-8",
            timeout=TIMEOUT,
            dimensions=(40, 100),
        )

    def expect(self, text: str) -> str:
        """Wait for `text`; return what the terminal showed before it."""
        self.child.expect(words(text))
        before = self.child.before
        assert isinstance(before, str)
        return before

    def answer(self, prompt: str, reply: str) -> str:
        """Reply at `prompt`; a reply the interview refuses (it says why) is not recorded."""
        before = self.expect(prompt)
        if self.replies and _REFUSED.search(before + str(self.child.after)):
            self.replies.pop()
        self.child.sendline(reply)
        self.replies.append(reply)
        return before

    def finish(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        status = self.child.exitstatus
        assert isinstance(status, int)
        return status


def replay(home: Path, replies: list[str], *args: str) -> str:
    """The recorded replies as an answers file, in a fresh folder: the plan file it writes."""
    other = home.parent / "replay"
    other.mkdir()
    (other / "answers.txt").write_text("\n".join(replies) + "\n", encoding="utf-8")
    done = run(other, "--answers", "answers.txt", *args)
    assert done.returncode == 0, done.stderr
    return next(other.glob("*.yaml")).read_text(encoding="utf-8")


VISION_SESSION = [
    ("Which plan shall we make", "vision"),
    ("Your time zone (Europe/London)", ""),
    ("How far ahead are you looking?", "15 months"),
    ("Sum it up in a few words", "Become a UX researcher"),
    ("Where are you?", "In a product team at an edtech company"),
    ("What are you doing there?", "Running studies with teachers and pupils"),
    ("Who is there with you?", ""),
    ("Any other detail you can see?", ""),
    ("just before “Become a UX researcher”?", "Run a usability study at my school"),
    ("just before “Run a usability study at my school”?", "Oops"),
    ("just before “Oops”?", "back"),  # the previous question, its answer the default
    ("just before “Run a usability study at my school”? (Oops):", "Finish a UX course"),
    ("just before “Finish a UX course”?", ""),  # that is today
    ("When should “Finish a UX course” be reached?", "in 3 months"),
    ("knowledge, skills or experience? (knowledge)", ""),  # guessed from "course"
    ("When should “Run a usability study at my school” be reached?", "in 8 months"),
    ("knowledge, skills or experience? (experience)", ""),
    ("When should “Become a UX researcher” be reached?", ""),  # the plan's end
    ("knowledge, skills or experience? (experience)", "skills"),
    ("Action #1 toward “Finish a UX course”", "Enrol in the course, 15m"),
    ("→ #1 “Enrol in the course”: 15m", ""),  # no more... then the order is not asked
    ("Action #2 toward “Run a usability study at my school”", "Get permission, 0"),
    ("Action #3", "Run the five sessions, 6h, after Get permision"),
    (
        "no earlier action is called 'Get permision' (did you mean #2 “Get permission”?",
        "Run the five sessions, 6h, after #2",
    ),
    ("→ #3 “Run the five sessions”: 6h, after #2 “Get permission”", "Write it up, by end of July"),
    ("How long will it take? (0 = no time needed)", "3h"),
    ("Action #5", ""),
    ("Do these in this order? (y)", ""),  # #2 then #3 then #4
    ("Action #5 toward “Become a UX researcher”", "Share one finding, 30m, every 2 weeks on fri"),
    ("Action #6", ""),
    ("When can you work on your career?", "weekdays 7-8"),
    ("Another slot", "sat 9am-12"),
    ("Another slot", ""),
    ("At most how many hours a week", "3"),
    ("Which actions come first?", "1, 2"),
    ("Can any of them be done today?", "1"),
    ("Write it? (y)", "back"),  # even the last question
    ("Can any of them be done today? Their numbers (1):", ""),  # the answer taken back
    ("Write it? (y)", "y"),
]


def test_vision_interview_in_a_terminal(home: Path) -> None:
    term = Terminal(home, "--save-answers", "answers.txt")
    for prompt, reply in VISION_SESSION:
        term.answer(prompt, reply)
    term.expect("Wrote plan.yaml: 3 milestones, 5 actions.")
    assert term.finish() == 0

    plan = load(home / "plan.yaml")
    assert (plan.title, plan.timezone, plan.start) == ("Become a UX researcher", ZONE, TODAY)
    assert plan.vision.doing == "Running studies with teachers and pupils"
    assert [(m.title, m.kind, m.after) for m in plan.milestones] == [
        ("Finish a UX course", "knowledge", ()),
        ("Run a usability study at my school", "experience", ("finish-ux-course",)),
        ("Become a UX researcher", "skills", ("run-usability-study-school",)),
    ]
    assert plan.milestones[-1].due == plan.end
    (enrol,) = plan.milestones[0].actions
    # "today" at 09:30, after today's 07:00-08:00 window: the next window with room, tomorrow
    assert (enrol.first, enrol.due, enrol.effort) == (
        True,
        date(2026, 12, 16),
        timedelta(minutes=15),
    )
    permission, sessions, write_up = plan.milestones[1].actions
    assert (permission.first, permission.effort) == (True, timedelta(0))
    assert (sessions.title, sessions.effort, sessions.after) == (
        "Run the five sessions",
        timedelta(hours=6),
        ("get-permission",),
    )
    assert (write_up.effort, write_up.due, write_up.after) == (
        timedelta(hours=3),
        date(2027, 7, 31),
        ("run-five-sessions",),  # the order confirmed
    )
    (share,) = plan.milestones[2].actions
    assert share.recurrence is not None
    assert (share.recurrence.every, share.recurrence.days) == ("2 weeks", ("fri",))
    assert plan.schedule.weekly_hours == 3
    assert (home / "plan.yaml").read_text(encoding="utf-8").startswith("# careersync plan file")
    # the same answers, from a file, write the same plan; so do the answers the session kept
    written = (home / "plan.yaml").read_text(encoding="utf-8")
    assert replay(home, term.replies) == written
    kept = (home / "answers.txt").read_text(encoding="utf-8").splitlines()
    assert kept[0].startswith("# careersync init answers")
    assert "Oops" not in kept  # taken back
    (home / "plan.yaml").unlink()
    again = run(home, "--answers", "answers.txt")
    assert again.returncode == 0, again.stderr
    assert (home / "plan.yaml").read_text(encoding="utf-8") == written


def test_a_refused_answer_repeats_only_the_question(home: Path) -> None:
    term = Terminal(home)
    for prompt, reply in VISION_SESSION[:13]:
        term.answer(prompt, reply)
    term.answer("When should “Finish a UX course” be reached?", "whenever")
    term.expect("can't read 'whenever' as a date")
    shown = term.answer("When should “Finish a UX course” be reached?", "soon")
    assert "Zoom out" not in shown
    assert "Give each milestone a time frame" not in shown
    term.expect("can't read 'soon' as a date")
    term.child.sendeof()
    term.expect("nothing written")
    assert term.finish() == 1


SHORT_TERM_SESSION = [
    ("Which plan shall we make", "short"),
    ("Your time zone", "America/New_York"),
    ("How many months does this plan cover?", "4 months"),
    ("What are these months for?", "Move into data analysis"),
    ("Where should they take you?", "Junior data analyst"),
    ("What do you need to know", "SQL and statistics"),
    ("Month 1 (until", "Finish a SQL course"),
    ("Action #1 toward “Finish a SQL course”", "Enrol, 15m"),
    ("Action #2", "Do the exercises, 8h, after enrol"),
    ("→ #2 “Do the exercises”: 8h, after #1 “Enrol”", ""),
    ("Do these in this order? (y)", ""),
    ("Month 2 (until", ""),
    ("Month 3 (until", "Answer a real question with SQL"),
    ("Action #3 toward", ""),
    ("Month 4 (until", ""),
    ("Which skill do you want to develop?", "Explaining numbers"),
    ("Month 1 (until", "Share one chart at the team meeting"),
    ("Action #3 toward", ""),
    ("Month 2 (until", "Present a short analysis"),
    ("Action #3 toward", "Rehearse with a colleague"),
    ("How long will it take?", "1h"),
    ("Action #4", "Draft the slides, 2h"),
    ("Action #5", ""),
    ("Do these in this order? (y)", "4, 3"),
    ("→ #4 then #3", ""),  # no skills goal in month 3
    ("Month 4 (until", ""),
    ("What experience do you want to gain?", "Real analysis work"),
    ("Find a mentor", "1, 5"),  # the suggested ways to gain experience
    ("Month 1 (until", ""),
    ("Month 2 (until", ""),
    ("Month 3 (until", ""),
    ("Month 4 (until", ""),  # no monthly goal: the area's goal, due at the end
    ("When can you work on your career?", ""),
    ("At most how many hours a week", "2.5"),
    ("Which actions come first?", ""),
    ("Can any of them be done today?", ""),
    ("Write it? (y)", ""),
]


def test_short_term_interview_in_a_terminal(home: Path) -> None:
    term = Terminal(home, "--out", "next.yaml")
    for prompt, reply in SHORT_TERM_SESSION:
        term.answer(prompt, reply)
    term.expect("Wrote next.yaml: 5 milestones, 6 actions.")
    assert term.finish() == 0

    plan = load(home / "next.yaml")
    assert plan.timezone == "America/New_York"
    assert plan.vision.where == "Junior data analyst"
    assert plan.schedule.weekly_hours == 2.5
    assert [(m.kind, m.after) for m in plan.milestones] == [
        ("knowledge", ()),
        ("knowledge", ("finish-sql-course",)),
        ("skills", ()),
        ("skills", ("share-one-chart-team-meeting",)),
        ("experience", ()),
    ]
    assert [(a.id, a.after) for a in plan.milestones[3].actions] == [
        ("rehearse-colleague", ("draft-slides",)),
        ("draft-slides", ()),
    ]
    assert plan.milestones[-1].title == "Real analysis work"
    assert plan.milestones[-1].due == plan.end
    assert [a.title for a in plan.milestones[-1].actions] == [
        "Join a professional organisation or community in the field",
        "Find a mentor who has made a similar move",
    ]
    assert [a.id for _, a in plan.actions() if a.first] == ["enrol"]
    assert replay(home, term.replies, "--out", "next.yaml") == (home / "next.yaml").read_text(
        encoding="utf-8"
    )


def test_an_existing_file_is_kept_unless_the_user_agrees(home: Path) -> None:
    (home / "plan.yaml").write_text("keep me\n", encoding="utf-8")
    term = Terminal(home)
    term.answer("plan.yaml already exists. Replace it?", "n")
    term.expect("left as it was")
    assert term.finish() == 1
    assert (home / "plan.yaml").read_text(encoding="utf-8") == "keep me\n"


def test_ending_the_input_writes_nothing(home: Path) -> None:
    term = Terminal(home)
    term.answer("Which plan shall we make", "vision")
    term.answer("Your time zone", "")
    term.expect("How far ahead are you looking?")
    term.child.sendeof()
    term.expect("nothing written")
    assert term.finish() == 1
    assert list(home.glob("*.yaml")) == []


# --- without a terminal ------------------------------------------------------------------------


def run(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=home,
        env=environment(home),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_template_is_a_valid_starting_file(home: Path) -> None:
    done = run(home, "--template", "short-term", "--out", "start.yaml")  # both: test_interview
    assert done.returncode == 0, done.stderr
    plan = load(home / "start.yaml")
    assert plan.timezone == ZONE
    assert plan.milestones
    assert "replace the examples" in (home / "start.yaml").read_text(encoding="utf-8")


def test_scripted_forms_refuse_to_overwrite_without_force(home: Path) -> None:
    (home / "plan.yaml").write_text("keep me\n", encoding="utf-8")
    done = run(home, "--template", "vision")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: plan.yaml already exists (pass --force to replace it, or pick --out)"
    )
    assert (home / "plan.yaml").read_text(encoding="utf-8") == "keep me\n"
    assert run(home, "--template", "vision", "--force").returncode == 0
    assert load(home / "plan.yaml").title == "Lead a data engineering team"


ANSWERS = (
    "\n".join(
        [
            "# careersync init answers: one per line, in question order",
            "short-term",
            "",  # the time zone: the default
            "3 months",
            "Learn to lead meetings",
            "",  # where it takes you: skipped
            "Running meetings well",  # knowledge
            "Read a book on meetings",  # month 1
            "Read it, 4h, due in 3 weeks",
            "",
            "Chair a team meeting",  # month 2
            "",
            "Chair a cross-team meeting",  # month 3
            "Prepare the agenda, 1h",
            "",
            "Summarising decisions",  # skills
            "Practise summarising decisions at the end of meetings",
            "",
            "",
            "",
            "Real leadership work",  # experience
            "back",
            "Leading a working group",
            "4",  # ask a colleague
            *[""] * 7,  # no monthly goals; then slots, hours, first, today: the defaults
            "y",  # write it
        ]
    )
    + "\n"
)


def test_answers_file_and_standard_input(home: Path) -> None:
    (home / "answers.txt").write_text(ANSWERS, encoding="utf-8")
    done = run(home, "--answers", "answers.txt", "--out", "a.yaml")
    assert done.returncode == 0, done.stderr
    from_stdin = run(home, "--answers", "-", "--out", "b.yaml", stdin=ANSWERS)
    assert from_stdin.returncode == 0, from_stdin.stderr
    written = (home / "b.yaml").read_text(encoding="utf-8").replace("b.yaml", "a.yaml")
    assert written == (home / "a.yaml").read_text(encoding="utf-8")
    plan = load(home / "a.yaml")
    assert [(m.title, m.kind) for m in plan.milestones] == [
        ("Read a book on meetings", "knowledge"),
        ("Chair a team meeting", "knowledge"),
        ("Chair a cross-team meeting", "knowledge"),
        ("Practise summarising decisions at the end of meetings", "skills"),
        ("Leading a working group", "experience"),
    ]
    assert plan.milestones[0].actions[0].first


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["--answers", "-"],
            "vision\n\n40 years\n",
            "error: -: line 3 (horizon): that is more than",
        ),
        (["--answers", "-"], "vision\n\n15 months\n", "error: -: the answers end before question"),
        (["--answers", "missing.txt"], "", "error: missing.txt: cannot be read"),
        (["--answers", "-", "--template", "vision"], "", "error: --template and --answers"),
        (["--out", "no/such/dir/plan.yaml", "--template", "vision"], "", "is not a folder"),
    ],
)
def test_errors_are_one_line_and_write_nothing(
    home: Path, args: list[str], stdin: str, message: str
) -> None:
    done = run(home, *args, stdin=stdin)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert message in done.stderr
    assert list(home.rglob("*.yaml")) == []
