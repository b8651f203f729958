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

from sync.cli.common import console, err_console, now, program, state
from sync.errors import CareersyncError, UserError
from sync.interview import (
    BACK,
    AnswersError,
    Draft,
    Interview,
    Script,
    answers_file,
    interview,
    plan_file,
    run_answers,
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
    save_answers: Path | None = typer.Option(
        None,
        "--save-answers",
        dir_okay=False,
        help="Also keep this session's answers in this file, for --answers to replay.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing file without asking."),
) -> None:
    """Write a career plan by walking through a coaching exercise.

    The vision plan (12-18 months) pictures where you want to be, walks back to today, then sets
    milestones with dates and kinds and the small actions inside them. The short-term plan (3-6
    months) sets monthly goals for knowledge, skills and experience. Both end with when you can
    work on your career, the actions to start with, and "Write it?". Type 'back' at any question
    to return to the previous one; its answer becomes the default (Enter keeps it).

    \b
    An action is a title, then any of these after commas:
      , 2h   , by end of March   , from 4 January   , every week on tue   , after #3

    For example "Run the five sessions, 6h, after Get permission" (`after` takes an earlier
    action's number or title). Each action is echoed as read ("→ #4 “Run the five sessions”:
    6h, after #3 “Get permission”"); an answer with a time, date or `after` that cannot be read
    is asked again with the reason. Quotes keep commas in a title: "Call Sam, after lunch", 15m.

    An answers file takes exactly the answers the terminal does, one per line, in question order,
    the last being "Write it?" (y): an empty line takes the default (or ends a list), 'back'
    undoes the previous line, and lines starting with '#' are comments. --save-answers keeps the
    answers of a session in such a file, so it replays. Dates may be friendly ("end of March",
    "in 6 weeks"); the plan file gets YYYY-MM-DD. An existing file is only replaced with --force
    (or when you say so).

    \b
    Examples:
      careersync init
      careersync init --template vision --out plan.yaml
      careersync init --answers answers.txt --out plan.yaml
    """
    zone = state(ctx).settings.timezone
    clock = now(zone)
    scripted = template_name is not None or answers is not None
    if template_name is not None and answers is not None:
        raise UserError("--template and --answers do not go together", "use one of them")
    if save_answers is not None and scripted:
        raise UserError(
            "--save-answers keeps a session's answers", "leave out --template/--answers"
        )
    if out.exists() and not force:
        if scripted:
            raise UserError(f"{out} already exists", "pass --force to replace it, or pick --out")
        if not Confirm.ask(f"{out} already exists. Replace it?", default=False, console=console):
            _stop(f"{out} left as it was; pick another file with --out.")
    for path, option in ((out, "--out"), (save_answers, "--save-answers")):
        if path is not None and not path.parent.is_dir():
            raise UserError(
                f"{path.parent} is not a folder", f"create it first, or pick another {option}"
            )

    if template_name is not None:
        text, start = template(template_name.value, clock.date(), zone, out.name), clock.date()
    else:
        if answers is not None:
            draft = _scripted(answers, lambda: interview(clock, zone))
        else:
            session = Interview(lambda: interview(clock, zone))
            draft = _interactive(session)
            if save_answers is not None:
                _write(
                    save_answers,
                    answers_file(
                        session.answers,
                        f"careersync init answers, {clock:%Y-%m-%d %H:%M %Z}\nreplay: careersync init --answers {save_answers.name}",
                    ),
                )
        if draft is None:
            _stop("Nothing written.")
        text, start = plan_file(draft, out.name), draft.start
    loaded = parse_plan(text, out, today=start, default_timezone=zone)  # the loader's rules hold
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


def _scripted(answers: Path, script: Callable[[], Script]) -> Draft | None:
    try:
        text = sys.stdin.read() if str(answers) == "-" else answers.read_text(encoding="utf-8")
        return run_answers(script, text.splitlines())
    except AnswersError as err:
        raise UserError(f"{answers}: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"{answers}: cannot be read ({err})") from None


def _interactive(session: Interview) -> Draft | None:
    """Ask until the interview is over. A question's heading and hint show when it is reached
    going forward (after `back`, the hint only); a refused answer repeats the question alone."""
    shown: tuple[str, int] | None = None
    went_back = False
    try:
        while session.question is not None:
            question = session.question
            here = (question.key, len(session.answers))
            if here != shown:
                if question.heading and not went_back:
                    console.print(f"\n[bold]{escape(question.heading)}[/]")
                if question.hint:
                    console.print(escape(question.hint), style="dim", soft_wrap=True)
                shown = here
            default = session.default
            if default:
                raw = Prompt.ask(escape(question.text), default=default, console=console)
            else:
                raw = Prompt.ask(escape(question.text), console=console)
            went_back = raw.strip().lower() == BACK
            if went_back and not session.answers:
                console.print("This is the first question.", style="dim")
                continue
            try:
                value = session.answer(raw)
            except ValueError as err:
                console.print(f"[red]{escape(str(err))}[/]", soft_wrap=True)
                continue
            if not went_back and (echo := question.echo(value)):
                console.print(escape(echo), style="dim", soft_wrap=True)
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
