"""The background scheduler behind `careersync run`.

Each cycle re-reads the plan file if it changed (a broken edit is reported once and the last good
plan kept; a change is taken only once the file has stayed the same for `plan_settle_seconds`,
so an editor's half-written save is never synced; a reload that would remove more than a few
milestones and actions waits for the next cycle's read to confirm it), then runs a full sync
through the engine: it pulls completions, re-plans missed
blocks and writes progress back, and costs about one read per service when nothing changed.
A failed cycle never ends the loop; the next one waits longer: the server's `retry_after`, else an
exponential backoff capped at an hour, or a long wait for what only the user can fix (a revoked
token, a refused mass delete), during which the plan file is watched: an edit wakes it at once.

The policy (how long to wait, when to re-read the plan) is pure functions; `Scheduler` is the
shell that reads the clock, the file and the remotes, timed by the `schedule` library. Stopping
is cooperative: `stop` is checked between cycles and during every wait, including the retry
waits inside a cycle; the engine records each result as it lands, so stopping there is safe.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import schedule

from connectors.clients import WatchedHttp
from connectors.gcal import CredentialCache
from connectors.retry import RetryPolicy
from sync import engine
from sync.busytime import BusyCache
from sync.errors import (
    AuthError,
    CareersyncError,
    PlanError,
    RateLimited,
    RemoteError,
    SafetyError,
    SecretError,
    TransientError,
    Unreachable,
    UserError,
)
from sync.loader import Loaded, load_plan, parse_plan
from sync.plan import Plan
from sync.private import private_dir, private_file
from sync.session import Session, open_session
from sync.settings import Settings
from sync.zones import load_zoned

log = logging.getLogger("careersync.run")

MAX_BACKOFF = 3600  # seconds: the longest wait after repeated failures
USER_WAIT = 900  # seconds between tries while only the user can fix things
IN_CYCLE_RETRY_AFTER = (
    30.0  # a longer `retry_after` ends the cycle and is waited out between cycles
)
LOG_BYTES, LOG_FILES = 1_000_000, 5
WATCH = 2.0  # seconds between looks at the plan file while waiting for the user
SETTLE_LOOKS = 10  # a file still changing after this many looks is left for the next cycle
FEW = 3  # a reload removing more milestones and actions than this waits to be confirmed

Stamp = tuple[int, int, int]  # mtime_ns, size, inode
SessionFactory = Callable[[Settings, Plan, RetryPolicy], AbstractContextManager[Session]]


# The policy (pure) -------------------------------------------------------------------------
def needs_user(error: BaseException | None) -> bool:
    """Errors no retry can fix: credentials, settings, a refused drastic change."""
    return isinstance(error, AuthError | SecretError | SafetyError | UserError | Unreachable)


def next_delay(interval: int, failures: int, error: BaseException | None = None) -> int:
    """Whole seconds until the next cycle; `failures` counts failed cycles in a row, this one
    included (0 after a success)."""
    if failures == 0:
        return interval
    if needs_user(error):
        return max(interval, USER_WAIT)
    backoff = min(max(interval, MAX_BACKOFF), interval << min(failures, 16))
    if isinstance(error, RateLimited):
        return max(backoff, math.ceil(error.retry_after))
    return backoff


@dataclass(frozen=True)
class Seen:
    """A version of the plan file: where the file stood, its content, and the day it was read
    (defaults such as `start` depend on today)."""

    stamp: Stamp | None  # None: the file was missing
    digest: str
    day: date


def should_read(seen: Seen | None, stamp: Stamp | None, today: date) -> bool:
    """Whether the plan file may have changed since it was last read."""
    return seen is None or stamp != seen.stamp or today != seen.day


def removed(old: Plan, new: Plan) -> int:
    """How many milestones and actions of `old` are gone from `new`."""
    keys = {m.id for m in new.milestones} | {a.id for _, a in new.actions()}
    return sum(m.id not in keys for m in old.milestones) + sum(
        a.id not in keys for _, a in old.actions()
    )


def should_load(good: Seen | None, rejected: str | None, digest: str, today: date) -> bool:
    """Whether read content needs validating: new content, or a new day, and not the content
    that was already refused."""
    if good is not None and digest == good.digest and today == good.day:
        return False
    return digest != rejected


@dataclass(frozen=True)
class Cycle:
    """What one cycle did."""

    at: datetime
    changes: int = 0
    writes: int = 0
    requests: int | None = None  # Todoist HTTP requests, when Todoist is on
    google_requests: int | None = None  # Google HTTP requests (token refreshes too), when on
    errors: tuple[str, ...] = ()
    error: BaseException | None = None
    stopped: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.errors and not self.stopped


def summary(cycle: Cycle, delay: int | None = None) -> str:
    """The one line printed per cycle."""
    when = cycle.at.strftime("%H:%M:%S")
    if cycle.stopped:
        return f"{when} stopped before the cycle finished; the next run picks up from here"
    if cycle.ok:
        what = f"{cycle.changes} changes, {cycle.writes} writes" if cycle.changes else "up to date"
        counts = [
            f"{name} {n} request{'s' * (n != 1)}"
            for name, n in (("todoist", cycle.requests), ("google", cycle.google_requests))
            if n is not None
        ]
        if counts:
            what += f" ({', '.join(counts)})"
        return f"{when} synced: {what}"
    error = cycle.error
    if isinstance(error, RemoteError) and (
        isinstance(error, RateLimited) or isinstance(error.__cause__, TransientError)
    ):
        reason = error.message  # without its fix, "run again": the scheduler does that
    elif error is not None:
        reason = str(error)
    else:
        reason = f"{len(cycle.errors)} errors: {cycle.errors[0]}"
    line = f"{when} failed: {reason}"
    return line if delay is None else f"{line}; next try in {delay}s"


# The shell ---------------------------------------------------------------------------------
class Stopped(Exception):
    """Raised inside a cycle when a stop was asked for during a wait."""


def log_handler(log_dir: Path) -> logging.Handler:
    """`log_dir/careersync.log`, rotated at 1 MB, five files kept."""
    private_dir(log_dir.parent)
    private_dir(log_dir)
    for old in log_dir.glob("careersync.log*"):
        private_file(old)
    handler = RotatingFileHandler(
        log_dir / "careersync.log", maxBytes=LOG_BYTES, backupCount=LOG_FILES, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    return handler


_credentials: CredentialCache = {}  # Google access tokens, reused across cycles (memory only)


def default_sessions(settings: Settings, plan: Plan, policy: RetryPolicy) -> Any:
    return open_session(settings, plan, policy=policy, credentials=_credentials)


class Scheduler:
    """Runs a sync of the plan file every `interval` seconds until `stop` is set."""

    def __init__(
        self,
        settings: Settings,
        path: Path,
        *,
        clock: Callable[[], datetime],
        interval: int | None = None,
        stop: threading.Event | None = None,
        wait: Callable[[float], bool] | None = None,
        sessions: SessionFactory = default_sessions,
        out: Callable[[str], None] = print,
        err: Callable[[str], None] = print,
    ) -> None:
        self.settings = settings
        self.path = path
        self.clock = clock
        self.interval = max(1, interval or settings.poll_interval)
        self.stop = stop or threading.Event()
        self.wait = wait or self.stop.wait  # returns True once stopped
        self.sessions = sessions
        self.out, self.err = out, err
        self.plan: Plan | None = None
        self.seen: Seen | None = None  # the file as last read
        self.good: Seen | None = None  # the version `plan` came from
        self.rejected: str | None = None  # digest of the last refused content
        self.held: str | None = None  # digest of a big removal waiting to be confirmed
        self.last_error: BaseException | None = None
        self.failures = 0
        self.delay = self.interval
        self.cycles = 0
        self._job: schedule.Job | None = None
        # Busy time across cycles: read again once older than busy_refresh, one piece a cycle.
        self.busy = BusyCache(max_age=settings.busy_refresh, per_run=1)

    # The plan file ---------------------------------------------------------------------
    def refresh_plan(self) -> Plan:
        """The plan to sync: re-read and re-validated when the file changed. A broken version
        is reported once and the last good plan kept; with no good plan yet it raises."""
        today = self.clock().date()
        stamp = _stamp(self.path)
        if self.plan is not None and not should_read(self.seen, stamp, today):
            return self.plan
        stamp, data = self._settled(stamp) if self.plan is not None else (stamp, _read(self.path))
        digest = hashlib.sha256(data).hexdigest() if data is not None else "unreadable"
        self.seen = Seen(stamp, digest, today)
        if self.plan is not None and not should_load(self.good, self.rejected, digest, today):
            return self.plan
        try:
            zoned = load_zoned(
                partial(self._parse, data),
                self.path,
                self.settings.state_db,
                self.settings.timezone,
                lambda zone: self.clock().astimezone(ZoneInfo(zone)).date(),
                pin=True,
            )
        except PlanError as exc:
            if self.plan is None:
                raise
            self.rejected = digest
            log.warning("plan not reloaded, keeping the last good version: %s", exc)
            self.err(f"error: {exc} (keeping the last good plan until the file is fixed)")
            return self.plan
        loaded = zoned.loaded
        gone = 0 if self.plan is None else removed(self.plan, loaded.plan)
        if (
            self.plan is not None and gone > FEW and self.held != digest
        ):  # a save that lost part of the plan, maybe
            self.held, self.seen = digest, None  # look again next cycle
            line = (
                f"the plan file now lacks {gone} milestones and actions; waiting for the next"
                " read to confirm before syncing it"
            )
            log.warning(line)
            self.err(f"warning: {line}")
            return self.plan
        self.held = None
        if self.plan is not None:
            log.info("plan reloaded from %s", self.path)
        if zoned.note and (self.plan is None or zoned.note != self._note):
            log.info(zoned.note)
            self.err(f"note: {zoned.note}")
        self._note = zoned.note
        for warning in loaded.warnings:
            log.info("plan warning: %s", warning)
            self.err(f"warning: {warning}")
        self.plan, self.good, self.rejected = loaded.plan, self.seen, None
        return self.plan

    _note: str | None = None

    def _parse(self, data: bytes | None, today: date, zone: str) -> Loaded:
        if data is None:  # unreadable: the loader says why, in one line
            return load_plan(self.path, today=today, default_timezone=zone)
        return parse_plan(data, self.path, today=today, default_timezone=zone)

    def _settled(self, stamp: Stamp | None) -> tuple[Stamp | None, bytes | None]:
        """The file once it stayed the same (stat and content) for `plan_settle_seconds`: an
        editor may still be writing it. Still changing after `SETTLE_LOOKS` looks: the last
        look, with its stamp forgotten so the next cycle looks again."""
        data = _read(self.path)
        settle = self.settings.plan_settle_seconds
        for _ in range(SETTLE_LOOKS if settle else 0):
            if self.wait(settle):
                raise Stopped
            again, later = _stamp(self.path), _read(self.path)
            if again == stamp and later == data:
                return stamp, data
            stamp, data = again, later
        return (stamp if not settle else None), data

    # One cycle -------------------------------------------------------------------------
    def _pause(self, seconds: float) -> None:
        """The retry sleep inside a cycle: interrupted by a stop."""
        if self.wait(seconds):
            raise Stopped

    def cycle(self) -> Cycle:
        """One sync; never raises for a remote failure."""
        at = self.clock()
        policy = RetryPolicy(attempts=4, max_retry_after=IN_CYCLE_RETRY_AFTER, sleep=self._pause)
        requests = [0]
        try:
            plan = self.refresh_plan()
            with self.sessions(self.settings, plan, policy) as session:
                counted = session.todoist is not None and _count_requests(session, requests)
                outcome = engine.run(
                    plan,
                    session.store,
                    at,
                    todoist=session.todoist,
                    calendar=session.calendar,
                    busy_cache=self.busy,
                    frozen=self.settings.frozen_horizon,
                )
                google = _google_requests(session)
        except Stopped:
            return Cycle(at, stopped=True)
        except CareersyncError as exc:
            return Cycle(at, error=exc)
        except Exception as exc:  # a bug: log it in full, keep the scheduler alive
            log.exception("unexpected failure in a sync cycle")
            return Cycle(at, error=exc)
        return Cycle(
            at,
            changes=outcome.changes,
            writes=sum(outcome.writes.values()),
            requests=requests[0] if counted else None,
            google_requests=google,
            errors=tuple(outcome.errors),
        )

    def record(self, cycle: Cycle) -> None:
        """Count the cycle, choose the next delay, report it."""
        self.cycles += 1
        self.last_error = cycle.error
        if cycle.stopped:
            line = summary(cycle)
            log.info(line)
            self.out(line)
            return
        self.failures = 0 if cycle.ok else self.failures + 1
        self.delay = next_delay(self.interval, self.failures, cycle.error)
        line = summary(cycle, None if cycle.ok else self.delay)
        if cycle.ok:
            log.info(line)
        else:
            log.warning(line)
            for error in cycle.errors:
                log.warning("  %s", error)
            if needs_user(cycle.error):
                log.warning("waiting for you to fix this; retrying every %ss", self.delay)
        self.out(line)
        if self._job is not None:
            self._job.interval = self.delay

    def tick(self) -> None:
        """The scheduled job: a cycle, then the stop flag if it was interrupted."""
        cycle = self.cycle()
        self.record(cycle)
        if cycle.stopped:
            self.stop.set()

    def once(self) -> bool:
        self.tick()
        return self.failures == 0 and not self.stop.is_set()

    def run(self) -> None:
        """Cycles until `stop` is set: the first at once, then every `delay` seconds."""
        jobs = schedule.Scheduler()
        self._job = jobs.every(self.interval).seconds.do(self.tick)
        log.info("scheduler started for %s, every %ss", self.path, self.interval)
        jobs.run_all()
        while not self.stop.is_set():
            idle = jobs.idle_seconds
            woken = self._idle(max(0.0, idle if idle is not None else self.interval))
            if woken == "stop":
                break
            if woken == "plan changed":
                log.info("the plan file changed; syncing now")
                jobs.run_all()
            else:
                jobs.run_pending()
        log.info("scheduler stopped")

    def _idle(self, seconds: float) -> str:
        """Wait between cycles: "stop", "due", or, while only the user can fix the last
        failure (the plan file is then looked at every `WATCH` seconds), "plan changed"."""
        if not needs_user(self.last_error):
            return "stop" if self.wait(seconds) else "due"
        left = seconds
        while left > 0:
            step = min(WATCH, left)
            if self.wait(step):
                return "stop"
            left -= step
            if self.seen is not None and _stamp(self.path) != self.seen.stamp:
                return "plan changed"
        return "due"


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _stamp(path: Path) -> Stamp | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _google_requests(session: Session) -> int | None:
    """The Calendar connector's HTTP requests so far (its transport counts them)."""
    authed = getattr(session.calendar, "http", None)
    transport = getattr(authed, "http", None)
    return transport.requests if isinstance(transport, WatchedHttp) else None


def _count_requests(session: Session, counter: list[int]) -> bool:
    """Count the Todoist connector's HTTP responses into `counter[0]`."""
    client = getattr(session.todoist, "client", None)
    if not isinstance(client, httpx.Client):
        return False

    def seen(response: httpx.Response) -> None:
        counter[0] += 1

    client.event_hooks["response"].append(seen)
    return True
