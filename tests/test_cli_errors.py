"""Every condition a user can fix is one line naming the fix, exit 2; never "internal error".

One test per condition, then a walk over the whole command line with random arguments,
settings and paths (in-process, loopback only, the home and keyring inside a tmp dir).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.cli import Cli

PLAN = Path(__file__).parent / "plans" / "output.yaml"


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "home")


def one_line_exit_2(result: object) -> str:
    code, err = result.exit_code, result.stderr  # type: ignore[attr-defined]
    assert code == 2, (code, result.output)  # type: ignore[attr-defined]
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "internal error" not in err
    return str(lines[0])


@pytest.fixture
def dead_url() -> str:
    """A loopback port nothing listens on."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


def test_sandbox_on_a_busy_port(cli: Cli) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = one_line_exit_2(cli("sandbox", "serve", "--port", str(port)))
    assert f"port {port} on 127.0.0.1 is already in use" in line
    assert "--port 0" in line


def test_report_out_a_directory(cli: Cli, tmp_path: Path) -> None:
    line = one_line_exit_2(cli("report", str(PLAN), "--out", str(tmp_path)))
    assert f"--out {tmp_path} is a directory" in line
    assert "name a file" in line


def test_home_that_is_a_file(cli: Cli, tmp_path: Path) -> None:
    home = tmp_path / "home-file"
    home.write_text("")
    line = one_line_exit_2(cli("status", str(PLAN), env={"CAREERSYNC_HOME": str(home)}))
    assert f"the careersync home {home} is not a directory" in line
    assert "CAREERSYNC_HOME" in line


def test_home_that_cannot_be_made(cli: Cli, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    home = blocker / "home"
    line = one_line_exit_2(cli("sync", str(PLAN), env={"CAREERSYNC_HOME": str(home)}))
    assert f"cannot write to the careersync home {home}" in line


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs a read-only /proc")
def test_home_that_is_read_only(cli: Cli) -> None:
    line = one_line_exit_2(cli("report", str(PLAN), env={"CAREERSYNC_HOME": "/proc"}))
    assert "cannot write to the careersync home /proc" in line


@pytest.mark.parametrize(
    ("setting", "path", "shown"),
    [
        ("CAREERSYNC_TODOIST_API_URL", "/api/v1", "/api/v1/sync"),
        ("CAREERSYNC_GOOGLE_API_ROOT", "/", "/calendar/v3/"),
        ("CAREERSYNC_GOOGLE_TOKEN_URI", "/token", "/token"),
    ],
)
def test_a_refused_connection_fails_fast_naming_the_url_and_setting(
    cli: Cli, dead_url: str, setting: str, path: str, shown: str
) -> None:
    with cli.sandbox():
        started = time.monotonic()
        result = cli("sync", str(PLAN), env={setting: dead_url + path})
        took = time.monotonic() - started
    line = one_line_exit_2(result)
    assert f"cannot connect to {dead_url}{shown}" in line
    assert "connection refused" in line
    assert f"check {setting}" in line
    assert took < 2, took


def test_an_unknown_host_is_unreachable_and_a_reset_is_transient() -> None:
    import httplib2

    from connectors.clients import unreachable

    wrapped = ConnectionError("wrapped")
    wrapped.__cause__ = socket.gaierror(-2, "Name or service not known")
    assert unreachable(wrapped) == "unknown host"
    assert unreachable(httplib2.ServerNotFoundError("no host")) == "unknown host"
    assert unreachable(ConnectionResetError(104, "reset")) is None  # retried as transient
    assert unreachable(TimeoutError()) is None
