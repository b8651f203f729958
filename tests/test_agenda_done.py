"""`careersync agenda` and `careersync done`: the terminal views of a synced plan.

The CLI runs as a subprocess against the sandbox on loopback, on the real clock, in a machine
time zone far from the plan's; the pure agenda is also checked across a clock change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from connectors.sandbox import TODOIST_TOKEN, Sandbox
from connectors.sandbox.server import SandboxServer
from sync.agenda import agenda
from sync.state import StateStore
from tests.test_cli import careersync
from tests.world import World

MACHINE_TZ = {"TZ": "Pacific/Kiritimati"}  # UTC+14: far from the plan's zone


def small_plan(start: date, tz: str = "Europe/London") -> str:
    """A plan whose blocks fall in the coming days, whatever day the test runs."""
    return f"""format: 1
plan:
  id: cert-plan
  title: Get certified
  timezone: {tz}
  start: {start.isoformat()}
  horizon: 6 months
schedule:
  weekly_hours: 6
  windows:
    - days: [mon, tue, wed, thu, fri, sat, sun]
      from: "07:00"
      to: "08:00"
milestones:
  - id: cert
    title: Pass the certification
    kind: knowledge
    due: {(start + timedelta(days=5)).isoformat()}
    actions:
      - id: book-exam
        title: Book the exam
        effort: 30m
        first: true
      - id: study
        title: Work through the study guide
        effort: 3h
        after: [book-exam]
  - id: talk
    title: Give a talk
    due: {(start + timedelta(days=60)).isoformat()}
    actions:
      - id: write-talk
        title: Write the talk
        effort: 2h
"""


@dataclass
class Served:
    plan: Path
    home: Path
    env: dict[str, str]
    sandbox: Sandbox


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    sandbox = Sandbox()
    server = SandboxServer(sandbox)
    server.start()
    token_uri = server.google_root + "token"
    env = {
        "CAREERSYNC_TODOIST_API_URL": server.todoist_url,
        "CAREERSYNC_TODOIST_TOKEN": TODOIST_TOKEN,
        "CAREERSYNC_GOOGLE_API_ROOT": server.google_root,
        "CAREERSYNC_GOOGLE_TOKEN_URI": token_uri,
        "CAREERSYNC_GOOGLE_CREDENTIALS": json.dumps(sandbox.google_credentials_info(token_uri)),
        **MACHINE_TZ,
    }
    plan = tmp_path / "plan.yaml"
    plan.write_text(small_plan(datetime.now(UTC).date() - timedelta(days=1)))
    try:
        yield Served(plan, tmp_path / "home", env, sandbox)
    finally:
        server.shutdown()
        server.server_close()


def run(s: Served, *args: str) -> tuple[int, str, str]:
    result = careersync(*args, home=s.home, env=s.env)
    return result.returncode, result.stdout, result.stderr


def test_agenda_before_any_sync_is_one_line_and_creates_nothing(served: Served) -> None:
    code, _, err = run(served, "agenda", str(served.plan))
    assert code == 2
    assert err.count("\n") == 1
    assert "nothing synced yet" in err
    assert f"careersync sync {served.plan}" in err
    assert not (served.home / "state.db").exists()


def test_agenda_shows_the_coming_blocks_day_by_day_read_only(served: Served) -> None:
    assert run(served, "sync", str(served.plan))[0] == 0
    db = served.home / "state.db"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    code, out, err = run(served, "agenda", str(served.plan), "--json", "--days", "4")
    assert code == 0, err
    data = json.loads(out)
    assert data["timezone"] == "Europe/London"
    first, last = date.fromisoformat(data["from"]), date.fromisoformat(data["to"])
    assert (last - first).days == 3
    entries = data["entries"]
    blocks = [e for e in entries if e["kind"] == "block"]
    assert blocks, entries
    for e in blocks:
        start = datetime.fromisoformat(e["start"])
        assert first <= start.date() == date.fromisoformat(e["date"]) <= last
        assert start.utcoffset() in (timedelta(0), timedelta(hours=1))  # the plan's zone
        assert (start.hour, start.minute) >= (7, 0)
        assert datetime.fromisoformat(e["end"]) > datetime.now(UTC)
    assert [e["date"] for e in entries] == sorted(e["date"] for e in entries)
    assert {e["action"] for e in blocks} <= {"book-exam", "study", "write-talk"}
    milestones = [e for e in entries if e["kind"] == "milestone"]
    cert_day = date.fromisoformat(small_plan_due(served.plan))
    assert bool(milestones) == (first <= cert_day <= last)
    code, text, _ = run(served, "agenda", str(served.plan))
    assert code == 0
    assert f"{first:%a %d %b %Y}" in text or f"{first + timedelta(days=1):%a %d %b %Y}" in text
    assert "Book the exam" in text or "Work through the study guide" in text
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # read-only


def small_plan_due(plan: Path) -> str:
    line = next(x for x in plan.read_text().splitlines() if x.strip().startswith("due:"))
    return line.split(":", 1)[1].strip()


def test_done_completes_the_task_in_todoist_and_records_it(served: Served) -> None:
    assert run(served, "sync", str(served.plan))[0] == 0
    code, out, err = run(served, "done", str(served.plan), "book-exam")
    assert code == 0, err
    assert out.startswith("done: Book the exam (completed in Todoist")
    task = next(
        t for t in served.sandbox.todoist.tasks(include_completed=True) if "exam" in t["content"]
    )
    assert task["checked"]
    status = json.loads(run(served, "status", str(served.plan), "--json")[1])
    book = next(a for a in status["actions"] if a["id"] == "book-exam")
    assert book["done"] is True
    shown = json.loads(run(served, "agenda", str(served.plan), "--json", "--days", "30")[1])
    assert all(e["done"] for e in shown["entries"] if e["action"] == "book-exam")

    again = run(served, "done", str(served.plan), "book-exam")
    assert again[0] == 2
    assert again[2].startswith("error: 'book-exam' is already done (completed ")
    assert again[2].count("\n") == 1
    unknown = run(served, "done", str(served.plan), "book-exm")
    assert unknown[0] == 2
    assert unknown[2].startswith(f"error: {served.plan}: no action 'book-exm' in this plan")
    assert "book-exam" in unknown[2]  # the ids it knows


def test_done_before_a_sync_says_sync_first(served: Served) -> None:
    code, _, err = run(served, "done", str(served.plan), "study")
    assert code == 2
    assert (
        err
        == f"error: 'study' has no Todoist task yet (run `careersync sync {served.plan}` first)\n"
    )


def test_agenda_keeps_wall_times_across_a_clock_change(tmp_path: Path) -> None:
    monday = date(2027, 3, 22)  # London moves to BST on Sunday 28 March 2027
    world = World(
        tmp_path, text=small_plan(monday), google=True, now=datetime(2027, 3, 22, 5, tzinfo=UTC)
    )
    world.edit("weekly_hours: 6", "weekly_hours: 3")  # the work spills into the next week
    world.sync()
    store = StateStore.read_only(tmp_path / "state.db")
    try:
        records = store.records("cert-plan", "google")
    finally:
        store.close()
    entries = agenda(world.plan, records, set(), world.now, 14)
    blocks = [e for e in entries if e.kind == "block"]
    assert min(e.day for e in blocks) < date(2027, 3, 28) < max(e.day for e in blocks)
    for e in blocks:
        assert e.start is not None
        assert e.start.hour == 7  # 07:00 in London, GMT before the change and BST after
    offsets = {e.start.utcoffset() for e in blocks if e.start is not None}
    assert offsets == {timedelta(0), timedelta(hours=1)}
    milestone = next(e for e in entries if e.kind == "milestone")
    assert (milestone.day, milestone.title) == (date(2027, 3, 27), "Pass the certification")
