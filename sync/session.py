"""The shell around the engine: settings and secrets in, connectors out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import httpx

from connectors.clients import todoist_http
from connectors.gcal import CalendarConnector, CredentialCache, connect
from connectors.retry import RetryPolicy
from connectors.todoist import TodoistConnector
from sync.plan import Plan
from sync.secrets import SecretStore
from sync.settings import Settings
from sync.state import StateStore


@dataclass
class Session:
    store: StateStore
    todoist: TodoistConnector | None
    calendar: CalendarConnector | None


@contextmanager
def open_session(
    settings: Settings,
    plan: Plan,
    *,
    todoist_transport: httpx.BaseTransport | None = None,
    google_http: Any | None = None,
    policy: RetryPolicy | None = None,
    credentials: CredentialCache | None = None,
    dry_run: bool = False,
) -> Iterator[Session]:
    """Connectors for the enabled services, sharing one state store; closed on exit.

    A dry run with no state yet works on an empty store in memory, so it writes no file; a dry
    run reads the state as one snapshot, so a sync running meanwhile cannot show it half-written.
    """
    secrets = SecretStore(settings)
    fresh = dry_run and not settings.state_db.exists()
    store = StateStore(None if fresh else settings.state_db)
    client = None
    calendar = None
    try:
        todoist = None
        if settings.todoist_enabled:
            token = secrets.require("todoist")
            client = todoist_http(settings.todoist_api_url, todoist_transport)
            todoist = TodoistConnector(client, token, store, plan, policy=policy)
        if settings.google_enabled:
            calendar = connect(
                _with_other_plans(settings, store, plan),
                secrets,
                store,
                plan,
                http=google_http,
                policy=policy,
                cache=credentials,
            )
        with store.snapshot() if dry_run else nullcontext():
            yield Session(store, todoist, calendar)
    finally:
        if client is not None:
            client.close()
        if calendar is not None and google_http is None:
            calendar.http.close()  # the connections the session opened
        store.close()


def _with_other_plans(settings: Settings, store: StateStore, plan: Plan) -> Settings:
    """The settings with the calendars of the other plans synced from this machine added to
    the busy calendars, so two plans never double-book each other."""
    others = [
        c for p, c in sorted(store.cursors_named("google", "calendar_id").items()) if p != plan.id
    ]
    extra = [c for c in others if c not in settings.busy_calendars]
    if not extra:
        return settings
    return settings.model_copy(update={"busy_calendars": [*settings.busy_calendars, *extra]})
