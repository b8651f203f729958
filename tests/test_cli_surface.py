"""A walk over the whole command line: every command with random arguments, random CAREERSYNC_*
settings and missing or odd paths. Nothing may end in "internal error" or an exit status outside
0-3. In-process (CliRunner); endpoints point at a closed loopback port, the home and keyring at
a tmp dir, so nothing leaves the machine or touches the real home."""

from __future__ import annotations

import atexit
import socket
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.main import get_command

from sync.cli import app, service
from sync.settings import Settings
from tests.cli import Cli
from tests.test_cli import commands

PLAN = Path(__file__).parent / "plans" / "output.yaml"
SKIP = {"demo"}  # runs a whole simulated month: covered by its own test


def _dead_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


DEAD = f"http://127.0.0.1:{_dead_port()}"
ROOT = Path(tempfile.mkdtemp(prefix="careersync-surface-"))
(ROOT / "dir").mkdir()
(ROOT / "junk.yaml").write_bytes(b"\x00\xff- [")
(ROOT / "empty.yaml").write_text("")
(ROOT / "plan.yaml").write_text(PLAN.read_text())
PATHS = [
    str(ROOT / "plan.yaml"),
    str(ROOT / "missing.yaml"),
    str(ROOT / "dir"),
    str(ROOT / "junk.yaml"),
    str(ROOT / "empty.yaml"),
    str(ROOT / "missing" / "deeper" / "x.html"),
    "-",
    "",
]
text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
value = st.one_of(
    st.sampled_from(PATHS),
    text,
    st.integers(-5, 70000).map(str),
    st.sampled_from(["true", "false", "UTC", "Mars/Olympus", "0", DEAD, "not a url"]),
)


def options(command: str) -> list[str]:
    node = get_command(app)
    for part in command.split():
        node = node.commands[part]  # type: ignore[attr-defined]
    return [o for p in node.params for o in p.opts if o.startswith("-")]


@st.composite
def invocation(draw: st.DrawFn) -> tuple[list[str], dict[str, str | None]]:
    command = draw(st.sampled_from([c for c in commands() if c not in SKIP]))
    args = command.split()
    plan = st.sampled_from([PATHS[0], PATHS[0], *PATHS])  # mostly a plan that loads
    args += draw(st.lists(st.one_of(plan, value), max_size=2))
    for flag in draw(st.lists(st.sampled_from(options(command) or ["--help"]), max_size=3)):
        args.append(flag)
        if draw(st.booleans()):
            args.append(draw(value))
    if command == "run":
        args.append("--once")  # never the endless loop
    if command == "sandbox serve":
        args += ["--host", "127.0.0.1", "--port", str(BUSY.getsockname()[1])]  # never serves
    names = [f"CAREERSYNC_{n.upper()}" for n in Settings.model_fields if n != "home"]
    env: dict[str, str | None] = {
        name: draw(value) for name in draw(st.lists(st.sampled_from(names), max_size=3))
    }
    for url in ("TODOIST_API_URL", "GOOGLE_API_ROOT", "GOOGLE_TOKEN_URI"):
        key = f"CAREERSYNC_{url}"
        if not str(env.get(key, "")).startswith("http://127.0.0.1"):
            env[key] = DEAD  # loopback only, ever
    if draw(st.booleans()):
        env["CAREERSYNC_HOME"] = draw(st.sampled_from([*PATHS[:4], "/proc"]))
    return args, env


BUSY = socket.socket()
BUSY.bind(("127.0.0.1", 0))
BUSY.listen()
atexit.register(BUSY.close)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(invocation())
def test_no_command_line_ends_in_an_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: tuple[list[str], dict[str, str | None]]
) -> None:
    monkeypatch.setattr(service, "run_command", lambda argv: False)  # never systemctl
    args, env = call
    result = Cli(tmp_path / "home")(*args, input="", env=env)
    assert "internal error" not in result.output, (args, env, result.output)
    assert result.exit_code in {0, 1, 2, 3}, (args, env, result.output)
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), (args, env, repr(result.exception))
