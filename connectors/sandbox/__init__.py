"""The sandbox: local emulators of the Todoist API v1 and Google Calendar API v3.

The real SDKs talk to it either in-process (`Sandbox.httpx_client()`, `Sandbox.httplib2()`) or
over loopback HTTP (`careersync sandbox serve`, see `server.py`). It is product code: `careersync
demo` runs on it, and every connector test holds the real SDKs against it. Known deviations from
the real services are listed in the docstrings of `todoist.py` and `gcal.py`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from connectors.sandbox.gcal import CalendarEmulator
from connectors.sandbox.todoist import TodoistEmulator
from connectors.sandbox.transport import Httplib2Http, HttpxTransport
from connectors.sandbox.wire import Faults, Wire

__all__ = ["TODOIST_TOKEN", "Faults", "Sandbox"]

TODOIST_TOKEN = "sandbox-todoist-token"
GOOGLE_CLIENT = {
    "client_id": "sandbox-client.apps.googleusercontent.com",
    "client_secret": "sandbox-client-secret",
    "refresh_token": "sandbox-refresh-token",
}


class Sandbox:
    """Both emulators behind one wire, with a shared, injectable clock."""

    def __init__(self, clock: Callable[[], datetime] | None = None, latency: float = 0.0) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.todoist = TodoistEmulator(clock=self.clock, token=TODOIST_TOKEN)
        self.google = CalendarEmulator(
            clock=self.clock,
            client_id=GOOGLE_CLIENT["client_id"],
            client_secret=GOOGLE_CLIENT["client_secret"],
            refresh_token=GOOGLE_CLIENT["refresh_token"],
        )
        self.wire = Wire([self.todoist, self.google], latency)
        self.google.part_fault = lambda: self.wire.part_fault("google")

    # In-process clients -------------------------------------------------------------------
    def httpx_client(self) -> httpx.Client:
        return httpx.Client(transport=HttpxTransport(self.wire))

    def httplib2(self) -> Httplib2Http:
        return Httplib2Http(self.wire)

    def google_credentials_info(self, token_uri: str) -> dict[str, str]:
        """Authorized-user info that google-auth loads and refreshes against the sandbox."""
        return {**GOOGLE_CLIENT, "token_uri": token_uri, "type": "authorized_user"}

    # Persistence ------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_suffix(".tmp")
        state = {"todoist": self.todoist.to_dict(), "google": self.google.to_dict()}
        tmp.touch(mode=0o600)
        tmp.chmod(0o600)
        tmp.write_text(json.dumps(state))
        os.replace(tmp, path)

    def load(self, path: Path) -> None:
        if path.exists():
            state = json.loads(path.read_text())
            self.todoist.load_dict(state["todoist"])
            self.google.load_dict(state["google"])
