"""`auth` without a keyring backend, the token check before storing, pasted junk."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring

from connectors.sandbox import TODOIST_TOKEN
from tests.cli import Cli


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "home")


def stored(cli: Cli) -> dict[str, str]:
    path = cli.keyring_file
    return json.loads(path.read_text()) if path.exists() else {}


def without_keyring(cli: Cli, *args: str, **kw: object) -> object:
    """Run with the `fail` backend (what a server without a Secret Service has)."""
    original = keyring.set_keyring

    def keep_failing(backend: object) -> None:
        original(NoKeyring())

    keyring.set_keyring = keep_failing  # type: ignore[assignment]
    try:
        return cli(*args, **kw)  # type: ignore[arg-type]
    finally:
        keyring.set_keyring = original
        original(NoKeyring())


def test_status_and_logout_work_without_a_keyring(cli: Cli) -> None:
    env = {"CAREERSYNC_TODOIST_TOKEN": "abc"}
    status = without_keyring(cli, "auth", "status", env=env)
    assert status.exit_code == 0, status.output  # type: ignore[attr-defined]
    out = status.stdout  # type: ignore[attr-defined]
    assert "todoist: set by CAREERSYNC_TODOIST_TOKEN (environment)" in out
    assert "google: not set (no usable keyring backend" in out
    assert "set CAREERSYNC_GOOGLE_CREDENTIALS instead" in out
    assert f"{sys.executable} -m pip install keyrings.alt" in out
    assert "abc" not in out
    logout = without_keyring(cli, "auth", "logout", env=env)
    assert logout.exit_code == 0, logout.output  # type: ignore[attr-defined]
    assert "todoist: nothing stored (no usable keyring" in logout.stdout  # type: ignore[attr-defined]
    assert "CAREERSYNC_TODOIST_TOKEN is still set" in logout.stderr  # type: ignore[attr-defined]


def test_the_hint_names_each_services_variable(cli: Cli) -> None:
    result = without_keyring(cli, "auth", "todoist", "--no-check", input="abc\n")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    err = result.stderr  # type: ignore[attr-defined]
    assert "set CAREERSYNC_TODOIST_TOKEN instead" in err
    assert f"{sys.executable} -m pip install keyrings.alt" in err


def test_auth_todoist_checks_the_token_before_storing_it(cli: Cli) -> None:
    with cli.sandbox() as sandbox:
        sandbox.wire.reset()
        good = cli("auth", "todoist", input=TODOIST_TOKEN + "\n")
        assert dict(sandbox.wire.counts("todoist")) == {"reads": 1, "writes": 0}
        bad = cli("auth", "todoist", input="0" * 40 + "\n")
    assert good.exit_code == 0, good.output
    assert "Todoist accepted the token" in good.stdout
    assert stored(cli) == {"careersync/todoist": TODOIST_TOKEN}
    assert bad.exit_code == 2, bad.output
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "token was rejected" in bad.stderr
    assert "0" * 40 not in bad.output
    assert stored(cli) == {"careersync/todoist": TODOIST_TOKEN}  # nothing stored


def test_no_check_stores_without_a_request(cli: Cli, tmp_path: Path) -> None:
    dead = {"CAREERSYNC_TODOIST_API_URL": "http://127.0.0.1:9/api/v1"}
    result = cli("auth", "todoist", "--no-check", input="x" * 40 + "\n", env=dead)
    assert result.exit_code == 0, result.output
    assert stored(cli) == {"careersync/todoist": "x" * 40}


def test_a_non_ascii_character_in_a_token_is_one_clear_line(cli: Cli) -> None:
    result = cli("auth", "todoist", input="abc\u200bdef0123456789\n")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: the token has a character that is not plain ASCII")
    assert "internal error" not in result.output
    assert stored(cli) == {}
