"""Contract tests: the real google-api-python-client and google-auth against the Calendar emulator.

Each test runs in-process and over loopback HTTP (the `env` fixture). Responses are checked
against the schemas of the discovery document the client ships.
"""

from __future__ import annotations

import gc
import json
import re
import warnings
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from connectors.sandbox.gcal import DISCOVERY_PATH, CalendarEmulator
from connectors.sandbox.transport import Httplib2Http
from connectors.sandbox.wire import Faults
from tests.sandbox.conftest import Env

TZ = "Europe/London"
SCOPE = "https://www.googleapis.com/auth/"

# A small schema checker --------------------------------------------------------------------

SCHEMAS: dict[str, Any] = json.loads(DISCOVERY_PATH.read_text())["schemas"]
REQUIRED = {
    "Event": {"kind", "etag", "id", "status", "htmlLink", "created", "updated", "start", "end",
              "creator", "organizer", "iCalUID", "sequence", "reminders", "eventType"},
    "Events": {"kind", "etag", "summary", "updated", "timeZone", "accessRole",
               "defaultReminders", "items"},
    "Calendar": {"kind", "etag", "id", "summary", "timeZone"},
    "CalendarListEntry": {"kind", "etag", "id", "summary", "timeZone", "accessRole", "colorId",
                          "backgroundColor", "foregroundColor"},
    "FreeBusyResponse": {"kind", "timeMin", "timeMax", "calendars"},
}  # fmt: skip
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def conforms(value: Any, schema: dict[str, Any], where: str = "$") -> None:
    """Every emitted field is in the schema, with its JSON type and format; required keys exist."""
    if "$ref" in schema:
        name = schema["$ref"]
        missing = REQUIRED.get(name, set()) - set(value)
        assert not missing, f"{where}: {name} lacks {missing}"
        schema = SCHEMAS[name]
    kind = schema.get("type")
    if kind == "object":
        assert isinstance(value, dict), where
        props, extra = schema.get("properties", {}), schema.get("additionalProperties")
        for key, item in value.items():
            assert key in props or extra is not None, f"{where}.{key} is not in the schema"
            conforms(item, props.get(key, extra), f"{where}.{key}")
    elif kind == "array":
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            conforms(item, schema["items"], f"{where}[{i}]")
    elif kind == "string":
        assert isinstance(value, str), where
        if schema.get("format") == "date-time":
            assert RFC3339.match(value), f"{where}: {value!r} is not RFC3339"
        elif schema.get("format") == "date":
            date.fromisoformat(value)
    elif kind == "integer":
        assert type(value) is int, where
    elif kind == "boolean":
        assert isinstance(value, bool), where


def conforms_to(value: Any, name: str) -> None:
    conforms(value, {"$ref": name})


# Helpers ------------------------------------------------------------------------------------
# (Tests bind `events = svc.events()` once: the client rebuilds a resource on every call.)


def service(env: Env, scopes: list[str] | None = None) -> Any:
    """A Calendar service whose credentials refresh at the sandbox, over either transport."""
    info = env.sandbox.google_credentials_info(env.google_root + "token")
    # built directly: from_authorized_user_info() would point token_uri at Google
    creds = Credentials(  # type: ignore[no-untyped-call]
        None,
        refresh_token=info["refresh_token"],
        token_uri=info["token_uri"],
        client_id=info["client_id"],
        client_secret=info["client_secret"],
        scopes=scopes,
    )
    return env.calendar(creds)


def timed(start: datetime, minutes: int = 60, **extra: Any) -> dict[str, Any]:
    end = start + timedelta(minutes=minutes)
    return {"start": {"dateTime": start.isoformat()}, "end": {"dateTime": end.isoformat()}, **extra}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in December 2026 (UTC, which is also London's winter time)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


def failure(request: Any) -> tuple[int, str]:
    """Execute a request that must fail; its status and first error reason."""
    with pytest.raises(HttpError) as exc:
        request.execute()
    details = exc.value.error_details
    return exc.value.status_code, details[0]["reason"] if isinstance(details, list) else ""


@pytest.fixture(autouse=True)
def _close_sockets(env: Env) -> Iterator[None]:
    yield
    env.google_http.close()  # loopback: httplib2 keeps connections open (ResourceWarning)


@pytest.fixture
def cal(env: Env) -> tuple[Any, str]:
    """A Calendar service and a new secondary calendar in Europe/London."""
    svc = service(env)
    created = svc.calendars().insert(body={"summary": "Career plan", "timeZone": TZ}).execute()
    return svc, created["id"]


# Calendars ----------------------------------------------------------------------------------


def test_calendar_insert_get_and_calendar_list(env: Env) -> None:
    svc = service(env)
    created = svc.calendars().insert(body={"summary": "Career plan: data lead"}).execute()
    conforms_to(created, "Calendar")
    assert re.fullmatch(r"c_[0-9a-f]{64}@group\.calendar\.google\.com", created["id"])
    assert created["timeZone"] == env.sandbox.google.time_zone
    assert svc.calendars().get(calendarId=created["id"]).execute() == created
    primary = svc.calendars().get(calendarId="primary").execute()
    assert primary["id"] == env.sandbox.google.user_email

    listing = svc.calendarList().list().execute()
    for entry in listing["items"]:
        conforms_to(entry, "CalendarListEntry")
    assert [e["id"] for e in listing["items"]] == [primary["id"], created["id"]]
    assert listing["items"][0]["primary"] is True
    assert svc.calendarList().get(calendarId=created["id"]).execute()["accessRole"] == "owner"

    assert failure(svc.calendars().insert(body={"description": "no title"})) == (400, "required")
    assert failure(svc.calendars().get(calendarId="x@group.calendar.google.com")) == (
        404,
        "notFound",
    )


# Insert and get -----------------------------------------------------------------------------


def test_insert_with_client_ids_fills_defaults(cal: tuple[Any, str]) -> None:
    svc, cid = cal
    events = svc.events()
    body = timed(at(2, 9), summary="Write the pitch", id="cp0123456789abcdefuv")
    body["extendedProperties"] = {"private": {"plan": "p1", "k" * 45: "x", "long": "v" * 1100}}
    ev = events.insert(calendarId=cid, body=body).execute()
    conforms_to(ev, "Event")
    assert ev["id"] == "cp0123456789abcdefuv"
    assert (ev["status"], ev["sequence"], ev["eventType"]) == ("confirmed", 0, "default")
    assert ev["reminders"] == {"useDefault": True}
    assert ev["iCalUID"] == "cp0123456789abcdefuv@google.com"
    assert re.fullmatch(r'"\d{16}"', ev["etag"])
    assert ev["created"] == ev["updated"] == "2026-12-01T09:00:00.000Z"
    assert ev["organizer"] == {"email": cid, "displayName": "Career plan", "self": True}
    assert ev["start"] == {"dateTime": "2026-12-02T09:00:00Z"}  # rendered in the calendar zone
    # keys over 44 characters are dropped, values over 1024 truncated
    assert ev["extendedProperties"]["private"] == {"plan": "p1", "long": "v" * 1024}
    assert events.get(calendarId=cid, eventId=ev["id"]).execute() == ev
    generated = events.insert(calendarId=cid, body=timed(at(2, 11))).execute()
    assert re.fullmatch(r"[a-v0-9]{26}", generated["id"])

    # a zone makes an offset-less dateTime local; all-day events keep their dates
    june = {"start": {"dateTime": "2027-06-01T09:00:00", "timeZone": TZ},
            "end": {"dateTime": "2027-06-01T10:00:00", "timeZone": TZ}}  # fmt: skip
    summer = events.insert(calendarId=cid, body=june).execute()
    assert summer["start"] == {"dateTime": "2027-06-01T09:00:00+01:00", "timeZone": TZ}
    all_day = {"start": {"date": "2027-01-04"}, "end": {"date": "2027-01-05"}}
    assert events.insert(calendarId=cid, body=all_day).execute()["start"] == all_day["start"]

    both = {"useDefault": True, "overrides": [{"method": "popup", "minutes": 5}]}
    rejected = [
        ({**timed(at(2, 9)), "id": "Has-Upper_case"}, (400, "invalid")),
        ({**timed(at(2, 9)), "id": "abcd"}, (400, "invalid")),
        ({**timed(at(2, 9)), "id": "cp0123456789abcdefuv"}, (409, "duplicate")),
        ({"start": {"dateTime": "2026-12-02T09:00:00Z"}}, (400, "required")),
        (timed(at(2, 9), minutes=0), (400, "timeRangeEmpty")),
        ({"start": {"date": "2026-12-02"}, "end": timed(at(2, 9))["end"]}, (400, "invalid")),
        ({"start": {"dateTime": "2026-12-02T09:00:00"}, "end": {"dateTime": "2026-12-02T10:00:00"}},
         (400, "required")),  # no offset and no zone
        ({**timed(at(2, 9)), "reminders": both}, (400, "cannotUseDefaultRemindersAndSpecifyOverride")),
        ({**timed(at(2, 9)), "summary": 42}, (400, "invalid")),
    ]  # fmt: skip
    for payload, expected in rejected:
        assert failure(events.insert(calendarId=cid, body=payload)) == expected, payload
    assert failure(events.get(calendarId=cid, eventId="nosuchevent")) == (404, "notFound")

    conditional = events.get(calendarId=cid, eventId=ev["id"])
    conditional.headers["If-None-Match"] = ev["etag"]
    assert failure(conditional)[0] == 304


# List ---------------------------------------------------------------------------------------


def test_list_pages_to_the_end(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    events = svc.events()
    for i in range(600):
        start = at(2, 0) + timedelta(minutes=i)
        env.sandbox.google.add_busy(start, start + timedelta(minutes=1), f"e{i}", cid)
    pages: list[dict[str, Any]] = []
    token = None
    while token is not None or not pages:
        page = events.list(calendarId=cid, maxResults=250, pageToken=token).execute()
        pages.append(page)
        token = page.get("nextPageToken")
        assert ("nextSyncToken" in page) == (token is None)  # only on the last page
    assert [len(p["items"]) for p in pages] == [250, 250, 100]
    seen = [e["summary"] for p in pages for e in p["items"]]
    assert seen == [f"e{i}" for i in range(600)]  # a stable order
    conforms_to(pages[0], "Events")

    assert len(events.list(calendarId=cid).execute()["items"]) == 250  # the default
    assert len(events.list(calendarId=cid, maxResults=5000).execute()["items"]) == 600
    fields = "items(id,summary),nextPageToken"
    trimmed = events.list(calendarId=cid, maxResults=2, fields=fields).execute()
    assert set(trimmed) == {"items", "nextPageToken"}
    assert set(trimmed["items"][0]) == {"id", "summary"}


def test_time_bounds_are_exclusive_on_end_and_start(cal: tuple[Any, str]) -> None:
    svc, cid = cal
    events = svc.events()
    for hour, name in ((9, "a"), (10, "b"), (11, "c")):
        events.insert(calendarId=cid, body=timed(at(2, hour), summary=name)).execute()

    def names(**kw: Any) -> list[str]:
        return [e["summary"] for e in events.list(calendarId=cid, **kw).execute()["items"]]

    assert names(timeMin="2026-12-02T10:00:00Z") == ["b", "c"]  # a ends at timeMin
    assert names(timeMax="2026-12-02T11:00:00Z") == ["a", "b"]  # c starts at timeMax
    assert names(timeMin="2026-12-02T10:30:00+00:00", timeMax="2026-12-02T10:45:00.250Z") == ["b"]
    for kw in ({"timeMin": "2026-12-02T10:00:00"}, {"timeMax": "tomorrow"}):
        assert failure(events.list(calendarId=cid, **kw))[0] == 400
    backwards = {"timeMin": "2026-12-03T00:00:00Z", "timeMax": "2026-12-02T00:00:00Z"}
    assert failure(events.list(calendarId=cid, **backwards)) == (400, "timeRangeEmpty")
    assert failure(events.list(calendarId=cid, orderBy="startTime")) == (400, "invalid")


def test_private_extended_property_filter(cal: tuple[Any, str]) -> None:
    svc, cid = cal
    events = svc.events()
    for i, (plan, item) in enumerate((("p1", "a1"), ("p1", "a2"), ("p2", "a1"))):
        props = {"private": {"plan": plan, "item": item}, "shared": {"plan": "x"}}
        body = timed(at(2, 9 + i), extendedProperties=props)
        events.insert(calendarId=cid, body=body).execute()

    def count(**kw: Any) -> int:
        return len(events.list(calendarId=cid, **kw).execute()["items"])

    assert count(privateExtendedProperty="plan=p1") == 2
    assert count(privateExtendedProperty=["plan=p1", "item=a1"]) == 1  # AND (discovery doc)
    assert count(privateExtendedProperty="plan=x") == 0  # shared properties do not match
    assert count(sharedExtendedProperty="plan=x") == 3


# Recurrence ---------------------------------------------------------------------------------


def test_single_events_expand_weekly_rule_across_dst(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    events = svc.events()
    series = {
        "id": "focus0001",
        "start": {"dateTime": "2027-03-15T09:00:00", "timeZone": TZ},
        "end": {"dateTime": "2027-03-15T10:30:00", "timeZone": TZ},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"],
    }
    master = events.insert(calendarId=cid, body=series).execute()
    assert master["recurrence"] == series["recurrence"]
    page = events.list(calendarId=cid, singleEvents=True, orderBy="startTime").execute()
    conforms_to(page, "Events")
    items = page["items"]
    assert [e["id"] for e in items] == [
        "focus0001_20270315T090000Z",
        "focus0001_20270322T090000Z",
        "focus0001_20270329T080000Z",  # British Summer Time from 28 March
        "focus0001_20270405T080000Z",
    ]
    assert [e["start"]["dateTime"][11:19] for e in items] == ["09:00:00"] * 4  # wall time kept
    assert [e["end"]["dateTime"][11:] for e in items[1:3]] == ["10:30:00Z", "10:30:00+01:00"]
    third = items[2]
    assert third["recurringEventId"] == "focus0001"
    assert "recurrence" not in third
    assert third["originalStartTime"] == {"dateTime": "2027-03-29T09:00:00+01:00", "timeZone": TZ}
    assert [e["id"] for e in events.list(calendarId=cid).execute()["items"]] == ["focus0001"]
    assert events.get(calendarId=cid, eventId=third["id"]).execute() == third

    # the user moves one instance, the client deletes another: both become exceptions
    moved = datetime(2027, 3, 30, 14, tzinfo=UTC)
    env.sandbox.google.user_move_event(cid, third["id"], moved, moved + timedelta(hours=1))
    events.delete(calendarId=cid, eventId="focus0001_20270315T090000Z").execute()
    page = events.list(calendarId=cid, singleEvents=True, orderBy="startTime").execute()
    assert [e["start"]["dateTime"] for e in page["items"]] == [
        "2027-03-22T09:00:00Z",
        "2027-03-30T15:00:00+01:00",
        "2027-04-05T09:00:00+01:00",
    ]
    assert page["items"][1]["originalStartTime"] == third["originalStartTime"]

    zoneless = {**timed(at(2, 9)), "recurrence": series["recurrence"]}
    assert failure(events.insert(calendarId=cid, body=zoneless)) == (400, "required")
    bad_rule = {**series, "id": "focus0002", "recurrence": ["RRULE:FREQ=SECONDLY"]}
    assert failure(events.insert(calendarId=cid, body=bad_rule)) == (400, "invalid")


def test_recurrence_rules(cal: tuple[Any, str]) -> None:
    svc, cid = cal
    events = svc.events()
    rules = {  # each series starts on Monday 4 January 2027
        "FREQ=DAILY;INTERVAL=3;COUNT=3": ["01-04", "01-07", "01-10"],
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20270125T000000Z":
            ["01-04", "01-05", "01-07", "01-19", "01-21"],
        "FREQ=MONTHLY;COUNT=3": ["01-04", "02-04", "03-04"],
        "FREQ=MONTHLY;BYDAY=1MO;UNTIL=20270401": ["01-04", "02-01", "03-01"],
    }  # fmt: skip
    for i, (rule, days) in enumerate(rules.items()):
        body = {
            "id": f"rule{i:04d}",
            "start": {"dateTime": "2027-01-04T18:00:00", "timeZone": TZ},
            "end": {"dateTime": "2027-01-04T19:00:00", "timeZone": TZ},
            "recurrence": [f"RRULE:{rule}", "EXDATE;TZID=Europe/London:20270104T180000"],
        }
        events.insert(calendarId=cid, body=body).execute()
        page = events.instances(calendarId=cid, eventId=body["id"]).execute()
        assert [e["start"]["dateTime"][5:10] for e in page["items"]] == days[1:], rule


# Patch, update, delete ----------------------------------------------------------------------


def test_patch_and_update_with_if_match(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    events = svc.events()
    props = {"private": {"plan": "p1", "item": "a1", "block": "0"}}
    body = timed(at(2, 9), id="evt00001", description="d", extendedProperties=props)
    ev = events.insert(calendarId=cid, body=body).execute()

    env.clock.advance(minutes=5)
    change = {"summary": "renamed", "extendedProperties": {"private": {"block": None, "new": "1"}}}
    req = events.patch(calendarId=cid, eventId=ev["id"], body=change)
    req.headers["If-Match"] = ev["etag"]
    patched = req.execute()
    assert (patched["summary"], patched["description"]) == ("renamed", "d")
    assert patched["extendedProperties"]["private"] == {"plan": "p1", "item": "a1", "new": "1"}
    assert patched["etag"] != ev["etag"]
    assert patched["updated"] == "2026-12-01T09:05:00.000Z"
    assert (patched["created"], patched["sequence"]) == (ev["created"], 0)

    stale = events.patch(calendarId=cid, eventId=ev["id"], body={"summary": "lost"})
    stale.headers["If-Match"] = ev["etag"]
    assert failure(stale) == (412, "conditionNotMet")

    req = events.update(calendarId=cid, eventId=ev["id"], body=timed(at(2, 13)))
    req.headers["If-Match"] = patched["etag"]
    updated = req.execute()
    conforms_to(updated, "Event")
    assert not {"summary", "description", "extendedProperties"} & set(updated)  # full replace
    assert (updated["sequence"], updated["start"]["dateTime"]) == (1, "2026-12-02T13:00:00Z")

    no_times = events.update(calendarId=cid, eventId=ev["id"], body={"summary": "x"})
    assert failure(no_times) == (400, "required")
    stale_delete = events.delete(calendarId=cid, eventId=ev["id"])
    stale_delete.headers["If-Match"] = patched["etag"]
    assert failure(stale_delete) == (412, "conditionNotMet")


def test_delete_cancels_and_keeps_the_id(cal: tuple[Any, str]) -> None:
    svc, cid = cal
    events = svc.events()
    ev = events.insert(calendarId=cid, body=timed(at(2, 9), id="gone00001")).execute()
    assert events.delete(calendarId=cid, eventId=ev["id"]).execute() == ""  # 204
    got = events.get(calendarId=cid, eventId=ev["id"]).execute()
    assert got["status"] == "cancelled"
    assert got["etag"] != ev["etag"]
    assert events.list(calendarId=cid).execute()["items"] == []
    shown = events.list(calendarId=cid, showDeleted=True).execute()["items"]
    assert [e["id"] for e in shown] == ["gone00001"]

    assert failure(events.delete(calendarId=cid, eventId=ev["id"])) == (410, "deleted")
    again = timed(at(3, 9), id="gone00001")
    assert failure(events.insert(calendarId=cid, body=again)) == (409, "duplicate")
    never = events.delete(calendarId=cid, eventId="never00001")
    assert failure(never) == (404, "notFound")
    restored = events.update(calendarId=cid, eventId=ev["id"], body=again).execute()
    assert restored["status"] == "confirmed"


# Batch --------------------------------------------------------------------------------------


def test_batch_of_50_inserts_with_a_duplicate(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    events = svc.events()
    events.insert(calendarId=cid, body=timed(at(2, 8), id="block00017")).execute()
    results: dict[str, tuple[Any, HttpError | None]] = {}

    def collect(request_id: str, response: Any, exc: HttpError | None) -> None:
        results[request_id] = (response, exc)

    batch = BatchHttpRequest(batch_uri=env.batch_uri)
    for i in range(50):
        body = timed(at(3, 0) + timedelta(minutes=30 * i), id=f"block{i:05d}")
        # long request ids fold the part's Content-ID header onto two lines
        batch.add(events.insert(calendarId=cid, body=body), collect, f"action-{i:02d}-" + "x" * 60)
    batch.execute()
    failed = {rid[:9]: exc.status_code for rid, (_, exc) in results.items() if exc is not None}
    assert len(results) == 50
    assert failed == {"action-17": 409}
    conforms_to(results["action-00-" + "x" * 60][0], "Event")
    assert len(events.list(calendarId=cid).execute()["items"]) == 50

    answers: list[Any] = []
    in_order = BatchHttpRequest(batch_uri=env.batch_uri)
    for req in (events.delete(calendarId=cid, eventId="block00001"),
                events.get(calendarId=cid, eventId="block00001")):  # fmt: skip
        in_order.add(req, lambda _id, response, _exc: answers.append(response))
    in_order.execute()
    assert answers[0] == ""
    assert answers[1]["status"] == "cancelled"

    too_big = BatchHttpRequest(batch_uri=env.batch_uri)
    for i in range(51):
        too_big.add(events.get(calendarId=cid, eventId=f"block{i:05d}"))
    with pytest.raises(HttpError) as exc:
        too_big.execute()
    assert exc.value.status_code == 400

    if not isinstance(env.google_http, Httplib2Http):
        # 401 parts: the client refreshes and re-sends them. (It refreshes through a new
        # httplib2.Http(), which cannot reach the in-process sandbox: loopback only.)
        env.sandbox.google.expire_access_tokens()
        answers.clear()
        again = BatchHttpRequest(batch_uri=env.batch_uri)
        again.add(events.get(calendarId=cid, eventId="block00002"), lambda *a: answers.append(a))
        with warnings.catch_warnings():  # the client never closes that httplib2.Http
            warnings.simplefilter("ignore", ResourceWarning)
            again.execute()
            gc.collect()
        assert answers[0][2] is None
        assert [e.status for e in env.sandbox.wire.log[-3:]] == [
            200,
            200,
            200,
        ]  # batch, token, batch


# Incremental sync ---------------------------------------------------------------------------


def test_incremental_sync(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    events = svc.events()
    for i in range(3):
        events.insert(calendarId=cid, body=timed(at(2, 9 + i), id=f"snc{i:05d}")).execute()
    full = events.list(calendarId=cid).execute()
    token = full["nextSyncToken"]
    assert events.list(calendarId=cid, syncToken=token).execute()["items"] == []

    events.patch(calendarId=cid, eventId="snc00000", body={"summary": "moved"}).execute()
    events.delete(calendarId=cid, eventId="snc00001").execute()
    events.insert(calendarId=cid, body=timed(at(4, 9), id="snc00009")).execute()
    delta = events.list(calendarId=cid, syncToken=token).execute()
    changed = {e["id"]: e["status"] for e in delta["items"]}
    assert changed == {"snc00000": "confirmed", "snc00001": "cancelled", "snc00009": "confirmed"}
    token = delta["nextSyncToken"]
    assert events.list(calendarId=cid, syncToken=token).execute()["items"] == []

    forbidden: list[dict[str, Any]] = [
        {"timeMin": "2026-12-01T00:00:00Z"},
        {"privateExtendedProperty": "a=b"},
        {"orderBy": "updated"},
        {"showDeleted": False},
    ]
    for kw in forbidden:
        assert failure(events.list(calendarId=cid, syncToken=token, **kw)) == (400, "invalid")

    env.sandbox.google.expire_sync_tokens()
    expired = events.list(calendarId=cid, syncToken=token)
    assert failure(expired) == (410, "fullSyncRequired")
    foreign = events.list(calendarId="primary", syncToken=full["nextSyncToken"])
    assert failure(foreign) == (410, "fullSyncRequired")
    fresh = events.list(calendarId=cid).execute()["nextSyncToken"]
    assert events.list(calendarId=cid, syncToken=fresh).execute()["items"] == []


# Free/busy ----------------------------------------------------------------------------------


def test_freebusy(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    events = svc.events()
    google = env.sandbox.google
    google.add_busy(at(2, 9), at(2, 10))
    google.add_busy(at(2, 9, 30), at(2, 11))  # overlaps: merged
    free = timed(at(2, 13), transparency="transparent")
    events.insert(calendarId="primary", body=free).execute()
    google.user_delete_event("primary", google.add_busy(at(2, 15), at(2, 16)))
    daily = {
        "start": {"dateTime": "2026-12-01T07:00:00", "timeZone": TZ},
        "end": {"dateTime": "2026-12-01T08:00:00", "timeZone": TZ},
        "recurrence": ["RRULE:FREQ=DAILY"],
    }
    events.insert(calendarId=cid, body=daily).execute()

    query = {
        "timeMin": "2026-12-02T00:00:00Z",
        "timeMax": "2026-12-03T00:00:00Z",
        "items": [{"id": "primary"}, {"id": cid}, {"id": "nobody@example.com"}],
    }
    answer = svc.freebusy().query(body=query).execute()
    conforms_to(answer, "FreeBusyResponse")
    calendars = answer["calendars"]
    assert answer["timeMin"] == "2026-12-02T00:00:00.000Z"
    assert calendars["primary"]["busy"] == [
        {"start": "2026-12-02T09:00:00Z", "end": "2026-12-02T11:00:00Z"}
    ]
    assert calendars[cid]["busy"] == [
        {"start": "2026-12-02T07:00:00Z", "end": "2026-12-02T08:00:00Z"}
    ]
    assert calendars["nobody@example.com"]["errors"] == [{"domain": "global", "reason": "notFound"}]

    window = {**query, "timeMin": "2026-12-02T09:30:00Z", "items": [{"id": "primary"}]}
    clipped = svc.freebusy().query(body=window).execute()["calendars"]["primary"]["busy"]
    assert clipped == [{"start": "2026-12-02T09:30:00Z", "end": "2026-12-02T11:00:00Z"}]
    too_long = {**query, "timeMax": "2027-03-15T00:00:00Z"}
    assert failure(svc.freebusy().query(body=too_long)) == (400, "timeRangeTooLong")


# OAuth --------------------------------------------------------------------------------------


def test_token_refresh_and_revocation(env: Env) -> None:
    svc = service(env)
    google, log = env.sandbox.google, env.sandbox.wire.log
    svc.calendarList().list().execute()
    refreshes = sum(e.path == "/token" for e in log)
    google.expire_access_tokens()
    assert svc.calendarList().list().execute()["items"]  # 401, refresh, retry
    assert sum(e.path == "/token" for e in log) == refreshes + 1
    assert [e.status for e in log[-3:]] == [401, 200, 200]

    env.clock.advance(hours=2)  # tokens also expire by the sandbox's clock
    assert svc.calendarList().list().execute()["items"]

    google.revoke_refresh_token()
    google.expire_access_tokens()
    with pytest.raises(RefreshError) as exc:
        svc.calendarList().list().execute()
    assert "invalid_grant: Token has been expired or revoked." in str(exc.value)


def test_scopes_are_enforced(env: Env) -> None:
    narrow = service(env, [SCOPE + "calendar.events"])
    assert narrow.events().list(calendarId="primary").execute()["items"] == []
    day = {"timeMin": "2026-12-01T00:00:00Z", "timeMax": "2026-12-02T00:00:00Z"}
    for req in (
        narrow.calendars().insert(body={"summary": "x"}),
        narrow.freebusy().query(body=day),
    ):
        assert failure(req) == (403, "insufficientPermissions")
    with pytest.raises(RefreshError):  # more than the refresh token was granted
        service(env, [SCOPE + "drive"]).events().list(calendarId="primary").execute()


def test_authorization_code_grant(env: Env) -> None:
    google = env.sandbox.google
    code = google.issue_auth_code([SCOPE + "calendar.app.created"])
    form = urlencode({
        "grant_type": "authorization_code", "code": code, "redirect_uri": "http://localhost/",
        "client_id": google.client_id, "client_secret": google.client_secret,
    })  # fmt: skip
    headers = {"content-type": "application/x-www-form-urlencoded"}
    uri = env.google_root + "token"
    resp, content = env.google_http.request(uri, "POST", form, headers)
    grant = json.loads(content)
    assert resp.status == 200
    assert grant["token_type"] == "Bearer"
    assert grant["refresh_token"]
    assert grant["scope"] == SCOPE + "calendar.app.created"
    resp, content = env.google_http.request(uri, "POST", form, headers)
    assert resp.status == 400  # codes are single-use
    assert json.loads(content)["error"] == "invalid_grant"


# Faults and persistence ---------------------------------------------------------------------


def test_injected_faults_use_google_error_bodies(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    events = svc.events()
    env.sandbox.wire.reset(Faults(fail_at={1: 403, 2: 429, 3: 503}, service="google"))
    req = events.list(calendarId=cid)
    req._sleep = lambda _seconds: None
    assert req.execute(num_retries=3)["items"] == []  # rateLimitExceeded, 429 and 503: retried
    env.sandbox.google.forbidden_reason = "quotaExceeded"
    env.sandbox.wire.reset(Faults(fail_at={1: 403}, service="google"))
    with pytest.raises(HttpError) as exc:
        req.execute(num_retries=3)  # not retried
    assert (exc.value.status_code, exc.value.error_details[0]["reason"]) == (403, "quotaExceeded")


def test_state_survives_to_dict_and_load_dict(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    events = svc.events()
    events.insert(calendarId=cid, body=timed(at(2, 9), id="kept00001")).execute()
    token = events.list(calendarId=cid).execute()["nextSyncToken"]
    google = env.sandbox.google
    saved = json.loads(json.dumps(google.to_dict()))
    reborn = CalendarEmulator(env.clock, google.client_id, google.client_secret, "other")
    reborn.load_dict(saved)
    google.load_dict(reborn.to_dict())
    assert [e["id"] for e in google.events(cid)] == ["kept00001"]
    assert events.list(calendarId=cid, syncToken=token).execute()["items"] == []
