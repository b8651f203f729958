"""`service install/uninstall`: a unit per plan, secrets never in it, the session's endpoints
carried, credentials from the environment given through a 0600 file or refused; uninstall
stops and disables first. systemctl is never called: `run_command` is replaced."""

from __future__ import annotations

import shlex
import stat
import sys
from pathlib import Path

import pytest

from sync.cli import service
from tests.cli import Cli

PLAN = Path(__file__).parent / "plans" / "output.yaml"
TOKEN = "0123456789abcdef0123456789abcdef01234567"
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="systemd units")


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    calls: list[list[str]] = []

    def fake(argv: list[str]) -> bool:
        calls.append(argv)
        return True

    monkeypatch.setattr(service, "run_command", fake)
    return calls


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "home", {"CAREERSYNC_GOOGLE_ENABLED": "false"})


def unit(cli: Cli) -> Path:
    return cli.home / "config" / "systemd" / "user" / "careersync-output-test.service"


def test_install_and_uninstall_one_unit_per_plan(cli: Cli, ran: list[list[str]]) -> None:
    cli("auth", "todoist", "--no-check", input=TOKEN + "\n")
    shown = cli("service", "install", str(PLAN), "--print")
    assert shown.exit_code == 0, shown.output
    assert not unit(cli).exists()
    exec_start = next(line for line in shown.stdout.splitlines() if line.startswith("ExecStart="))
    assert exec_start.endswith(f" run {PLAN.resolve()}")
    assert Path(shlex.split(exec_start.removeprefix("ExecStart="))[0]).is_absolute()
    assert f"Environment=CAREERSYNC_HOME={cli.home.resolve()}" in shown.stdout
    assert "Environment=CAREERSYNC_GOOGLE_ENABLED=false" in shown.stdout  # this shell's setting

    installed = cli("service", "install", str(PLAN))
    assert installed.exit_code == 0, installed.output
    assert unit(cli).read_text() == shown.stdout
    assert "systemctl --user enable --now careersync-output-test" in installed.stdout
    assert cli("service", "install", str(PLAN)).stdout.startswith("already installed")
    assert TOKEN not in unit(cli).read_text()

    unit(cli).write_text("[Service]\nExecStart=/usr/bin/something-else\n")
    assert cli("service", "install", str(PLAN)).exit_code == 2
    assert cli("service", "uninstall").exit_code == 2  # not ours either
    assert cli("service", "install", str(PLAN), "--force").exit_code == 0
    assert ran == []  # installing starts nothing

    wants = unit(cli).parent / "default.target.wants" / unit(cli).name
    wants.parent.mkdir()
    wants.symlink_to(unit(cli))  # as `systemctl --user enable` leaves it
    removed = cli("service", "uninstall", str(PLAN))
    assert removed.exit_code == 0, removed.output
    assert ran[0] == ["systemctl", "--user", "disable", "--now", "careersync-output-test"]
    assert ran[-1] == ["systemctl", "--user", "daemon-reload"]
    assert removed.stdout.index("ran: systemctl") < removed.stdout.index("removed ")
    assert not unit(cli).exists()
    assert not wants.is_symlink()
    assert cli("service", "uninstall").stdout.startswith("not installed")


def test_uninstall_says_how_to_stop_when_it_cannot(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "run_command", lambda argv: False)
    cli("auth", "todoist", "--no-check", input=TOKEN + "\n")
    assert cli("service", "install", str(PLAN)).exit_code == 0
    removed = cli("service", "uninstall")
    assert removed.exit_code == 0
    assert "stop it first if it runs: systemctl --user disable --now careersync-output-test" in (
        removed.stderr
    )


def test_credentials_only_in_the_environment_are_refused_or_put_in_a_private_file(
    cli: Cli, ran: list[list[str]]
) -> None:
    env = {
        "CAREERSYNC_TODOIST_TOKEN": TOKEN,
        "CAREERSYNC_TODOIST_API_URL": "http://127.0.0.1:8765/api/v1",
    }
    refused = cli("service", "install", str(PLAN), env=env)
    assert refused.exit_code == 2
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "CAREERSYNC_TODOIST_TOKEN is set only in this shell" in refused.stderr
    assert "--env-file" in refused.stderr
    assert not unit(cli).exists()

    done = cli("service", "install", str(PLAN), "--env-file", env=env)
    assert done.exit_code == 0, done.output
    secrets = cli.home.resolve() / "service.env"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert secrets.read_text() == f"CAREERSYNC_TODOIST_TOKEN='{TOKEN}'\n"
    text = unit(cli).read_text()
    assert TOKEN not in text + done.output
    assert f"EnvironmentFile={secrets}" in text
    assert "Environment=CAREERSYNC_TODOIST_API_URL=http://127.0.0.1:8765/api/v1" in text


def test_no_credentials_at_all_is_refused(cli: Cli) -> None:
    result = cli("service", "install", str(PLAN))
    assert result.exit_code == 2
    assert "the service would have no todoist credentials" in result.stderr
    assert "careersync auth todoist" in result.stderr
