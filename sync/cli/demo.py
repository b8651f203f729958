"""`careersync demo`: the whole loop on the built-in sandbox, in well under a minute.

It syncs an example plan to the emulated Todoist and Google Calendar, then lives through some
weeks: the user does some of the work (completing tasks after their focus blocks) and misses
some blocks, and a scheduler cycle runs after each week. It ends with the status view and an
HTML report. Everything is kept under CAREERSYNC_HOME/demo, apart from the user's real state.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from pydantic import SecretStr
from rich.markup import escape
from rich.progress import Progress

from sync import engine
from sync.cli.common import console, program, state
from sync.cli.report import write_report
from sync.cli.status import report as show_status
from sync.loader import load_plan
from sync.plan import Plan
from sync.settings import Settings

if TYPE_CHECKING:
    from connectors.sandbox import Sandbox

EXAMPLES = ("vision", "short-term")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def demo(
    ctx: typer.Context,
    weeks: int = typer.Option(8, min=1, max=52, help="How many weeks to live through."),
    example: str = typer.Option("vision", help="Which example plan: vision or short-term."),
    seed: int = typer.Option(7, help="Seed for which work the simulated user does or misses."),
) -> None:
    """Run careersync end to end on the built-in sandbox: no accounts needed.

    Example: careersync demo --weeks 8
    """
    if example not in EXAMPLES:
        raise typer.BadParameter(f"choose one of {', '.join(EXAMPLES)}", param_hint="--example")
    from connectors.sandbox import Sandbox  # the emulators load only for the demo

    base = state(ctx).settings
    home = base.home / "demo"
    _reset(home)
    plan_path = _example(example, home)
    plan = load_plan(plan_path, today=date(2026, 12, 1), default_timezone="UTC").plan
    clock = Clock(datetime.combine(plan.start, time(6), plan.tz).astimezone(UTC))
    sandbox = Sandbox(clock=clock)
    _busy_weeks(sandbox, plan, weeks)
    settings = _settings(base, home, sandbox)
    rng = random.Random(seed)

    console.print(
        f"[bold]careersync demo[/] on the built-in sandbox, plan: {escape(repr(plan.title))}"
    )
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("first sync", total=weeks + 1)
        first = _cycle(settings, plan, sandbox, clock.now)
        bar.advance(task)
        for week in range(1, weeks + 1):
            bar.update(task, description=f"week {week}: working, missing some blocks, syncing")
            _live_a_week(sandbox, plan, clock, rng)
            _cycle(settings, plan, sandbox, clock.now)
            bar.advance(task)
    sandbox.save(home / "sandbox" / "state.json")

    tz = plan.tz
    began = datetime.combine(plan.start, time(6), tz)
    console.print(
        f"first sync: {first.changes} changes; then {weeks} weeks of scheduler cycles, on a "
        f"simulated clock from {began:%Y-%m-%d} to {clock.now.astimezone(tz):%Y-%m-%d %H:%M %Z}"
    )
    show_status(plan, settings.state_db, clock.now)
    report = write_report(plan, settings.state_db, clock.now, home / "report.html")
    console.print(f"report: {report}")
    cmd = program()
    monday = clock.now.astimezone(tz).date()
    monday -= timedelta(days=monday.weekday())
    console.print(
        f"\n[bold]Look around[/] the emulated Todoist and Calendar this demo left: run "
        f"[cyan]CAREERSYNC_HOME={escape(str(home))} {escape(cmd)} sandbox serve[/] and open "
        f"[cyan]http://127.0.0.1:8765/?week={monday.isoformat()}[/], the week where it stopped.",
        soft_wrap=True,
    )
    real = datetime.now(UTC)
    if real < clock.now:
        console.print(
            f"Its clock was simulated: what it completed is dated up to {clock.now:%Y-%m-%d}, "
            f"after today ({real.astimezone(tz):%Y-%m-%d}). Commands you run on its state use "
            f"the real clock: [cyan]status[/] on it counts only the work done by today (0% at first, "
            "not the demo's figure), and the page opens on today's week.",
            soft_wrap=True,
        )
    console.print(
        "\n[bold]This ran on the built-in sandbox[/]: nothing left this machine. To use your "
        f"real accounts: [cyan]{escape(cmd)} init[/], [cyan]{escape(cmd)} auth todoist[/], "
        f"[cyan]{escape(cmd)} auth google[/], then "
        f"[cyan]{escape(cmd)} sync plan.yaml --dry-run[/] (see README.md).",
        soft_wrap=True,
    )


def _reset(home: Path) -> None:
    for name in ("state.db", "state.db-wal", "state.db-shm", "report.html"):
        (home / name).unlink(missing_ok=True)
    home.mkdir(parents=True, exist_ok=True)


def _example(name: str, home: Path) -> Path:
    text = resources.files("sync").joinpath(f"data/{name}-plan.yaml").read_text()
    path = home / f"{name}-plan.yaml"
    path.write_text(text)
    return path


def _settings(base: Settings, home: Path, sandbox: Sandbox) -> Settings:
    from connectors.sandbox import TODOIST_TOKEN

    info = sandbox.google_credentials_info("https://oauth2.googleapis.com/token")
    return base.model_copy(
        update={
            "home": home,
            "todoist_token": SecretStr(TODOIST_TOKEN),
            "google_credentials": SecretStr(json.dumps(info)),
            "todoist_enabled": True,
            "google_enabled": True,
            "calendar_id": None,
        }
    )


def _cycle(settings: Settings, plan: Plan, sandbox: Sandbox, now: datetime) -> engine.Outcome:
    from connectors.sandbox.transport import HttpxTransport
    from sync.session import open_session

    with open_session(
        settings,
        plan,
        todoist_transport=HttpxTransport(sandbox.wire),
        google_http=sandbox.httplib2(),
    ) as session:
        return engine.run(
            plan, session.store, now, todoist=session.todoist, calendar=session.calendar
        )


def _busy_weeks(sandbox: Sandbox, plan: Plan, weeks: int) -> None:
    """The user's own calendar: a standing meeting and a few one-offs that collide with windows."""
    day = plan.start
    for n in range(weeks * 7 + 14):
        current = day + timedelta(days=n)
        if current.weekday() in (1, 3):  # a Tuesday/Thursday breakfast meeting
            start = datetime.combine(current, time(7, 45), plan.tz)
            sandbox.google.add_busy(start, start + timedelta(minutes=45), "Team breakfast")
        if current.weekday() == 5 and n % 14 == 5:  # every other Saturday morning
            start = datetime.combine(current, time(9, 0), plan.tz)
            sandbox.google.add_busy(start, start + timedelta(hours=2), "Football")


def _live_a_week(sandbox: Sandbox, plan: Plan, clock: Clock, rng: random.Random) -> None:
    """A week passes; the user completes most tasks whose next block has passed, and misses some."""
    clock.now += timedelta(weeks=1)
    todoist = sandbox.todoist
    for task in todoist.tasks():
        due = (task.get("due") or {}).get("date")
        if not due or task.get("parent_id") or task["content"].startswith("Milestone:"):
            continue
        if date.fromisoformat(str(due)[:10]) <= clock.now.date() and rng.random() < 0.7:
            todoist.user_complete(task["id"], when=clock.now - timedelta(days=rng.randint(0, 5)))
