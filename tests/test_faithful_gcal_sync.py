"""careersync against the faithful Calendar emulator (issue 16): scopes, batch faults, deletions.

Each scenario runs in-process and over loopback (the `env` fixture of tests/sandbox).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.gcal import EVENTS_ANYWHERE, SCOPE_FIX, SCOPES, scopes_for
from sync.cli import auth_google
from sync.errors import AuthError
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
