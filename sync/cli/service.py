"""`careersync service install PLAN` / `uninstall`: run `careersync run` as a user service.

A systemd user unit on Linux, a launchd agent on macOS. Writing the file is all this does; the
printed commands enable or stop it, so nothing starts behind the user's back.
"""

from __future__ import annotations

import os
import plistlib
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from sync.cli.common import PLAN_ARG, console, load, state
from sync.errors import UserError

MARK = "Written by `careersync service install`"
LABEL = "dev.careersync.run"
UNIT = "careersync.service"

app = typer.Typer(
    help="Run `careersync run` in the background as a user service (systemd or launchd).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

FORCE: Any = typer.Option(
    False, "--force", help="Replace or remove a file careersync did not write."
)


@dataclass(frozen=True)
class Service:
    path: Path
    text: str
    enable: str  # how to start it
    disable: str  # how to stop it


def command() -> list[str]:
    """How to run careersync from a service: this executable, else the one on PATH, else
    `python -m sync` with this interpreter."""
    argv0 = Path(sys.argv[0])
    if argv0.name.startswith("careersync") and argv0.is_file():
        return [str(argv0.resolve())]
    found = shutil.which("careersync")
    if found:
        return [str(Path(found).resolve())]
    return [sys.executable, "-m", "sync"]


def _systemd_quote(arg: str) -> str:
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"' if any(c in arg for c in " \t\"\\'") else escaped


def systemd_unit(argv: list[str], home: Path) -> str:
    exec_start = " ".join(_systemd_quote(a) for a in argv)
    return f"""# {MARK}; remove it with `careersync service uninstall`.
[Unit]
Description=careersync: keep a career plan in sync with Todoist and Google Calendar

[Service]
Type=simple
ExecStart={exec_start}
Environment={_systemd_quote(f"CAREERSYNC_HOME={home}")}
Restart=on-failure
RestartSec=60
# 2 is a problem only you can fix (a broken plan, another run on the same home): no restarts
RestartPreventExitStatus=2

[Install]
WantedBy=default.target
"""


def launchd_plist(argv: list[str], home: Path) -> str:
    agent = {
        "Label": LABEL,
        "Comment": MARK,
        "ProgramArguments": argv,
        "EnvironmentVariables": {"CAREERSYNC_HOME": str(home)},
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": 60,
        "StandardOutPath": str(home / "logs" / "launchd.out.log"),
        "StandardErrorPath": str(home / "logs" / "launchd.err.log"),
    }
    return plistlib.dumps(agent).decode()


def service_for(argv: list[str], home: Path, platform: str = sys.platform) -> Service:
    """The service file for this platform, and how to start and stop it."""
    if platform == "darwin":
        path = Path.home() / "Library" / "LaunchAgents" / f"{LABEL}.plist"
        return Service(
            path,
            launchd_plist(argv, home),
            f"launchctl load -w {path}",
            f"launchctl remove {LABEL}",
        )
    if platform.startswith("linux"):
        config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        return Service(
            config / "systemd" / "user" / UNIT,
            systemd_unit(argv, home),
            "systemctl --user daemon-reload && systemctl --user enable --now careersync",
            "systemctl --user stop careersync && systemctl --user daemon-reload",
        )
    raise UserError(
        f"no service support on {platform}",
        "run `careersync run PLAN` from your system's task scheduler instead",
    )


@app.command()
def install(
    ctx: typer.Context,
    plan: Path = PLAN_ARG,
    show: bool = typer.Option(False, "--print", help="Print the service file; write nothing."),
    force: bool = FORCE,
) -> None:
    """Write a user service that runs `careersync run PLAN`, and show how to start it.

    Example: careersync service install plan.yaml
    """
    load(ctx, plan)  # refuse a broken plan now rather than in the service's log
    app_state = state(ctx)
    argv = command()
    if app_state.config is not None:
        argv += ["--config", str(app_state.config.resolve())]
    argv += ["run", str(plan.resolve())]
    service = service_for(argv, app_state.settings.home.resolve())
    if show:
        typer.echo(service.text, nl=False)
        return
    if service.path.exists():
        current = service.path.read_text(encoding="utf-8", errors="replace")
        if current == service.text:
            console.print(f"already installed: {service.path}")
            _hint("start it with", service.enable)
            return
        if not force:
            what = (
                "an older careersync service"
                if MARK in current
                else "a file careersync did not write"
            )
            raise UserError(f"{service.path} exists and is {what}", "use --force to replace it")
    service.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = service.path.with_name(service.path.name + ".tmp")
    tmp.write_text(service.text, encoding="utf-8")
    tmp.replace(service.path)
    console.print(f"wrote {service.path}")
    _hint("start it with", service.enable)


@app.command()
def uninstall(force: bool = FORCE) -> None:
    """Remove the user service file written by `service install`, and show how to stop it.

    Example: careersync service uninstall
    """
    service = service_for([], Path())
    if not service.path.exists():
        console.print(f"not installed ({service.path} does not exist)")
        return
    if MARK not in service.path.read_text(encoding="utf-8", errors="replace") and not force:
        raise UserError(f"{service.path} was not written by careersync", "use --force to remove it")
    service.path.unlink()
    wants = service.path.parent / "default.target.wants" / UNIT
    if wants.is_symlink() and not wants.exists():  # the enable link, now dangling
        wants.unlink()
    console.print(f"removed {service.path}")
    _hint("if it is running, stop it with", service.disable)


def _hint(what: str, how: str) -> None:
    console.print(f"{what}: {how}", highlight=False, soft_wrap=True)
