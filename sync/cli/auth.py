"""`careersync auth`: store, check and remove credentials in the OS keyring."""

from __future__ import annotations

import sys

import typer

from sync.cli.common import console, err_console, state
from sync.errors import UserError
from sync.secrets import ENV, NAMES, SecretStore

app = typer.Typer(help="Store, check and remove credentials.", no_args_is_help=True)


@app.command("todoist")
def todoist(ctx: typer.Context) -> None:
    """Store a Todoist API token (Settings > Integrations > Developer in Todoist).

    Reads the token from a hidden prompt, or from stdin when piped.
    Example: careersync auth todoist
    """
    if sys.stdin.isatty():
        token = typer.prompt("Todoist API token", hide_input=True)
    else:
        token = sys.stdin.readline()
    token = token.strip()
    if not token or any(c.isspace() for c in token):
        raise UserError("that does not look like a Todoist token", "paste the 40-character token")
    SecretStore(state(ctx).settings).set("todoist", token)
    console.print("[green]saved[/] the Todoist token in the keyring")


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Show which credentials are available and where they come from (never the values).

    Example: careersync auth status
    """
    store = SecretStore(state(ctx).settings)
    for name in NAMES:
        source = store.source(name)
        if source == "env":
            console.print(f"{name}: set by {ENV[name]}")
        elif source == "keyring":
            console.print(f"{name}: stored in the keyring")
        else:
            console.print(f"{name}: [yellow]not set[/] (run `careersync auth {name}`)")


@app.command("logout")
def logout(
    ctx: typer.Context,
    service: str = typer.Argument("all", help="todoist, google or all."),
) -> None:
    """Remove stored credentials from the keyring.

    Example: careersync auth logout todoist
    """
    if service not in (*NAMES, "all"):
        raise UserError(f"unknown service {service!r}", "use todoist, google or all")
    store = SecretStore(state(ctx).settings)
    for name in NAMES if service == "all" else (service,):
        removed = store.delete(name)  # type: ignore[arg-type]
        console.print(f"{name}: {'removed' if removed else 'nothing stored'}")
        if store.source(name) == "env":  # type: ignore[arg-type]
            err_console.print(f"[yellow]note:[/] {ENV[name]} is still set in the environment")
