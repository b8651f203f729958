"""Fixtures that hold the real SDKs against the sandbox, in-process and over loopback HTTP.

Every contract test takes `env` and so runs twice: once with the SDKs' HTTP layers answered
in-process, once against `SandboxServer` on 127.0.0.1, the same server `careersync sandbox serve` runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httplib2
import httpx
import pytest
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from todoist_api_python.api import TodoistAPI

from connectors.clients import (
    GoogleHttp,
    calendar_batch_uri,
    calendar_service,
    todoist_api,
    todoist_http,
)
from connectors.sandbox import TODOIST_TOKEN, Sandbox
from connectors.sandbox.server import SandboxServer
from connectors.sandbox.transport import HttpxTransport


class Clock:
    """A settable clock shared by the sandbox and the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Env:
    sandbox: Sandbox
    clock: Clock
    todoist_url: str
    google_root: str
    transport: httpx.BaseTransport | None
    google_http: httplib2.Http

    def todoist_client(self) -> httpx.Client:
        """httpx client for raw `/sync` calls, with the bearer token set."""
        client = todoist_http(self.todoist_url, self.transport)
        client.headers["Authorization"] = f"Bearer {TODOIST_TOKEN}"
        return client

    def todoist(self) -> TodoistAPI:
        return todoist_api(TODOIST_TOKEN, todoist_http(self.todoist_url, self.transport))

    def credentials(self) -> Credentials:
        info = self.sandbox.google_credentials_info(self.google_root + "token")
        # from_authorized_user_info() puts Google's own token URI back; point it at the sandbox
        credentials = Credentials.from_authorized_user_info(info)
        return credentials.with_token_uri(info["token_uri"])

    def authed_http(self, credentials: Credentials | None = None) -> AuthorizedHttp:
        return AuthorizedHttp(credentials or self.credentials(), http=self.google_http)

    def calendar(self, credentials: Credentials | None = None) -> Any:
        return calendar_service(self.authed_http(credentials), self.google_root)

    @property
    def batch_uri(self) -> str:
        return calendar_batch_uri(self.google_root)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))


@pytest.fixture(params=["inprocess", "loopback"])
def env(request: pytest.FixtureRequest, clock: Clock) -> Iterator[Env]:
    sandbox = Sandbox(clock=clock)
    if request.param == "inprocess":
        yield Env(
            sandbox,
            clock,
            "https://api.todoist.com/api/v1",
            "https://www.googleapis.com/",
            HttpxTransport(sandbox.wire),
            sandbox.httplib2(),
        )
        return
    server = SandboxServer(sandbox)
    server.start()
    http = GoogleHttp()  # as `connectors.gcal.connect` builds it
    try:
        yield Env(sandbox, clock, server.todoist_url, server.google_root, None, http)
    finally:
        for connection in list(http.connections.values()):
            connection.close()  # httplib2 keeps sockets open; close them before the server goes
        server.shutdown()
        server.server_close()
