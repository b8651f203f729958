"""Contract tests: the real google-api-python-client and google-auth against the Calendar emulator.

Each test runs in-process and over loopback HTTP (the `env` fixture). Responses are checked
against the schemas of the discovery document the client ships.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from google.auth.exceptions import RefreshError
from google.oauth2.credentials import Credentials
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from connectors.sandbox.gcal import DISCOVERY_PATH, CalendarEmulator
from connectors.sandbox.wire import Faults
from tests.sandbox.conftest import Env

SCHEMAS: dict[str, Any] = json.loads(DISCOVERY_PATH.read_text())["schemas"]
REQUIRED = {
    "Event": {"kind", "etag", "id", "status", "htmlLink", "created", "updated", "start", "end",
              "creator", "organizer", "iCalUID", "sequence", "reminders", "eventType"},
    "Events": {"kind", "etag", "summary", "updated", "timeZone", "accessRole", "defaultReminders",
               "items"},
    "Calendar": {"kind", "etag", "id", "summary", "timeZone"},
    "CalendarListEntry": {"kind", "etag", "id", "summary", "timeZone", "accessRole", "colorId",
                          "backgroundColor", "foregroundColor"},
    "FreeBusyResponse": {"kind", "timeMin", "timeMax", "calendars"},
}  # fmt: skip
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TZ = "Europe/London"


def conforms(value: Any, schema: dict[str, Any], where: str = "$") -> None:
    """Every emitted field is in the schema with the right JSON type and format."""
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
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif kind == "boolean":
        assert isinstance(value, bool), where


def conforms_to(value: Any, name: str) -> None:
    conforms(value, {"$ref": name})


# Helpers ------------------------------------------------------------------------------------


def credentials(env: Env, scopes: list[str] | None = None) -> Credentials:
    # from_authorized_user_info() always points token_uri at Google; move it to the sandbox
    creds = Credentials.from_authorized_user_info(
        env.sandbox.google_credentials_info(env.google_root + "token"), scopes
    )
    return creds.with_token_uri(env.google_root + "token")


def service(env: Env, scopes: list[str] | None = None) -> Any:
    return env.calendar(credentials(env, scopes))


def timed(start: datetime, minutes: int = 60, **extra: Any) -> dict[str, Any]:
    end = start + timedelta(minutes=minutes)
    return {"start": {"dateTime": start.isoformat()}, "end": {"dateTime": end.isoformat()}, **extra}


def at(day: int, hour: int, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def error_of(exc: pytest.ExceptionInfo[HttpError]) -> tuple[int, str]:
    return exc.value.status_code, exc.value.error_details[0]["reason"]


@pytest.fixture
def cal(env: Env) -> tuple[Any, str]:
    svc = service(env)
    return svc, svc.calendars().insert(body={"summary": "Career plan", "timeZone": TZ}).execute()["id"]


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

    with pytest.raises(HttpError) as exc:
        svc.calendars().insert(body={"description": "no title"}).execute()
    assert error_of(exc) == (400, "required")
    with pytest.raises(HttpError) as exc:
        svc.calendars().get(calendarId="nobody@group.calendar.google.com").execute()
    assert error_of(exc) == (404, "notFound")


# Insert and get -----------------------------------------------------------------------------


def test_insert_with_client_ids_fills_defaults(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    body = timed(at(2, 9), summary="Write the pitch", id="cp0123456789abcdefuv")
    body["extendedProperties"] = {"private": {"plan": "p1", "k" * 45: "dropped", "long": "v" * 1100}}
    ev = svc.events().insert(calendarId=cid, body=body).execute()
    conforms_to(ev, "Event")
    assert ev["id"] == "cp0123456789abcdefuv"
    assert ev["status"] == "confirmed" and ev["sequence"] == 0
    assert ev["reminders"] == {"useDefault": True}
    assert ev["iCalUID"] == "cp0123456789abcdefuv@google.com"
    assert re.fullmatch(r'"\d{16}"', ev["etag"])
    assert ev["created"] == ev["updated"] == "2026-12-01T09:00:00.000Z"
    assert ev["organizer"] == {"email": cid, "displayName": "Career plan", "self": True}
    assert ev["start"] == {"dateTime": "2026-12-02T09:00:00Z"}  # rendered in the calendar zone
    assert ev["extendedProperties"]["private"] == {"plan": "p1", "long": "v" * 1024}
    assert svc.events().get(calendarId=cid, eventId=ev["id"]).execute() == ev

    generated = svc.events().insert(calendarId=cid, body=timed(at(2, 11))).execute()
    assert re.fullmatch(r"[a-v0-9]{26}", generated["id"])

    bad = [
        ({**timed(at(2, 9)), "id": "Has-Upper_case"}, (400, "invalid")),
        ({**timed(at(2, 9)), "id": "abcd"}, (400, "invalid")),
        ({**timed(at(2, 9)), "id": "cp0123456789abcdefuv"}, (409, "duplicate")),
        ({"start": {"dateTime": "2026-12-02T09:00:00Z"}}, (400, "required")),
        (timed(at(2, 9), minutes=0), (400, "timeRangeEmpty")),
        ({"start": {"date": "2026-12-02"}, "end": {"dateTime": "2026-12-02T10:00:00Z"}}, (400, "invalid")),
        ({"start": {"dateTime": "2026-12-02T09:00:00"}, "end": {"dateTime": "2026-12-02T10:00:00"}},
         (400, "required")),
        ({**timed(at(2, 9)), "reminders": {"useDefault": True, "overrides": [{"method": "popup", "minutes": 5}]}},
         (400, "cannotUseDefaultRemindersAndSpecifyOverride")),
    ]  # fmt: skip
    for payload, expected in bad:
        with pytest.raises(HttpError) as exc:
            svc.events().insert(calendarId=cid, body=payload).execute()
        assert error_of(exc) == expected, payload
    with pytest.raises(HttpError) as exc:
        svc.events().get(calendarId=cid, eventId="nosuchevent").execute()
    assert error_of(exc) == (404, "notFound")

    # a zone makes an offset-less dateTime local; all-day events keep their dates
    local = {"dateTime": "2027-06-01T09:00:00", "timeZone": TZ}
    summer = svc.events().insert(calendarId=cid, body={"start": local, "end": {**local, "dateTime": "2027-06-01T10:00:00"}}).execute()  # fmt: skip
    assert summer["start"] == {"dateTime": "2027-06-01T09:00:00+01:00", "timeZone": TZ}
    day = svc.events().insert(calendarId=cid, body={"start": {"date": "2027-01-04"}, "end": {"date": "2027-01-05"}}).execute()  # fmt: skip
    assert day["start"] == {"date": "2027-01-04"}


def test_if_none_match_gives_304(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    ev = svc.events().insert(calendarId=cid, body=timed(at(2, 9))).execute()
    req = svc.events().get(calendarId=cid, eventId=ev["id"])
    req.headers["If-None-Match"] = ev["etag"]
    with pytest.raises(HttpError) as exc:
        req.execute()
    assert exc.value.status_code == 304


# List ---------------------------------------------------------------------------------------


def test_list_pages_to_the_end(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    google = env.sandbox.google
    for i in range(600):
        google.add_busy(at(2, 0) + timedelta(minutes=i), at(2, 0) + timedelta(minutes=i + 1), f"e{i}", cid)
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    token = None
    while True:
        page = svc.events().list(calendarId=cid, maxResults=250, pageToken=token).execute()
        pages.append(page)
        seen += [e["summary"] for e in page["items"]]
        token = page.get("nextPageToken")
        if token is None:
            break
        assert "nextSyncToken" not in page
    assert [len(p["items"]) for p in pages] == [250, 250, 100]
    assert seen == [f"e{i}" for i in range(600)]  # stable creation order
    assert "nextSyncToken" in pages[-1]
    conforms_to(pages[0], "Events")

    trimmed = svc.events().list(calendarId=cid, maxResults=2, fields="items(id,summary),nextPageToken").execute()
    assert set(trimmed) == {"items", "nextPageToken"} and set(trimmed["items"][0]) == {"id", "summary"}
    assert len(svc.events().list(calendarId=cid, maxResults=5000).execute()["items"]) == 600


def test_time_bounds_are_exclusive_on_end_and_start(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    for hour, name in ((9, "a"), (10, "b"), (11, "c")):
        svc.events().insert(calendarId=cid, body=timed(at(2, hour), summary=name)).execute()

    def names(**kw: Any) -> list[str]:
        return [e["summary"] for e in svc.events().list(calendarId=cid, **kw).execute()["items"]]

    assert names(timeMin="2026-12-02T10:00:00Z") == ["b", "c"]  # a ends at timeMin
    assert names(timeMax="2026-12-02T11:00:00Z") == ["a", "b"]  # c starts at timeMax
    assert names(timeMin="2026-12-02T10:30:00+00:00", timeMax="2026-12-02T10:45:00.250Z") == ["b"]
    for kw in ({"timeMin": "2026-12-02T10:00:00"}, {"timeMin": "tomorrow"}):
        with pytest.raises(HttpError) as exc:
            names(**kw)
        assert exc.value.status_code == 400
    with pytest.raises(HttpError) as exc:
        names(timeMin="2026-12-03T00:00:00Z", timeMax="2026-12-02T00:00:00Z")
    assert error_of(exc) == (400, "timeRangeEmpty")
    with pytest.raises(HttpError) as exc:
        names(orderBy="startTime")
    assert error_of(exc) == (400, "invalid")


def test_private_extended_property_filter(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    for i, (plan, item) in enumerate((("p1", "a1"), ("p1", "a2"), ("p2", "a1"))):
        props = {"private": {"plan": plan, "item": item}, "shared": {"plan": "x"}}
        svc.events().insert(calendarId=cid, body=timed(at(2, 9 + i), extendedProperties=props)).execute()

    def count(**kw: Any) -> int:
        return len(svc.events().list(calendarId=cid, **kw).execute()["items"])

    assert count(privateExtendedProperty="plan=p1") == 2
    assert count(privateExtendedProperty=["plan=p1", "item=a1"]) == 1  # AND (discovery doc)
    assert count(privateExtendedProperty="plan=x") == 0  # shared ones do not match
    assert count(sharedExtendedProperty="plan=x") == 3


def test_single_events_expand_weekly_rule_across_dst(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    series = {
        "id": "focus0001", "summary": "Focus",
        "start": {"dateTime": "2027-03-15T09:00:00", "timeZone": TZ},
        "end": {"dateTime": "2027-03-15T10:30:00", "timeZone": TZ},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"],
    }  # fmt: skip
    master = svc.events().insert(calendarId=cid, body=series).execute()
    assert master["recurrence"] == series["recurrence"]
    page = svc.events().list(calendarId=cid, singleEvents=True, orderBy="startTime").execute()
    items = page["items"]
    conforms_to(page, "Events")
    assert [e["id"] for e in items] == [
        "focus0001_20270315T090000Z", "focus0001_20270322T090000Z",
        "focus0001_20270329T080000Z", "focus0001_20270405T080000Z",  # BST from 28 March
    ]  # fmt: skip
    assert [e["start"]["dateTime"][11:19] for e in items] == ["09:00:00"] * 4  # local wall time
    assert [e["end"]["dateTime"][11:] for e in items[1:3]] == ["10:30:00Z", "10:30:00+01:00"]
    third = items[2]
    assert third["recurringEventId"] == "focus0001" and "recurrence" not in third
    assert third["originalStartTime"] == {"dateTime": "2027-03-29T09:00:00+01:00", "timeZone": TZ}
    unexpanded = svc.events().list(calendarId=cid).execute()["items"]
    assert [e["id"] for e in unexpanded] == ["focus0001"]

    # the user moves one instance and deletes another: exceptions, as in Google
    got = svc.events().get(calendarId=cid, eventId=third["id"]).execute()
    assert got["start"] == third["start"]
    env.sandbox.google.user_move_event(cid, third["id"], at(30, 14, 3, 2027), at(30, 15, 3, 2027))
    svc.events().delete(calendarId=cid, eventId="focus0001_20270315T090000Z").execute()
    items = svc.events().list(calendarId=cid, singleEvents=True, orderBy="startTime").execute()["items"]
    assert [e["start"]["dateTime"] for e in items] == [
        "2027-03-22T09:00:00Z", "2027-03-30T15:00:00+01:00", "2027-04-05T09:00:00+01:00",
    ]  # fmt: skip
    assert items[1]["originalStartTime"]["dateTime"] == "2027-03-29T09:00:00+01:00"

    with pytest.raises(HttpError) as exc:  # recurring events need a zone
        svc.events().insert(calendarId=cid, body={**timed(at(2, 9)), "recurrence": series["recurrence"]}).execute()
    assert error_of(exc) == (400, "required")


@pytest.mark.parametrize(
    ("rule", "starts"),
    [
        ("FREQ=DAILY;INTERVAL=3;COUNT=3", ["2027-01-04", "2027-01-07", "2027-01-10"]),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20270125T000000Z",
         ["2027-01-04", "2027-01-05", "2027-01-07", "2027-01-19", "2027-01-21"]),
        ("FREQ=MONTHLY;COUNT=3", ["2027-01-04", "2027-02-04", "2027-03-04"]),
        ("FREQ=MONTHLY;BYDAY=1MO;UNTIL=20270401", ["2027-01-04", "2027-02-01", "2027-03-01"]),
    ],
)  # fmt: skip
def test_recurrence_rules(env: Env, cal: tuple[Any, str], rule: str, starts: list[str]) -> None:
    svc, cid = cal
    body = {
        "start": {"dateTime": "2027-01-04T18:00:00", "timeZone": TZ},  # a Monday
        "end": {"dateTime": "2027-01-04T19:00:00", "timeZone": TZ},
        "recurrence": [f"RRULE:{rule}"],
    }
    svc.events().insert(calendarId=cid, body=body).execute()
    items = svc.events().list(calendarId=cid, singleEvents=True, orderBy="startTime").execute()["items"]
    assert [e["start"]["dateTime"][:10] for e in items] == starts


# Patch, update, delete ----------------------------------------------------------------------


def test_patch_and_update_with_if_match(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    props = {"private": {"plan": "p1", "item": "a1", "block": "0"}}
    ev = svc.events().insert(
        calendarId=cid, body=timed(at(2, 9), id="evt00001", description="d", extendedProperties=props)
    ).execute()

    env.clock.advance(minutes=5)
    req = svc.events().patch(
        calendarId=cid, eventId=ev["id"],
        body={"summary": "renamed", "extendedProperties": {"private": {"block": None, "new": "1"}}},
    )  # fmt: skip
    req.headers["If-Match"] = ev["etag"]
    patched = req.execute()
    assert patched["summary"] == "renamed" and patched["description"] == "d"
    assert patched["extendedProperties"]["private"] == {"plan": "p1", "item": "a1", "new": "1"}
    assert patched["etag"] != ev["etag"] and patched["updated"] == "2026-12-01T09:05:00.000Z"
    assert patched["created"] == ev["created"] and patched["sequence"] == 0

    stale = svc.events().patch(calendarId=cid, eventId=ev["id"], body={"summary": "lost"})
    stale.headers["If-Match"] = ev["etag"]
    with pytest.raises(HttpError) as exc:
        stale.execute()
    assert error_of(exc) == (412, "conditionNotMet")

    req = svc.events().update(calendarId=cid, eventId=ev["id"], body=timed(at(2, 13), summary="full"))
    req.headers["If-Match"] = patched["etag"]
    updated = req.execute()
    conforms_to(updated, "Event")
    assert "description" not in updated and "extendedProperties" not in updated  # full replace
    assert updated["sequence"] == 1 and updated["start"]["dateTime"] == "2026-12-02T13:00:00Z"

    with pytest.raises(HttpError) as exc:
        svc.events().update(calendarId=cid, eventId=ev["id"], body={"summary": "no times"}).execute()
    assert error_of(exc) == (400, "required")
    stale_delete = svc.events().delete(calendarId=cid, eventId=ev["id"])
    stale_delete.headers["If-Match"] = patched["etag"]
    with pytest.raises(HttpError) as exc:
        stale_delete.execute()
    assert error_of(exc) == (412, "conditionNotMet")


def test_delete_cancels_and_keeps_the_id(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    ev = svc.events().insert(calendarId=cid, body=timed(at(2, 9), id="gone00001")).execute()
    assert svc.events().delete(calendarId=cid, eventId=ev["id"]).execute() == ""
    got = svc.events().get(calendarId=cid, eventId=ev["id"]).execute()
    assert got["status"] == "cancelled" and got["etag"] != ev["etag"]
    assert svc.events().list(calendarId=cid).execute()["items"] == []
    shown = svc.events().list(calendarId=cid, showDeleted=True).execute()["items"]
    assert [e["id"] for e in shown] == ["gone00001"]

    with pytest.raises(HttpError) as exc:
        svc.events().delete(calendarId=cid, eventId=ev["id"]).execute()
    assert error_of(exc) == (410, "deleted")
    with pytest.raises(HttpError) as exc:
        svc.events().insert(calendarId=cid, body=timed(at(3, 9), id="gone00001")).execute()
    assert error_of(exc) == (409, "duplicate")
    with pytest.raises(HttpError) as exc:
        svc.events().delete(calendarId=cid, eventId="never00001").execute()
    assert error_of(exc) == (404, "notFound")

    restored = svc.events().update(calendarId=cid, eventId=ev["id"], body=timed(at(3, 9))).execute()
    assert restored["status"] == "confirmed"


# Batch --------------------------------------------------------------------------------------


def test_batch_of_50_inserts_with_a_duplicate(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    svc.events().insert(calendarId=cid, body=timed(at(2, 8), id="block00017")).execute()
    results: dict[str, tuple[Any, HttpError | None]] = {}
    batch = BatchHttpRequest(batch_uri=env.batch_uri)
    for i in range(50):
        body = timed(at(3, 0) + timedelta(minutes=30 * i), id=f"block{i:05d}", summary=f"b{i}")
        batch.add(
            svc.events().insert(calendarId=cid, body=body),
            callback=lambda rid, resp, exc: results.__setitem__(rid, (resp, exc)),
            request_id=f"action-{i}-" + "x" * 60,  # long ids fold the Content-ID header
        )
    batch.execute()
    failures = {rid: exc for rid, (_, exc) in results.items() if exc is not None}
    assert len(results) == 50 and list(failures) == ["action-17-" + "x" * 60]
    assert failures["action-17-" + "x" * 60].status_code == 409
    conforms_to(results["action-0-" + "x" * 60][0], "Event")
    assert len(svc.events().list(calendarId=cid).execute()["items"]) == 50

    mixed = BatchHttpRequest(batch_uri=env.batch_uri)
    answers: list[Any] = []
    mixed.add(svc.events().delete(calendarId=cid, eventId="block00001"), callback=lambda *a: answers.append(a[1]))
    mixed.add(svc.events().get(calendarId=cid, eventId="block00001"), callback=lambda *a: answers.append(a[1]))
    mixed.execute()
    assert answers[0] == "" and answers[1]["status"] == "cancelled"  # in order

    too_big = BatchHttpRequest(batch_uri=env.batch_uri)
    for i in range(51):
        too_big.add(svc.events().get(calendarId=cid, eventId=f"block{i:05d}"))
    with pytest.raises(HttpError) as exc:
        too_big.execute()
    assert exc.value.status_code == 400


# Incremental sync ---------------------------------------------------------------------------


def test_incremental_sync(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    for i in range(3):
        svc.events().insert(calendarId=cid, body=timed(at(2, 9 + i), id=f"snc{i:05d}")).execute()
    full = svc.events().list(calendarId=cid).execute()
    token = full["nextSyncToken"]
    assert svc.events().list(calendarId=cid, syncToken=token).execute()["items"] == []

    svc.events().patch(calendarId=cid, eventId="snc00000", body={"summary": "moved"}).execute()
    svc.events().delete(calendarId=cid, eventId="snc00001").execute()
    svc.events().insert(calendarId=cid, body=timed(at(4, 9), id="snc00009")).execute()
    delta = svc.events().list(calendarId=cid, syncToken=token).execute()
    changed = {e["id"]: e["status"] for e in delta["items"]}
    assert changed == {"snc00000": "confirmed", "snc00001": "cancelled", "snc00009": "confirmed"}
    token2 = delta["nextSyncToken"]
    assert svc.events().list(calendarId=cid, syncToken=token2).execute()["items"] == []

    for forbidden in ({"timeMin": "2026-12-01T00:00:00Z"}, {"privateExtendedProperty": "a=b"},
                      {"orderBy": "updated"}, {"showDeleted": False}):  # fmt: skip
        with pytest.raises(HttpError) as exc:
            svc.events().list(calendarId=cid, syncToken=token2, **forbidden).execute()
        assert exc.value.status_code == 400, forbidden

    env.sandbox.google.expire_sync_tokens()
    with pytest.raises(HttpError) as exc:
        svc.events().list(calendarId=cid, syncToken=token2).execute()
    assert error_of(exc) == (410, "fullSyncRequired")
    with pytest.raises(HttpError) as exc:
        svc.events().list(calendarId="primary", syncToken=full["nextSyncToken"]).execute()
    assert exc.value.status_code == 410
    fresh = svc.events().list(calendarId=cid).execute()["nextSyncToken"]
    assert svc.events().list(calendarId=cid, syncToken=fresh).execute()["items"] == []


# Free/busy ----------------------------------------------------------------------------------


def test_freebusy(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    google = env.sandbox.google
    google.add_busy(at(2, 9), at(2, 10))
    google.add_busy(at(2, 9) + timedelta(minutes=30), at(2, 11))  # overlapping: merged
    svc.events().insert(calendarId="primary", body=timed(at(2, 13), transparency="transparent")).execute()
    gone = google.add_busy(at(2, 15), at(2, 16))
    google.user_delete_event("primary", gone)
    daily = {
        "start": {"dateTime": "2026-12-01T07:00:00", "timeZone": TZ},
        "end": {"dateTime": "2026-12-01T08:00:00", "timeZone": TZ},
        "recurrence": ["RRULE:FREQ=DAILY"],
    }
    svc.events().insert(calendarId=cid, body=daily).execute()

    query = {"timeMin": "2026-12-02T00:00:00Z", "timeMax": "2026-12-03T00:00:00Z",
             "items": [{"id": "primary"}, {"id": cid}, {"id": "nobody@example.com"}]}  # fmt: skip
    answer = svc.freebusy().query(body=query).execute()
    conforms_to(answer, "FreeBusyResponse")
    assert answer["timeMin"] == "2026-12-02T00:00:00.000Z"
    assert answer["calendars"]["primary"]["busy"] == [{"start": "2026-12-02T09:00:00Z", "end": "2026-12-02T11:00:00Z"}]
    assert answer["calendars"][cid]["busy"] == [{"start": "2026-12-02T07:00:00Z", "end": "2026-12-02T08:00:00Z"}]
    assert answer["calendars"]["nobody@example.com"]["errors"] == [{"domain": "global", "reason": "notFound"}]

    clipped = svc.freebusy().query(body={**query, "timeMin": "2026-12-02T09:30:00Z", "timeZone": TZ,
                                         "items": [{"id": "primary"}]}).execute()  # fmt: skip
    assert clipped["calendars"]["primary"]["busy"] == [{"start": "2026-12-02T09:30:00Z", "end": "2026-12-02T11:00:00Z"}]
    with pytest.raises(HttpError) as exc:
        svc.freebusy().query(body={**query, "timeMax": "2027-03-15T00:00:00Z"}).execute()
    assert error_of(exc) == (400, "timeRangeTooLong")


# OAuth --------------------------------------------------------------------------------------


def test_token_refresh_and_revocation(env: Env) -> None:
    svc = service(env)
    google = env.sandbox.google
    svc.calendarList().list().execute()
    refreshes = sum(e.path == "/token" for e in env.sandbox.wire.log)
    google.expire_access_tokens()
    assert svc.calendarList().list().execute()["items"]  # 401, refresh, retry
    assert sum(e.path == "/token" for e in env.sandbox.wire.log) == refreshes + 1
    assert [e.status for e in env.sandbox.wire.log[-3:]] == [401, 200, 200]

    env.clock.advance(hours=2)  # the server's tokens expire by its own clock
    assert svc.calendarList().list().execute()["items"]

    google.revoke_refresh_token()
    google.expire_access_tokens()
    with pytest.raises(RefreshError) as exc:
        svc.calendarList().list().execute()
    assert "invalid_grant" in str(exc.value) and "Token has been expired or revoked." in str(exc.value)


def test_scopes_are_enforced(env: Env) -> None:
    narrow = service(env, ["https://www.googleapis.com/auth/calendar.events"])
    narrow.events().list(calendarId="primary").execute()
    for call in (narrow.calendars().insert(body={"summary": "x"}),
                 narrow.freebusy().query(body={"timeMin": "2026-12-01T00:00:00Z", "timeMax": "2026-12-02T00:00:00Z"})):  # fmt: skip
        with pytest.raises(HttpError) as exc:
            call.execute()
        assert error_of(exc) == (403, "insufficientPermissions")
    with pytest.raises(RefreshError):
        service(env, ["https://www.googleapis.com/auth/drive"]).events().list(calendarId="primary").execute()


def test_authorization_code_grant(env: Env) -> None:
    google = env.sandbox.google
    code = google.issue_auth_code(["https://www.googleapis.com/auth/calendar.app.created"])
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": "http://localhost/",
            "client_id": google.client_id, "client_secret": google.client_secret}  # fmt: skip
    headers = {"content-type": "application/x-www-form-urlencoded"}
    resp, content = env.google_http.request(env.google_root + "token", "POST", urlencode(form), headers)
    grant = json.loads(content)
    assert resp.status == 200 and grant["token_type"] == "Bearer" and grant["refresh_token"]
    assert grant["scope"] == "https://www.googleapis.com/auth/calendar.app.created"
    again, content = env.google_http.request(env.google_root + "token", "POST", urlencode(form), headers)
    assert again.status == 400 and json.loads(content)["error"] == "invalid_grant"  # codes are single-use


# Faults and persistence ----------------------------------------------------------------------


def test_injected_faults_use_google_error_bodies(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    env.sandbox.wire.reset(Faults(fail_at={1: 403, 2: 429, 3: 503}, service="google"))
    req = svc.events().list(calendarId=cid)
    req._sleep = lambda _seconds: None
    assert req.execute(num_retries=3)["items"] == []  # rateLimitExceeded, 429 and 503 are retried
    env.sandbox.google.forbidden_reason = "quotaExceeded"
    env.sandbox.wire.reset(Faults(fail_at={1: 403}, service="google"))
    with pytest.raises(HttpError) as exc:
        req.execute(num_retries=3)
    assert error_of(exc) == (403, "quotaExceeded")


def test_state_survives_to_dict_and_load_dict(env: Env, cal: tuple[Any, str]) -> None:
    svc, cid = cal
    svc.events().insert(calendarId=cid, body=timed(at(2, 9), id="kept00001")).execute()
    token = svc.events().list(calendarId=cid).execute()["nextSyncToken"]
    google = env.sandbox.google
    saved = json.loads(json.dumps(google.to_dict()))
    reborn = CalendarEmulator(env.clock, google.client_id, google.client_secret, "other-refresh")
    reborn.load_dict(saved)
    google.load_dict(reborn.to_dict())
    assert [e["id"] for e in google.events(cid)] == ["kept00001"]
    assert svc.events().list(calendarId=cid, syncToken=token).execute()["items"] == []
