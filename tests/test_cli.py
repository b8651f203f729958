"""The command line as a user meets it: help everywhere, one-line errors, settings and secrets."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()


def careersync(
    *args: str,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    home: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CAREERSYNC_")}
    base |= {"NO_COLOR": "1", "COLUMNS": "200", "PYTHONPATH": str(REPO)}
    if home is not None:
        base |= {
            "CAREERSYNC_HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "PYTHON_KEYRING_BACKEND": "tests.keyring_backend.FileKeyring",
            "CAREERSYNC_TEST_KEYRING": str(home / "keyring.json"),
        }
    return subprocess.run(
        [sys.executable, "-m", "sync", *args],
        env=base | (env or {}),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def commands() -> list[str]:
    """Every command and sub-command, from the CLI's own help."""
    from typer.main import get_command

    from sync.cli import app

    root = get_command(app)
    found = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        subs = getattr(command, "commands", None)
        found += [f"{name} {sub}" for sub in subs] if subs else [name]
    return found


def test_every_command_is_in_the_readme_and_has_help(tmp_path: Path) -> None:
    from tests.cli import Cli

    cli = Cli(tmp_path)
    for command in commands():
        assert f"`{command}" in README or f"careersync {command}" in README, command
        for flag in ("--help", "-h"):
            result = cli(*command.split(), flag)
            assert result.exit_code == 0, result.output
            assert result.stdout.startswith(f"Usage: careersync {command} "), result.stdout
    assert cli("-h").stdout.startswith("Usage: careersync [OPTIONS] COMMAND")


def test_shell_completion_is_offered_and_completes_commands(tmp_path: Path) -> None:
    from tests.cli import Cli

    cli = Cli(tmp_path)
    assert "--install-completion" in cli("--help").stdout
    assert "careersync --install-completion" in README
    script = cli("--show-completion", "bash", env={"SHELL": "/bin/bash"})
    assert "_CAREERSYNC_COMPLETE=complete_bash" in script.stdout
    words = {"COMP_WORDS": "careersync au", "COMP_CWORD": "1"}
    done = cli(env={**words, "_CAREERSYNC_COMPLETE": "complete_bash"})
    assert done.stdout.split() == ["auth"]


def test_json_on_validate_and_show(tmp_path: Path) -> None:
    from tests.cli import Cli

    cli = Cli(tmp_path)
    plan = str(REPO / "config" / "vision-plan.yaml")
    checked = json.loads(cli("validate", plan, "--json").stdout)
    assert (checked["ok"], checked["milestones"], checked["actions"]) == (True, 5, 17)
    shown = json.loads(cli("show", plan, "--json").stdout)
    assert shown["needed_minutes"] == 53 * 60 + 30
    assert shown["milestones"][0]["actions"][0]["id"] == "talk-to-manager"


def test_version() -> None:
    result = careersync("--version")
    assert re.fullmatch(r"careersync \d+\.\d+\.\d+\n", result.stdout)


def test_validate_and_show_the_examples(tmp_path: Path) -> None:
    for name in ("vision-plan.yaml", "short-term-plan.yaml"):
        result = careersync("validate", str(REPO / "config" / name), home=tmp_path)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("ok ")
    shown = careersync("show", str(REPO / "config" / "vision-plan.yaml"), home=tmp_path)
    assert "Learn the basics of managing people" in shown.stdout
    assert "53h30m needed" in shown.stdout


def test_bad_plan_is_one_line_exit_2_nothing_written(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("format: 1\nplan:\n  title: x\n  horizon: 6 months\n  tittle: y\n")
    home = tmp_path / "home"
    result = careersync("sync", str(plan), home=home)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {plan}:5"), result.stderr
    assert "Traceback" not in result.stderr
    assert not (home / "state.db").exists()


def test_config_show_masks_secrets_and_names_sources(tmp_path: Path) -> None:
    settings = tmp_path / "s.toml"
    settings.write_text('poll_interval = 60\ntimezone = "Europe/Paris"\n')
    token = "0123456789abcdef0123456789abcdef01234567"
    result = careersync(
        "--config",
        str(settings),
        "config",
        "show",
        "--json",
        env={"CAREERSYNC_TODOIST_TOKEN": token, "CAREERSYNC_POLL_INTERVAL": "90"},
        home=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert token not in result.stdout + result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)["settings"]}
    assert rows["todoist_token"]["value"] == "****"
    assert (rows["poll_interval"]["value"], rows["poll_interval"]["source"]) == (90, "env")
    assert (rows["timezone"]["value"], rows["timezone"]["source"]) == ("Europe/Paris", "file")
    assert rows["google_api_root"]["source"] == "default"
    assert all(row["help"] for row in rows.values())


def test_bad_settings_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "s.toml"
    bad.write_text("poll_interval = \n")
    result = careersync("--config", str(bad), "config", "show", home=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {bad}")
    result = careersync(
        "config", "show", env={"CAREERSYNC_TIMEZONE": "Mars/Olympus"}, home=tmp_path
    )
    assert result.returncode == 2
    assert "unknown time zone" in result.stderr
    assert "Traceback" not in result.stderr


def test_auth_stores_reports_and_removes_without_printing(tmp_path: Path) -> None:
    token = "0123456789abcdef0123456789abcdef01234567"
    saved = careersync("auth", "todoist", "--no-check", stdin=token + "\n", home=tmp_path)
    assert saved.returncode == 0, saved.stderr
    assert json.loads((tmp_path / "keyring.json").read_text()) == {"careersync/todoist": token}
    status = careersync("auth", "status", home=tmp_path)
    assert "todoist: stored in the keyring" in status.stdout
    assert "google: not set" in status.stdout
    assert token not in saved.stdout + saved.stderr + status.stdout + status.stderr
    out = careersync("auth", "logout", "todoist", home=tmp_path)
    assert "todoist: removed" in out.stdout
    assert json.loads((tmp_path / "keyring.json").read_text()) == {}


def test_no_keyring_backend_says_what_to_do(tmp_path: Path) -> None:
    result = careersync(
        "auth",
        "todoist",
        "--no-check",
        stdin="abc\n",
        env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
        home=tmp_path,
    )
    assert result.returncode == 2
    assert "no usable keyring backend" in result.stderr
    assert "CAREERSYNC_TODOIST_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("junk", [b"", b"\x00\xff\xfe garbage", b"- just\n- a list\n"])
def test_junk_plans_never_trace(tmp_path: Path, junk: bytes) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_bytes(junk)
    result = careersync("validate", str(plan), home=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ")


def test_titles_are_shown_as_written_never_as_markup(tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        'format: 1\nplan:\n  title: "Lead [bold]the[/bold] team"\n  horizon: 12 months\n'
        "  start: 2026-12-01\nmilestones:\n  - title: Step [one]\n    due: 2027-05-01\n"
        "    actions:\n      - title: Read [red]x[/]\n        effort: 1h\n"
    )
    shown = careersync("show", str(plan), home=tmp_path)
    assert shown.returncode == 0, shown.stderr
    for text in ("Lead [bold]the[/bold] team", "Step [one]", "Read [red]x[/]"):
        assert text in shown.stdout
