"""What every command shares: the consoles, the settings, loading a plan, reading the clock."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import typer

from sync.cli.output import console as console
from sync.cli.output import err_console as err_console
from sync.loader import Loaded, load_plan
from sync.settings import Settings, load_settings


@dataclass
class AppState:
    """Per-invocation state, built by the root callback and kept on the Typer context."""

    config: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config)
        return self._settings


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


def now(tz: str) -> datetime:
    """The one place commands read the clock."""
    return datetime.now(ZoneInfo(tz))


def today(tz: str) -> date:
    return now(tz).date()


def load(ctx: typer.Context, path: Path) -> Loaded:
    """Load and validate a plan; warnings go to stderr."""
    settings = state(ctx).settings
    loaded = load_plan(path, today=today(settings.timezone), default_timezone=settings.timezone)
    for warning in loaded.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}")
    return loaded


PLAN_ARG: Any = typer.Argument(
    ..., help="The plan file (YAML, format 1).", dir_okay=False, show_default=False
)
