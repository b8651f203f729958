"""careersync against the faithful Calendar emulator (issue 16): scopes, batch faults, deletions.

Each scenario runs in-process and over loopback (the `env` fixture of tests/sandbox).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.gcal import EVENTS_ANYWHERE, SCOPE_FIX, SCOPES, scopes_for
from connectors.gcal_errors import QUOTA_FIX, QUOTA_MESSAGE
from connectors.retry import RetryPolicy
from connectors.sandbox.wire import Faults
from sync.cli import auth_google
from sync.errors import AuthError, RateLimited
from sync.model import Create
from tests.sandbox import conftest as sandbox_fixtures
from tests.sandbox.conftest import Env
from tests.test_gcal_connector import Harness

env, clock = sandbox_fixtures.env, sandbox_fixtures.clock


def _stored_with_scopes(world: Harness, scopes: list[str]) -> None:
    """The credentials as `careersync auth google` stores them: with the granted scopes."""
    info: dict[str, Any] = json.loads(world.settings.google_credentials.get_secret_value())  # type: ignore[union-attr]
    world.settings.google_credentials = SecretStr(json.dumps({**info, "scopes": scopes}))


# Case 1: calendar.app.created, and a calendar the user names ---------------------------------


def test_the_default_sign_in_only_reaches_careersyncs_own_calendar(
    env: Env, tmp_path: Path
) -> None:
    world = Harness(env, tmp_path)
    _stored_with_scopes(world, SCOPES)
    world.sync()
    assert world.events()  # its own calendar, made with calendar.app.created
    assert env.sandbox.google.events("primary") == []
    assert world.sync()[0].actions == []


def test_a_named_calendar_asks_for_the_broader_scope(env: Env, tmp_path: Path) -> None:
    assert scopes_for(None) == SCOPES
    assert scopes_for("primary") == [*SCOPES, EVENTS_ANYWHERE]
    world = Harness(env, tmp_path, calendar_id="primary")
    _stored_with_scopes(world, [*SCOPES, EVENTS_ANYWHERE])
    world.sync()
    assert [e for e in env.sandbox.google.events("primary") if e.get("extendedProperties")]
    flow = auth_google._flow(_client_file(tmp_path), "primary")
    assert EVENTS_ANYWHERE in flow.oauth2session.scope
    assert EVENTS_ANYWHERE not in auth_google._flow(_client_file(tmp_path)).oauth2session.scope


def test_a_named_calendar_with_the_narrow_sign_in_is_one_line_and_writes_nothing(
    env: Env, tmp_path: Path
) -> None:
    world = Harness(env, tmp_path, calendar_id="primary")
    _stored_with_scopes(world, SCOPES)  # signed in before the setting was added
    with pytest.raises(AuthError) as caught:
        world.sync()
    assert caught.value.exit_code == 2
    assert caught.value.fix == SCOPE_FIX
    assert "calendar_id" in caught.value.message
    assert env.sandbox.google.events("primary") == []
    assert env.sandbox.wire.counts("google")["writes"] == 0


def test_a_refused_wider_refresh_names_the_same_fix(env: Env, tmp_path: Path) -> None:
    """Credentials that do not say their scopes: Google refuses the wider refresh (invalid_scope)."""
    world = Harness(env, tmp_path, calendar_id="primary")
    google = env.sandbox.google
    google.revoke_refresh_token()
    narrow = google.issue_auth_code(SCOPES)
    grant = google.handle(_code_request(google, narrow))
    token = json.loads(grant.body)["refresh_token"]
    info: dict[str, Any] = json.loads(world.settings.google_credentials.get_secret_value())  # type: ignore[union-attr]
    world.settings.google_credentials = SecretStr(json.dumps({**info, "refresh_token": token}))
    with pytest.raises(AuthError) as caught:
        world.sync()
    assert caught.value.fix == SCOPE_FIX


def _client_file(tmp_path: Path) -> Path:
    path = tmp_path / "client_secret.json"
    client = {"client_id": "x", "client_secret": "y", "redirect_uris": ["http://localhost"]}
    client |= {"auth_uri": "https://a.invalid/auth", "token_uri": "https://a.invalid/token"}
    path.write_text(json.dumps({"installed": client}))
    return path


def _code_request(google: Any, code: str) -> Any:
    from urllib.parse import urlencode

    from connectors.sandbox.wire import Request

    form = {"grant_type": "authorization_code", "code": code, "client_id": google.client_id}
    form |= {"client_secret": google.client_secret, "redirect_uri": "http://localhost/"}
    return Request("POST", "/token", (), {}, urlencode(form).encode())


# Case 2: faults on single parts of a batch, per-user rate limits, quotaExceeded --------------


def _keys(world: Harness) -> Counter[str]:
    events = world.env.sandbox.google.events(world.calendar_id)
    return Counter(
        e.get("extendedProperties", {}).get("private", {}).get("careersync_key", "") for e in events
    )


def _pacing(world: Harness) -> list[float]:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        world.env.clock.advance(seconds=seconds)

    world.policy = RetryPolicy(sleep=sleep, rng=random.Random(1))
    return waits


def test_failed_parts_of_a_batch_alone_are_retried_and_converge(env: Env, tmp_path: Path) -> None:
    world = Harness(env, tmp_path)
    waits = _pacing(world)
    faults = {
        3: "rateLimitExceeded",
        5: "userRateLimitExceeded",
        8: "backendError",
        9: "backendErrorApplied",  # landed, then answered 500: its retry is a 409
        12: "unavailable",
        13: "tooManyRequests",
    }
    connector = world.connector()
    decision = world.decide(connector)
    creates = sum(isinstance(a, Create) for a in decision.actions)
    env.sandbox.wire.reset(Faults(batch_parts=faults, service="google"))
    applied = connector.apply(decision.actions)
    assert applied.errors == []
    keys = _keys(world)
    assert max(keys.values()) == 1  # no duplicates
    assert sum(keys.values()) == creates - 1  # every event (the calendar is not an event)
    posted = [e for e in env.sandbox.wire.log if e.path.startswith("/batch")]
    assert len(posted) == 2  # the first batch, then one batch of only the six failed calls
    assert world.policy.retries == 1
    assert len(waits) == 1
    assert waits[0] >= 1.0  # the rate limit's wait, plus backoff
    assert world.sync()[0].actions == []


def test_a_per_user_rate_limit_is_waited_out(env: Env, tmp_path: Path) -> None:
    """Reads at t, writes at t+40 s: the writes over the per-minute limit fail until the reads
    leave the sliding minute; only they are retried, with growing waits."""
    world = Harness(env, tmp_path)
    waits = _pacing(world)
    env.sandbox.google.limits.per_minute = 10**6  # counting from here
    connector = world.connector()
    decision = world.decide(connector)
    calls = sum(isinstance(a, Create) for a in decision.actions)  # the calendar and its events
    env.clock.advance(seconds=40)
    env.sandbox.google.limits.per_minute = calls  # Google's is 600; every part counts
    env.sandbox.wire.reset()
    applied = connector.apply(decision.actions)
    assert applied.errors == []
    assert len(waits) >= 3
    assert waits == sorted(waits)  # backoff: each wait longer than the last
    refused = [e for e in env.sandbox.wire.log if e.status == 403]
    assert refused == []  # the batch itself is a 200; its parts carried the 403s
    assert max(_keys(world).values()) == 1
    env.sandbox.google.limits.per_minute = None
    assert world.sync()[0].actions == []


def test_quota_exceeded_is_one_clear_line_then_a_later_run_converges(
    env: Env, tmp_path: Path
) -> None:
    world = Harness(env, tmp_path)
    _pacing(world)
    google = env.sandbox.google
    connector = world.connector()
    decision = world.decide(connector)
    env.sandbox.wire.reset(Faults(batch_parts={4: "quotaExceeded"}, service="google"))
    google.limits.read_only_until = env.clock.now + timedelta(hours=3)
    with pytest.raises(RateLimited) as caught:
        connector.apply(decision.actions)
    error = caught.value
    assert error.exit_code == 1  # nothing for the user to fix: it passes by itself
    assert str(error) == f"google: {QUOTA_MESSAGE} ({QUOTA_FIX})"
    assert "\n" not in str(error)
    assert world.policy.retries == 0  # not retried: quick retries cannot help
    env.clock.advance(hours=3)
    world.sync()
    assert max(_keys(world).values()) == 1
    assert world.sync()[0].actions == []


# Case 4: cancelled events with only an id, and old ones gone from full lists -----------------


def _live(world: Harness) -> list[dict[str, Any]]:
    return [e for e in world.events() if e.get("extendedProperties")]


def test_a_minimal_cancelled_entry_in_an_incremental_read_is_a_deletion(
    env: Env, tmp_path: Path
) -> None:
    world = Harness(env, tmp_path)
    world.sync()
    gone = next(e for e in _live(world) if "draft" in str(e["extendedProperties"]))
    env.sandbox.google.user_delete_event(world.calendar_id, gone["id"])
    env.sandbox.wire.reset()
    decision, _ = world.sync()  # reads {"id", "status": "cancelled"} and little else
    assert not any(a.key == _key_of(gone) and isinstance(a, Create) for a in decision.actions)
    assert world.env.sandbox.google.events(world.calendar_id, include_cancelled=True)
    assert world.event(_key_of(gone))["status"] == "cancelled"
    assert world.sync()[0].actions == []


def test_after_a_410_a_purged_user_deletion_is_not_recreated(env: Env, tmp_path: Path) -> None:
    world = Harness(env, tmp_path)
    world.sync()
    gone = next(e for e in _live(world) if "draft" in str(e["extendedProperties"]))
    key = _key_of(gone)
    env.sandbox.google.user_delete_event(world.calendar_id, gone["id"])
    world.sync()  # careersync sees the deletion
    before = Counter(_key_of(e) for e in _live(world))
    env.clock.advance(days=40)  # the cancellation leaves full lists
    env.sandbox.google.expire_sync_tokens()
    listed = world.connector().service.events().list(calendarId=world.calendar_id, showDeleted=True)
    assert gone["id"] not in {e["id"] for e in listed.execute()["items"]}
    world.sync()  # 410, then a full re-read without the cancelled event
    after = Counter(_key_of(e) for e in _live(world))
    assert max(after.values()) == 1
    assert key not in after  # the user's deletion holds
    assert world.event(key)["status"] == "cancelled"
    assert set(after) - set(before) <= {k for k in after if k.startswith("block:")}
    assert world.sync()[0].actions == []


def test_a_deletion_first_seen_after_a_410_and_a_purge_is_respected(
    env: Env, tmp_path: Path
) -> None:
    """The user deletes a block; careersync next reads after the token expired and the
    cancellation left full lists: only the state DB's record says the block existed."""
    world = Harness(env, tmp_path)
    world.sync()
    gone = next(e for e in _live(world) if "draft" in str(e["extendedProperties"]))
    key = _key_of(gone)
    env.sandbox.google.user_delete_event(world.calendar_id, gone["id"])
    env.clock.advance(days=40)
    env.sandbox.google.expire_sync_tokens()
    world.sync()
    after = Counter(_key_of(e) for e in _live(world))
    assert max(after.values()) == 1
    assert key not in after
    assert world.event(key)["status"] == "cancelled"
    assert world.sync()[0].actions == []


def _key_of(event: dict[str, Any]) -> str:
    return str(event.get("extendedProperties", {}).get("private", {}).get("careersync_key", ""))
