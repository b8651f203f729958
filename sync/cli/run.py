"""`careersync run PLAN`: keep the plan in sync in the background (see `sync.scheduler`)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import typer

from sync.cli.common import PLAN_ARG, now, state

ONCE: Any = typer.Option(False, "--once", help="Run one cycle and exit (status 1 if it failed).")
INTERVAL: Any = typer.Option(
    None, "--interval", min=1, hidden=True, help="Seconds between cycles (for tests)."
)


def _out(line: str) -> None:
    print(line, flush=True)


def _err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run(
    ctx: typer.Context,
    plan: Path = PLAN_ARG,
    once: bool = ONCE,
    interval: int | None = INTERVAL,
) -> None:
    """Keep syncing the plan every poll_interval seconds until stopped (Ctrl-C or SIGTERM).

    Each cycle re-reads the plan file if it changed, pulls completions, re-plans missed blocks
    and writes progress back. Failures back off and never stop it. Logs go to
    <home>/logs/careersync.log; one run per CAREERSYNC_HOME at a time.

    Example: careersync run plan.yaml
    """
    state(ctx).check_home()
    settings = state(ctx).settings
    stop = threading.Event()
    from sync.lock import hold_lock
    from sync.scheduler import Scheduler  # the SDKs load only when needed

    scheduler = Scheduler(
        settings,
        plan.absolute(),
        clock=lambda: now(settings.timezone),
        interval=interval,
        stop=stop,
        out=_out,
        err=_err,
    )
    with hold_lock(settings.home), _logging(settings.log_dir):
        scheduler.refresh_plan()  # a broken plan at start is an error, exit 2
        if once:
            raise typer.Exit(0 if scheduler.once() else 1)
        _out(f"syncing {plan} every {scheduler.interval}s; Ctrl-C to stop")
        _until_signalled(scheduler.run, stop)


@contextmanager
def _logging(log_dir: Path) -> Iterator[None]:
    logger = logging.getLogger("careersync")
    from sync.scheduler import log_handler

    handler = log_handler(log_dir)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        handler.close()


def _until_signalled(work: Any, stop: threading.Event) -> None:
    """Run `work` in a thread; the first SIGTERM or Ctrl-C sets `stop` (it finishes the cycle
    safely), a second one ends at once. Setting the event from this thread, never the worker's,
    keeps the signal handler clear of the worker's locks."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as exc:
            failure.append(exc)
            stop.set()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        _err("stopping after the current step (again to stop at once)")
        stop.set()

    worker = threading.Thread(target=target, name="careersync-run", daemon=True)
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.5)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if failure:
        raise failure[0]
