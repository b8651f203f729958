"""`careersync auth`: store, check and remove credentials in the OS keyring."""

from __future__ import annotations

import sys
from typing import Any

import typer

from sync.cli.common import console, err_console, state
from sync.errors import SecretError, UserError
from sync.secrets import ENV, NAMES, Name, SecretStore

app = typer.Typer(help="Store, check and remove credentials.", no_args_is_help=True)

NO_CHECK: Any = typer.Option(
    False, "--no-check", help="Store the token without checking it with Todoist first."
)


@app.command("todoist")
def todoist(ctx: typer.Context, no_check: bool = NO_CHECK) -> None:
    """Store a Todoist API token (Settings > Integrations > Developer in Todoist).

    Reads the token from a hidden prompt, or from stdin when piped, checks it with one read
    from Todoist (skip with --no-check), then stores it.
    Example: careersync auth todoist
    """
    if sys.stdin.isatty():
        token = typer.prompt("Todoist API token", hide_input=True)
    else:
        token = sys.stdin.readline()
    token = token.strip()
    fix = "paste the token from Todoist (Settings > Integrations > Developer) again"
    if not token or any(c.isspace() for c in token):
        raise UserError("that does not look like a Todoist token", fix)
    if not token.isascii() or not token.isprintable():
        raise UserError("the token has a character that is not plain ASCII (a stray paste?)", fix)
    settings = state(ctx).settings
    if not no_check:
        from connectors.clients import todoist_http
        from connectors.todoist import check_token

        with todoist_http(settings.todoist_api_url) as client:
            who = check_token(client, token)
        console.print(f"Todoist accepted the token ({who})")
    SecretStore(settings).set("todoist", token)
    console.print("[green]saved[/] the Todoist token in the keyring")


@app.command("status")
def status(ctx: typer.Context) -> None:
    """Show which credentials are available and where they come from (never the values).

    Works without a keyring backend. Example: careersync auth status
    """
    store = SecretStore(state(ctx).settings)
    for name in NAMES:
        source, problem = _source(store, name)
        if source == "env":
            console.print(f"{name}: set by {ENV[name]} (environment)")
        elif source == "keyring":
            console.print(f"{name}: stored in the keyring")
        elif problem is not None:
            console.print(f"{name}: [yellow]not set[/] ({problem})")
        else:
            console.print(
                f"{name}: [yellow]not set[/] (run `careersync auth {name}` or set {ENV[name]})"
            )


def _source(store: SecretStore, name: Name) -> tuple[str | None, str | None]:
    """Where a secret comes from, and why the keyring could not be asked (if it could not)."""
    try:
        return store.source(name), None
    except SecretError as exc:  # no keyring backend, or the env value names an unreadable file
        return None, str(exc)


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
        try:
            removed = store.delete(name)  # type: ignore[arg-type]
        except SecretError:
            console.print(f"{name}: nothing stored (no usable keyring on this machine)")
        else:
            console.print(f"{name}: {'removed' if removed else 'nothing stored'}")
        if store.settings.todoist_token if name == "todoist" else store.settings.google_credentials:
            err_console.print(f"[yellow]note:[/] {ENV[name]} is still set in the environment")
