"""The HTML report: self-contained, escaped, and laid out properly in a real headless browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sync.plan import Action, Milestone, Plan, Recurrence, Vision
from sync.progress import Facts, burnup, measure
from sync.report import render_report

LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)
M = timedelta(minutes=1)


def at(y: int, mo: int, d: int, h: int = 8) -> datetime:
    return datetime(y, mo, d, h, tzinfo=LONDON)


def realistic_plan() -> Plan:
    def action(id: str, title: str, effort: timedelta, due: date, **kw: object) -> Action:
        return Action.model_validate({"id": id, "title": title, "effort": effort, "due": due, **kw})

    return Plan(
        id="data-lead",
        title="Lead a data engineering team",
        timezone="Europe/London",
        start=date(2026, 12, 1),
        end=date(2028, 2, 29),
        vision=Vision(
            where="Leading the data platform group at a mid-size fintech",
            doing="Designing streaming pipelines, running the team's planning",
            who="Five engineers, a supportive director, the local data community",
            notes="Remote-first, two days a week in the office <script>alert(1)</script>",
        ),
        milestones=(
            Milestone(
                id="cert",
                title="Pass the cloud data engineer certification",
                kind="knowledge",
                due=date(2027, 4, 30),
                actions=(
                    action("book-exam", "Book the exam", 15 * M, date(2027, 4, 30), first=True),
                    action(
                        "study",
                        "Work through the study guide",
                        12 * H,
                        date(2027, 3, 31),
                        start=date(2027, 1, 4),
                    ),
                    action("practice", "Two practice exams", 4 * H, date(2027, 4, 20)),
                ),
            ),
            Milestone(
                id="mentor",
                title="Mentor a junior engineer",
                kind="skills",
                due=date(2027, 3, 31),
                actions=(
                    action("find-mentee", "Find a mentee", 1 * H, date(2027, 1, 31)),
                    action(
                        "weekly-1-1",
                        "Weekly 1:1 with the mentee",
                        30 * M,
                        date(2027, 3, 31),
                        recurrence=Recurrence(every="week", days=("tue",)),
                        until=date(2027, 3, 31),
                        start=date(2027, 1, 5),
                    ),
                ),
            ),
            Milestone(
                id="talk",
                title='Give a talk at the local "Data & Beers" meetup',
                kind="experience",
                due=date(2027, 6, 30),
                actions=(
                    action("abstract", "Write the abstract", 2 * H, date(2027, 4, 15)),
                    action("slides", "Draft the slides", 6 * H, date(2027, 6, 1)),
                    action("rehearse", "Rehearse twice", 2 * H, date(2027, 6, 25)),
                ),
            ),
            Milestone(
                id="lead-project",
                title="Lead the streaming migration project",
                kind="experience",
                due=date(2027, 12, 15),
                actions=(
                    action("proposal", "Write the migration proposal", 5 * H, date(2027, 8, 31)),
                    action("kickoff", "Run the kickoff", 2 * H, date(2027, 9, 30)),
                ),
            ),
            Milestone(
                id="apply",
                title="Apply for the team lead role",
                due=date(2028, 2, 15),
                actions=(action("cv", "Update the CV", 2 * H, date(2028, 1, 31)),),
            ),
        ),
    )


def realistic_facts() -> Facts:
    return Facts(
        completed={
            "book-exam": at(2026, 12, 3),
            "study": at(2027, 3, 20),
            "practice": at(2027, 4, 10),
            "find-mentee": at(2027, 1, 20),
            "mentor": at(2027, 3, 30, 18),  # the checkpoint closes the mentoring milestone
            "abstract": at(2027, 4, 12),
        },
        occurrences={"weekly-1-1": [at(2027, 1, 5) + timedelta(weeks=i) for i in range(9)]},
    )


NOW = at(2027, 5, 10, 12)


def render(now: datetime = NOW) -> str:
    plan, facts = realistic_plan(), realistic_facts()
    progress = measure(plan, facts, now)
    burnups = {m.id: burnup(plan, facts, m.id, now) for m in plan.milestones}
    upcoming = [
        ("slides", "Draft the slides", at(2027, 5, 12, 7), at(2027, 5, 12, 8) + 30 * M),
        ("slides", "Draft the slides", at(2027, 5, 15, 9), at(2027, 5, 15, 11)),
        ("rehearse", "Rehearse <twice>", at(2027, 5, 17, 7), at(2027, 5, 17, 8)),
    ]
    return render_report(plan, progress, burnups, upcoming)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_report_is_self_contained_and_escaped() -> None:
    page = render()
    parser = _Tags()
    parser.feed(page)
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags
    assert not {"link", "img", "iframe", "object"} & set(tags)
    assert not any(
        (attrs.get("src") or attrs.get("href") or "").startswith(("http", "//"))
        for _, attrs in parser.tags
    )
    assert "url(" not in page
    assert "@import" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Rehearse &lt;twice&gt;" in page
    assert "&quot;Data &amp; Beers&quot;" in page


def test_report_shows_every_part() -> None:
    page = render()
    assert "Lead a data engineering team" in page
    assert "Leading the data platform group" in page
    assert page.count('class="chart burnup-chart"') == 5
    assert page.count('class="milestone"') == 5
    assert 'data-state="done"' in page
    assert 'data-state="late"' not in page
    assert "knowledge" in page
    assert "experience" in page
    assert "Wed 12 May" in page
    assert "07:00–08:30" in page


def test_report_without_blocks_or_vision() -> None:
    plan = realistic_plan().model_copy(update={"vision": Vision()})
    progress = measure(plan, Facts(completed={}), NOW)
    page = render_report(plan, progress, {})
    assert "Vision" not in page
    assert "No focus blocks planned yet." in page
    assert "burnup-chart" not in page


def test_report_of_an_empty_plan() -> None:
    plan = Plan(
        id="empty",
        title="Empty",
        timezone="Europe/London",
        start=date(2027, 1, 1),
        end=date(2027, 6, 30),
    )
    page = render_report(plan, measure(plan, Facts(completed={}), NOW), {})
    assert "No milestones in the plan yet." in page
    assert "No actions yet." in page


def test_report_shows_a_late_milestone() -> None:
    page = render(at(2027, 7, 10, 12))
    assert 'data-state="late"' in page
    assert "1 late" in page


# --- in a real browser --------------------------------------------------------------------

# Runs at the end of <body>, when everything above is parsed and styled; writes what the layout
# engine measured where --dump-dom shows it.
_PROBE = """<script>
{
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.width, r.height]; };
  const facts = {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: innerWidth,
    svgs: [...document.querySelectorAll("svg")].map((s) => ({
      cls: s.getAttribute("class"), size: box(s), marks: s.querySelectorAll("*").length })),
    bars: [...document.querySelectorAll(".bar > div")].map((b) => box(b)[0]),
    milestones: [...document.querySelectorAll(".milestone")].map((m) => box(m)),
  };
  document.body.setAttribute("data-layout", JSON.stringify(facts));
}
</script>"""


def _chromium() -> str | None:
    return next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p),
        None,
    )


def _browse(page: Path, profile: Path, *args: str) -> str:
    binary = _chromium()
    assert binary is not None
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1280,2000",
        *args,
        page.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(_chromium() is None, reason="no chromium binary (apt-get install chromium)")
def test_report_lays_out_in_a_browser(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render().replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    dom = _browse(page, tmp_path / "profile", "--dump-dom")
    found = re.search(r'data-layout="([^"]*)"', dom)
    assert found, "the probe did not run"
    layout = json.loads(found.group(1).replace("&quot;", '"'))

    assert layout["scrollWidth"] <= layout["innerWidth"], "the page scrolls sideways"
    charts = {s["cls"]: s for s in layout["svgs"] if s["cls"] != "burnup-chart"}
    burnups = [s for s in layout["svgs"] if "burnup-chart" in s["cls"]]
    assert len(burnups) == 5
    for svg in [*burnups, charts["timeline"], charts["chart month-chart"]]:
        width, height = svg["size"]
        assert width > 300, svg
        assert height > 50, svg
        assert svg["marks"] > 5, svg
    assert any(w > 0 for w in layout["bars"])
    assert all(h > 30 for _, h in layout["milestones"])


@pytest.mark.skipif(_chromium() is None, reason="no chromium binary (apt-get install chromium)")
def test_report_screenshot_is_not_blank(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render(), encoding="utf-8")
    shot = tmp_path / "report.png"
    _browse(page, tmp_path / "profile", f"--screenshot={shot}")
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG")
    assert len(data) > 50_000  # a blank 1280x2000 page compresses to a few kilobytes
