"""The background scheduler: its pure policy, and its cycles against the sandbox in-process.

Waiting is injected: every wait (between cycles and inside a cycle's retries) goes through
`Harness.wait`, which records it and says whether to stop, so no test sleeps.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.retry import RetryPolicy
from connectors.sandbox import TODOIST_TOKEN, Faults
from connectors.sandbox.transport import HttpxTransport
from sync.errors import AuthError, RateLimited, SafetyError, SecretError, TransientError, UserError
from sync.lock import hold_lock
from sync.plan import Plan
from sync.scheduler import (
    MAX_BACKOFF,
    USER_WAIT,
    Cycle,
    Scheduler,
    Seen,
    log_handler,
    next_delay,
    should_load,
    should_read,
    summary,
)
from sync.session import open_session
from sync.settings import Settings
from sync.state import StateStore
from tests.world import World

# The policy --------------------------------------------------------------------------------


def test_a_success_waits_the_interval_and_failures_back_off_to_a_cap() -> None:
    assert next_delay(300, 0) == 300
    transient = TransientError("todoist", "server error 503")
    assert [next_delay(300, n, transient) for n in range(1, 6)] == [600, 1200, 2400, 3600, 3600]
    assert next_delay(10, 1, transient) == 20
    assert next_delay(7200, 3, transient) == 7200  # never shorter than the interval
    assert next_delay(300, 40, None) == MAX_BACKOFF  # failed commands, no exception


def test_a_rate_limit_waits_at_least_retry_after() -> None:
    assert next_delay(300, 1, RateLimited("todoist", 5000)) == 5000
    assert next_delay(300, 1, RateLimited("todoist", 0.5)) == 600
    assert next_delay(10, 1, RateLimited("todoist", 30.2)) == 31


@pytest.mark.parametrize(
    "error",
    [
        AuthError("todoist", "the API token was rejected"),
        SecretError("no Todoist token"),
        SafetyError("would delete most tasks"),
        UserError("bad setting"),
    ],
)
def test_what_only_the_user_can_fix_waits_long(error: Exception) -> None:
    assert next_delay(300, 1, error) == next_delay(300, 9, error) == USER_WAIT
    assert next_delay(7200, 1, error) == 7200


def test_the_plan_is_re_read_when_the_file_or_the_day_changes() -> None:
    day = date(2026, 12, 7)
    seen = Seen((1, 100, 5), "abc", day)
    assert should_read(None, (1, 100, 5), day)
    assert not should_read(seen, (1, 100, 5), day)
    assert should_read(seen, (2, 100, 5), day)  # touched
    assert should_read(seen, (1, 100, 6), day)  # replaced by an editor
    assert should_read(seen, None, day)  # deleted
    assert should_read(seen, (1, 100, 5), date(2026, 12, 8))  # defaults depend on today


def test_the_plan_is_re_validated_only_for_new_content() -> None:
    day = date(2026, 12, 7)
    good = Seen((1, 100, 5), "good", day)
    assert should_load(None, None, "good", day)
    assert not should_load(good, None, "good", day)  # touched, same content
    assert should_load(good, None, "edited", day)
    assert not should_load(good, "broken", "broken", day)  # already reported
    assert should_load(good, "broken", "fixed", day)
    assert should_load(good, None, "good", date(2026, 12, 8))


def test_one_line_per_cycle() -> None:
    at = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert summary(Cycle(at, requests=1)) == "08:00:00 synced: up to date (todoist 1 request)"
    assert summary(Cycle(at, changes=3, writes=1)) == "08:00:00 synced: 3 changes, 1 writes"
    failed = Cycle(at, error=RateLimited("todoist", 120))
    assert summary(failed, 120).startswith(
        "08:00:00 failed: todoist: rate limited (retry after 120s)"
    )
    assert summary(failed, 120).endswith("; next try in 120s")
    assert "2 errors: task:x: item_add failed" in summary(
        Cycle(at, errors=("task:x: item_add failed", "task:y")), 600
    )


# The scheduler against the sandbox ---------------------------------------------------------


class Harness:
    """A scheduler on a world's plan file and sandbox, with recorded output and waits."""

    def __init__(self, world: World, *, interval: int = 300, token: str = TODOIST_TOKEN) -> None:
        self.world = world
        self.path = world.home / "plan.yaml"
        self.path.write_text(world.text)
        self.out: list[str] = []
        self.err: list[str] = []
        self.waits: list[float] = []
        self.stop_when: Callable[[float], bool] = lambda seconds: False
        settings = world.settings().model_copy(update={"todoist_token": SecretStr(token)})
        self.scheduler = Scheduler(
            settings,
            self.path,
            clock=lambda: world.now,
            interval=interval,
            wait=self.wait,
            sessions=self.sessions,
            out=self.out.append,
            err=self.err.append,
        )

    def sessions(self, settings: Settings, plan: Plan, policy: RetryPolicy) -> Any:
        sandbox = self.world.sandbox
        return open_session(
            settings,
            plan,
            todoist_transport=HttpxTransport(sandbox.wire),
            google_http=sandbox.httplib2(),
            policy=policy,
        )

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        return self.stop_when(seconds)

    def cycle(self, faults: Faults | None = None) -> Cycle:
        """One scheduled cycle (as the loop runs it); the wire log is this cycle's."""
        self.world.sandbox.wire.reset(faults)
        cycle = self.scheduler.cycle()
        self.scheduler.record(cycle)
        return cycle

    def edit(self, old: str, new: str) -> None:
        self.world.edit(old, new)
        self.path.write_text(self.world.text)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


def test_cycles_sync_pull_completions_and_cost_one_read_when_idle(world: World) -> None:
    h = Harness(world)
    first = h.cycle()
    assert first.ok
    assert first.changes > 0
    assert first.writes > 0
    idle = h.cycle()
    assert idle.ok
    assert idle.changes == 0
    assert world.counts() == {"reads": 1, "writes": 0}
    assert idle.requests == 1
    assert h.out[-1] == "08:00:00 synced: up to date (todoist 1 request)"

    world.sandbox.todoist.user_complete(world.task("task:talk-to-manager")["id"])
    world.later(hours=1)
    pulled = h.cycle()
    assert pulled.ok
    assert world.records()["task:talk-to-manager"].status == "completed"
    assert "1/4 actions" in world.task("checkpoint:foundations")["description"]
    assert h.cycle().changes == 0
    assert h.scheduler.failures == 0
    assert h.scheduler.delay == 300


def test_a_429_with_retry_after_makes_the_next_wait_at_least_that_long(world: World) -> None:
    h = Harness(world)
    h.stop_when = lambda seconds: True  # stop at the first wait between cycles
    world.sandbox.wire.reset(Faults(fail_at={1: 429}, retry_after=900, service="todoist"))
    h.scheduler.run()
    assert h.scheduler.cycles == 1
    assert h.scheduler.failures == 1
    assert h.scheduler.delay == 900
    assert len(h.waits) == 1
    assert 899 < h.waits[0] <= 900
    assert "rate limited (retry after 900s); next try in 900s" in h.out[0]
    # the next cycle succeeds and the interval is back
    assert h.cycle().ok
    assert h.scheduler.delay == 300


def test_a_short_retry_after_is_waited_out_inside_the_cycle(world: World) -> None:
    h = Harness(world)
    cycle = h.cycle(Faults(fail_at={1: 429}, retry_after=3, service="todoist"))
    assert cycle.ok
    assert any(3 <= w < 4 for w in h.waits)
    assert h.scheduler.delay == 300


def test_transient_failures_back_off_and_never_crash(world: World) -> None:
    h = Harness(world, interval=60)
    storm = Faults(fail_at=dict.fromkeys(range(1, 20), 503), service="todoist")
    assert not h.cycle(storm).ok
    assert not h.cycle(storm).ok
    assert h.scheduler.delay == 240
    assert "failed: todoist: still failing after 4 tries" in h.out[-1]
    assert h.cycle().ok
    assert h.scheduler.delay == 60


def test_a_rejected_token_is_logged_clearly_and_waits_long(world: World, tmp_path: Path) -> None:
    token = "0123456789abcdef-not-a-valid-token"
    h = Harness(world, token=token)
    handler = log_handler(tmp_path / "logs")
    assert isinstance(handler, RotatingFileHandler)
    assert (handler.maxBytes, handler.backupCount) == (1_000_000, 5)
    logger = logging.getLogger("careersync")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        for _ in range(3):
            assert not h.cycle().ok
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        handler.close()
    assert h.scheduler.failures == 3
    assert h.scheduler.delay == USER_WAIT
    assert "the API token was rejected" in h.out[-1]
    text = (tmp_path / "logs" / "careersync.log").read_text()
    assert "waiting for you to fix this" in text
    assert token not in text
    assert TODOIST_TOKEN not in text


def test_a_broken_edit_is_reported_once_and_the_last_good_plan_kept(world: World) -> None:
    h = Harness(world)
    h.cycle()
    before = Counter(t["content"] for t in world.tasks())
    h.path.write_text(world.text.replace("milestones:", "milestones: [", 1))
    for _ in range(3):
        cycle = h.cycle()
        assert cycle.ok
        assert cycle.changes == 0
    assert len(h.err) == 1
    assert h.err[0].startswith(f"error: {h.path}:")
    assert "keeping the last good plan" in h.err[0]
    assert Counter(t["content"] for t in world.tasks()) == before

    h.edit("Take a short course on running one-to-ones", "Take a course on one-to-ones")
    assert h.cycle().writes == 1
    assert world.task("task:one-to-one-course")["content"] == "Take a course on one-to-ones"
    h.path.unlink()  # a vanished file is a broken edit too
    assert h.cycle().ok
    assert len(h.err) == 2


def test_a_stop_during_a_retry_ends_the_cycle_and_the_next_run_converges(world: World) -> None:
    h = Harness(world)
    h.stop_when = lambda seconds: True
    # the first write lands but its answer is lost; the retry wait sees the stop
    world.sandbox.wire.reset(Faults(drop_after_write={1}, service="todoist"))
    h.scheduler.run()
    assert h.scheduler.cycles == 1
    assert h.scheduler.stop.is_set()
    assert "stopped before the cycle finished" in h.out[-1]

    again = Harness(world)
    assert again.cycle().ok
    assert again.cycle().changes == 0
    contents = Counter(t["content"] for t in world.tasks())
    assert max(contents.values()) == 1  # the replayed commands made no duplicates
    store = StateStore(world.home / "state.db")
    try:
        assert store.check(world.plan.id) == []
        assert store.pending(world.plan.id, "todoist") == []
    finally:
        store.close()


def test_the_loop_runs_a_cycle_at_once_then_waits_the_interval(world: World) -> None:
    h = Harness(world, interval=45)
    h.stop_when = lambda seconds: len(h.waits) >= 1
    h.scheduler.run()
    assert h.scheduler.cycles == 1
    assert h.scheduler.failures == 0
    assert 44 < h.waits[0] <= 45
    assert h.out[0].startswith("08:00:00 synced:")


def test_once_reports_failure(world: World) -> None:
    assert not Harness(world, token="wrong").scheduler.once()
    assert Harness(world).scheduler.once()


def test_the_lock_refuses_a_second_scheduler(tmp_path: Path) -> None:
    with hold_lock(tmp_path / "home") as path:
        assert path.read_text().strip().isdigit()  # the holder's pid
        with (
            pytest.raises(UserError, match=r"another careersync run is using .*home"),
            hold_lock(tmp_path / "home"),
        ):
            pass
    with hold_lock(tmp_path / "home"):  # released on exit
        pass


# Plan edits while the scheduler runs (issue 16) ---------------------------------------------


def _sections(world: World) -> int:
    return len(world.sandbox.todoist.sections(world.project_id()))


def test_a_half_written_save_is_not_synced(world: World) -> None:
    h = Harness(world)
    h.cycle()
    sections = _sections(world)
    full = world.text.replace("Take a short course on running one-to-ones", "A 1:1 course")
    cut = world.text[: world.text.index("  - id: mentor")]  # still parses: fewer milestones
    h.path.write_text(cut)

    def editor_finishes(seconds: float) -> bool:  # the editor's second write lands meanwhile
        if h.path.read_text() == cut:
            h.path.write_text(full)
        return False

    h.stop_when = editor_finishes
    cycle = h.cycle()

    assert cycle.ok
    assert cycle.writes == 1  # only the rename
    assert _sections(world) == sections
    assert world.task("task:one-to-one-course")["content"] == "A 1:1 course"
    settle = h.scheduler.settings.plan_settle_seconds
    assert settle == 3.0
    assert h.waits == [settle, settle]  # changed at the second look, the same at the third


def test_a_reload_that_removes_much_waits_for_the_next_read(world: World) -> None:
    h = Harness(world)
    h.cycle()
    sections = _sections(world)
    h.path.write_text(
        world.text[: world.text.index("  - id: interviewing")]
    )  # 2 milestones, 6 actions

    held = h.cycle()
    assert held.ok
    assert held.changes == 0
    assert _sections(world) == sections
    assert "waiting for the next read" in h.err[-1]

    confirmed = h.cycle()  # the same file, read again: it is what the user meant
    assert confirmed.ok
    assert confirmed.changes > 0
    assert _sections(world) == sections - 2


def test_a_small_removal_is_synced_at_once(world: World) -> None:
    h = Harness(world)
    h.cycle()
    h.edit("      - id: feedback-guide\n", "      - id: feedback-guide-renamed\n")
    cycle = h.cycle()
    assert cycle.changes > 0
    assert not [line for line in h.err if "waiting for the next read" in line]


def test_a_plan_fix_wakes_the_scheduler_after_a_refused_mass_delete(world: World) -> None:
    h = Harness(world, interval=60)
    h.cycle()
    fixed = world.text
    h.path.write_text(fixed[: fixed.index("  - id: lead-a-project")])  # most of the plan gone
    h.cycle()  # held
    refused = h.cycle()  # confirmed, then refused by the guard
    assert isinstance(refused.error, SafetyError)
    assert h.scheduler.delay == USER_WAIT
    h.waits.clear()

    def user(seconds: float) -> bool:
        if len(h.waits) == 3:
            h.path.write_text(fixed)  # the user puts the plan back
        return h.scheduler.cycles >= 5 and h.scheduler.failures == 0

    h.stop_when = user
    h.scheduler.run()  # a cycle at once (refused again), then waits, watching the file

    assert h.scheduler.failures == 0
    assert h.scheduler.cycles == 5
    *before, after = h.waits  # `after`: the interval after the good cycle, when it stops
    assert before == [2.0, 2.0, 2.0, 3.0]  # three looks at the file, then it settles: 9 s
    assert after == pytest.approx(60, abs=1)
    assert any("synced:" in line for line in h.out[-2:])


def test_a_cycle_reports_both_services_requests(tmp_path: Path) -> None:
    world = World(tmp_path, google=True)
    h = Harness(world)
    first = h.cycle()
    assert first.ok, first
    counts = world.sandbox.wire.counts
    assert first.requests == sum(counts("todoist").values())
    assert first.google_requests == sum(counts("google").values()) > 0
    idle = h.cycle()
    assert idle.google_requests == sum(counts("google").values())
    assert h.out[-1] == (
        f"08:00:00 synced: up to date (todoist {idle.requests} request"
        f"{'s' * (idle.requests != 1)}, google {idle.google_requests} requests)"
    )


def test_idle_cycles_stay_in_budget_and_a_new_busy_event_is_seen_within_15_minutes(
    tmp_path: Path,
) -> None:
    from datetime import timedelta

    from tests.test_live_schedule import PLAN, blocks, make_world, overlaps

    world = make_world(tmp_path, PLAN)  # the UK's clock-change week is in its first weeks
    h = Harness(world)
    assert h.cycle().ok
    for _ in range(3):  # idle cycles, 5 minutes apart
        world.later(minutes=5)
        assert h.cycle().changes == 0
        for service in ("todoist", "google"):
            assert requests(world, service) <= 2, service
    key, span = next(
        (k, s) for k, s in blocks(world).items() if s[0] > world.now + timedelta(days=2)
    )
    world.sandbox.google.add_busy(span[0], span[1], "A new meeting")
    seen_after = None
    for minutes in range(5, 25, 5):
        world.later(minutes=5)
        h.cycle()
        assert requests(world, "google") <= 3  # events.list, one busy piece, the move
        if not overlaps(blocks(world)[key], span):
            seen_after = minutes
            break
    assert seen_after is not None
    assert seen_after <= 15


def requests(world: World, service: str) -> int:
    """API requests this cycle (a token refresh left out: `careersync run` caches the token)."""
    return sum(e.service == service and e.path != "/token" for e in world.sandbox.wire.log)
