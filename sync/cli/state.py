"""`careersync state check` and `careersync state reset`: the local state database."""

from __future__ import annotations

from typing import Any

import typer

from sync.cli.common import console, err_console, state

app = typer.Typer(help="Check or reset the local state database.", no_args_is_help=True)

YES: Any = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Report what is wrong with the state database, one line each (exit status 2 if anything).

    Example: careersync state check
    """
    from sync.state_health import RESET_FIX, diagnose

    path = state(ctx).settings.state_db
    if not path.exists():
        console.print(f"no state yet at {path}: the first sync makes it")
        return
    problems = diagnose(path)
    for problem in problems:
        err_console.print(f"[red]problem:[/] {problem}", highlight=False, soft_wrap=True)
    if problems:
        err_console.print(f"fix: {RESET_FIX}", highlight=False, soft_wrap=True)
        raise typer.Exit(2)
    console.print(f"ok: {path}")


@app.command("reset")
def reset(ctx: typer.Context, yes: bool = YES) -> None:
    """Delete the state database, keeping nothing; the next sync re-links by markers.

    Every task, section, project, calendar and event careersync made carries its marker, so
    the next sync finds them again instead of making duplicates. Which blocks you deleted, and
    completions of recurring actions older than Todoist keeps, are forgotten.

    Example: careersync state reset --yes
    """
    from sync.lock import hold_lock
    from sync.state_health import reset as delete

    settings = state(ctx).settings
    path = settings.state_db
    if not path.exists():
        console.print(f"nothing to reset: no state at {path}")
        return
    if not yes and not typer.confirm(f"Delete {path}? The next sync re-links by markers"):
        raise typer.Exit(1)
    with hold_lock(settings.home):
        gone = delete(path)
    console.print(
        f"deleted {', '.join(p.name for p in gone)}; the next `careersync sync` re-links what"
        " careersync made by its markers"
    )
