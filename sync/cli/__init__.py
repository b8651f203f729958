"""The `careersync` command line: one small module per command, registered here."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.markup import escape
from typer.core import TyperGroup

from sync import __version__
from sync.cli import (
    agenda,
    auth,
    auth_google,
    config,
    demo,
    done,
    init,
    report,
    run,
    sandbox,
    service,
    show,
    status,
    sync,
    validate,
)
from sync.cli.common import AppState, err_console
from sync.errors import CareersyncError


class _Group(TyperGroup):
    """Turns every careersync error into one line on stderr and its exit status."""

    def invoke(self, ctx: typer.Context) -> object:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except CareersyncError as exc:
            err_console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise  # the CLI's own exits and usage errors
        except (
            Exception
        ) as exc:  # a bug: say so in one line; CAREERSYNC_DEBUG=1 shows the traceback
            if os.environ.get("CAREERSYNC_DEBUG"):
                raise
            err_console.print(
                f"[red]internal error:[/] {escape(type(exc).__name__)}: {escape(str(exc))}"
                " (please report it; run with CAREERSYNC_DEBUG=1 for details)",
                soft_wrap=True,
            )
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_Group,
    name="careersync",
    help="Turn a career plan into Todoist tasks and Google Calendar focus blocks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"careersync {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config_file: Path | None = typer.Option(
        None, "--config", help="Settings file (TOML); default: settings.toml in the config dir."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    ctx.obj = AppState(config=config_file)


app.command()(init.init)
app.command()(validate.validate)
app.command()(show.show)
app.command()(sync.sync)
app.command()(sync.pull)
app.command()(status.status)
app.command("agenda")(agenda.agenda_command)
app.command()(done.done)
app.command()(report.report)
app.command()(demo.demo)
app.add_typer(config.app, name="config")
auth.app.command("google")(auth_google.google)
app.add_typer(auth.app, name="auth")
app.command()(run.run)
app.add_typer(service.app, name="service")
app.add_typer(sandbox.app, name="sandbox")


def main() -> None:
    app(prog_name="careersync")
