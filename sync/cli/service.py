"""`careersync service install PLAN` / `uninstall PLAN`: run `careersync run` as a user service.

One unit per plan (`careersync-<plan id>`): a systemd user unit on Linux, a launchd agent on
macOS. Install writes the file and prints how to start it, so nothing starts behind the user's
back. Secrets are never written into a unit: the service reads the keyring, or an environment
file (mode 0600, in the home) that `--env-file` writes and the unit names. Non-secret settings
this shell sets (endpoints, time zone ...) are carried into the unit.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from sync.cli.common import console, err_console, load, state
from sync.errors import SecretError, UserError
from sync.secrets import ENV, NAMES, SecretStore
from sync.settings import ENV_PREFIX, SECRET_FIELDS, Settings

MARK = "Written by `careersync service install`"
LABEL = "dev.careersync"  # launchd labels: dev.careersync.<plan id>
ENV_FILE = "service.env"

app = typer.Typer(
    help="Run `careersync run` in the background as a user service (systemd or launchd).",
    no_args_is_help=True,
    rich_markup_mode=None,
)

FORCE: Any = typer.Option(
    False, "--force", help="Replace or remove a file careersync did not write."
)
WRITE_ENV: Any = typer.Option(
    False,
    "--env-file",
    help="Give the service the credentials this shell has in its environment, in a file only"
    " you can read (<home>/service.env, mode 0600) that the unit names.",
)
PLAN_OPT: Any = typer.Argument(
    None, help="The plan whose service to remove; default: the only one installed.", dir_okay=False
)


@dataclass(frozen=True)
class Service:
    name: str  # careersync-<plan id>
    path: Path
    text: str
    enable: str  # how to start it
    disable: list[list[str]]  # how to stop it, command by command


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


def systemd_unit(
    argv: list[str], home: Path, env: Mapping[str, str] | None = None, env_file: Path | None = None
) -> str:
    exec_start = " ".join(_systemd_quote(a) for a in argv)
    values = {"CAREERSYNC_HOME": str(home), **(env or {})}
    lines = [f"Environment={_systemd_quote(f'{k}={v}')}" for k, v in values.items()]
    if env_file is not None:
        lines.append(f"EnvironmentFile={_systemd_quote(str(env_file))}")
    environment = "\n".join(lines)
    return f"""# {MARK}; remove it with `careersync service uninstall`.
[Unit]
Description=careersync: keep a career plan in sync with Todoist and Google Calendar

[Service]
Type=simple
ExecStart={exec_start}
{environment}
Restart=on-failure
RestartSec=60
# 2 is a problem only you can fix (a broken plan, another run on the same home): no restarts
RestartPreventExitStatus=2

[Install]
WantedBy=default.target
"""


def launchd_plist(
    argv: list[str],
    home: Path,
    env: Mapping[str, str] | None = None,
    env_file: Path | None = None,
    label: str = LABEL,
) -> str:
    if env_file is not None:  # launchd has no EnvironmentFile: a shell reads it, then runs us
        script = f"set -a; . {shlex.quote(str(env_file))}; set +a; exec {shlex.join(argv)}"
        argv = ["/bin/sh", "-c", script]
    agent = {
        "Label": label,
        "Comment": MARK,
        "ProgramArguments": argv,
        "EnvironmentVariables": {"CAREERSYNC_HOME": str(home), **(env or {})},
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},
        "ThrottleInterval": 60,
        "StandardOutPath": str(home / "logs" / "launchd.out.log"),
        "StandardErrorPath": str(home / "logs" / "launchd.err.log"),
    }
    return plistlib.dumps(agent).decode()


def unit_dir(platform: str = sys.platform) -> Path:
    if platform == "darwin":
        return Path.home() / "Library" / "LaunchAgents"
    if platform.startswith("linux"):
        config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        return config / "systemd" / "user"
    raise UserError(
        f"no service support on {platform}",
        "run `careersync run PLAN` from your system's task scheduler instead",
    )


def service_for(
    argv: list[str],
    home: Path,
    plan_id: str,
    platform: str = sys.platform,
    env: Mapping[str, str] | None = None,
    env_file: Path | None = None,
) -> Service:
    """The service file of one plan for this platform, and how to start and stop it."""
    name = f"careersync-{plan_id}"
    folder = unit_dir(platform)
    if platform == "darwin":
        label = f"{LABEL}.{plan_id}"
        path = folder / f"{label}.plist"
        text = launchd_plist(argv, home, env, env_file, label)
        return Service(
            name, path, text, f"launchctl load -w {path}", [["launchctl", "remove", label]]
        )
    path = folder / f"{name}.service"
    return Service(
        name,
        path,
        systemd_unit(argv, home, env, env_file),
        f"systemctl --user daemon-reload && systemctl --user enable --now {name}",
        [["systemctl", "--user", "disable", "--now", name]],
    )


def carried(settings_env: Mapping[str, str]) -> dict[str, str]:
    """The non-secret CAREERSYNC_* settings this shell sets (endpoints, zone ...)."""
    names = [f"{ENV_PREFIX}{n.upper()}" for n in Settings.model_fields if n not in SECRET_FIELDS]
    upper = {k.upper(): v for k, v in settings_env.items()}
    return {n: upper[n] for n in names if n in upper and n != "CAREERSYNC_HOME"}


def _credentials(settings: Settings) -> dict[str, str]:
    """The secrets the service would lack: those this shell has only in its environment.
    A service with no credentials at all is refused."""
    store = SecretStore(settings)
    only_env = {}
    for name in NAMES:
        if not (settings.todoist_enabled if name == "todoist" else settings.google_enabled):
            continue
        try:
            source = store.source(name)
        except SecretError:
            source = "env" if os.environ.get(ENV[name]) else None
        if source == "env" and os.environ.get(ENV[name]):  # not from a settings file
            only_env[ENV[name]] = os.environ[ENV[name]]
        elif source is None:
            raise UserError(
                f"the service would have no {name} credentials",
                f"run `careersync auth {name}` first (or set {ENV[name]} and use --env-file)",
            )
    return only_env


def write_env_file(path: Path, values: Mapping[str, str]) -> None:
    """`KEY='value'` lines, readable by systemd's EnvironmentFile and by sh; mode 0600."""
    for key, value in values.items():
        if "'" in value or "\n" in value:
            raise UserError(
                f"{key} has a quote or a line break and cannot go into {path}",
                f"store it in the keyring instead: `careersync auth {key.split('_')[1].lower()}`",
            )
    text = "".join(f"{key}='{value}'\n" for key, value in values.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(tmp, 0o600)
    tmp.replace(path)


@app.command()
def install(
    ctx: typer.Context,
    plan: Path = typer.Argument(..., help="The plan file (YAML, format 1).", dir_okay=False),
    show: bool = typer.Option(False, "--print", help="Print the service file; write nothing."),
    env_file: bool = WRITE_ENV,
    force: bool = FORCE,
) -> None:
    """Write a user service (one per plan) that runs `careersync run PLAN`; show how to start it.

    Example: careersync service install plan.yaml
    """
    p = load(ctx, plan).plan  # refuse a broken plan now rather than in the service's log
    app_state = state(ctx)
    settings = app_state.settings
    home = app_state.check_home().resolve()
    argv = command()
    if app_state.config is not None:
        argv += ["--config", str(app_state.config.resolve())]
    argv += ["run", str(plan.resolve())]
    secrets = _credentials(settings)
    if secrets and not env_file:
        names = " and ".join(secrets)
        raise UserError(
            f"{names} is set only in this shell, so the service could not sign in",
            "store it with `careersync auth ...`, or add --env-file to put it in "
            f"{home / ENV_FILE} (mode 0600) for the service",
        )
    secret_file = home / ENV_FILE if secrets else None
    service = service_for(argv, home, p.id, env=carried(os.environ), env_file=secret_file)
    if show:
        typer.echo(service.text, nl=False)
        return
    if service.path.exists():
        current = service.path.read_text(encoding="utf-8", errors="replace")
        if MARK not in current and not force:
            raise UserError(
                f"{service.path} exists and is a file careersync did not write",
                "use --force to replace it",
            )
    if secret_file is not None:
        write_env_file(secret_file, secrets)
        console.print(f"wrote {secret_file} (mode 0600) with {', '.join(secrets)}")
    if service.path.exists() and service.path.read_text(encoding="utf-8") == service.text:
        console.print(f"already installed: {service.path}")
    else:
        service.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = service.path.with_name(service.path.name + ".tmp")
        tmp.write_text(service.text, encoding="utf-8")
        tmp.replace(service.path)
        console.print(f"wrote {service.path}")
    _hint("start it with", service.enable)


def run_command(argv: list[str]) -> bool:
    """Run a service manager command; False when it is missing or fails (tests replace this)."""
    if shutil.which(argv[0]) is None:
        return False
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@app.command()
def uninstall(ctx: typer.Context, plan: Path | None = PLAN_OPT, force: bool = FORCE) -> None:
    """Stop and disable the plan's service, then remove its file.

    Example: careersync service uninstall plan.yaml
    """
    service = _installed(ctx, plan)
    if service is None:
        return
    if MARK not in service.path.read_text(encoding="utf-8", errors="replace") and not force:
        raise UserError(f"{service.path} was not written by careersync", "use --force to remove it")
    for step in service.disable:
        if run_command(step):
            console.print(f"ran: {shlex.join(step)}")
        else:
            err_console.print(f"stop it first if it runs: {shlex.join(step)}", soft_wrap=True)
    service.path.unlink()
    wants = service.path.parent / "default.target.wants" / service.path.name
    if wants.is_symlink() and not wants.exists():  # the enable link, now dangling
        wants.unlink()
    if service.path.suffix == ".service":
        run_command(["systemctl", "--user", "daemon-reload"])
    console.print(f"removed {service.path}")


def _installed(ctx: typer.Context, plan: Path | None) -> Service | None:
    """The service to remove: the plan's, else the only careersync unit installed."""
    if plan is not None:
        plan_id = load(ctx, plan).plan.id
    else:
        folder = unit_dir()
        prefix = f"{LABEL}." if sys.platform == "darwin" else "careersync-"
        found = sorted(folder.glob(f"{prefix}*")) if folder.is_dir() else []
        if len(found) > 1:
            names = ", ".join(f.name for f in found)
            raise UserError(f"several careersync services: {names}", "name the plan to remove")
        if not found:
            console.print(f"not installed (no careersync service in {folder})")
            return None
        stem = found[0].name.removesuffix(".service").removesuffix(".plist")
        plan_id = stem.removeprefix(prefix)
    service = service_for([], Path(), plan_id)
    if not service.path.exists():
        console.print(f"not installed ({service.path} does not exist)")
        return None
    return service


def _hint(what: str, how: str) -> None:
    console.print(f"{what}: {how}", highlight=False, soft_wrap=True)
