"""`careersync config show`: the effective settings, where each came from, secrets masked."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from sync.cli.common import console, state
from sync.settings import ENV_PREFIX, SECRET_FIELDS, Settings, default_config_file, sources_of

app = typer.Typer(help="Inspect settings.", no_args_is_help=True)


@app.command("show")
def show(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Print every setting's effective value and source (flag, env, file, default).

    Example: careersync config show --json
    """
    app_state = state(ctx)
    settings = app_state.settings
    path = app_state.config or default_config_file()
    sources = sources_of({}, path)
    rows = []
    for name, info in Settings.model_fields.items():
        value = getattr(settings, name)
        shown = ("****" if value is not None else None) if name in SECRET_FIELDS else value
        rows.append(
            {
                "name": name,
                "env": f"{ENV_PREFIX}{name.upper()}",
                "value": shown if shown is None or isinstance(shown, bool | int) else str(shown),
                "source": sources[name],
                "help": info.description or "",
            }
        )
    if as_json:
        console.print_json(json.dumps({"settings_file": str(path), "settings": rows}))
        return
    table = Table(title=f"settings file: {path}", show_lines=False)
    for column in ("name", "value", "source", "help"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(str(row["name"]), str(row["value"]), str(row["source"]), str(row["help"]))
    console.print(table)
