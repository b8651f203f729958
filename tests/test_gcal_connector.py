"""End to end: the plan in Google Calendar through the real google-api-python-client and the sandbox.

Each scenario runs in-process and over loopback HTTP (the `env` fixture of tests/sandbox). The
connector gathers, the engine (blocks, planner, decide) decides, the connector applies; the
user's moves and deletions are made with the emulator's user helpers.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
import webbrowser
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httplib2
import keyring
import pytest
import typer
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError
from pydantic import SecretStr
from typer.testing import CliRunner

from connectors.gcal import (
    SCOPES,
    Applied,
    CalendarConnector,
    connect,
    map_error,
)
from connectors.gcal_map import event_id, to_remote
from connectors.retry import RetryPolicy
from connectors.sandbox import GOOGLE_CLIENT, Sandbox
from connectors.sandbox.server import SandboxServer
from connectors.sandbox.wire import Faults
from sync.blocks import block_key, parse_block_key
from sync.calendar_layout import calendar_items
from sync.cli import auth_google
from sync.cli.common import AppState
from sync.engine import CalendarDecision, decide_calendar, remember_moves
from sync.errors import (
    AuthError,
    RateLimited,
    RemoteError,
    SafetyError,
    TransientError,
    UserError,
)
from sync.model import Create, Delete, Update, is_write
from sync.plan import Action, Milestone, Plan, Recurrence, Schedule, Vision, Window
from sync.planner import Block
from sync.secrets import SecretStore
from sync.settings import Settings
from sync.state import StateStore
from tests.keyring_backend import FileKeyring
from tests.sandbox import conftest as sandbox_fixtures
from tests.sandbox.conftest import Env

env, clock = sandbox_fixtures.env, sandbox_fixtures.clock  # the sandbox's fixtures, here too

LONDON = ZoneInfo("Europe/London")
H = timedelta(hours=1)
ID = re.compile(r"^[a-v0-9]{5,1024}$")


def make_plan() -> Plan:
    cert = Milestone(
        id="cert",
        title="Get certified",
        due=date(2027, 1, 29),
        notes="Pass the exam.",
        actions=(
            Action(id="study", title="Study the syllabus", effort=3 * H, due=date(2027, 1, 29)),
            Action(
                id="exam", title="Book the exam", effort=H, due=date(2027, 1, 29), after=("study",)
            ),
            Action(
                id="review",
                title="Weekly review",
                effort=H / 2,
                due=date(2027, 1, 29),
                recurrence=Recurrence(every="week"),
            ),
        ),
    )
    talk = Milestone(
        id="talk",
        title="Give a talk",
        due=date(2027, 3, 26),
        actions=(
            Action(
                id="draft",
                title="Draft the talk",
                effort=2 * H,
                start=date(2027, 2, 1),
                due=date(2027, 3, 26),
                notes="Ten minutes.",
            ),
        ),
    )
    return Plan(
        id="career",
        title="Test plan",
        timezone="Europe/London",
        start=date(2026, 12, 1),
        end=date(2027, 3, 31),
        vision=Vision(where="Leading a team"),
        milestones=(cert, talk),
    )


class Harness:
    """One user's machine: settings, credentials, a state DB; `sync()` is one careersync run."""

    def __init__(self, env: Env, home: Path, plan: Plan | None = None, **settings: Any) -> None:
        self.env, self.home, self.plan = env, home, plan or make_plan()
        info = env.sandbox.google_credentials_info(env.google_root + "token")
        self.settings = Settings(
            home=home,
            timezone="UTC",
            google_api_root=env.google_root,
            google_token_uri=env.google_root + "token",
            google_credentials=SecretStr(json.dumps(info)),
            **settings,
        )
        self.store = StateStore(self.settings.state_db)
        self.policy = RetryPolicy(sleep=lambda s: None)

    def connector(self) -> CalendarConnector:
        return connect(
            self.settings,
            SecretStore(self.settings),
            self.store,
            self.plan,
            http=self.env.google_http,
            policy=self.policy,
        )

    def sync(
        self, done: Iterable[str] = (), texts: dict[str, str] | None = None
    ) -> tuple[CalendarDecision, Applied]:
        """One run; the wire log is reset first so counts are this run's."""
        self.env.sandbox.wire.reset()
        connector = self.connector()
        decision = decide_calendar(
            self.plan, self.store, connector, self.env.clock.now, done=set(done), texts=texts
        )
        applied = connector.apply(decision.actions)
        remember_moves(self.plan, self.store, decision)
        assert applied.errors == []
        assert self.store.check(self.plan.id) == []
        return decision, applied

    def decide(self, connector: CalendarConnector, **options: Any) -> CalendarDecision:
        return decide_calendar(self.plan, self.store, connector, self.env.clock.now, **options)

    def lose_state(self) -> None:
        self.store.close()
        self.settings.state_db.unlink()
        self.store = StateStore(self.settings.state_db)

    @property
    def calendar_id(self) -> str:
        cid = self.store.cursor(self.plan.id, "google", "calendar_id")
        assert cid is not None
        return cid

    def events(self, *, cancelled: bool = False) -> list[dict[str, Any]]:
        return self.env.sandbox.google.events(self.calendar_id, include_cancelled=cancelled)

    def blocks(self, action_id: str | None = None) -> list[dict[str, Any]]:
        """Live block events, by start."""
        found = [e for e in self.events() if _key(e).startswith("block:")]
        found = [e for e in found if action_id in (None, _key(e).split(":")[1])]
        return sorted(found, key=lambda e: _start(e))

    def event(self, key: str) -> dict[str, Any]:
        eid = event_id(self.plan.id, key)
        return next(e for e in self.events(cancelled=True) if e["id"] == eid)

    def api(self) -> Counter[str]:
        """Calendar API reads and writes this run (OAuth token refreshes left out)."""
        log = [e for e in self.env.sandbox.wire.log if e.service == "google"]
        counts = Counter(reads=0, writes=0)
        counts.update("writes" if e.is_write else "reads" for e in log if e.path != "/token")
        return counts

    def paths(self) -> list[str]:
        return [e.path for e in self.env.sandbox.wire.log if e.path != "/token"]


def _key(event: dict[str, Any]) -> str:
    return str(event.get("extendedProperties", {}).get("private", {}).get("careersync_key", ""))


def _start(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["start"]["dateTime"])


def _end(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["end"]["dateTime"])


def _overlaps(event: dict[str, Any], start: datetime, end: datetime) -> bool:
    return _start(event) < end and start < _end(event)


def _writes(actions: Iterable[Any]) -> Counter[str]:
    return Counter(type(a).__name__ for a in actions if isinstance(a, Create | Update | Delete))


@pytest.fixture
def world(env: Env, tmp_path: Path) -> Harness:
    return Harness(env, tmp_path)


# -- first sync, second sync -----------------------------------------------------------------


def test_first_sync_creates_calendar_milestones_and_blocks_then_nothing(world: Harness) -> None:
    wed = datetime(2026, 12, 2, 7, 0, tzinfo=LONDON)  # the first window after now
    busy_id = world.env.sandbox.google.add_busy(wed, wed + 1.5 * H, "Dentist")

    decision, applied = world.sync()

    cal = next(c for c in world.env.sandbox.google.calendars() if c["id"] == world.calendar_id)
    assert cal["summary"] == "Career plan: Test plan"
    assert cal["timeZone"] == "Europe/London"
    assert "Where: Leading a team" in cal["description"]
    events = world.events()
    assert applied.writes == len(events) + 1 == _writes(decision.actions)["Create"]
    milestone = world.event("milestone:cert")
    assert milestone["summary"] == "Milestone: Get certified"
    assert milestone["start"] == {"date": "2027-01-29"}
    assert milestone["end"] == {"date": "2027-01-30"}
    assert milestone["transparency"] == "transparent"
    assert milestone["description"] == "Pass the exam."
    for event in events:
        assert ID.match(event["id"])
        assert event["id"] == event_id("career", _key(event))
        assert event["extendedProperties"]["private"]["careersync_plan"] == "career"
    study = world.blocks("study")
    assert sum((_end(e) - _start(e) for e in study), timedelta()) == 3 * H
    assert study[0]["summary"] == "Study the syllabus"
    assert study[0]["description"] == "Milestone: Get certified"
    assert world.event("block:draft:0")["description"] == "Milestone: Give a talk\n\nTen minutes."
    assert not any(_overlaps(e, wed, wed + 1.5 * H) for e in world.blocks())  # the dentist
    assert world.env.sandbox.google.events("primary")[0]["id"] == busy_id  # untouched
    assert decision.due["study"] == _start(study[0]).astimezone(LONDON).date()
    assert decision.due["draft"] >= date(2027, 2, 1)
    assert decision.risks == ()
    assert world.paths().count("/batch/calendar/v3") == 1

    again, second = world.sync()
    assert again.actions == []
    assert second.writes == 0
    assert world.api() == {"reads": 2, "writes": 0}  # events.list and fresh busy time
    assert world.env.sandbox.wire.counts("google")["writes"] <= 1  # at most the token refresh

    third, _ = world.sync()
    assert third.actions == []
    assert world.api() == {"reads": 2, "writes": 0}  # an incremental events.list, busy time


def test_a_dry_run_writes_nothing_remote_or_local(world: Harness) -> None:
    world.env.sandbox.wire.reset()
    decision = world.decide(world.connector(), dry_run=True)
    assert _writes(decision.actions)["Create"] > 3
    assert world.env.sandbox.wire.counts("google")["writes"] == 0
    assert world.store.cursor("career", "google", "calendar_id") is None
    world.sync()
    world.lose_state()
    world.decide(world.connector(), dry_run=True)
    assert world.store.cursor("career", "google", "calendar_id") is None  # found, not stored
    assert world.store.mirror("career", "google") == {}


def test_progress_text_is_written_to_the_milestone_event_only(world: Harness) -> None:
    world.sync()
    decision, applied = world.sync(texts={"cert": "1 of 3 actions done."})
    assert [(type(a).__name__, a.key) for a in decision.actions] == [("Update", "milestone:cert")]
    update = decision.actions[0]
    assert isinstance(update, Update)
    assert set(update.changes) == {"description"}
    assert world.event("milestone:cert")["description"] == "Pass the exam.\n\n1 of 3 actions done."
    assert applied.writes == 1
    assert world.sync(texts={"cert": "1 of 3 actions done."})[0].actions == []


def test_an_edited_plan_patches_only_the_changed_fields(world: Harness) -> None:
    world.sync()
    world.plan = world.plan.model_copy(update={"title": "Renamed"})
    decision, _ = world.sync()
    assert [(type(a).__name__, a.key) for a in decision.actions] == [("Update", "calendar")]
    cal = next(c for c in world.env.sandbox.google.calendars() if c["id"] == world.calendar_id)
    assert cal["summary"] == "Career plan: Renamed"
    assert world.sync()[0].actions == []


# -- what the user does in the calendar ------------------------------------------------------


def test_a_moved_block_is_kept_where_the_user_put_it(world: Harness) -> None:
    world.sync()
    first = world.blocks("study")[0]
    key = _key(first)
    sunday = datetime(2026, 12, 13, 15, 0, tzinfo=LONDON)
    length = _end(first) - _start(first)
    world.env.sandbox.google.user_move_event(
        world.calendar_id, first["id"], sunday, sunday + length
    )

    decision, applied = world.sync()
    # only the order moves: 'exam' comes after 'study', whose block is now on Sunday
    assert [a.key for a in decision.actions if is_write(a)] == ["block:exam:0", "block:exam:1"]
    assert applied.writes == 2
    assert all(_start(e) >= sunday + length for e in world.blocks("exam"))
    moved = world.event(key)
    assert _start(moved) == sunday
    synced = world.store.records("career", "google")[key].synced
    assert datetime.fromisoformat(synced["start"]["dateTime"]) == sunday
    assert world.sync()[0].actions == []


def test_a_deleted_block_is_not_recreated_in_place(world: Harness) -> None:
    world.sync()
    gone = world.blocks("study")[0]
    span = (_start(gone), _end(gone))
    world.env.sandbox.google.user_delete_event(world.calendar_id, gone["id"])

    used = max(parse_block_key(_key(e))[1] for e in world.blocks("study"))  # type: ignore[index]
    decision, _ = world.sync()
    creates = [parse_block_key(a.key) for a in decision.actions if isinstance(a, Create)]
    assert creates
    assert all(c is not None and c[0] == "study" and c[1] > used for c in creates)
    assert world.event(_key(gone))["status"] == "cancelled"
    assert _key(gone) not in world.store.records("career", "google")  # forgotten, not recreated
    study = world.blocks("study")
    assert sum((_end(e) - _start(e) for e in study), timedelta()) == 3 * H
    assert not any(_overlaps(e, *span) for e in world.blocks())
    assert world.sync()[0].actions == []


def test_future_blocks_of_a_completed_action_are_removed(world: Harness) -> None:
    world.sync()
    study_keys = {_key(e) for e in world.blocks("study")}
    decision, applied = world.sync(done={"study"})
    assert {a.key for a in decision.actions if isinstance(a, Delete)} == study_keys
    assert applied.writes == len(study_keys)
    assert world.blocks("study") == []
    assert all(world.event(k)["status"] == "cancelled" for k in study_keys)
    assert not study_keys & set(world.store.records("career", "google"))
    assert world.sync(done={"study"})[0].actions == []


def test_a_missed_block_is_replanned_and_kept_as_history(world: Harness) -> None:
    world.sync()
    first = world.blocks("study")[0]
    world.env.clock.now = _end(first) + H  # it passed and the action is not done

    decision, _ = world.sync()
    new = [a for a in decision.actions if isinstance(a, Create)]
    assert new
    assert {parse_block_key(a.key)[0] for a in new} == {"study"}  # type: ignore[index]
    assert world.event(_key(first))["status"] == "confirmed"  # history stays
    future = [e for e in world.blocks("study") if _start(e) > world.env.clock.now]
    assert sum((_end(e) - _start(e) for e in future), timedelta()) == 3 * H
    assert world.sync()[0].actions == []


# -- never twice -----------------------------------------------------------------------------


def test_a_lost_state_db_relinks_everything_without_duplicates(world: Harness) -> None:
    world.sync()
    before = sorted(e["id"] for e in world.events())
    calendars = len(world.env.sandbox.google.calendars())
    world.lose_state()

    decision, applied = world.sync()
    assert {type(a).__name__ for a in decision.actions} == {"Link"}
    assert applied.writes == 0
    assert world.api()["writes"] == 0
    assert len(world.env.sandbox.google.calendars()) == calendars
    assert sorted(e["id"] for e in world.events()) == before
    assert world.sync()[0].actions == []


def test_a_lost_state_db_keeps_past_blocks_as_history(world: Harness) -> None:
    world.sync()
    first = world.blocks("study")[0]
    world.env.clock.now = _end(first) + H
    world.lose_state()
    decision, _ = world.sync(done={"study"})
    assert _key(first) not in {a.key for a in decision.actions if isinstance(a, Delete)}
    assert world.event(_key(first))["status"] == "confirmed"
    assert [e["id"] for e in world.blocks("study")] == [first["id"]]  # only the future ones went
    assert world.sync(done={"study"})[0].actions == []


def test_a_lost_batch_answer_is_resent_and_relinked(world: Harness) -> None:
    # writes: 1 calendars.insert, 2 the batch (applied, its answer lost)
    world.env.sandbox.wire.reset(Faults(drop_after_write={2}, service="google"))
    connector = world.connector()
    decision = world.decide(connector)
    applied = connector.apply(decision.actions)
    log = world.env.sandbox.wire.log
    assert next(e.status for e in log if e.path.startswith("/batch")) == 0  # dropped
    assert applied.errors == []
    creates = [a for a in decision.actions if isinstance(a, Create) and a.key != "calendar"]
    assert len(world.events()) == len(creates)  # each once
    assert set(world.store.records("career", "google")) == {a.key for a in decision.actions}
    assert world.sync()[0].actions == []


def test_creating_an_existing_event_relinks_it(world: Harness) -> None:
    world.sync()
    key = _key(world.blocks("study")[0])
    deleted = _key(world.blocks("exam")[0])
    world.env.sandbox.google.user_delete_event(world.calendar_id, world.event(deleted)["id"])
    world.lose_state()
    connector = world.connector()
    connector.gather()
    blocks = [_block(world.event(k)) for k in (key, deleted)]
    items = [i for i in calendar_items(world.plan, blocks) if i.key in (key, deleted)]
    items[0] = replace(items[0], fields={**items[0].fields, "summary": "New title"})
    world.env.sandbox.wire.reset()

    applied = connector.apply([Create(i) for i in items])
    assert applied.errors == []
    records = world.store.records("career", "google")
    assert records[key].remote_id == event_id("career", key)
    assert records[key].status == "active"
    assert records[deleted].status == "dismissed"  # the user deleted it: not undeleted
    assert world.event(key)["summary"] == "New title"  # the 409, a get, a patch
    assert world.event(deleted)["status"] == "cancelled"
    assert len(world.blocks("study")) == len({_key(e) for e in world.blocks("study")})


def _block(event: dict[str, Any]) -> Block:
    action_id, index = parse_block_key(_key(event))  # type: ignore[misc]
    return Block(action_id, index, _start(event), _end(event))


# -- failures --------------------------------------------------------------------------------


def test_a_revoked_refresh_token_is_a_clear_auth_error(world: Harness) -> None:
    world.sync()
    world.env.sandbox.google.revoke_refresh_token()
    world.env.sandbox.google.expire_access_tokens()
    with pytest.raises(AuthError) as caught:
        world.sync()
    assert "Google sign-in expired or was revoked" in caught.value.message
    assert caught.value.fix is not None
    assert "careersync auth google" in caught.value.fix
    assert "7 days" in caught.value.fix


def test_an_expired_sync_token_recovers_with_a_full_read(world: Harness) -> None:
    world.sync()
    world.sync()  # stores a sync token
    world.env.sandbox.google.expire_sync_tokens()
    decision, _ = world.sync()
    assert decision.actions == []
    lists = [e for e in world.env.sandbox.wire.log if e.path.endswith("/events")]
    assert [e.status for e in lists] == [410, 200]
    assert world.sync()[0].actions == []
    assert world.api() == {"reads": 2, "writes": 0}


def test_a_deleted_calendar_is_respected(world: Harness) -> None:
    world.sync()
    world.connector().service.calendars().delete(calendarId=world.calendar_id).execute()
    with pytest.raises(SafetyError):  # everything vanished: refused unless asked for
        world.sync()
    connector = world.connector()
    decision = world.decide(connector, allow_mass_delete=True)
    assert not [a for a in decision.actions if is_write(a)]
    connector.apply(decision.actions)
    assert world.store.records("career", "google")["calendar"].status == "dismissed"
    decision, _ = world.sync()
    assert decision.actions == []
    assert world.env.sandbox.wire.counts("google")["writes"] == 0
    assert len(world.env.sandbox.google.calendars()) == 1  # not made again


def test_a_named_calendar_that_does_not_exist_is_a_clear_error(env: Env, tmp_path: Path) -> None:
    world = Harness(env, tmp_path, calendar_id="nope@group.calendar.google.com")
    with pytest.raises(RemoteError, match="does not exist") as caught:
        world.sync()
    assert caught.value.fix == "check the calendar_id setting"


def test_server_errors_are_retried(world: Harness) -> None:
    world.env.sandbox.wire.reset(Faults(fail_at={2: 503, 4: 500}, service="google"))
    connector = world.connector()
    applied = connector.apply(world.decide(connector).actions)
    assert applied.errors == []
    assert world.policy.retries == 2
    assert world.sync()[0].actions == []


def _http_error(status: int, reason: str = "", headers: dict[str, str] | None = None) -> HttpError:
    body = {"error": {"code": status, "message": "Message", "errors": [{"reason": reason}]}}
    resp = httplib2.Response({"status": str(status), **(headers or {})})
    return HttpError(resp, json.dumps(body).encode())


def test_sdk_errors_map_into_the_error_tree() -> None:
    assert isinstance(map_error(_http_error(401, "authError")), AuthError)
    assert isinstance(map_error(_http_error(403, "insufficientPermissions")), AuthError)
    limited = map_error(_http_error(429, "rateLimitExceeded", {"retry-after": "7"}))
    assert isinstance(limited, RateLimited)
    assert limited.retry_after == 7
    assert isinstance(map_error(_http_error(403, "userRateLimitExceeded")), RateLimited)
    quota = map_error(_http_error(403, "quotaExceeded"))
    assert isinstance(quota, RateLimited)
    assert quota.retry_after >= 3600
    assert isinstance(map_error(_http_error(503, "backendError")), TransientError)
    refused = map_error(_http_error(400, "invalid"))
    assert type(refused) is RemoteError
    assert refused.status == 400
    assert "invalid" in refused.message
    revoked = RefreshError("invalid_grant: Token has been expired or revoked.")  # type: ignore[no-untyped-call]
    grant = map_error(revoked)
    assert isinstance(grant, AuthError)
    assert isinstance(map_error(ConnectionResetError("reset")), TransientError)


# -- the user's own calendar, busy time, batches ---------------------------------------------


def test_a_calendar_the_user_named_is_used_and_its_other_events_untouched(
    env: Env, tmp_path: Path
) -> None:
    world = Harness(env, tmp_path, calendar_id="primary")
    mine = env.sandbox.google.add_busy(
        datetime(2026, 12, 5, 9, 0, tzinfo=LONDON), datetime(2026, 12, 5, 12, 0, tzinfo=LONDON)
    )
    decision, _ = world.sync()
    assert "calendar" not in {a.key for a in decision.actions}
    assert len(env.sandbox.google.calendars()) == 1  # none created
    events = env.sandbox.google.events("primary")
    ours = [e for e in events if _key(e)]
    assert ours
    assert next(e for e in events if e["id"] == mine)["summary"] == "Busy"
    saturday = datetime(2026, 12, 5, 9, 0, tzinfo=LONDON)
    assert not any(
        _overlaps(e, saturday, saturday + 3 * H) for e in ours if "dateTime" in e["start"]
    )
    assert world.sync()[0].actions == []


def test_busy_time_is_read_in_chunks_of_at_most_90_days(world: Harness) -> None:
    google = world.env.sandbox.google
    near = datetime(2026, 12, 10, 10, 0, tzinfo=LONDON)
    far = datetime(2027, 5, 10, 10, 0, tzinfo=LONDON)
    google.add_busy(near, near + H)
    google.add_busy(far, far + 2 * H)
    world.env.sandbox.wire.reset()
    spans = world.connector().busy(world.env.clock.now, world.env.clock.now + timedelta(days=200))
    assert [(s.start, s.end) for s in spans] == [(near, near + H), (far, far + 2 * H)]
    assert world.paths().count("/calendar/v3/freeBusy") == 3


def test_many_writes_go_in_batches_of_50(env: Env, tmp_path: Path) -> None:
    daily = Window(
        days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"), start=time(7), end=time(9)
    )
    plan = make_plan().model_copy(update={"schedule": Schedule(weekly_hours=14, windows=(daily,))})
    big = Action(id="big", title="Big", effort=120 * H, due=date(2027, 3, 26))
    talk = plan.milestones[1].model_copy(update={"actions": (*plan.milestones[1].actions, big)})
    plan = plan.model_copy(update={"milestones": (plan.milestones[0], talk)})
    world = Harness(env, tmp_path, plan)
    _, applied = world.sync()
    events = len(world.events())
    assert events > 60
    assert applied.writes == events + 1
    assert world.paths().count("/batch/calendar/v3") == -(-events // 50)
    assert world.sync()[0].actions == []


# -- the pure mapping ------------------------------------------------------------------------


def test_event_ids_are_deterministic_valid_and_distinct() -> None:
    ids = {event_id("career", k) for k in ("calendar", "milestone:a", "block:a:0", "block:a:1")}
    assert len(ids) == 4
    assert all(ID.match(i) for i in ids)
    assert event_id("career", "block:a:0") == event_id("career", "block:a:0")
    assert event_id("other", "block:a:0") not in ids


def test_remotes_are_recognised_only_for_their_plan_and_normalised() -> None:
    event = {
        "id": "abc12",
        "status": "cancelled",
        "summary": "S",
        "start": {"dateTime": "2027-03-29T06:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2027-03-29T07:00:00Z"},
        "extendedProperties": {"private": {"careersync_plan": "p", "careersync_key": "block:a:0"}},
    }
    mine = to_remote(event, "p", LONDON)
    assert mine.key == block_key("a", 0)
    assert mine.deleted
    assert mine.fields["description"] == ""
    assert mine.fields["start"] == {
        "dateTime": "2027-03-29T07:00:00+01:00",
        "timeZone": "Europe/London",
    }
    assert to_remote(event, "other", LONDON).key is None
    assert to_remote({"id": "x1234"}, "p").fields["start"] == {}


def test_items_skip_the_calendar_when_the_user_named_one() -> None:
    plan = make_plan()
    keys = [i.key for i in calendar_items(plan, [], own_calendar=False)]
    assert keys == ["milestone:cert", "milestone:talk"]


# -- careersync auth google ------------------------------------------------------------------


class _Browser:
    """Stands in for the user's browser: opens the consent URL, which the sandbox grants."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []

    def open(self, url: str, *args: Any, **kwargs: Any) -> bool:
        # the flow waits for the redirect only after open() returns: answer it from a thread
        thread = threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10).read())
        thread.start()
        self.threads.append(thread)
        return True


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    sandbox = Sandbox()
    running = SandboxServer(sandbox)
    running.start()
    yield running
    running.shutdown()
    running.server_close()


@pytest.fixture
def test_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("CAREERSYNC_TEST_KEYRING", str(path))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())  # type: ignore[no-untyped-call]
    yield path
    keyring.set_keyring(previous)


def _auth_app() -> typer.Typer:
    app = typer.Typer()
    app.command()(auth_google.google)
    return app


def test_auth_google_runs_the_consent_flow_and_stores_credentials(
    server: SandboxServer, tmp_path: Path, test_keyring: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = {
        "installed": {
            "client_id": GOOGLE_CLIENT["client_id"],
            "client_secret": GOOGLE_CLIENT["client_secret"],
            "auth_uri": server.google_root + "o/oauth2/auth",
            "token_uri": server.google_root + "token",
            "redirect_uris": ["http://localhost"],
        }
    }
    secrets_file = tmp_path / "client_secret.json"
    secrets_file.write_text(json.dumps(client))
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the sandbox's token endpoint is http
    browser = _Browser()
    monkeypatch.setattr(webbrowser, "get", lambda *a, **k: browser)
    settings = Settings(home=tmp_path, timezone="UTC")

    result = CliRunner().invoke(
        _auth_app(), ["--client-secrets", str(secrets_file)], obj=AppState(_settings=settings)
    )
    for thread in browser.threads:
        thread.join(10)
    assert result.exit_code == 0, result.output
    stored = json.loads(json.loads(test_keyring.read_text())["careersync/google"])
    assert stored["refresh_token"].startswith("1//sandbox-")
    assert set(stored["scopes"]) == set(SCOPES)
    assert "saved" in result.output


def test_auth_google_without_a_client_file_says_where_to_get_one(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, timezone="UTC")
    for args in ([], ["--client-secrets", str(tmp_path / "missing.json")]):
        result = CliRunner().invoke(_auth_app(), args, obj=AppState(_settings=settings))
        assert isinstance(result.exception, UserError)
        assert "Desktop app" in str(result.exception.fix)
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    result = CliRunner().invoke(
        _auth_app(), ["--client-secrets", str(bad)], obj=AppState(_settings=settings)
    )
    assert isinstance(result.exception, UserError)
    assert "not a Google OAuth client file" in result.exception.message
