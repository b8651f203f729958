"""`careersync init` end to end: the interview through a real terminal, and its scripted forms."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pexpect  # type: ignore[import-untyped]
import pytest
from typer.main import get_command

from sync.cli import app
from sync.loader import load_plan
from sync.plan import Plan

ZONE = "Europe/London"
TIMEOUT = 20  # seconds per expected prompt: generous for a loaded machine, still bounded
# `careersync init` once the app registers it; until then the module's own entry point.
if "init" in get_command(app).commands:  # type: ignore[attr-defined]
    CLI = [str(Path(sys.executable).with_name("careersync")), "init"]
else:
    CLI = [sys.executable, "-m", "sync.cli.init"]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


def environment(home: Path) -> dict[str, str]:
    """Plain output (no colours, no cursor codes) and settings that only this test sees."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERSYNC_")}
    env.update(
        TERM="dumb",
        NO_COLOR="1",
        PYTHONIOENCODING="utf-8",
        XDG_CONFIG_HOME=str(home / "config"),
        CAREERSYNC_HOME=str(home / "data"),
        CAREERSYNC_TIMEZONE=ZONE,
    )
    return env


def today() -> date:
    return datetime.now(ZoneInfo(ZONE)).date()


def load(path: Path) -> Plan:
    loaded = load_plan(path, today=today(), default_timezone="UTC")
    assert loaded.warnings == ()
    return loaded.plan


class Terminal:
    """The command in a pseudo-terminal, answered prompt by prompt."""

    def __init__(self, home: Path, *args: str) -> None:
        self.child = pexpect.spawn(
            CLI[0],
            [*CLI[1:], *args],
            cwd=str(home),
            env=environment(home),
            encoding="utf-8",
            timeout=TIMEOUT,
            dimensions=(40, 80),
        )

    def expect(self, text: str) -> None:
        """Wait for `text`; the terminal may have wrapped it at any space."""
        self.child.expect(r"\s+".join(re.escape(word) for word in text.split()))

    def answer(self, prompt: str, reply: str) -> None:
        self.expect(prompt)
        self.child.sendline(reply)

    def finish(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        status = self.child.exitstatus
        assert isinstance(status, int)
        return status


def test_vision_interview_in_a_terminal(home: Path) -> None:
    term = Terminal(home)
    for prompt, reply in [
        ("Which plan shall we make", "vision"),
        ("How far ahead are you looking?", "15 months"),
        ("Sum it up in a few words", "Become a staff engineer"),
        ("Where are you?", "At a climate-tech company"),
        ("What are you doing there?", "Designing systems with many teams"),
        ("Who is there with you?", ""),
        ("Any other detail you can see?", ""),
        ("just before “Become a staff engineer”?", "Lead a cross-team design"),
        ("just before “Lead a cross-team design”?", "Oops"),
        ("just before “Oops”?", "back"),  # the previous question again
        ("just before “Lead a cross-team design”?", "Write a design doc"),
        ("just before “Write a design doc”?", ""),  # that is today
        ("When should “Write a design doc” be reached?", "whenever"),
        ("can't read 'whenever' as a date", ""),  # an empty answer takes the default...
        ("→", "back"),  # ...which is shown, and can be taken back
        ("When should “Write a design doc” be reached?", "in 3 months"),
        ("When should “Lead a cross-team design” be reached?", "in 1 month"),
        ("when the step before it is due", "in 9 months"),  # asked again until it fits
        ("When should “Become a staff engineer” be reached?", ""),  # the plan's end
        ("An action toward “Write a design doc”", "Pick a problem worth a design doc, 1h"),
        ("Another action", "Draft the doc, 6h, due in 6 weeks"),
        ("Another action", ""),
        ("An action toward “Lead a cross-team design”", "Review one design, 45m, every week"),
        ("Another action", ""),
        ("An action toward “Become a staff engineer”", ""),
        ("Which actions come first?", "2"),
        ("Can any of them be done today?", "3"),
        ("action 3 repeats", "1"),
        ("Your time zone", "Europe/Berlin"),
        ("When can you work on your career?", "weekdays 7-8"),
        ("Another slot", "sat 9am-12"),
        ("Another slot", ""),
        ("At most how many hours a week", "3"),
    ]:
        term.answer(prompt, reply)
    term.expect("Your plan")
    term.expect("Become a staff engineer")
    term.answer("Write it?", "y")
    term.expect("Wrote plan.yaml: 3 milestones, 3 actions.")
    assert term.finish() == 0

    plan = load(home / "plan.yaml")
    day = today()
    assert (plan.title, plan.timezone, plan.start) == (
        "Become a staff engineer",
        "Europe/Berlin",
        day,
    )
    assert plan.vision.doing == "Designing systems with many teams"
    assert [(m.title, m.after) for m in plan.milestones] == [
        ("Write a design doc", ()),
        ("Lead a cross-team design", ("write-design-doc",)),
        ("Become a staff engineer", ("lead-cross-team-design",)),
    ]
    assert plan.milestones[-1].due == plan.end
    pick, draft = plan.milestones[0].actions
    assert pick.first
    assert pick.due == day
    assert draft.first
    assert draft.due < plan.milestones[0].due
    assert plan.milestones[1].actions[0].recurrence is not None
    assert plan.schedule.weekly_hours == 3
    assert [w.days for w in plan.schedule.windows] == [
        ("mon", "tue", "wed", "thu", "fri"),
        ("sat",),
    ]
    assert (home / "plan.yaml").read_text(encoding="utf-8").startswith("# careersync plan file")


def test_short_term_interview_in_a_terminal(home: Path) -> None:
    term = Terminal(home, "--out", "next.yaml")
    for prompt, reply in [
        ("Which plan shall we make", "short"),
        ("How many months does this plan cover?", "4 months"),
        ("What are these months for?", "Move into data analysis"),
        ("Where should they take you?", "Junior data analyst"),
        ("What do you need to know", "SQL and statistics"),
        ("Month 1 (until", "Finish a SQL course"),
        ("An action toward “Finish a SQL course”", "Enrol, 15m"),
        ("Another action", ""),
        ("Month 2 (until", ""),
        ("Month 3 (until", "Answer a real question with SQL"),
        ("An action toward", ""),
        ("Month 4 (until", ""),
        ("Which skill do you want to develop?", "Explaining numbers"),
        ("Month 1 (until", "Share one chart at the team meeting"),
        ("An action toward", ""),
        ("Month 2 (until", "Present a short analysis"),
        ("An action toward", "Rehearse with a colleague, 1h"),
        ("Another action", ""),
        ("Month 3 (until", ""),
        ("Month 4 (until", ""),
        ("What experience do you want to gain?", "Real analysis work"),
        ("Find a mentor", "1, 5"),  # the suggested ways to gain experience
        ("Month 1 (until", ""),
        ("Month 2 (until", ""),
        ("Month 3 (until", ""),
        ("Month 4 (until", ""),  # no monthly goal: the area's goal, due at the end
        ("Which actions come first?", ""),
        ("Can any of them be done today?", ""),
        ("Your time zone", ""),
        ("When can you work on your career?", ""),
        ("At most how many hours a week", "2.5"),
    ]:
        term.answer(prompt, reply)
    term.answer("Write it?", "")
    term.expect("Wrote next.yaml: 5 milestones, 4 actions.")
    assert term.finish() == 0

    plan = load(home / "next.yaml")
    assert plan.timezone == ZONE
    assert plan.schedule.weekly_hours == 2.5
    assert [(m.kind, m.after) for m in plan.milestones] == [
        ("knowledge", ()),
        ("knowledge", ("finish-sql-course",)),
        ("skills", ()),
        ("skills", ("share-one-chart-team-meeting",)),
        ("experience", ()),
    ]
    assert plan.milestones[-1].title == "Real analysis work"
    assert plan.milestones[-1].due == plan.end
    assert [a.title for a in plan.milestones[-1].actions] == [
        "Join a professional organisation or community in the field",
        "Find a mentor who has made a similar move",
    ]
    assert [a.id for _, a in plan.actions() if a.first] == ["enrol"]


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
            *[""] * 8,  # no monthly goals; then first, today, zone, slots, hours: the defaults
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
        (["--answers", "-"], "vision\n40 years\n", "error: -: line 2 (horizon): that is more than"),
        (["--answers", "-"], "vision\n15 months\n", "error: -: the answers end before question"),
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
