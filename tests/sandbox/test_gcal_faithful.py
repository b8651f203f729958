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
