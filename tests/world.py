"""A test world: a plan file, a sandbox, a state home, and a settable clock.

`World.sync()` runs the real engine through the real connectors and SDKs, answered in-process
by the sandbox, exactly as `careersync sync` does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.retry import RetryPolicy
from connectors.sandbox import TODOIST_TOKEN, Sandbox
from connectors.sandbox.transport import HttpxTransport
from sync import engine
from sync.loader import parse_plan
from sync.model import Record
from sync.plan import Plan
from sync.session import open_session
from sync.settings import Settings
from sync.state import StateStore

REPO = Path(__file__).resolve().parent.parent
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # answered by the in-process sandbox
VISION = (REPO / "config" / "vision-plan.yaml").read_text()
SHORT_TERM = (REPO / "config" / "short-term-plan.yaml").read_text()


@dataclass
class World:
    home: Path
    text: str = VISION
    now: datetime = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    google: bool = False
    sandbox: Sandbox = field(init=False)

    def __post_init__(self) -> None:
        self.sandbox = Sandbox(clock=lambda: self.now)

    @property
    def plan(self) -> Plan:
        return parse_plan(
            self.text, self.home / "plan.yaml", today=date(2026, 12, 1), default_timezone="UTC"
        ).plan

    def edit(self, old: str, new: str) -> None:
        assert old in self.text, old
        self.text = self.text.replace(old, new, 1)

    def settings(self) -> Settings:
        return Settings(
            home=self.home,
            timezone="UTC",
            todoist_token=TODOIST_TOKEN,
            google_enabled=self.google,
            google_credentials=json.dumps(self.sandbox.google_credentials_info(GOOGLE_TOKEN_URI)),
        )

    def sync(self, **options: Any) -> engine.Outcome:
        """One sync; the wire log is reset first so counts are this run's."""
        self.sandbox.wire.reset(options.pop("faults", None))
        plan = self.plan
        policy = options.pop("policy", None) or RetryPolicy(sleep=lambda s: None)
        transport = options.pop("transport", None) or HttpxTransport(self.sandbox.wire)
        with open_session(
            self.settings(),
            plan,
            todoist_transport=transport,
            google_http=self.sandbox.httplib2(),
            policy=policy,
        ) as session:
            return engine.run(
                plan,
                session.store,
                self.now,
                todoist=session.todoist,
                calendar=session.calendar,
                **options,
            )

    def counts(self, service: str = "todoist") -> dict[str, int]:
        return dict(self.sandbox.wire.counts(service))

    def records(self, service: str = "todoist") -> dict[str, Record]:
        store = StateStore(self.home / "state.db")
        try:
            return store.records(self.plan.id, service)  # type: ignore[arg-type]
        finally:
            store.close()

    def project_id(self) -> str:
        return self.records()["project"].remote_id

    def tasks(self, *, include_completed: bool = False) -> list[dict[str, Any]]:
        return self.sandbox.todoist.tasks(self.project_id(), include_completed=include_completed)

    def task(self, key: str) -> dict[str, Any]:
        rid = self.records()[key].remote_id
        return next(t for t in self.tasks(include_completed=True) if t["id"] == rid)

    def later(self, **delta: float) -> None:
        self.now += timedelta(**delta)
