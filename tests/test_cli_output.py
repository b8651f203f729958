"""What `sync` prints: titles and times in the plan's zone, never keys; a summary per kind; a
preview of a refused mass delete; piped output plain (no padding, no wrapping, no colour)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli import Cli

PLAN = (Path(__file__).parent / "plans" / "output.yaml").read_text()
KEYS = re.compile(r"\b(block|checkpoint|task|sub|section|milestone):[\w-]+")


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "home")


def write(tmp_path: Path, text: str = PLAN) -> str:
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    return str(path)


def test_dry_run_shows_days_times_and_titles_with_a_summary_per_kind(
    cli: Cli, tmp_path: Path
) -> None:
    plan = write(tmp_path)
    with cli.sandbox():
        result = cli("sync", plan, "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert not KEYS.search(out), out
    # 07:30 in New York on both sides of the 14 March 2027 change to daylight time
    assert "+ create block           Thu 2027-03-11 07:30-08:00  Send the weekly update" in out
    assert "+ create block           Thu 2027-03-18 07:30-08:00  Send the weekly update" in out
    assert "+ create milestone event Fri 2027-05-28  Milestone: First step" in out
    assert "+ create task            Read the book  (due 2027-03-02)" in out
    for line in (
        "  tasks: 2 create / 0 update / 0 delete",
        "  sections: 1 create / 0 update / 0 delete",
        "  checkpoints: 1 create / 0 update / 0 delete",
        "  blocks: 15 create / 0 update / 0 delete",
        "  milestone events: 1 create / 0 update / 0 delete",
    ):
        assert line + "\n" in out
    assert out.endswith("dry run: 22 to create; nothing was written\n")
    block_days = re.findall(r"create block +(\w+ [\d-]+ [\d:]+)", out)
    assert block_days == sorted(block_days, key=lambda d: d.split(" ", 1)[1])


def test_a_deleted_block_is_shown_by_its_title_and_time(cli: Cli, tmp_path: Path) -> None:
    plan = write(tmp_path)
    with cli.sandbox():
        synced = cli("sync", plan)
        assert synced.exit_code == 0, synced.output
        assert "+ create block           Tue 2027-03-02 07:30-08:30  Read the book" in synced.stdout
        assert synced.stdout.rstrip().splitlines()[-1].startswith("synced: 22 to create")
        write(tmp_path, PLAN.replace("      - id: read\n", "      - id: reread\n"))
        dry = cli("sync", plan, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "- delete block           Tue 2027-03-02 07:30-08:30  Read the book\n" in dry.stdout
    assert "- delete block           Thu 2027-03-04 08:00-09:00  Read the book\n" in dry.stdout
    assert "~ rename task            Read the book  (id read -> reread)\n" in dry.stdout
    assert "  blocks: 2 create / 0 update / 2 delete" in dry.stdout
    assert not KEYS.search(dry.stdout), dry.stdout


def test_a_mass_delete_is_previewed_then_refused(cli: Cli, tmp_path: Path) -> None:
    plan = write(tmp_path)
    recurring = PLAN[PLAN.index("      - id: update") :]
    with cli.sandbox() as sandbox:
        assert cli("sync", plan).exit_code == 0
        write(tmp_path, PLAN.replace(recurring, ""))
        sandbox.wire.reset()
        refused = cli("sync", plan)
        assert sandbox.wire.counts()["writes"] == 0
        as_json = cli("sync", plan, "--json")
    assert refused.exit_code == 3, refused.output
    assert "would delete 13 of 17 items" in refused.stderr
    deleted = re.findall(
        r"- delete block +\w+ ([\d-]+) 07:30-08:00  Send the weekly update", refused.stdout
    )
    assert len(deleted) == 13
    assert deleted == sorted(deleted)  # by time, so block 2 comes before block 10
    assert "  blocks: 0 create / 0 update / 13 delete" in refused.stdout
    assert refused.stdout.rstrip().endswith("nothing was written")
    assert as_json.exit_code == 3
    data = json.loads(as_json.stdout)
    assert data["refused"] is True
    deletes = [a for a in data["actions"] if a["op"] == "delete" and a["item"] == "block"]
    assert [a["key"] for a in deletes][:3] == ["block:update:0", "block:update:1", "block:update:2"]
    assert deletes[0]["title"] == "Send the weekly update"
    assert deletes[0]["start"] == "2027-03-04T07:30:00-05:00"


def test_json_keeps_keys_and_adds_titles_and_times(cli: Cli, tmp_path: Path) -> None:
    plan = write(tmp_path)
    with cli.sandbox():
        result = cli("sync", plan, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    actions = json.loads(result.stdout)["actions"]
    block = next(a for a in actions if a["key"] == "block:update:2")
    assert (block["op"], block["title"], block["item"]) == (
        "create",
        "Send the weekly update",
        "block",
    )
    assert block["start"] == "2027-03-18T07:30:00-04:00"  # daylight time from 14 March
    assert block["fields"]["start"]["timeZone"] == "America/New_York"


def test_piped_output_is_plain(cli: Cli, tmp_path: Path) -> None:
    long_title = "A title long enough to wrap on any eighty-column terminal, " * 2
    plan = write(tmp_path, PLAN.replace("Read the book", long_title.strip()))
    shown = cli("show", plan, env={"NO_COLOR": None})
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert [line for line in lines if line != line.rstrip()] == []
    assert any(long_title.strip() in line for line in lines)  # one line, not wrapped
    assert "\x1b[" not in shown.stdout


def test_no_color_on_a_terminal(cli: Cli, tmp_path: Path) -> None:
    from sync.cli.output import PlainWhenPiped

    out = PlainWhenPiped(force_terminal=True, color_system="truecolor", width=40)
    with out.capture() as captured:
        out.print("[red]red[/]")
    assert "\x1b[31m" in captured.get()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NO_COLOR", "1")
        with out.capture() as captured:
            out.print("[red]red[/]")
    assert captured.get() == "red\n"


def test_pull_says_what_the_user_changed(cli: Cli, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from sync.state import StateStore

    plan = write(tmp_path)
    with cli.sandbox() as sandbox:
        assert cli("sync", plan).exit_code == 0
        store = StateStore(cli.home / "state.db")
        tasks, events = (store.records("output-test", s) for s in ("todoist", "google"))
        store.close()
        sandbox.todoist.user_update(
            tasks["task:read"].remote_id, content="Read the whole book", due={"date": "2027-03-09"}
        )
        sandbox.todoist.user_complete(tasks["checkpoint:first"].remote_id)
        moved = datetime(2027, 3, 26, 13, 0, tzinfo=UTC)  # 09:00 in New York (daylight time)
        sandbox.google.user_move_event(
            events["calendar"].remote_id,
            events["block:update:3"].remote_id,
            moved,
            moved.replace(minute=30),
        )
        pulled = cli("pull", plan)
        as_json = cli("pull", plan, "--json")
    assert pulled.exit_code == 0, pulled.output
    out = pulled.stdout
    assert (
        '  task "Read the book": renamed to "Read the whole book", re-dated to 2027-03-09\n' in out
    )
    assert '  checkpoint "Milestone: First step": completed\n' in out
    assert '  block "Send the weekly update": moved to Fri 2027-03-26 09:00\n' in out
    assert out.endswith("pulled: 1 completion, 2 edits made remotely\n")
    assert json.loads(as_json.stdout)["edits"] == [
        {
            "service": "todoist",
            "key": "task:read",
            "item": "task",
            "title": "Read the book",
            "edits": ['renamed to "Read the whole book"', "re-dated to 2027-03-09"],
        }
    ]


def test_a_long_first_sync_shows_a_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from connectors.retry import RetryPolicy
    from connectors.sandbox.transport import HttpxTransport
    from sync import engine
    from sync.cli.progress import write_progress
    from sync.session import open_session
    from tests.world import World

    world = World(tmp_path, google=True)
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=80)
    plan = world.plan
    with open_session(
        world.settings(),
        plan,
        todoist_transport=HttpxTransport(world.sandbox.wire),
        google_http=world.sandbox.httplib2(),
        policy=RetryPolicy(sleep=lambda s: None),
    ) as session:
        with write_progress(session, terminal):
            outcome = engine.run(
                plan, session.store, world.now, todoist=session.todoist, calendar=session.calendar
            )
        assert "put" not in vars(session.store)  # the store is itself again
    writes = sum(outcome.writes.values())
    assert writes > 20
    assert f"{writes}/{writes}" in screen.getvalue()  # the bar reached the end
    piped = io.StringIO()
    with write_progress(session, Console(file=piped)):
        pass
    assert piped.getvalue() == ""


def test_piped_sync_output_has_no_progress_bar(cli: Cli, tmp_path: Path) -> None:
    plan = write(tmp_path)
    with cli.sandbox():
        result = cli("sync", plan)
    assert result.exit_code == 0, result.output
    assert "writing" not in result.output
    assert "\x1b" not in result.output
