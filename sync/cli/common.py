"""What every command shares: the consoles, the settings, loading a plan, reading the clock."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer

from sync.cli.output import console as console
from sync.cli.output import err_console as err_console
from sync.errors import ConfigError
from sync.loader import Loaded, load_plan
from sync.settings import Settings, load_settings
from sync.zones import load_zoned


@dataclass
class AppState:
    """Per-invocation state, built by the root callback and kept on the Typer context."""

    config: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _home_checked: bool = field(default=False, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings

    def check_home(self) -> Path:
        """CAREERSYNC_HOME, made if missing, after checking that careersync can write there."""
        if not self._home_checked:
            usable_home(self.settings.home)
            self._home_checked = True
        return self.settings.home


HOME_FIX = "set CAREERSYNC_HOME (or `home` in the settings file) to a directory you can write to"


def usable_home(home: Path) -> None:
    """A one-line error for a home that is a file, cannot be made, or is read-only."""
    if home.exists() and not home.is_dir():
        raise ConfigError(f"the careersync home {home} is not a directory", HOME_FIX)
    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=home, prefix=".write-check-"):
            pass
    except OSError as exc:
        raise ConfigError(
            f"cannot write to the careersync home {home} ({exc.strerror or exc})", HOME_FIX
        ) from exc


def state(ctx: typer.Context) -> AppState:
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):
        root.obj = AppState()
    return root.obj


def program() -> str:
    """How a hint should name careersync: `careersync` when that runs this one (the venv is
    active, or it is installed on PATH), else the path this run was started with, such as
    `.venv/bin/careersync`, so every hint can be copied as it is."""
    started = Path(sys.argv[0])
    if started.name != "careersync":  # python -m sync, a test runner
        return "careersync"
    found = shutil.which("careersync")
    if found and Path(found).resolve() == started.resolve():
        return "careersync"
    return str(started)


CLOCK_ENV = "CAREERSYNC_NOW"  # an ISO time with its offset: the clock, fixed (tests, demos)


def now(tz: str) -> datetime:
    """The one place commands read the clock (fixed by $CAREERSYNC_NOW when set)."""
    fixed = os.environ.get(CLOCK_ENV)
    if not fixed:
        return datetime.now(ZoneInfo(tz))
    try:
        moment = datetime.fromisoformat(fixed)
    except ValueError:
        moment = None
    if moment is None or moment.utcoffset() is None:
        raise ConfigError(
            f"${CLOCK_ENV} is {fixed!r}, not a time with an offset",
            "set it like 2027-03-28T09:30:00+01:00, or unset it",
        )
    return moment.astimezone(ZoneInfo(tz))


def today(tz: str) -> date:
    return now(tz).date()


def load(ctx: typer.Context, path: Path, *, pin: bool = False) -> Loaded:
    """Load and validate a plan, in its pinned zone if it names none (`pin`: pin it now if it
    was never synced, see `sync.zones`); warnings and the zone note go to stderr."""
    settings = state(ctx).settings

    def read(day: date, zone: str) -> Loaded:
        return load_plan(path, today=day, default_timezone=zone)

    zoned = load_zoned(read, path, settings.state_db, settings.timezone, today, pin=pin)
    for warning in zoned.loaded.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}")
    if zoned.note:
        err_console.print(f"note: {zoned.note}", highlight=False)
    return zoned.loaded


PLAN_ARG: Any = typer.Argument(
    ..., help="The plan file (YAML, format 1).", dir_okay=False, show_default=False
)
