"""The Calendar emulator where checking it against Google found it unfaithful (issue 16).

The real google-api-python-client against the emulator, in-process and over loopback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from connectors.sandbox.gcal import CalendarEmulator
from tests.sandbox.conftest import Env
from tests.sandbox.test_gcal_contract import SCOPE, at, failure, service, timed

APP_CREATED = SCOPE + "calendar.app.created"
NARROW = [APP_CREATED, SCOPE + "calendar.freebusy", SCOPE + "calendar.calendarlist.readonly"]


@pytest.fixture(autouse=True)
def _close_sockets(env: Env) -> Iterator[None]:
    yield
    for connection in list(getattr(env.google_http, "connections", {}).values()):
        connection.close()


def error_body(exc: pytest.ExceptionInfo[HttpError]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(exc.value.content)["error"]
    return body


# calendar.app.created reaches only the calendars the app made -------------------------------


def test_app_created_scope_reaches_only_calendars_the_app_made(env: Env) -> None:
    svc = service(env, NARROW)
    made = svc.calendars().insert(body={"summary": "Career plan"}).execute()
    events = svc.events()
    ours = events.insert(calendarId=made["id"], body=timed(at(3, 9))).execute()
    assert events.get(calendarId=made["id"], eventId=ours["id"]).execute()["id"] == ours["id"]
    assert svc.calendars().get(calendarId=made["id"]).execute()["summary"] == "Career plan"

    users = env.sandbox.google.add_calendar("My own")  # made by the user in the UI
    busy = env.sandbox.google.add_busy(at(3, 10), at(3, 11))
    refused = [
        events.list(calendarId="primary"),
        events.insert(calendarId="primary", body=timed(at(3, 9))),
        events.get(calendarId="primary", eventId=busy),
        events.delete(calendarId="primary", eventId=busy),
        events.list(calendarId=users),
        events.insert(calendarId=users, body=timed(at(3, 9))),
        svc.calendars().get(calendarId="primary"),
        svc.calendars().patch(calendarId=users, body={"summary": "taken"}),
        service(env, [APP_CREATED]).calendarList().get(calendarId=users),
    ]
    for request in refused:
        with pytest.raises(HttpError) as exc:
            request.execute()
        assert exc.value.status_code == 403
        body = error_body(exc)
        assert body["errors"][0] == {
            "domain": "global",
            "reason": "insufficientPermissions",
            "message": "Request had insufficient authentication scopes.",
        }
        assert body["status"] == "PERMISSION_DENIED"
    assert env.sandbox.google.events("primary")[0]["status"] == "confirmed"  # not deleted

    # calendarList needs calendarlist(.readonly); freeBusy needs freebusy or a read scope
    listed = svc.calendarList().list().execute()["items"]
    assert {e["id"] for e in listed} >= {made["id"], users}
    day = {"timeMin": "2026-12-03T00:00:00Z", "timeMax": "2026-12-04T00:00:00Z"}
    answer = svc.freebusy().query(body={**day, "items": [{"id": "primary"}]}).execute()
    assert answer["calendars"]["primary"]["busy"]
    app_only = service(env, [APP_CREATED])
    assert failure(app_only.calendarList().list()) == (403, "insufficientPermissions")
    assert failure(app_only.freebusy().query(body=day)) == (403, "insufficientPermissions")


def test_broader_scopes_reach_every_calendar(env: Env) -> None:
    svc = service(env, [*NARROW, SCOPE + "calendar.events"])
    made = svc.events().insert(calendarId="primary", body=timed(at(3, 9))).execute()
    assert made["status"] == "confirmed"
    svc_all = service(env, [SCOPE + "calendar"])
    assert svc_all.calendars().get(calendarId="primary").execute()["id"]


def test_who_made_a_calendar_survives_save_and_load(env: Env) -> None:
    svc = service(env, NARROW)
    made = svc.calendars().insert(body={"summary": "Career plan"}).execute()
    google = env.sandbox.google
    copy = CalendarEmulator(google.clock, google.client_id, google.client_secret, "r")
    copy.load_dict(google.to_dict())
    assert copy.to_dict()["calendars"][1]["creator"] == google.client_id
    assert made["id"] == copy.calendars()[1]["id"]


# Type-confused input is a 400 answer, never a crash -------------------------------------------


def test_calendar_patch_with_a_null_time_zone_is_refused_and_harms_nothing(env: Env) -> None:
    svc = service(env)
    made = svc.calendars().insert(body={"summary": "Career plan"}).execute()
    for body in ({"timeZone": None}, {"timeZone": ["Europe/London"]}, {"timeZone": ""}):
        with pytest.raises(HttpError) as exc:
            svc.calendars().patch(calendarId=made["id"], body=body).execute()
        assert exc.value.status_code == 400
        assert error_body(exc)["errors"][0]["reason"] == "invalid"
    assert svc.calendars().get(calendarId=made["id"]).execute()["timeZone"] == "Europe/London"
    listed = svc.events().list(calendarId=made["id"]).execute()  # the calendar still works
    assert listed["timeZone"] == "Europe/London"
    env.sandbox.google.load_dict(env.sandbox.google.to_dict())


@pytest.mark.parametrize(
    "reminders",
    [{"useDefault": False, "overrides": [None]}, {"overrides": [None, {"method": "popup"}]}],
)
def test_null_reminder_overrides_are_refused(env: Env, reminders: dict[str, Any]) -> None:
    events = service(env).events()
    body = timed(at(3, 9), reminders=reminders)
    status, reason = failure(events.insert(calendarId="primary", body=body))
    assert (status, reason) == (400, "invalid")
    made = events.insert(calendarId="primary", body=timed(at(3, 9))).execute()
    patch = events.patch(calendarId="primary", eventId=made["id"], body={"reminders": reminders})
    assert failure(patch) == (400, "invalid")


@pytest.mark.parametrize("items", [[None], [{"id": "primary"}, None]])
def test_freebusy_with_null_items_is_refused(env: Env, items: list[Any]) -> None:
    day = {"timeMin": "2026-12-03T00:00:00Z", "timeMax": "2026-12-04T00:00:00Z"}
    query = service(env).freebusy().query(body={**day, "items": items})
    assert failure(query) == (400, "invalid")


def test_freebusy_over_a_day_still_answers(env: Env) -> None:
    env.sandbox.google.add_busy(at(3, 10), at(3, 10) + timedelta(hours=1))
    day = {"timeMin": "2026-12-03T00:00:00Z", "timeMax": "2026-12-04T00:00:00Z"}
    answer = service(env).freebusy().query(body={**day, "items": [{"id": "primary"}]}).execute()
    assert len(answer["calendars"]["primary"]["busy"]) == 1


# Faults on single calls: batch parts and per-user usage limits --------------------------------


def _batch_inserts(env: Env, svc: Any, n: int) -> dict[str, tuple[Any, Any]]:
    from googleapiclient.http import BatchHttpRequest

    results: dict[str, tuple[Any, Any]] = {}
    batch = BatchHttpRequest(
        callback=lambda rid, resp, exc: results.__setitem__(rid, (resp, exc)),
        batch_uri=env.batch_uri,
    )
    events = svc.events()
    for i in range(n):
        body = timed(at(3, 8 + i), id=f"part{i:05d}")
        batch.add(events.insert(calendarId="primary", body=body), request_id=str(i))
    batch.execute()
    return results


def test_single_parts_of_a_batch_fail_inside_a_200(env: Env) -> None:
    from connectors.sandbox.wire import Faults

    svc = service(env)
    svc.colors().get().execute()  # signed in (a batch refreshes through a plain httplib2.Http)
    kinds = {2: "rateLimitExceeded", 3: "backendError", 4: "backendErrorApplied", 5: "unavailable"}
    env.sandbox.wire.reset(Faults(batch_parts=kinds))
    results = _batch_inserts(env, svc, 6)
    assert [e.status for e in env.sandbox.wire.log if "batch" in e.path] == [200]
    statuses = {rid: (exc.status_code if exc else 200) for rid, (_, exc) in results.items()}
    assert statuses == {"0": 200, "1": 403, "2": 500, "3": 500, "4": 503, "5": 200}
    reason = json.loads(results["1"][1].content)["error"]["errors"][0]
    assert (reason["domain"], reason["reason"]) == ("usageLimits", "rateLimitExceeded")
    stored = {e["id"] for e in env.sandbox.google.events("primary")}
    assert stored == {"part00000", "part00003", "part00005"}  # the applied 500 took effect


def test_per_user_rate_limit_counts_every_part(env: Env) -> None:
    google = env.sandbox.google
    svc = service(env)
    svc.colors().get().execute()  # signed in (a batch refreshes through a plain httplib2.Http)
    google.limits.per_minute = 4
    results = _batch_inserts(env, svc, 6)
    failed = sorted(rid for rid, (_, exc) in results.items() if exc is not None)
    assert failed == ["4", "5"]
    error = json.loads(results["4"][1].content)["error"]["errors"][0]
    assert (error["domain"], error["reason"]) == ("usageLimits", "rateLimitExceeded")
    env.clock.advance(minutes=1)
    google.limits.status = 429
    assert len(_batch_inserts(env, svc, 1)) == 1  # a new minute: room again
    google.limits.per_minute = 0
    assert failure(svc.events().list(calendarId="primary")) == (429, "rateLimitExceeded")


def test_quota_exceeded_makes_the_calendar_read_only_for_a_while(env: Env) -> None:
    google = env.sandbox.google
    svc = service(env)
    google.limits.read_only_until = env.clock.now + timedelta(hours=3)
    status, reason = failure(svc.events().insert(calendarId="primary", body=timed(at(3, 9))))
    assert (status, reason) == (403, "quotaExceeded")
    assert svc.events().list(calendarId="primary").execute()["items"] == []  # reads still work
    env.clock.advance(hours=3)
    assert svc.events().insert(calendarId="primary", body=timed(at(3, 9))).execute()["id"]


# Cancelled events: only an id in incremental lists, gone from full lists when old ------------


def test_incremental_lists_give_cancelled_events_as_little_more_than_an_id(env: Env) -> None:
    svc = service(env)
    events = svc.events()
    made = events.insert(calendarId="primary", body=timed(at(3, 9), summary="x")).execute()
    token = events.list(calendarId="primary").execute()["nextSyncToken"]
    events.delete(calendarId="primary", eventId=made["id"]).execute()
    changed = events.list(calendarId="primary", syncToken=token).execute()["items"]
    assert changed == [
        {
            "kind": "calendar#event",
            "etag": changed[0]["etag"],
            "id": made["id"],
            "status": "cancelled",
        }
    ]
    full = events.get(calendarId="primary", eventId=made["id"]).execute()
    assert (full["status"], full["summary"]) == ("cancelled", "x")  # get keeps the details


def test_old_cancellations_leave_full_lists_but_keep_their_ids(env: Env) -> None:
    svc = service(env)
    events = svc.events()
    old = events.insert(calendarId="primary", body=timed(at(3, 9))).execute()
    events.delete(calendarId="primary", eventId=old["id"]).execute()
    env.clock.advance(days=31)
    recent = events.insert(calendarId="primary", body=timed(at(3, 10))).execute()
    events.delete(calendarId="primary", eventId=recent["id"]).execute()
    listed = events.list(calendarId="primary", showDeleted=True).execute()["items"]
    assert [e["id"] for e in listed] == [recent["id"]]
    assert listed[0]["start"]  # a full list shows a recent cancellation whole
    assert events.get(calendarId="primary", eventId=old["id"]).execute()["status"] == "cancelled"
    again = events.insert(calendarId="primary", body=timed(at(3, 9), id=old["id"]))
    assert failure(again) == (409, "duplicate")
