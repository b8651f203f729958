"""The main job and its neighbours, end to end: demo, report, a written plan synced, auth errors."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from connectors.sandbox import TODOIST_TOKEN, Faults, Sandbox
from connectors.sandbox.server import SandboxServer
from sync.errors import AuthError
from sync.interview import template
from sync.lock import hold_lock
from tests.test_cli import careersync
from tests.world import World


def test_demo_runs_on_the_sandbox(tmp_path: Path) -> None:
    result = careersync("demo", "--weeks", "3", home=tmp_path, env={"COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "built-in sandbox" in out
    assert "careersync auth todoist" in out  # what to run for real accounts
    assert "Learn the basics of" in out  # the status view
    assert "next focus blocks" in out
    assert "on a simulated clock from" in out  # the demo says what its time is
    assert re.search(r"http://127\.0\.0\.1:8765/\?week=\d{4}-\d\d-\d\d", out)  # where it stopped
    report = tmp_path / "demo" / "report.html"
    assert report.exists()
    assert "<svg" in report.read_text()
    assert not (tmp_path / "state.db").exists()  # the demo keeps to its own folder


def test_report_and_status_after_a_sync(tmp_path: Path) -> None:
    # the CLI reads the real clock, so the simulated world runs at the real time too
    world = World(tmp_path, google=True, now=datetime.now(UTC) - timedelta(hours=1))
    world.sync()
    world.sandbox.todoist.user_complete(world.task("task:talk-to-manager")["id"])
    world.sync()
    plan = tmp_path / "plan.yaml"
    plan.write_text(world.text)
    env = {"CAREERSYNC_TIMEZONE": "UTC"}
    out = tmp_path / "r.html"
    result = careersync("report", str(plan), "--out", str(out), home=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Become an engineering manager" in out.read_text()
    status = careersync("status", str(plan), "--json", home=tmp_path, env=env)
    assert status.returncode == 0, status.stderr
    data = json.loads(status.stdout)
    talk = next(a for a in data["actions"] if a["id"] == "talk-to-manager")
    assert talk["done"] is True
    assert talk["completed_at"]
    foundations = data["milestones"][0]
    assert (foundations["id"], foundations["done"], foundations["total"]) == ("foundations", 1, 4)


@pytest.mark.parametrize("exercise", ["vision", "short-term"])
def test_written_plans_sync_cleanly(tmp_path: Path, exercise: str) -> None:
    text = template(exercise, date(2026, 12, 1), "Europe/London", "plan.yaml")  # type: ignore[arg-type]
    world = World(tmp_path, text=text, google=True)
    first = world.sync()
    assert first.changes > 0
    assert not first.errors
    assert world.sync().changes == 0


def test_a_rejected_token_is_one_clear_error(tmp_path: Path) -> None:
    world = World(tmp_path)
    world.sync()
    world.sandbox.todoist.token = "another-token"
    with pytest.raises(AuthError, match="token was rejected") as caught:
        world.sync()
    assert "careersync auth todoist" in str(caught.value)


def test_an_expired_google_sign_in_is_one_clear_error(tmp_path: Path) -> None:
    world = World(tmp_path, google=True)
    world.sync()
    world.sandbox.google.revoke_refresh_token()
    world.sandbox.google.expire_access_tokens()
    with pytest.raises(AuthError, match="expired or was revoked") as caught:
        world.sync()
    assert "careersync auth google" in str(caught.value)


def test_todoist_limits_and_server_errors_are_clear(tmp_path: Path) -> None:
    world = World(tmp_path)
    with pytest.raises(Exception, match="still failing after"):
        world.sync(faults=Faults(fraction=1.0, fraction_statuses=(500,), drop_in_fraction=False))


def test_sync_is_refused_while_a_scheduler_runs(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(World(tmp_path).text)
    with hold_lock(tmp_path):  # as `careersync run` does
        result = careersync("sync", str(plan), home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: another careersync run is using {tmp_path}")


def test_a_dry_run_writes_nothing_anywhere(tmp_path: Path) -> None:
    sandbox = Sandbox()
    server = SandboxServer(sandbox)
    server.start()
    try:
        plan = tmp_path / "plan.yaml"
        plan.write_text(World(tmp_path).text)
        home = tmp_path / "home"
        credentials = sandbox.google_credentials_info(server.google_root + "token")
        env = {
            "CAREERSYNC_TODOIST_API_URL": server.todoist_url,
            "CAREERSYNC_TODOIST_TOKEN": TODOIST_TOKEN,
            "CAREERSYNC_GOOGLE_API_ROOT": server.google_root,
            "CAREERSYNC_GOOGLE_TOKEN_URI": server.google_root + "token",
            "CAREERSYNC_GOOGLE_CREDENTIALS": json.dumps(credentials),
        }
        result = careersync("sync", str(plan), "--dry-run", "--json", home=home, env=env)
        assert result.returncode == 0, result.stderr
        ops = [a["op"] for a in json.loads(result.stdout)["actions"]]
        assert ops.count("create") > 50
        assert sandbox.wire.counts()["writes"] == 0
        assert not home.exists() or not any(home.iterdir())
    finally:
        server.shutdown()
        server.server_close()
