"""`careersync init`: write a plan file by interview, from an answers file, or from a template."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import NoReturn

import typer
from rich.markup import escape
from rich.prompt import Confirm, Prompt

from sync.cli.common import console, err_console, program, state, today
from sync.errors import CareersyncError, UserError
from sync.interview import (
    BACK,
    AnswersError,
    Draft,
    Interview,
    Script,
    interview,
    plan_file,
    run_answers,
    summary,
    template,
)
from sync.loader import parse_plan


class Template(StrEnum):
    vision = "vision"
    short_term = "short-term"


def init(
    ctx: typer.Context,
    out: Path = typer.Option(
        Path("plan.yaml"), "--out", "-o", dir_okay=False, help="Where to write the plan file."
    ),
    template_name: Template | None = typer.Option(
        None,
        "--template",
        help="Write a commented starting file with example content; no questions.",
    ),
    answers: Path | None = typer.Option(
        None,
        "--answers",
        allow_dash=True,
        dir_okay=False,
        help="Take the answers from this file ('-': standard input) instead of the terminal.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing file without asking."),
) -> None:
    """Write a career plan by walking through a coaching exercise.

    The vision plan (12-18 months) pictures where you want to be, walks back to today, then sets
    milestones with dates and the small actions inside them. The short-term plan (3-6 months) sets
    monthly goals for knowledge, skills and experience. Both end with when you can work on your
    career. Type 'back' at any question to return to the previous one.

    An answers file holds one answer per line, in the order the questions come: an empty line
    takes the default (or ends a list), 'back' undoes the previous line, and lines starting with
    '#' are comments. Dates may be friendly ("end of March", "in 6 weeks"); the file gets
    YYYY-MM-DD. An existing file is only replaced with --force (or when you say so).

    \b
    Examples:
      careersync init
      careersync init --template vision --out plan.yaml
      careersync init --answers answers.txt --out plan.yaml
    """
    zone = state(ctx).settings.timezone
    day = today(zone)
    scripted = template_name is not None or answers is not None
    if template_name is not None and answers is not None:
        raise UserError("--template and --answers do not go together", "use one of them")
    if out.exists() and not force:
        if scripted:
            raise UserError(f"{out} already exists", "pass --force to replace it, or pick --out")
        if not Confirm.ask(f"{out} already exists. Replace it?", default=False, console=console):
            _stop(f"{out} left as it was; pick another file with --out.")
    if not out.parent.is_dir():
        raise UserError(f"{out.parent} is not a folder", "create it first, or pick another --out")

    if template_name is not None:
        text = template(template_name.value, day, zone, out.name)
    else:
        if answers is not None:
            draft = _scripted(answers, lambda: interview(day, zone))
        else:
            draft = _interactive(Interview(lambda: interview(day, zone)))
        text = plan_file(draft, out.name)
    loaded = parse_plan(text, out, today=day, default_timezone=zone)  # the loader's rules hold
    _write(out, text)
    for warning in loaded.warnings:
        err_console.print(f"warning: {escape(warning)}", soft_wrap=True)
    plan = loaded.plan
    milestones, actions = len(plan.milestones), sum(1 for _ in plan.actions())
    console.print(
        f"Wrote {out}: {_count(milestones, 'milestone')}, {_count(actions, 'action')}.\n"
        f"Next: {program()} sync {out} --dry-run",
        soft_wrap=True,
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _scripted(answers: Path, script: Callable[[], Script]) -> Draft:
    try:
        text = sys.stdin.read() if str(answers) == "-" else answers.read_text(encoding="utf-8")
        return run_answers(script, text.splitlines())
    except AnswersError as err:
        raise UserError(f"{answers}: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"{answers}: cannot be read ({err})") from None


def _interactive(session: Interview) -> Draft:
    try:
        while session.question is not None:
            question = session.question
            if question.heading:
                console.print(f"\n[bold]{escape(question.heading)}[/]")
            if question.hint:
                console.print(escape(question.hint), style="dim")
            if question.default:
                raw = Prompt.ask(escape(question.text), default=question.default, console=console)
            else:
                raw = Prompt.ask(escape(question.text), console=console)
            try:
                value = session.answer(raw)
            except ValueError as err:
                console.print(f"[red]{escape(str(err))}[/]")
                continue
            if raw.strip().lower() != BACK and (shown := question.echo(value)):
                console.print(shown, style="dim")
        assert session.draft is not None
        console.print("\n[bold]Your plan[/]")
        console.print(escape(summary(session.draft)), soft_wrap=True)
        if not Confirm.ask("Write it?", default=True, console=console):
            _stop("Nothing written.")
    except EOFError:
        _stop("\nThe interview ended early; nothing written.")
    return session.draft


def _stop(message: str) -> NoReturn:
    """The user chose to stop: not an error, but nothing is written (exit status 1)."""
    console.print(message)
    raise typer.Exit(1)


def _write(out: Path, text: str) -> None:
    """Write all or nothing: a temporary file beside `out`, then renamed over it."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("x", encoding="utf-8") as file:
            file.write(text)
        tmp.replace(out)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise UserError(f"{out}: cannot be written ({err.strerror or err})") from None


if __name__ == "__main__":  # `python -m sync.cli.init`: this command alone, as the app runs it
    alone = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
    alone.command()(init)
    try:
        alone(prog_name="careersync init")
    except CareersyncError as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(exc.exit_code)
