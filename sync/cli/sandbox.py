"""`careersync sandbox serve`: the Todoist and Google Calendar emulators on a loopback port."""

from __future__ import annotations

import json
import shlex
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import typer

from sync.cli.common import state

if TYPE_CHECKING:  # imported when serving, so other commands start faster
    from connectors.sandbox import Sandbox
    from connectors.sandbox.server import SandboxServer

SAVE_EVERY = 2.0  # seconds between saves of a changed sandbox

app = typer.Typer(
    help="The built-in sandbox: local emulators of the Todoist and Google Calendar APIs.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def state_file(home: Path) -> Path:
    return home / "sandbox" / "state.json"


def env_lines(server: SandboxServer, sandbox: Sandbox) -> list[str]:
    """Shell lines that point careersync at this server (sandbox-only values, safe to show)."""
    from connectors.sandbox import TODOIST_TOKEN

    token_uri = f"{server.base_url}/token"
    values = {
        "CAREERSYNC_TODOIST_API_URL": server.todoist_url,
        "CAREERSYNC_TODOIST_TOKEN": TODOIST_TOKEN,
        "CAREERSYNC_GOOGLE_API_ROOT": server.google_root,
        "CAREERSYNC_GOOGLE_TOKEN_URI": token_uri,
        "CAREERSYNC_GOOGLE_CREDENTIALS": json.dumps(sandbox.google_credentials_info(token_uri)),
    }
    return [f"export {name}={shlex.quote(value)}" for name, value in values.items()]


@app.command()
def serve(
    ctx: typer.Context,
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="Port; 0 picks a free one."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
) -> None:
    """Serve the sandbox over HTTP until Ctrl-C or SIGTERM; its data persists in <home>/sandbox.

    Prints the URLs and the environment lines that point careersync at it.
    Example: careersync sandbox serve --port 0
    """
    from connectors.sandbox import Sandbox
    from connectors.sandbox.server import SandboxServer

    path = state_file(state(ctx).settings.home)
    sandbox = Sandbox()
    sandbox.load(path)
    server = SandboxServer(sandbox, host, port)
    lines = [
        f"sandbox serving on {server.base_url}",
        f"  todoist: {server.todoist_url}",
        f"  google:  {server.google_root}",
        f"  data:    {path}",
        f"see it as a user would: open {server.base_url}/ in a browser",
        "point careersync at it with:",
        *env_lines(server, sandbox),
    ]
    typer.echo("\n".join(lines))
    sys.stdout.flush()  # a parent process may be waiting for the URL
    previous = signal.signal(signal.SIGTERM, _interrupt)
    server.start()
    try:
        while True:
            time.sleep(SAVE_EVERY)
            _save_if_changed(sandbox, path)
    except KeyboardInterrupt:
        pass
    finally:
        interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the last save finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            server.shutdown()
            server.server_close()
            _save(sandbox, path)
        finally:
            signal.signal(signal.SIGINT, interrupt)
            signal.signal(signal.SIGTERM, previous)
    typer.echo("sandbox stopped; data saved")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _save_if_changed(sandbox: Sandbox, path: Path) -> None:
    """Save when any request arrived since the last save; the request log is cleared so a
    long-running server does not grow."""
    with sandbox.wire.lock:  # no half-applied request is saved
        changed = bool(sandbox.wire.log)
        sandbox.wire.reset()
        if changed:
            sandbox.save(path)


def _save(sandbox: Sandbox, path: Path) -> None:
    with sandbox.wire.lock:  # no half-applied request is saved
        sandbox.save(path)
