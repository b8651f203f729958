"""What the machine must not change (issue 16): its time zone, and who can read careersync's files.

careersync runs as a subprocess against `SandboxServer` on loopback, as a user's shell runs it:
once per machine `TZ` (a laptop that travels, a server in UTC), and with a permissive umask.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.sandbox import TODOIST_TOKEN, Sandbox
from connectors.sandbox.server import SandboxServer
from tests.world import VISION

REPO = Path(__file__).resolve().parent.parent
NO_ZONE = VISION.replace("  timezone: Europe/London\n", "", 1)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a user whose accounts are the sandbox server's (real clock)."""
    sandbox = Sandbox()
    server = SandboxServer(sandbox)
    server.start()
    credentials = sandbox.google_credentials_info(server.google_root + "token")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREERSYNC_")}
    env |= {
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "PYTHONPATH": str(REPO),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "CAREERSYNC_HOME": str(tmp_path / "home"),
        "CAREERSYNC_TODOIST_API_URL": server.todoist_url,
        "CAREERSYNC_TODOIST_TOKEN": TODOIST_TOKEN,
        "CAREERSYNC_GOOGLE_API_ROOT": server.google_root,
        "CAREERSYNC_GOOGLE_TOKEN_URI": server.google_root + "token",
        "CAREERSYNC_GOOGLE_CREDENTIALS": json.dumps(credentials),
    }
    env.pop("TZ", None)
    try:
        yield env
    finally:
        server.shutdown()
        server.server_close()


def careersync(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sync", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        umask=0o022,  # a usual login umask: files 0644 unless careersync says otherwise
    )


def _changes(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    assert result.returncode == 0, result.stderr
    ops = [a["op"] for a in json.loads(result.stdout)["actions"]]
    return {op: ops.count(op) for op in ("create", "update", "delete") if op in ops}


# -- 5. the machine's zone -------------------------------------------------------------------


def test_a_plan_without_a_zone_syncs_the_same_from_any_machine_zone(
    tmp_path: Path, served: dict[str, str]
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(NO_ZONE)

    first = careersync("sync", str(plan), "--json", env=served | {"TZ": "America/New_York"})
    assert _changes(first)["create"] > 50
    assert "pinned to America/New_York" in first.stderr

    for zone in ("Asia/Tokyo", "UTC", "Australia/Sydney"):
        again = careersync("sync", str(plan), "--json", env=served | {"TZ": zone})
        assert _changes(again) == {}, (zone, again.stdout)
        assert "America/New_York" in again.stderr  # says which zone it uses, and why


def test_a_plan_that_names_its_zone_is_never_pinned(tmp_path: Path, served: dict[str, str]) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(VISION)
    first = careersync("sync", str(plan), "--json", env=served | {"TZ": "Asia/Tokyo"})
    assert _changes(first)["create"] > 50
    assert "pinned" not in first.stderr
    again = careersync("sync", str(plan), "--json", env=served | {"TZ": "America/New_York"})
    assert _changes(again) == {}


# -- 6. file modes ---------------------------------------------------------------------------


def _modes(home: Path) -> dict[str, str]:
    """Every path under `home` (itself included) whose mode is wider than 0700 / 0600."""
    wide = {}
    for path in [home, *home.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            wide[str(path.relative_to(home.parent))] = oct(mode)
    return wide


def test_everything_under_the_home_is_private(tmp_path: Path, served: dict[str, str]) -> None:
    home = Path(served["CAREERSYNC_HOME"])
    (home / "logs").mkdir(parents=True)
    home.chmod(0o755)
    (home / "logs").chmod(0o755)
    old_log = home / "logs" / "careersync.log"
    old_log.write_text("an older version's log\n")
    old_log.chmod(0o644)
    plan = tmp_path / "plan.yaml"
    plan.write_text(VISION)

    for args in (
        ("sync", str(plan)),
        ("run", str(plan), "--once"),
        ("report", str(plan)),
        ("demo", "--weeks", "1"),
    ):
        result = careersync(*args, env=served)
        assert result.returncode == 0, (args, result.stderr)

    assert (home / "state.db").exists()
    assert (home / "reports").is_dir()
    assert (home / "demo" / "sandbox" / "state.json").exists()
    assert old_log.read_text().startswith("an older version's log")
    assert _modes(home) == {}
