"""A local emulator of Google Calendar API v3 (and Google's OAuth token endpoint).

The real `google-api-python-client` and `google-auth` talk to it unchanged; routes, parameter
types and per-method OAuth scopes come from the discovery document the client ships
(`googleapiclient/discovery_cache/documents/calendar.v3.json`). Behaviour follows
`api-notes/gcal.md`; the section numbers below refer to it.

The user (`user_email`) has a primary calendar with that id and a time zone setting
(`time_zone`, default Europe/London, so summer times render as +01:00).

Emulated:
- `calendars` insert/get/patch/update/delete/clear, `calendarList` list/get/patch/update/delete,
  `colors.get`, `settings` get/list, `freeBusy`.
- `events` insert/get/list/patch/update/delete/instances with client ids, 409 on duplicates
  (cancelled ones included), etags and If-Match / If-None-Match, recurrence expansion
  (`singleEvents`) with instance ids `<id>_<YYYYMMDDTHHMMSSZ>` and exceptions (a patched or
  deleted instance is stored as its own event, as Google does), paging, sync tokens.
- `/batch/calendar/v3` (codec in `gcal_batch.py`), `/token` (refresh_token and
  authorization_code grants), `/o/oauth2/auth` (answers at once with a redirect carrying a
  code, as if the user consented), `/revoke`; Bearer tokens checked on every call, with scopes.
- Partial responses (`fields=`).
- Faults of single calls (`gcal_faults.py`): a batch part alone failing inside the 200
  (`Faults.batch_parts` / `part_fraction` on the wire: 403 `rateLimitExceeded` /
  `userRateLimitExceeded` / `quotaExceeded`, 429, 500, 503, or a 500 after the call took
  effect), and one user's usage limits (`limits.per_minute`, every part counting; 403 or 429
  `rateLimitExceeded` in domain `usageLimits`; `limits.read_only_until`: writes get 403
  `quotaExceeded`). Both are off unless set.

Choices on the points gcal.md marks UNCONFIRMED (§11):
- A call that only `calendar.app.created` allows reaches only calendars this OAuth client made
  through the API (not primary, not ones the user made); others answer 403
  `insufficientPermissions` (`gcal_scopes.py`). freeBusy and calendarList.list are outside that
  scope (the discovery document), so they need `calendar.freebusy` / `calendarlist.readonly`.
- Type-confused bodies are 400 `invalid`: a null member of an array (`overrides: [null]`,
  freeBusy `items: [null]`), and a calendar `timeZone` of null, "" or a non-string.
- Repeated `privateExtendedProperty` / `sharedExtendedProperty` constraints are AND'ed (the
  discovery document's wording); the extended-properties guide says OR. Callers that send one
  constraint per request are safe either way.
- `syncToken` combined with iCalUID/orderBy/privateExtendedProperty/q/sharedExtendedProperty/
  timeMin/timeMax/updatedMin, or with showDeleted=false: 400 `invalid` on that parameter.
  A malformed or foreign sync token answers 410 `fullSyncRequired`, like an expired one.
- `nextSyncToken` comes on the last page of every list, filtered or expanded ones included. With
  `singleEvents`, a changed series comes back in a sync as all of its instances.
- freeBusy: ranges over 90 days: 400 `timeRangeTooLong`; busy periods are merged and clipped to
  [timeMin, timeMax); the answer is keyed by the id as sent (e.g. "primary"); times are in the
  request's `timeZone` (UTC: `Z`), timeMin/timeMax echoed in UTC with milliseconds.
- Patching a cancelled event without `status` keeps it cancelled; `update` without `status`
  restores it to confirmed (full replace). Neither 403s.
- Patch merges `extendedProperties.private/shared` and `reminders` key by key; every other
  field, `start`/`end` included, is replaced whole.
- Events created without reminders get `{"useDefault": true}`; `iCalUID` is `<id>@google.com`.
  Validation messages "Missing start/end time.", "Missing time zone definition for start time.",
  "Start and end times must either both be date or both be dateTime." use reason `required` /
  `invalid`.
- An unknown `colorId` (events: not "1".."11"; calendar list: not "1".."24") is 400 `invalid`.
- Changing only `reminders` leaves `updated` alone but still changes `etag` and the sync position.
- New calendars: id `c_<64 hex>@group.calendar.google.com`, added to calendarList, default
  time zone the user's.
- Batches hold at most `batch_limit` (50) calls; more: 400 with Google's (Gmail's) wording
  "Inner request count exceeds the limit." and no `errors` list.
- Response `dateTime`s are rendered in the calendar's time zone (or the `timeZone` parameter),
  with `Z` for a zero offset; the event's own `timeZone` field is returned as sent.

Known deviations from the real API:
- One user, who owns every calendar; no attendees' copies, ACLs, invitations or notifications
  (`sendUpdates` is accepted and ignored).
- Not emulated (501 `notImplemented`): acl.*, events import/move/quickAdd/watch, calendarList
  insert/watch, channels, calendars.transferOwnership, settings.watch. calendarList has no
  sync tokens; `minAccessRole` and `showDeleted` are accepted and ignored there.
- Recurrence: one RRULE per event, FREQ DAILY/WEEKLY/MONTHLY/YEARLY with INTERVAL, COUNT, UNTIL,
  BYDAY (ordinals for MONTHLY), BYMONTHDAY (MONTHLY), WKST; EXDATE lines. Other parts, RDATE and
  EXRULE are rejected with 400 "Invalid recurrence rule.", which Google would accept. DTSTART is
  always the first instance. An open-ended series expands up to `timeMax`, else two years past
  max(now, its start). Changing a series keeps its exceptions as they were; `instances` of a
  one-off event lists the event itself.
- Cancelled events keep every field for `get` and are never purged (their ids stay taken:
  an insert is a 409). Lists show them as Google only guarantees: incremental lists
  (`syncToken`, `updatedMin`) give `kind`, `etag`, `id`, `status` (and `recurringEventId` /
  `originalStartTime` of an instance) only, and full lists leave out events cancelled more
  than `cancelled_retention` (30 days, a choice) ago, `showDeleted` or not.
  Instances of a recurring event share its etag unless they are exceptions.
- `sequence` rises when start, end or recurrence change; a client-sent `sequence` is ignored.
- Unknown body fields are dropped silently; type mismatches against the discovery schema are
  400 `invalid` "Invalid value for: <field>". Unknown query parameters are ignored.
- `maxResults` above 2500 is clamped; page tokens are tied to their query (400 otherwise).
- `q` is a case-insensitive match of every term against summary, description, location and
  organizer/attendee names and emails, without Google's keyword translations.
- Error bodies follow the documented examples; the 401/403 auth errors add Google's `status`.
- Token endpoint: client auth by form fields or HTTP Basic; refresh tokens carry the scopes
  consented (the configured one: every calendar scope); asking for more is `invalid_scope`.
  Access tokens live 3599 s on the emulator's clock. No id_token, no PKCE "plain".
"""

from __future__ import annotations

import base64
import calendar as _monthcal
import copy
import hashlib
import json
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import googleapiclient

from connectors.sandbox.gcal_batch import BatchFormatError, encode_batch, parse_batch
from connectors.sandbox.gcal_faults import PART_FAULTS, PartFault, UsageLimits
from connectors.sandbox.gcal_scopes import app_created_only, may_reach
from connectors.sandbox.wire import Request, Response, is_write

__all__ = ["ApiError", "CalendarEmulator"]

DISCOVERY_PATH = (
    Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "calendar.v3.json"
)
_DOC: dict[str, Any] = json.loads(DISCOVERY_PATH.read_text())
_SCHEMAS: dict[str, Any] = _DOC["schemas"]
ALL_SCOPES = sorted(
    {s for r in _DOC["resources"].values() for m in r["methods"].values() for s in m["scopes"]}
)
API_PREFIX = "/calendar/v3/"
BATCH_PATH = "/batch/calendar/v3"
TOKEN_PATH = "/token"
AUTH_PATH = "/o/oauth2/auth"
REVOKE_PATH = "/revoke"

_EVENT_ID = re.compile(r"^[a-v0-9]{5,1024}$")
_INSTANCE_ID = re.compile(r"^(?P<master>[a-v0-9]{5,1024})_(?P<stamp>\d{8}(T\d{6}Z)?)$")
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EVENT_FIELDS = frozenset(_SCHEMAS["Event"]["properties"])
# fmt: off
# fields a client cannot set (ignored in bodies), and the order Google lists fields in
_READ_ONLY = frozenset({
    "kind", "etag", "created", "updated", "creator", "organizer", "htmlLink", "hangoutLink",
    "recurringEventId", "originalStartTime", "sequence", "privateCopy",
})
_KEY_ORDER = [
    "kind", "etag", "id", "status", "htmlLink", "created", "updated", "summary", "description",
    "location", "colorId", "creator", "organizer", "start", "end", "endTimeUnspecified",
    "recurrence", "recurringEventId", "originalStartTime", "transparency", "visibility",
    "iCalUID", "sequence", "attendees", "extendedProperties", "reminders", "source",
    "eventType",
]
# fmt: on
_EXT_KEY_MAX, _EXT_VALUE_MAX, _EXT_COUNT_MAX, _EXT_BYTES_MAX = 44, 1024, 300, 32 * 1024
_MAX_REMINDERS, _MAX_REMINDER_MINUTES = 5, 40320
_FREEBUSY_MAX_RANGE = timedelta(days=90)
_TOKEN_LIFETIME = 3599
_HORIZON = timedelta(days=730)
_MAX_INSTANCES = 5000
_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
# Colour palettes (third-party values, gcal.md §9).
# fmt: off
EVENT_COLORS = [
    "a4bdfc", "7ae7bf", "dbadff", "ff887c", "fbd75b", "ffb878", "46d6db", "e1e1e1", "5484ed",
    "51b749", "dc2127",
]
CALENDAR_COLORS = [
    "ac725e", "d06b64", "f83a22", "fa573c", "ff7537", "ffad46", "42d692", "16a765", "7bd148",
    "b3dc6c", "fbe983", "fad165", "92e1c0", "9fe1e7", "9fc6e7", "4986e7", "9a9cff", "b99aff",
    "c2c2c2", "cabdbf", "cca6ac", "f691b2", "cd74e6", "a47ae2",
]
# fmt: on
_FOREGROUND = "#1d1d1d"
_FORBIDDEN_MESSAGES = {
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "quotaExceeded": "Calendar usage limits exceeded.",
}


# Errors ------------------------------------------------------------------------------------


class ApiError(Exception):
    """A Google API error; `response()` renders the documented two-level body."""

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        location: str | None = None,
        location_type: str | None = None,
        status_name: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status, self.reason, self.message, self.domain = status, reason, message, domain
        self.location, self.location_type = location, location_type
        self.status_name, self.headers = status_name, headers or {}

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "domain": self.domain,
            "reason": self.reason,
            "message": self.message,
        }
        if self.location:
            item |= {"locationType": self.location_type or "parameter", "location": self.location}
        error: dict[str, Any] = {"errors": [item], "code": self.status, "message": self.message}
        if self.status_name:
            error["status"] = self.status_name
        return {"error": error}

    def response(self) -> Response:
        return Response.json(self.status, self.body(), self.headers)


def _bad(message: str, reason: str = "invalid", **kw: Any) -> ApiError:
    return ApiError(400, reason, message, **kw)


def _not_found() -> ApiError:
    return ApiError(404, "notFound", "Not Found")


def _param_error(name: str, message: str, reason: str = "invalid") -> ApiError:
    return ApiError(400, reason, message, location=name, location_type="parameter")


# Time -------------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(name) from exc


def _parse_time(value: str, default_zone: tzinfo | None = None) -> datetime | None:
    """An RFC3339 timestamp, seconds precision; None when it has no offset and no zone is given."""
    m = _RFC3339.match(value)
    if not m:
        raise ValueError(value)
    dt = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T")).replace(microsecond=0)
    if m.group("offset"):
        return dt.astimezone(UTC)
    return None if default_zone is None else dt.replace(tzinfo=default_zone).astimezone(UTC)


def _utc(value: str) -> datetime:
    """A stored UTC timestamp back to a datetime."""
    return datetime.fromisoformat(value).astimezone(UTC)


def _z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ms(dt: datetime) -> str:
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _local(dt: datetime, zone: tzinfo) -> str:
    """RFC3339 in `zone`, `Z` for a zero offset."""
    loc = dt.astimezone(zone)
    if loc.utcoffset() == timedelta(0):
        return loc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return loc.isoformat(timespec="seconds")


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0, tzinfo=zone)).astimezone(UTC)


# Recurrence (RFC 5545, the subset careersync writes) ---------------------------------------


@dataclass(frozen=True)
class _Rule:
    freq: str
    interval: int = 1
    count: int | None = None
    until: str | None = None
    byday: tuple[tuple[int, int], ...] = ()  # (ordinal or 0, weekday)
    bymonthday: tuple[int, ...] = ()
    wkst: int = 0


def _parse_rule(text: str) -> _Rule:
    items = [p.split("=", 1) for p in text.split(";") if p]
    if any(len(kv) != 2 for kv in items):
        raise ValueError(text)
    parts = {kv[0]: kv[1] for kv in items}
    freq = parts.pop("FREQ", "")
    if freq not in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY"):
        raise ValueError(text)
    interval = int(parts.pop("INTERVAL", "1"))
    count = int(parts["COUNT"]) if "COUNT" in parts else None
    parts.pop("COUNT", None)
    until = parts.pop("UNTIL", None)
    if (
        (count is not None and until is not None)
        or interval < 1
        or (count is not None and count < 1)
    ):
        raise ValueError(text)
    byday: list[tuple[int, int]] = []
    for item in filter(None, parts.pop("BYDAY", "").split(",")):
        m = re.fullmatch(r"([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)", item)
        if not m or (m.group(1) and freq != "MONTHLY"):
            raise ValueError(text)
        byday.append((int(m.group(1) or 0), _WEEKDAYS[m.group(2)]))
    bymonthday = tuple(int(d) for d in filter(None, parts.pop("BYMONTHDAY", "").split(",")))
    if (bymonthday and freq != "MONTHLY") or any(not 1 <= abs(d) <= 31 for d in bymonthday):
        raise ValueError(text)
    wkst = _WEEKDAYS[parts.pop("WKST", "MO")]
    if parts:  # BYSETPOS, BYMONTH, BYHOUR, ...: not emulated
        raise ValueError(text)
    return _Rule(freq, interval, count, until, tuple(byday), bymonthday, wkst)


def _month_days(year: int, month: int, rule: _Rule, first: date) -> list[date]:
    last = _monthcal.monthrange(year, month)[1]
    days: set[date] = set()
    if rule.byday:
        for ordinal, weekday in rule.byday:
            matches = [
                date(year, month, d)
                for d in range(1, last + 1)
                if date(year, month, d).weekday() == weekday
            ]
            if ordinal == 0:
                days.update(matches)
            elif ordinal <= len(matches) and -ordinal <= len(matches):
                days.add(matches[ordinal - 1 if ordinal > 0 else ordinal])
        if rule.bymonthday:
            wanted = {d if d > 0 else last + 1 + d for d in rule.bymonthday}
            days = {d for d in days if d.day in wanted}
    else:
        for md in rule.bymonthday or (first.day,):
            d = md if md > 0 else last + 1 + md
            if 1 <= d <= last:
                days.add(date(year, month, d))
    return sorted(days)


def _rule_days(first: date, rule: _Rule) -> Iterator[date]:
    """Days the rule produces after `first`, ascending, ignoring COUNT and UNTIL."""
    step = rule.interval
    if rule.freq == "DAILY":
        allowed = {wd for _, wd in rule.byday}
        day = first
        while True:
            day += timedelta(days=step)
            if not allowed or day.weekday() in allowed:
                yield day
    elif rule.freq == "WEEKLY":
        weekdays = sorted(
            {wd for _, wd in rule.byday} or {first.weekday()}, key=lambda wd: (wd - rule.wkst) % 7
        )
        week = first - timedelta(days=(first.weekday() - rule.wkst) % 7)
        while True:
            for wd in weekdays:
                day = week + timedelta(days=(wd - rule.wkst) % 7)
                if day > first:
                    yield day
            week += timedelta(weeks=step)
    elif rule.freq == "MONTHLY":
        k = 0
        while True:
            y, m = divmod(first.month - 1 + k * step, 12)
            for day in _month_days(first.year + y, m + 1, rule, first):
                if day > first:
                    yield day
            k += 1
    else:  # YEARLY, on the start's month and day
        k = 1
        while True:
            year = first.year + k * step
            if first.month != 2 or first.day != 29 or _monthcal.isleap(year):
                yield first.replace(year=year)
            k += 1


@dataclass(frozen=True)
class _Series:
    """A recurring event's occurrences: start instants (timed) or start days (all-day)."""

    first: date
    at: time | None  # local wall time with tzinfo, None for all-day events
    rule: _Rule
    exdates: frozenset[datetime | date]
    until: datetime | date | None

    @classmethod
    def of(cls, body: dict[str, Any]) -> _Series:
        start = body["start"]
        zone: ZoneInfo | None = None
        rules = [ln for ln in body["recurrence"] if ln.upper().startswith("RRULE:")]
        rule = _parse_rule(rules[0].split(":", 1)[1].upper())
        if "date" in start:
            first, at = date.fromisoformat(start["date"]), None
        else:
            zone = _zone(start["timeZone"])
            loc = _utc(start["dateTime"]).astimezone(zone)
            first, at = loc.date(), loc.timetz()
        exdates: set[datetime | date] = set()
        for line in body["recurrence"]:
            if line.upper().startswith("EXDATE"):
                head, _, values = line.partition(":")
                tzid = re.search(r"TZID=([^;:]+)", head)
                for v in values.split(","):
                    exdates.add(_ical_time(v.strip(), _zone(tzid.group(1)) if tzid else zone))
        until = _ical_time(rule.until, zone) if rule.until else None
        return cls(first, at, rule, frozenset(exdates), until)

    def start_of(self, day: date) -> datetime | date:
        return day if self.at is None else datetime.combine(day, self.at).astimezone(UTC)

    def occurrences(self) -> Iterator[datetime | date]:
        """Occurrence starts in order; DTSTART counts as the first, EXDATEs still count."""
        days = _rule_days(self.first, self.rule)
        day, n = self.first, 0
        while True:
            occ = self.start_of(day)
            if self.until is not None and _past(occ, self.until):
                return
            if occ not in self.exdates:
                yield occ
            n += 1
            if self.rule.count is not None and n >= self.rule.count:
                return
            day = next(days)
            if day.year > 9000:
                return


def _past(occ: datetime | date, until: datetime | date) -> bool:
    if isinstance(occ, datetime) and isinstance(until, datetime):
        return occ > until
    occ_day = occ.date() if isinstance(occ, datetime) else occ
    until_day = until.date() if isinstance(until, datetime) else until
    return occ_day > until_day


def _ical_time(value: str, zone: tzinfo | None) -> datetime | date:
    """An iCalendar DATE or DATE-TIME value (UTC `Z`, or local in `zone`)."""
    if re.fullmatch(r"\d{8}", value):
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)", value)
    if not m:
        raise ValueError(value)
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    tz = UTC if m.group(7) else (zone or UTC)
    return datetime(y, mo, d, h, mi, s, tzinfo=tz).astimezone(UTC)


def _stamp(occ: datetime | date) -> str:
    return occ.strftime("%Y%m%dT%H%M%SZ") if isinstance(occ, datetime) else occ.strftime("%Y%m%d")


# Partial responses (`fields=`) --------------------------------------------------------------


def _parse_fields(expr: str) -> dict[str, Any]:
    """`a,b/c,d(e,f)` -> {"a": None, "b": {"c": None}, "d": {"e": None, "f": None}}."""
    tokens = re.findall(r"[^,()/\s]+|[,()/]", expr)
    pos = 0

    def peek(token: str) -> bool:
        return pos < len(tokens) and tokens[pos] == token

    def name() -> str:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos] in ",()/":
            raise ValueError(expr)
        pos += 1
        return str(tokens[pos - 1])

    def selection() -> dict[str, Any]:
        nonlocal pos
        out: dict[str, Any] = {}
        while True:
            path = [name()]
            while peek("/"):
                pos += 1
                path.append(name())
            sub: dict[str, Any] | None = None
            if peek("("):
                pos += 1
                sub = selection()
                if not peek(")"):
                    raise ValueError(expr)
                pos += 1
            for key in reversed(path[1:]):
                sub = {key: sub}
            _union(out, path[0], sub)
            if not peek(","):
                return out
            pos += 1

    result = selection()
    if pos != len(tokens):
        raise ValueError(expr)
    return result


def _union(out: dict[str, Any], key: str, sub: dict[str, Any] | None) -> None:
    if key not in out:
        out[key] = sub
    elif out[key] is None or sub is None:
        out[key] = None  # the whole field wins
    else:
        for k, v in sub.items():
            _union(out[key], k, v)


def _select(value: Any, spec: dict[str, Any] | None) -> Any:
    if spec is None:
        return value
    if isinstance(value, list):
        return [_select(v, spec) for v in value]
    if not isinstance(value, dict):
        return value
    keys = value.keys() if "*" in spec else spec.keys()
    return {k: _select(value[k], spec.get(k, spec.get("*"))) for k in keys if k in value}


# Schema checks against the discovery document ----------------------------------------------


def _check(value: Any, schema: dict[str, Any], where: str) -> None:
    """Shallow JSON type check of a request body against a discovery schema; None passes."""
    if value is None:
        return
    if "$ref" in schema:
        schema = _SCHEMAS[schema["$ref"]]
    kind = schema.get("type")
    if not _type_ok(kind, value):
        raise _bad(f"Invalid value for: {where}")
    if kind == "array":
        for i, item in enumerate(value):
            if item is None:  # a null member of an array is no value at all
                raise _bad(f"Invalid value for: {where}[{i}]")
            _check(item, schema.get("items", {}), f"{where}[{i}]")
    elif kind == "object":
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for k, v in value.items():
            if k in props:
                _check(v, props[k], f"{where}.{k}" if where else k)
            elif extra is not None:
                _check(v, extra, f"{where}.{k}")


def _type_ok(kind: str | None, v: Any) -> bool:
    if kind == "string":
        return isinstance(v, str)
    if kind == "boolean":
        return isinstance(v, bool)
    if kind in ("integer", "number"):
        return isinstance(v, int | float if kind == "number" else int) and not isinstance(v, bool)
    if kind == "array":
        return isinstance(v, list)
    if kind == "object":
        return isinstance(v, dict)
    return True


# Routing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Route:
    id: str
    http_method: str
    pattern: re.Pattern[str]
    params: dict[str, Any]
    scopes: frozenset[str]


def _routes() -> list[_Route]:
    out: list[tuple[int, _Route]] = []
    for res in _DOC["resources"].values():
        for m in res["methods"].values():
            segs = m["path"].split("/")
            rx = "/".join(
                f"(?P<{s[1:-1]}>[^/]+)" if s.startswith("{") else re.escape(s) for s in segs
            )
            literal = sum(not s.startswith("{") for s in segs)
            route = _Route(
                m["id"],
                m["httpMethod"],
                re.compile(f"^{rx}$"),
                m.get("parameters", {}),
                frozenset(m.get("scopes", ())),
            )
            out.append((literal, route))
    return [r for _, r in sorted(out, key=lambda x: -x[0])]


_ROUTES = _routes()


@dataclass
class _Call:
    request: Request
    path: dict[str, str]
    params: dict[str, Any]
    client: str | None = None  # the OAuth client whose token made the call

    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise _bad("Parse Error", "parseError") from exc
        if not isinstance(data, dict):
            raise _bad("Parse Error", "parseError")
        return data


_SYNC_FORBIDDEN = (
    "iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty",
    "timeMin", "timeMax", "updatedMin",
)  # fmt: skip


@dataclass(frozen=True)
class _Query:
    """The parsed parameters of an events listing."""

    params: dict[str, Any]
    single: bool  # expand series into instances
    since: int | None  # from the syncToken
    tmin: datetime | None
    tmax: datetime | None
    updated_min: datetime | None

    @property
    def show_deleted(self) -> bool:
        explicit = bool(self.params.get("showDeleted"))
        return explicit or self.since is not None or self.updated_min is not None

    @property
    def fingerprint(self) -> str:
        """Ties a page token to its query."""
        same = {k: v for k, v in self.params.items() if k not in ("pageToken", "maxResults")}
        return hashlib.sha1(json.dumps(same, sort_keys=True).encode()).hexdigest()[:10]


# State -------------------------------------------------------------------------------------


@dataclass
class _Event:
    body: dict[str, Any]  # the resource; dateTimes stored in UTC
    n: int  # creation order (the "unspecified, stable" list order)
    seq: int  # position in the change log, for sync tokens


@dataclass
class _Calendar:
    meta: dict[str, Any]  # the Calendar resource
    entry: dict[str, Any]  # calendarList-only fields
    events: dict[str, _Event] = field(default_factory=dict)
    updated: str = ""
    etag: str = ""
    creator: str | None = None  # the OAuth client that made it through the API (None: the user)

    @property
    def id(self) -> str:
        return str(self.meta["id"])

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.meta["timeZone"])


def _ordered(res: dict[str, Any]) -> dict[str, Any]:
    head = {k: res[k] for k in _KEY_ORDER if k in res}
    return head | {k: v for k, v in res.items() if k not in head}


class CalendarEmulator:
    """Google Calendar v3 for one user, plus the OAuth endpoints; implements `wire.App`."""

    service = "google"
    batch_limit = 50
    cancelled_retention = timedelta(days=30)  # older cancelled events leave full lists
    forbidden_reason = "rateLimitExceeded"  # what an injected 403 says; tests may switch it

    def __init__(
        self,
        clock: Callable[[], datetime],
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        user_email: str = "sandbox.user@example.com",
        time_zone: str = "Europe/London",
    ) -> None:
        self.clock = clock
        self.client_id, self.client_secret = client_id, client_secret
        self.limits = UsageLimits()  # per-user rate limits and quotaExceeded (gcal_faults)
        self.part_fault: Callable[[], str | None] = lambda: None  # the wire's, in a Sandbox
        self._lock = threading.RLock()
        self.user_email = user_email
        self._tick_last = 0
        self._seq = 0
        self._n = 0
        self._epoch = 0  # sync tokens of an older epoch answer 410
        self._calendars: dict[str, _Calendar] = {}
        self._access: dict[str, dict[str, Any]] = {}  # token -> {"expires", "scopes"}
        self._refresh: dict[str, list[str]] = {refresh_token: list(ALL_SCOPES)}
        self._codes: dict[str, dict[str, Any]] = {}
        self._settings: dict[str, str] = {
            "timezone": time_zone,
            "locale": "en",
            "weekStart": "1",
            "format24HourTime": "true",
            "dateFieldOrder": "DMY",
            "defaultEventLength": "60",
            "hideWeekends": "false",
            "showDeclinedEvents": "true",
            "autoAddHangouts": "false",
        }
        self._add_calendar(
            {"id": user_email, "summary": user_email, "timeZone": time_zone},
            entry={
                "primary": True,
                "colorId": "14",
                "defaultReminders": [{"method": "popup", "minutes": 10}],
            },
        )

    # wire.App ------------------------------------------------------------------------------
    def handles(self, path: str) -> bool:
        return path.startswith(API_PREFIX) or path in (
            BATCH_PATH,
            TOKEN_PATH,
            AUTH_PATH,
            REVOKE_PATH,
        )

    def handle(self, request: Request) -> Response:
        endpoints = {
            TOKEN_PATH: self._token,
            AUTH_PATH: self._authorize_endpoint,
            REVOKE_PATH: self._revoke,
            BATCH_PATH: self._batch,
        }
        with self._lock:
            return endpoints.get(request.path, self._api)(request)

    def fault(self, status: int, retry_after: int) -> Response:
        headers = {"retry-after": str(retry_after)} if status in (429, 503) else {}
        if status == 401:
            return self._auth_error("Invalid Credentials").response()
        known = {
            403: (
                "usageLimits",
                self.forbidden_reason,
                _FORBIDDEN_MESSAGES.get(self.forbidden_reason, "Forbidden"),
            ),
            429: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
            500: ("global", "backendError", "Backend Error"),
            503: ("global", "backendError", "The service is currently unavailable."),
        }
        domain, reason, message = known.get(status, ("global", "backendError", "Backend Error"))
        return ApiError(status, reason, message, domain=domain, headers=headers).response()

    # Acting as the user (tests, the demo) ----------------------------------------------------
    @property
    def time_zone(self) -> str:
        return self._settings["timezone"]

    def set_time_zone(self, name: str) -> None:
        """The user's time zone setting and their primary calendar's zone."""
        _zone(name)
        with self._lock:
            self._settings["timezone"] = name
            self._calendars[self.user_email].meta["timeZone"] = name

    def user_move_event(
        self, calendar_id: str, event_id: str, start: datetime, end: datetime
    ) -> None:
        """The user drags an event (or one instance of a series) to a new time in the UI."""
        with self._lock:
            cal = self._calendar(calendar_id)
            cur = self._current(cal, event_id)
            if "date" in cur["start"]:
                times = {
                    "start": {"date": start.date().isoformat()},
                    "end": {"date": end.date().isoformat()},
                }
            else:
                times = {
                    "start": {**cur["start"], "dateTime": _z(start)},
                    "end": {**cur["end"], "dateTime": _z(end)},
                }
            self._patch(cal, event_id, times, None)

    def user_patch_event(
        self, calendar_id: str, event_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """The user edits fields of an event in the UI (patch semantics)."""
        with self._lock:
            cal = self._calendar(calendar_id)
            return self._render(self._patch(cal, event_id, fields, None).body, cal.zone)

    def user_delete_event(self, calendar_id: str, event_id: str) -> None:
        with self._lock:
            self._delete(self._calendar(calendar_id), event_id, None)

    def add_busy(
        self, start: datetime, end: datetime, summary: str = "Busy", calendar_id: str = "primary"
    ) -> str:
        """An opaque event in one of the user's own calendars; returns its id."""
        with self._lock:
            cal = self._calendar(calendar_id)
            body = {
                "summary": summary,
                "start": {"dateTime": _z(start)},
                "end": {"dateTime": _z(end)},
            }
            return str(self._insert(cal, body).body["id"])

    def add_calendar(self, summary: str, time_zone: str | None = None) -> str:
        """A secondary calendar the user made in the UI; returns its id."""
        with self._lock:
            meta = {"summary": summary, "timeZone": time_zone or self.time_zone}
            return self._add_calendar(self._new_calendar_meta(meta)).id

    def revoke_refresh_token(self, token: str | None = None) -> None:
        """Revoke one refresh token (default: all): refreshing then fails with invalid_grant."""
        with self._lock:
            for t in [token] if token else list(self._refresh):
                self._refresh.pop(t, None)

    def expire_access_tokens(self) -> None:
        """Every issued access token stops working: the next call gets 401 and the client refreshes."""
        with self._lock:
            self._access.clear()

    def expire_sync_tokens(self) -> None:
        """Every sync token issued so far answers 410 fullSyncRequired."""
        with self._lock:
            self._epoch += 1

    def issue_auth_code(
        self, scopes: list[str] | None = None, redirect_uri: str = "http://localhost/"
    ) -> str:
        """An authorization code, as if the user consented on Google's page."""
        with self._lock:
            code = "4/sandbox-" + secrets.token_urlsafe(24)
            self._codes[code] = {"scopes": scopes or list(ALL_SCOPES), "redirect_uri": redirect_uri}
            return code

    # Inspection ---------------------------------------------------------------------------
    def events(self, calendar_id: str, *, include_cancelled: bool = False) -> list[dict[str, Any]]:
        """Stored events (series and exceptions, not expanded) in creation order."""
        with self._lock:
            cal = self._calendar(calendar_id)
            return [
                self._render(e.body, cal.zone)
                for e in cal.events.values()
                if include_cancelled or e.body["status"] != "cancelled"
            ]

    def calendars(self) -> list[dict[str, Any]]:
        with self._lock:
            return [copy.deepcopy(c.meta) for c in self._calendars.values()]

    # Persistence --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(
                {
                    "user_email": self.user_email,
                    "settings": self._settings,
                    "tick": self._tick_last,
                    "seq": self._seq,
                    "n": self._n,
                    "epoch": self._epoch,
                    "calendars": [
                        {
                            "meta": c.meta,
                            "entry": c.entry,
                            "updated": c.updated,
                            "etag": c.etag,
                            "creator": c.creator,
                            "events": [[e.body, e.n, e.seq] for e in c.events.values()],
                        }
                        for c in self._calendars.values()
                    ],
                    "access": self._access,
                    "refresh": self._refresh,
                    "codes": self._codes,
                }
            )

    def load_dict(self, d: dict[str, Any]) -> None:
        d = copy.deepcopy(d)
        with self._lock:
            self.user_email = d["user_email"]
            self._settings = d["settings"]
            self._tick_last, self._seq = d["tick"], d["seq"]
            self._n, self._epoch = d["n"], d["epoch"]
            self._calendars = {}
            for c in d["calendars"]:
                cal = _Calendar(c["meta"], c["entry"], updated=c["updated"], etag=c["etag"])
                cal.creator = c.get("creator")
                cal.events = {b["id"]: _Event(b, n, s) for b, n, s in c["events"]}
                self._calendars[cal.id] = cal
            self._access, self._refresh, self._codes = d["access"], d["refresh"], d["codes"]

    # Plumbing -----------------------------------------------------------------------------
    def _now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def _tick(self) -> int:
        """A strictly increasing 16-digit number (microseconds of the clock), for etags."""
        self._tick_last = max(self._tick_last + 1, int(self._now().timestamp() * 1_000_000))
        return self._tick_last

    def _api(self, request: Request) -> Response:
        try:
            route, path = self._route(request)
            scopes, client = self._authorized(request)
            if not scopes & route.scopes or not self._reaches(scopes, route, path, client):
                raise ApiError(
                    403,
                    "insufficientPermissions",
                    "Request had insufficient authentication scopes.",
                    status_name="PERMISSION_DENIED",
                )
            limited = self.limits.check(self._now(), is_write(request))
            if limited is not None:
                raise _fault_error(limited)
            call = _Call(request, path, self._params(route, request), client)
            handler = self._handlers().get(route.id)
            if handler is None:
                raise ApiError(501, "notImplemented", f"{route.id} is not emulated by the sandbox.")
            result = handler(call)
            if isinstance(result, Response):
                return result
            fields = request.arg("fields")
            if fields:
                try:
                    result = _select(result, _parse_fields(fields))
                except (ValueError, IndexError) as exc:
                    raise _param_error(
                        "fields", f"Invalid field selection {fields}", "invalidParameter"
                    ) from exc
            return Response.json(200, result)
        except ApiError as err:
            return err.response()

    def _reaches(
        self, scopes: frozenset[str], route: _Route, path: dict[str, str], client: str
    ) -> bool:
        """`calendar.app.created` alone reaches only calendars this client made (gcal_scopes)."""
        if not app_created_only(scopes, route.scopes) or "calendarId" not in path:
            return True
        cid = path["calendarId"]
        cal = self._calendars.get(self.user_email if cid == "primary" else cid)
        return cal is None or may_reach(cal.creator, client)  # unknown ids: the handler's 404

    def _route(self, request: Request) -> tuple[_Route, dict[str, str]]:
        rest = request.path[len(API_PREFIX) :]
        for route in _ROUTES:
            m = route.pattern.match(rest)
            if m and route.http_method == request.method:
                return route, {k: unquote(v) for k, v in m.groupdict().items()}
        raise _not_found()

    def _params(self, route: _Route, request: Request) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, spec in route.params.items():
            if spec.get("location") != "query" or not request.args(name):
                continue
            values = [self._convert(name, spec, v) for v in request.args(name)]
            out[name] = values if spec.get("repeated") else values[0]
        return out

    @staticmethod
    def _convert(name: str, spec: dict[str, Any], raw: str) -> Any:
        kind = spec.get("type")
        if kind == "boolean":
            if raw.lower() not in ("true", "false"):
                raise _param_error(name, f"Invalid boolean value: '{raw}'.", "invalidBoolean")
            return raw.lower() == "true"
        if kind == "integer":
            try:
                value = int(raw)
            except ValueError:
                raise _param_error(
                    name, f"Invalid integer value: '{raw}'.", "invalidInteger"
                ) from None
            if "minimum" in spec and value < int(spec["minimum"]):
                raise _param_error(
                    name, f"Invalid value '{raw}'. Values must be >= {spec['minimum']}"
                )
            return value
        if "enum" in spec and raw not in spec["enum"]:
            raise _param_error(name, f"Invalid value '{raw}'.")
        return raw

    def _handlers(self) -> dict[str, Callable[[_Call], dict[str, Any] | Response]]:
        return {
            "calendar.calendars.insert": self._calendars_insert,
            "calendar.calendars.get": self._calendars_get,
            "calendar.calendars.patch": lambda c: self._calendars_write(c, patch=True),
            "calendar.calendars.update": lambda c: self._calendars_write(c, patch=False),
            "calendar.calendars.delete": self._calendars_delete,
            "calendar.calendars.clear": self._calendars_clear,
            "calendar.calendarList.list": self._calendar_list,
            "calendar.calendarList.get": self._calendar_list_get,
            "calendar.calendarList.patch": lambda c: self._calendar_list_write(c, patch=True),
            "calendar.calendarList.update": lambda c: self._calendar_list_write(c, patch=False),
            "calendar.calendarList.delete": self._calendar_list_delete,
            "calendar.colors.get": self._colors,
            "calendar.settings.get": self._settings_get,
            "calendar.settings.list": self._settings_list,
            "calendar.events.insert": self._events_insert,
            "calendar.events.get": self._events_get,
            "calendar.events.list": self._events_list,
            "calendar.events.instances": self._events_instances,
            "calendar.events.patch": lambda c: self._events_write(c, patch=True),
            "calendar.events.update": lambda c: self._events_write(c, patch=False),
            "calendar.events.delete": self._events_delete,
            "calendar.freebusy.query": self._freebusy,
        }

    # Auth ---------------------------------------------------------------------------------
    @staticmethod
    def _auth_error(message: str, reason: str = "authError") -> ApiError:
        return ApiError(
            401,
            reason,
            message,
            location="Authorization",
            location_type="header",
            status_name="UNAUTHENTICATED",
            headers={
                "www-authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
            },
        )

    def _authorized(self, request: Request) -> tuple[frozenset[str], str]:
        """The scopes and OAuth client of the request's Bearer token; 401 when missing, unknown
        or expired."""
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            raise self._auth_error(
                "Request is missing required authentication credential. Expected OAuth 2 access "
                "token, login cookie or other valid authentication credential.",
                "required",
            )
        grant = self._access.get(header[7:].strip())
        if grant is None or _utc(grant["expires"]) <= self._now():
            raise self._auth_error("Invalid Credentials")
        return frozenset(grant["scopes"]), str(grant.get("client", self.client_id))

    def _grant(self, scopes: list[str]) -> dict[str, Any]:
        token = "ya29.sandbox-" + secrets.token_urlsafe(32)
        expires = self._now() + timedelta(seconds=_TOKEN_LIFETIME)
        self._access[token] = {"expires": _z(expires), "scopes": scopes, "client": self.client_id}
        return {
            "access_token": token,
            "expires_in": _TOKEN_LIFETIME,
            "scope": " ".join(scopes),
            "token_type": "Bearer",
        }

    @staticmethod
    def _oauth_error(status: int, error: str, description: str) -> Response:
        return Response.json(status, {"error": error, "error_description": description})

    def _token(self, request: Request) -> Response:
        if request.method != "POST":
            return self._oauth_error(405, "invalid_request", "Only POST is supported.")
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("authorization", "")
        if basic.lower().startswith("basic "):
            try:
                pair = base64.b64decode(basic[6:].strip()).decode()
            except ValueError:
                pair = ":"
            client_id, _, secret = (unquote(p) for p in pair.partition(":"))
        if client_id != self.client_id:
            return self._oauth_error(401, "invalid_client", "The OAuth client was not found.")
        if secret != self.client_secret:
            return self._oauth_error(401, "invalid_client", "Unauthorized")
        grant_type = form.get("grant_type")
        if grant_type == "refresh_token":
            consented = self._refresh.get(form.get("refresh_token", ""))
            if "refresh_token" not in form:
                return self._oauth_error(
                    400, "invalid_request", "Missing required parameter: refresh_token"
                )
            if consented is None:
                return self._oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
            wanted = form["scope"].split() if form.get("scope") else consented
            if not set(wanted) <= set(consented):
                return self._oauth_error(400, "invalid_scope", "Bad Request")
            return Response.json(200, self._grant(list(wanted)))
        if grant_type == "authorization_code":
            info = self._codes.pop(form.get("code", ""), None)
            if info is None:
                return self._oauth_error(400, "invalid_grant", "Malformed auth code.")
            if form.get("redirect_uri") and form["redirect_uri"] != info["redirect_uri"]:
                return self._oauth_error(400, "redirect_uri_mismatch", "Bad Request")
            challenge = info.get("code_challenge")
            if challenge:
                verifier = form.get("code_verifier", "").encode()
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
                if digest.decode() != challenge:
                    return self._oauth_error(400, "invalid_grant", "Invalid code verifier.")
            refresh = "1//sandbox-" + secrets.token_urlsafe(32)
            self._refresh[refresh] = list(info["scopes"])
            return Response.json(
                200, {**self._grant(list(info["scopes"])), "refresh_token": refresh}
            )
        return self._oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _authorize_endpoint(self, request: Request) -> Response:
        """Google's consent page, consenting at once: a redirect back carrying a code."""
        if request.arg("client_id") != self.client_id:
            return self._oauth_error(401, "invalid_client", "The OAuth client was not found.")
        redirect = request.arg("redirect_uri") or ""
        if request.arg("response_type") != "code" or not redirect:
            return self._oauth_error(
                400, "invalid_request", "Missing response_type or redirect_uri."
            )
        scopes = (request.arg("scope") or "").split() or list(ALL_SCOPES)
        code = self.issue_auth_code(scopes, redirect)
        if request.arg("code_challenge"):
            self._codes[code]["code_challenge"] = request.arg("code_challenge")
        query = {"state": request.arg("state") or "", "code": code, "scope": " ".join(scopes)}
        sep = "&" if "?" in redirect else "?"
        return Response(302, {"location": redirect + sep + urlencode(query)})

    def _revoke(self, request: Request) -> Response:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"))) | dict(request.query)
        token = form.get("token", "")
        if token in self._refresh:
            del self._refresh[token]
        elif self._access.pop(token, None) is None:
            return self._oauth_error(400, "invalid_token", "Token expired or revoked")
        return Response.json(200, {})

    # Batch ----------------------------------------------------------------------------------
    def _batch(self, request: Request) -> Response:
        if request.method != "POST":
            return _not_found().response()
        try:
            parts = parse_batch(request.headers.get("content-type", ""), request.body)
        except BatchFormatError as exc:
            return _bad(str(exc), "badRequest").response()
        if not parts:
            return _bad("No requests in the batch.", "badRequest").response()
        if len(parts) > self.batch_limit:
            msg = f"Inner request count exceeds the limit. Received: {len(parts)}, Limit: {self.batch_limit}"
            body = {"error": {"code": 400, "message": msg, "status": "INVALID_ARGUMENT"}}
            return Response.json(400, body)
        # outer headers apply to every part, except Content-*; a part's own header wins
        shared = {
            k: v
            for k, v in request.headers.items()
            if not k.startswith("content-") and k not in ("host", "transfer-encoding")
        }
        answers: list[tuple[str | None, Response]] = []
        for part in parts:
            inner = Request(
                part.request.method,
                part.request.path,
                part.request.query,
                {**shared, **part.request.headers},
                part.request.body,
            )
            ok = inner.path.startswith(API_PREFIX)
            kind = self.part_fault()
            fault = PART_FAULTS.get(kind or "")
            if not ok:
                answer = _not_found().response()
            elif fault is None or fault.applied:
                answer = self._api(inner)
            if fault is not None:  # that part alone fails (after taking effect, or not)
                answer = _fault_error(fault).response()
            answers.append((part.content_id, answer))
        content_type, payload = encode_batch(answers)
        return Response(200, {"content-type": content_type}, payload)

    # Calendars ------------------------------------------------------------------------------
    def _calendar(self, calendar_id: str) -> _Calendar:
        cal = self._calendars.get(self.user_email if calendar_id == "primary" else calendar_id)
        if cal is None:
            raise _not_found()
        return cal

    def _touch(self, cal: _Calendar) -> int:
        tick = self._tick()
        cal.updated, cal.etag = _ms(self._now()), f'"{tick}"'
        return tick

    def _new_calendar_meta(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"c_{secrets.token_hex(32)}@group.calendar.google.com",
            **{k: body[k] for k in ("summary", "description", "location", "timeZone") if k in body},
            "dataOwner": self.user_email,
        }

    def _add_calendar(self, meta: dict[str, Any], entry: dict[str, Any] | None = None) -> _Calendar:
        meta = {"kind": "calendar#calendar", "etag": "", **meta}
        meta.setdefault("timeZone", self.time_zone)
        meta["conferenceProperties"] = {"allowedConferenceSolutionTypes": ["hangoutsMeet"]}
        color = str(len(self._calendars) % len(CALENDAR_COLORS) + 1)
        entry = {"colorId": color, "selected": True, "defaultReminders": [], **(entry or {})}
        cal = _Calendar(meta, entry)
        self._calendars[cal.id] = cal
        self._touch(cal)
        meta["etag"] = cal.etag
        return cal

    def _calendar_fields(self, body: dict[str, Any], *, need_summary: bool) -> dict[str, Any]:
        _check(body, _SCHEMAS["Calendar"], "")
        if need_summary and not body.get("summary"):
            raise _bad("Missing title.", "required")
        if "timeZone" in body:  # a calendar always has a zone: null cannot clear it
            try:
                _zone(body["timeZone"] or "")
            except ValueError:
                raise _bad("Invalid time zone definition.") from None
        return {k: body[k] for k in ("summary", "description", "location", "timeZone") if k in body}

    def _calendars_insert(self, call: _Call) -> dict[str, Any]:
        fields = self._calendar_fields(call.body(), need_summary=True)
        cal = self._add_calendar(self._new_calendar_meta(fields))
        cal.creator = call.client
        return copy.deepcopy(cal.meta)

    def _calendars_get(self, call: _Call) -> dict[str, Any]:
        return copy.deepcopy(self._calendar(call.path["calendarId"]).meta)

    def _calendars_write(self, call: _Call, *, patch: bool) -> dict[str, Any]:
        cal = self._calendar(call.path["calendarId"])
        fields = self._calendar_fields(call.body(), need_summary=not patch)
        if not patch:
            for k in ("description", "location"):
                cal.meta.pop(k, None)
        for k, v in fields.items():
            if v is None:
                cal.meta.pop(k, None)
            else:
                cal.meta[k] = v
        self._touch(cal)
        cal.meta["etag"] = cal.etag
        return copy.deepcopy(cal.meta)

    def _calendars_delete(self, call: _Call) -> Response:
        cal = self._calendar(call.path["calendarId"])
        if cal.id == self.user_email:
            raise _bad(
                "The primary calendar cannot be deleted; use calendars.clear.",
                "cannotDeletePrimaryCalendar",
            )
        del self._calendars[cal.id]
        return Response.empty()

    def _calendars_clear(self, call: _Call) -> Response:
        cal = self._calendar(call.path["calendarId"])
        if cal.id != self.user_email:
            raise _bad("Only the primary calendar can be cleared.")
        for ev in cal.events.values():
            if ev.body["status"] != "cancelled":
                ev.body["status"] = "cancelled"
                self._stamp(cal, ev)
        return Response.empty()

    def _entry(self, cal: _Calendar) -> dict[str, Any]:
        meta = cal.meta
        color = cal.entry.get("colorId", "1")
        out: dict[str, Any] = {
            "kind": "calendar#calendarListEntry",
            "etag": cal.etag,
            "id": cal.id,
            "summary": meta.get("summary", ""),
            **{k: meta[k] for k in ("description", "location") if k in meta},
            "timeZone": meta["timeZone"],
            "colorId": color,
            "backgroundColor": "#" + CALENDAR_COLORS[int(color) - 1],
            "foregroundColor": _FOREGROUND,
            "accessRole": "owner",
            **{k: v for k, v in cal.entry.items() if k != "colorId"},
            "conferenceProperties": meta["conferenceProperties"],
        }
        if "dataOwner" in meta:
            out["dataOwner"] = meta["dataOwner"]
        if cal.entry.get("primary"):
            out["notificationSettings"] = {
                "notifications": [
                    {"type": t, "method": "email"}
                    for t in ("eventCreation", "eventChange", "eventCancellation", "eventResponse")
                ]
            }
        return copy.deepcopy(out)

    def _calendar_list_get(self, call: _Call) -> dict[str, Any]:
        return self._entry(self._calendar(call.path["calendarId"]))

    def _calendar_list(self, call: _Call) -> dict[str, Any]:
        p = call.params
        entries = [
            self._entry(c)
            for c in self._calendars.values()
            if not c.entry.get("deleted") and (p.get("showHidden") or not c.entry.get("hidden"))
        ]
        size = min(p.get("maxResults", 100), 250)
        start = self._offset_token(p.get("pageToken"))
        out: dict[str, Any] = {"kind": "calendar#calendarList", "etag": f'"{self._tick_last}"'}
        if start + size < len(entries):
            out["nextPageToken"] = self._offset_token_for(start + size)
        out["items"] = entries[start : start + size]
        return out

    def _calendar_list_write(self, call: _Call, *, patch: bool) -> dict[str, Any]:
        cal = self._calendar(call.path["calendarId"])
        body = call.body()
        _check(body, _SCHEMAS["CalendarListEntry"], "")
        color = body.get("colorId")
        if color is not None and not (color.isdigit() and 1 <= int(color) <= len(CALENDAR_COLORS)):
            raise _bad("Invalid color id.", location="colorId")
        keep = ("primary", "colorId", "notificationSettings", "deleted")
        entry = dict(cal.entry) if patch else {k: v for k, v in cal.entry.items() if k in keep}
        for k in ("colorId", "hidden", "selected", "summaryOverride", "defaultReminders"):
            if body.get(k) is not None:
                entry[k] = body[k]
            elif k in body and k != "colorId":
                entry.pop(k, None)
        cal.entry = {"selected": True, "defaultReminders": [], **entry}
        self._touch(cal)
        return self._entry(cal)

    def _calendar_list_delete(self, call: _Call) -> Response:
        cal = self._calendar(call.path["calendarId"])
        if cal.id == self.user_email:
            raise _bad("The primary calendar cannot be removed from the list.")
        cal.entry["deleted"] = True
        return Response.empty()

    @staticmethod
    def _offset_token(token: str | None) -> int:
        if not token:
            return 0
        try:
            return int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("o:"))
        except ValueError:
            raise _param_error("pageToken", "Invalid page token value.") from None

    @staticmethod
    def _offset_token_for(offset: int) -> str:
        return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()

    def _colors(self, call: _Call) -> dict[str, Any]:
        def palette(colors: list[str]) -> dict[str, Any]:
            return {
                str(i): {"background": "#" + c, "foreground": _FOREGROUND}
                for i, c in enumerate(colors, 1)
            }

        return {
            "kind": "calendar#colors",
            "updated": "2012-02-14T00:00:00.000Z",
            "calendar": palette(CALENDAR_COLORS),
            "event": palette(EVENT_COLORS),
        }

    def _setting(self, name: str) -> dict[str, Any]:
        value = self._settings[name]
        etag = hashlib.sha1(f"{name}={value}".encode()).hexdigest()[:16]
        return {"kind": "calendar#setting", "etag": f'"{etag}"', "id": name, "value": value}

    def _settings_get(self, call: _Call) -> dict[str, Any]:
        if call.path["setting"] not in self._settings:
            raise _not_found()
        return self._setting(call.path["setting"])

    def _settings_list(self, call: _Call) -> dict[str, Any]:
        items = [self._setting(k) for k in self._settings]
        return {"kind": "calendar#settings", "etag": f'"{self._tick_last}"', "items": items}

    # Events: stored, virtual and rendered ---------------------------------------------------
    def _render(self, body: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
        out = copy.deepcopy(body)
        for key in ("start", "end", "originalStartTime"):
            edt = out.get(key)
            if isinstance(edt, dict) and "dateTime" in edt:
                edt["dateTime"] = _local(_utc(edt["dateTime"]), zone)
        return out

    def _zone_param(self, call: _Call, cal: _Calendar) -> tzinfo:
        name = call.params.get("timeZone")
        if not name:
            return cal.zone
        try:
            return _zone(name)
        except ValueError:
            raise _param_error("timeZone", f"Invalid time zone: {name}") from None

    @staticmethod
    def _bounds(body: dict[str, Any], zone: tzinfo) -> tuple[datetime, datetime]:
        def instant(edt: dict[str, Any]) -> datetime:
            if "dateTime" in edt:
                return _utc(edt["dateTime"])
            return _midnight(date.fromisoformat(edt["date"]), zone)

        return instant(body["start"]), instant(body["end"])

    def _instances(
        self, cal: _Calendar, master: _Event, stop: datetime | None
    ) -> Iterator[dict[str, Any]]:
        """Virtual instances of a series, starting before `stop` (default: the horizon)."""
        body = master.body
        series = _Series.of(body)
        start, end = body["start"], body["end"]
        if series.at is None:
            length = date.fromisoformat(end["date"]) - date.fromisoformat(start["date"])
        else:  # wall-clock length: same-zone subtraction ignores the offsets
            zone = _zone(start["timeZone"])
            length = _utc(end["dateTime"]).astimezone(zone) - _utc(start["dateTime"]).astimezone(
                zone
            )
        first = series.start_of(series.first)
        horizon = max(
            self._now(), first if isinstance(first, datetime) else _midnight(first, cal.zone)
        )
        stop = stop or horizon + _HORIZON
        for i, occ in enumerate(series.occurrences()):
            begins = occ if isinstance(occ, datetime) else _midnight(occ, cal.zone)
            if begins >= stop or i >= _MAX_INSTANCES:
                return
            inst = {k: v for k, v in body.items() if k != "recurrence"}
            inst["id"] = f"{body['id']}_{_stamp(occ)}"
            inst["recurringEventId"] = body["id"]
            if isinstance(occ, datetime):
                loc = occ.astimezone(_zone(start["timeZone"]))
                ends = (loc + length).astimezone(UTC)  # wall-clock length, DST-aware
                inst["start"] = {**start, "dateTime": _z(occ)}
                inst["end"] = {**end, "dateTime": _z(ends)}
            else:
                inst["start"] = {**start, "date": occ.isoformat()}
                inst["end"] = {**end, "date": (occ + length).isoformat()}
            inst["originalStartTime"] = copy.deepcopy(inst["start"])
            yield copy.deepcopy(inst)

    def _virtual(self, cal: _Calendar, event_id: str) -> dict[str, Any] | None:
        """The unmodified instance `event_id` of a stored series, if it is one."""
        m = _INSTANCE_ID.match(event_id)
        master = cal.events.get(m.group("master")) if m else None
        if m is None or master is None or not master.body.get("recurrence"):
            return None
        stamp = m.group("stamp")
        wanted = (
            datetime.strptime(stamp, "%Y%m%dT%H%M%S%z")
            if "T" in stamp
            else _midnight(date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:])), cal.zone)
        )
        for inst in self._instances(cal, master, wanted + timedelta(seconds=1)):
            if inst["id"] == event_id:
                return inst
        return None

    def _current(self, cal: _Calendar, event_id: str) -> dict[str, Any]:
        ev = cal.events.get(event_id)
        if ev is not None:
            return ev.body
        inst = self._virtual(cal, event_id)
        if inst is None:
            raise _not_found()
        return inst

    def _stamp(self, cal: _Calendar, ev: _Event, *, touch_updated: bool = True) -> None:
        """Record a change: new etag, sync position and (usually) `updated`."""
        tick = self._touch(cal)
        self._seq += 1
        ev.seq = self._seq
        ev.body["etag"] = f'"{tick}"'
        if touch_updated:
            ev.body["updated"] = cal.updated

    def _materialize(self, cal: _Calendar, event_id: str) -> _Event:
        """The stored event, or a new exception for an unmodified instance of a series."""
        ev = cal.events.get(event_id)
        if ev is not None:
            return ev
        inst = self._virtual(cal, event_id)
        if inst is None:
            raise _not_found()
        self._n += 1
        ev = _Event(inst, self._n, self._seq)
        cal.events[event_id] = ev
        return ev

    # Events: validation ---------------------------------------------------------------------
    def _validated(
        self, cal: _Calendar, fields: dict[str, Any], *, instance: bool
    ) -> dict[str, Any]:
        """Check and normalise the client-controlled fields of a whole event."""
        f = {
            k: v
            for k, v in fields.items()
            if k in _EVENT_FIELDS and k not in _READ_ONLY and v is not None
        }
        _check(f, _SCHEMAS["Event"], "")
        recurring = bool(f.get("recurrence")) and not instance
        for which in ("start", "end"):
            if not f.get(which):
                raise _bad(f"Missing {which} time.", "required")
            f[which] = self._edt(f[which], which, recurring)
        if ("date" in f["start"]) != ("date" in f["end"]):
            raise _bad("Start and end times must either both be date or both be dateTime.")
        if self._bounds(f, cal.zone)[1] <= self._bounds(f, cal.zone)[0]:
            raise ApiError(
                400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar"
            )
        if instance:
            f.pop("recurrence", None)
        elif f.get("recurrence"):
            try:
                rrules = [ln for ln in f["recurrence"] if ln.upper().startswith("RRULE:")]
                others = [
                    ln for ln in f["recurrence"] if not ln.upper().startswith(("RRULE:", "EXDATE"))
                ]
                if len(rrules) != 1 or others:
                    raise ValueError(f["recurrence"])
                _Series.of(f)
            except (ValueError, KeyError, IndexError):
                raise _bad("Invalid recurrence rule.") from None
        else:
            f.pop("recurrence", None)
        f["reminders"] = self._reminders(f.get("reminders"))
        ext = self._extended(f.get("extendedProperties"))
        if ext:
            f["extendedProperties"] = ext
        else:
            f.pop("extendedProperties", None)
        for name, allowed in (
            ("status", ("confirmed", "tentative", "cancelled")),
            ("transparency", ("opaque", "transparent")),
            ("visibility", ("default", "public", "private", "confidential")),
        ):
            if name in f and f[name] not in allowed:
                raise _bad(f"Invalid value for: {name}")
        for name, default in (("transparency", "opaque"), ("visibility", "default")):
            if f.get(name) == default:
                del f[name]
        color = f.get("colorId")
        if color is not None and not (color.isdigit() and 1 <= int(color) <= len(EVENT_COLORS)):
            raise _bad("Invalid color id.")
        source = f.get("source")
        if source and not str(source.get("url", "")).startswith(("http://", "https://")):
            raise _bad("Invalid value for: source.url")
        return f

    def _edt(self, edt: dict[str, Any], which: str, recurring: bool) -> dict[str, Any]:
        out = {k: edt[k] for k in ("date", "dateTime", "timeZone") if edt.get(k) is not None}
        zone: ZoneInfo | None = None
        if "timeZone" in out:
            try:
                zone = _zone(out["timeZone"])
            except ValueError:
                raise _bad(f"Invalid time zone definition for {which} time.") from None
        if ("date" in out) == ("dateTime" in out):
            raise _bad(
                f"Invalid {which} time." if "date" in out else f"Missing {which} time.",
                "invalid" if "date" in out else "required",
            )
        if "date" in out:
            if not _DATE.match(out["date"]):
                raise _bad(f"Invalid {which} time.")
            try:
                date.fromisoformat(out["date"])
            except ValueError:
                raise _bad(f"Invalid {which} time.") from None
            return out
        try:
            instant = _parse_time(out["dateTime"], zone)
        except ValueError:
            raise _bad(f"Invalid {which} time.") from None
        if instant is None or (recurring and which == "start" and zone is None):
            raise _bad(f"Missing time zone definition for {which} time.", "required")
        out["dateTime"] = _z(instant)
        return out

    @staticmethod
    def _reminders(value: dict[str, Any] | None) -> dict[str, Any]:
        if not value:
            return {"useDefault": True}
        overrides = value.get("overrides") or []
        use_default = bool(value.get("useDefault", False))
        if use_default and overrides:
            raise ApiError(
                400,
                "cannotUseDefaultRemindersAndSpecifyOverride",
                "Cannot specify both default reminders and overrides at the same time.",
                domain="calendar",
            )
        if len(overrides) > _MAX_REMINDERS:
            raise _bad("Too many reminders specified.")
        for r in overrides:
            if r.get("method") not in ("email", "popup") or not (
                isinstance(r.get("minutes"), int) and 0 <= r["minutes"] <= _MAX_REMINDER_MINUTES
            ):
                raise _bad("Invalid value for: reminders.overrides")
        out: dict[str, Any] = {"useDefault": use_default}
        if overrides:
            out["overrides"] = [{"method": r["method"], "minutes": r["minutes"]} for r in overrides]
        return out

    @staticmethod
    def _extended(value: dict[str, Any] | None) -> dict[str, Any]:
        """Limits of §1: long keys dropped, long values truncated, totals checked."""
        out: dict[str, Any] = {}
        total = size = 0
        for section in ("private", "shared"):
            props = (value or {}).get(section) or {}
            kept = {
                k: v[:_EXT_VALUE_MAX]
                for k, v in props.items()
                if v is not None and len(k) <= _EXT_KEY_MAX
            }
            total += len(kept)
            size += sum(len(k.encode()) + len(v.encode()) for k, v in kept.items())
            if kept:
                out[section] = kept
        if total > _EXT_COUNT_MAX or size > _EXT_BYTES_MAX:
            raise _bad("The extended properties of this event exceed the size limits.")
        return out

    def _assemble(
        self, cal: _Calendar, event_id: str, f: dict[str, Any], old: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The stored resource: validated client fields plus the server's own."""
        now = _ms(self._now())
        eid = base64.urlsafe_b64encode(f"{event_id} {cal.id}".encode()).decode().rstrip("=")
        if cal.id == self.user_email:
            organizer = {"email": self.user_email, "self": True}
        else:
            organizer = {"email": cal.id, "displayName": cal.meta.get("summary", ""), "self": True}
        res: dict[str, Any] = {
            "kind": "calendar#event",
            "etag": "",
            "id": event_id,
            "status": "confirmed",
            "htmlLink": f"https://www.google.com/calendar/event?eid={eid}",
            "created": now,
            "updated": now,
            "creator": {"email": self.user_email, "self": True},
            "organizer": organizer,
            "iCalUID": f"{event_id}@google.com",
            "sequence": 0,
            "eventType": "default",
        }
        if old is not None:  # server fields survive an update
            keep = (
                "created",
                "creator",
                "organizer",
                "iCalUID",
                "sequence",
                "eventType",
                "recurringEventId",
                "originalStartTime",
                "htmlLink",
            )
            res |= {k: old[k] for k in keep if k in old}
            moved = any(old.get(k) != f.get(k) for k in ("start", "end", "recurrence"))
            res["sequence"] = old.get("sequence", 0) + (1 if moved else 0)
        return _ordered(res | f)

    # Events: methods ------------------------------------------------------------------------
    def _insert(self, cal: _Calendar, body: dict[str, Any]) -> _Event:
        event_id = body.get("id")
        if event_id is None:
            raw = base64.b32hexencode(secrets.token_bytes(16)).decode()
            event_id = raw.lower().rstrip("=")
        elif not isinstance(event_id, str) or not _EVENT_ID.match(event_id):
            raise _bad("Invalid resource id value.")
        if event_id in cal.events:
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        ical = body.get("iCalUID")
        if ical and any(e.body.get("iCalUID") == ical for e in cal.events.values()):
            raise ApiError(409, "duplicate", "The requested identifier already exists.")
        etype = body.get("eventType", "default")
        if etype not in ("default", "focusTime", "outOfOffice", "workingLocation") or (
            etype != "default" and cal.id != self.user_email
        ):
            raise _bad(
                f"Event type {etype!r} cannot be created on this calendar.", location="eventType"
            )
        f = self._validated(cal, body, instance=False)
        if etype in ("focusTime", "outOfOffice") and ("date" in f["start"] or "transparency" in f):
            raise _bad(f"A {etype} event must be timed and opaque.")
        res = self._assemble(cal, event_id, f, None)
        res["eventType"] = etype
        if ical:
            res["iCalUID"] = ical
        self._n += 1
        ev = _Event(res, self._n, 0)
        cal.events[event_id] = ev
        self._stamp(cal, ev)
        return ev

    @staticmethod
    def _check_if_match(call_headers: dict[str, str] | None, body: dict[str, Any]) -> None:
        wanted = (call_headers or {}).get("if-match")
        if wanted and wanted.strip() != "*" and wanted.strip() != body["etag"]:
            raise ApiError(
                412,
                "conditionNotMet",
                "Precondition Failed",
                location="If-Match",
                location_type="header",
            )

    def _patch(
        self, cal: _Calendar, event_id: str, body: dict[str, Any], headers: dict[str, str] | None
    ) -> _Event:
        old = self._current(cal, event_id)
        self._check_if_match(headers, old)
        merged = copy.deepcopy(old)
        for k, v in body.items():
            if k in ("extendedProperties", "reminders") and isinstance(v, dict):
                merged[k] = _merge(
                    merged.get(k) or {}, v, depth=2 if k == "extendedProperties" else 1
                )
            elif v is None:
                merged.pop(k, None)
            else:
                merged[k] = v
        merged.setdefault("status", old["status"])  # a cancelled event stays cancelled
        if body.get("eventType", old["eventType"]) != old["eventType"]:
            raise _bad("The event type cannot be changed.", location="eventType")
        return self._write(cal, event_id, merged)

    def _update(
        self, cal: _Calendar, event_id: str, body: dict[str, Any], headers: dict[str, str] | None
    ) -> _Event:
        old = self._current(cal, event_id)
        self._check_if_match(headers, old)
        if body.get("eventType", old["eventType"]) != old["eventType"]:
            raise _bad("The event type cannot be changed.", location="eventType")
        return self._write(cal, event_id, body)  # full replace: no status means confirmed

    def _write(self, cal: _Calendar, event_id: str, fields: dict[str, Any]) -> _Event:
        old = self._current(cal, event_id)
        f = self._validated(cal, fields, instance="recurringEventId" in old)
        ev = self._materialize(cal, event_id)
        res = self._assemble(cal, event_id, f, old)
        # changing only reminders leaves `updated` alone (discovery doc)
        ignored = ("reminders", "etag", "updated")
        main_data_changed = {k: v for k, v in res.items() if k not in ignored} != {
            k: v for k, v in old.items() if k not in ignored
        }
        res["updated"] = old.get("updated", res["updated"])
        ev.body = res
        self._stamp(cal, ev, touch_updated=main_data_changed)
        if res.get("recurrence") is None and old.get("recurrence"):
            self._cancel_exceptions(cal, event_id)
        return ev

    def _delete(self, cal: _Calendar, event_id: str, headers: dict[str, str] | None) -> None:
        old = self._current(cal, event_id)
        self._check_if_match(headers, old)
        if old["status"] == "cancelled":
            raise ApiError(410, "deleted", "Resource has been deleted")
        ev = self._materialize(cal, event_id)
        ev.body["status"] = "cancelled"
        self._stamp(cal, ev)
        if ev.body.get("recurrence"):
            self._cancel_exceptions(cal, event_id)

    def _cancel_exceptions(self, cal: _Calendar, master_id: str) -> None:
        for ev in list(cal.events.values()):
            if ev.body.get("recurringEventId") == master_id and ev.body["status"] != "cancelled":
                ev.body["status"] = "cancelled"
                self._stamp(cal, ev)

    def _events_insert(self, call: _Call) -> dict[str, Any]:
        cal = self._calendar(call.path["calendarId"])
        return self._render(self._insert(cal, call.body()).body, cal.zone)

    def _events_get(self, call: _Call) -> dict[str, Any] | Response:
        cal = self._calendar(call.path["calendarId"])
        body = self._current(cal, call.path["eventId"])
        if call.request.headers.get("if-none-match", "").strip() == body["etag"]:
            return Response(304)
        return self._render(body, self._zone_param(call, cal))

    def _events_write(self, call: _Call, *, patch: bool) -> dict[str, Any]:
        cal = self._calendar(call.path["calendarId"])
        act = self._patch if patch else self._update
        return self._render(
            act(cal, call.path["eventId"], call.body(), call.request.headers).body, cal.zone
        )

    def _events_delete(self, call: _Call) -> Response:
        self._delete(
            self._calendar(call.path["calendarId"]), call.path["eventId"], call.request.headers
        )
        return Response.empty()

    # Events: listing ------------------------------------------------------------------------
    def _time_param(self, call: _Call, name: str) -> datetime | None:
        raw = call.params.get(name)
        if raw is None:
            return None
        try:
            value = _parse_time(raw)
        except ValueError:
            value = None
        if value is None:
            raise _param_error(name, "Bad Request", "badRequest")
        return value

    def _sync_token(self, cal: _Calendar, seq: int) -> str:
        raw = json.dumps([self._epoch, seq, hashlib.sha1(cal.id.encode()).hexdigest()[:8]])
        return base64.b64encode(b"\x08\x01" + raw.encode()).decode()

    def _sync_since(self, cal: _Calendar, token: str) -> int:
        gone = ApiError(
            410,
            "fullSyncRequired",
            "Sync token is no longer valid, a full sync is required.",
            domain="calendar",
            location="syncToken",
            location_type="parameter",
        )
        try:
            epoch, seq, owner = json.loads(base64.b64decode(token.encode())[2:])
        except ValueError:
            raise gone from None
        if epoch != self._epoch or owner != hashlib.sha1(cal.id.encode()).hexdigest()[:8]:
            raise gone
        return int(seq)

    def _events_list(self, call: _Call) -> dict[str, Any]:
        return self._listing(call, self._calendar(call.path["calendarId"]), master=None)

    def _events_instances(self, call: _Call) -> dict[str, Any]:
        cal = self._calendar(call.path["calendarId"])
        master = cal.events.get(call.path["eventId"])
        if master is None:
            raise _not_found()
        return self._listing(call, cal, master=master)

    def _listing(self, call: _Call, cal: _Calendar, master: _Event | None) -> dict[str, Any]:
        """events.list (or, for `master`, events.instances): filter, order, page."""
        q = self._query(call, cal, expand=master is not None)
        snapshot, after = self._seq, None
        if q.params.get("pageToken"):
            snapshot, after = self._page_position(q.params["pageToken"], q.fingerprint)
        records = list(cal.events.values())
        if master is not None:
            records = [master] + [
                e for e in records if e.body.get("recurringEventId") == master.body["id"]
            ]
        rows = sorted(self._rows(cal, q, records), key=lambda r: r[0])
        if after is not None:
            rows = [r for r in rows if r[0] > after]
        size = min(q.params.get("maxResults", 250), 2500)
        page = rows[:size]
        zone = self._zone_param(call, cal)
        out: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": cal.etag,
            "summary": cal.meta.get("summary", ""),
            **({"description": cal.meta["description"]} if cal.meta.get("description") else {}),
            "updated": cal.updated,
            "timeZone": getattr(zone, "key", cal.meta["timeZone"]),
            "accessRole": "owner",
            "defaultReminders": copy.deepcopy(cal.entry.get("defaultReminders", [])),
        }
        if len(rows) > size:
            out["nextPageToken"] = self._page_token(page[-1][0], snapshot, q.fingerprint)
        else:  # the last page; changes after the first page come with the next sync
            out["nextSyncToken"] = self._sync_token(cal, snapshot)
        incremental = q.since is not None or q.updated_min is not None
        out["items"] = [
            _minimal(body) if incremental and body["status"] == "cancelled" else
            self._render(body, zone)
            for _, body in page
        ]  # fmt: skip
        return out

    def _query(self, call: _Call, cal: _Calendar, *, expand: bool) -> _Query:
        p = call.params
        since: int | None = None
        if "syncToken" in p:
            for name in _SYNC_FORBIDDEN:
                if name in p:
                    raise _param_error(name, f"{name} cannot be combined with syncToken.")
            if p.get("showDeleted") is False:
                raise _param_error(
                    "showDeleted", "showDeleted=false cannot be used with syncToken."
                )
            since = self._sync_since(cal, p["syncToken"])
        single = bool(p.get("singleEvents")) or expand
        if p.get("orderBy") == "startTime" and not single:
            message = "The requested ordering is not available for the particular query."
            raise _param_error("orderBy", message)
        tmin, tmax = self._time_param(call, "timeMin"), self._time_param(call, "timeMax")
        if tmin and tmax and tmin >= tmax:
            raise ApiError(
                400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar"
            )
        return _Query(p, single, since, tmin, tmax, self._time_param(call, "updatedMin"))

    def _rows(
        self, cal: _Calendar, q: _Query, records: list[_Event]
    ) -> Iterator[tuple[list[Any], dict[str, Any]]]:
        """(sort key, resource) of every series, instance or single event the query selects."""
        purged = self._now() - self.cancelled_retention
        for ev in records:
            body = ev.body
            if q.since is not None and ev.seq <= q.since:
                continue
            if q.since is None and body["status"] == "cancelled" and _utc(body["updated"]) < purged:
                continue  # old deletions drop out of full lists
            if q.updated_min is not None and _utc(body["updated"]) < q.updated_min:
                continue
            if q.single and body.get("recurrence"):
                if body["status"] == "cancelled" and not q.show_deleted:
                    continue
                for inst in self._instances(cal, ev, q.tmax):
                    # a stored exception stands in for its instance
                    if inst["id"] not in cal.events and self._wanted(cal, q, inst):
                        yield self._sort_key(q.params, inst, ev.n, cal.zone), inst
            elif self._wanted(cal, q, body, series=ev if body.get("recurrence") else None):
                parent = cal.events.get(body.get("recurringEventId", ""))
                n = parent.n if q.single and parent is not None else ev.n
                yield self._sort_key(q.params, body, n, cal.zone), body

    def _wanted(
        self, cal: _Calendar, q: _Query, body: dict[str, Any], series: _Event | None = None
    ) -> bool:
        if body["status"] == "cancelled" and not q.show_deleted:
            # cancelled exceptions of a live series still show in unexpanded lists
            parent = cal.events.get(body.get("recurringEventId", ""))
            if q.single or parent is None or parent.body["status"] == "cancelled":
                return False
        if q.tmin or q.tmax:
            if series is not None:  # an unexpanded series: does any instance overlap?
                instances = self._instances(cal, series, q.tmax)
                if not any(self._overlaps(i, cal.zone, q.tmin, q.tmax) for i in instances):
                    return False
            elif not self._overlaps(body, cal.zone, q.tmin, q.tmax):
                return False
        return self._matches(body, q.params)

    def _overlaps(
        self, body: dict[str, Any], zone: tzinfo, tmin: datetime | None, tmax: datetime | None
    ) -> bool:
        start, end = self._bounds(body, zone)
        return (tmin is None or end > tmin) and (tmax is None or start < tmax)

    @staticmethod
    def _matches(body: dict[str, Any], p: dict[str, Any]) -> bool:
        if "iCalUID" in p and body.get("iCalUID") != p["iCalUID"]:
            return False
        if "eventTypes" in p and body.get("eventType", "default") not in p["eventTypes"]:
            return False
        ext = body.get("extendedProperties", {})
        for param, section in (
            ("privateExtendedProperty", "private"),
            ("sharedExtendedProperty", "shared"),
        ):
            for constraint in p.get(param, []):
                key, eq, value = constraint.partition("=")
                if not eq:
                    raise _param_error(param, f"Invalid extended property constraint: {constraint}")
                if ext.get(section, {}).get(key) != value:  # repeated constraints: AND
                    return False
        if p.get("q"):
            people = [body.get("organizer", {}), *body.get("attendees", [])]
            hay = " ".join(
                [str(body.get(k, "")) for k in ("summary", "description", "location")]
                + [str(x.get(k, "")) for x in people for k in ("email", "displayName")]
            ).lower()
            return all(term in hay for term in p["q"].lower().split())
        return True

    @staticmethod
    def _sort_key(p: dict[str, Any], body: dict[str, Any], n: int, zone: tzinfo) -> list[Any]:
        start = _z(CalendarEmulator._bounds(body, zone)[0])
        order = p.get("orderBy")
        if order == "startTime":
            return [start, body["id"]]
        if order == "updated":
            return [body["updated"], n, body["id"]]
        original = body.get("originalStartTime")
        return [
            n,
            _z(CalendarEmulator._bounds({"start": original, "end": original}, zone)[0])
            if original
            else "",
        ]

    @staticmethod
    def _page_token(key: list[Any], snapshot: int, fingerprint: str) -> str:
        raw = json.dumps({"k": key, "s": snapshot, "f": fingerprint}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @staticmethod
    def _page_position(token: str, fingerprint: str) -> tuple[int, list[Any]]:
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if data["f"] != fingerprint:
                raise ValueError(token)
            return int(data["s"]), list(data["k"])
        except (ValueError, KeyError, TypeError):
            raise _param_error("pageToken", "Invalid page token value.") from None

    # Free/busy ------------------------------------------------------------------------------
    def _freebusy(self, call: _Call) -> dict[str, Any]:
        body = call.body()
        _check(body, _SCHEMAS["FreeBusyRequest"], "")
        times: list[datetime] = []
        for name in ("timeMin", "timeMax"):
            if not body.get(name):
                raise _bad(f"Missing {name} parameter.", "required")
            try:
                value = _parse_time(body[name])
            except ValueError:
                value = None
            if value is None:
                raise _bad(f"Invalid {name} value.", location=name)
            times.append(value)
        tmin, tmax = times
        if tmax <= tmin:
            raise ApiError(
                400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar"
            )
        if tmax - tmin > _FREEBUSY_MAX_RANGE:
            raise ApiError(
                400, "timeRangeTooLong", "The requested time range is too long.", domain="calendar"
            )
        if (
            int(body.get("calendarExpansionMax") or 0) > 50
            or int(body.get("groupExpansionMax") or 0) > 100
        ):
            raise _bad("Invalid value for: calendarExpansionMax")
        try:
            zone: tzinfo = _zone(body.get("timeZone") or "UTC")
        except ValueError:
            raise _bad("Invalid time zone.", location="timeZone") from None
        calendars: dict[str, Any] = {}
        for i, item in enumerate(body.get("items") or []):
            cid = str(item.get("id", ""))
            if i >= 50:
                calendars[cid] = {
                    "errors": [{"domain": "global", "reason": "tooManyCalendarsRequested"}],
                    "busy": [],
                }
                continue
            try:
                cal = self._calendar(cid)
            except ApiError:
                calendars[cid] = {
                    "errors": [{"domain": "global", "reason": "notFound"}],
                    "busy": [],
                }
                continue
            busy = [
                {"start": _local(s, zone), "end": _local(e, zone)}
                for s, e in self._busy(cal, tmin, tmax)
            ]
            calendars[cid] = {"busy": busy}
        return {
            "kind": "calendar#freeBusy",
            "timeMin": _ms(tmin),
            "timeMax": _ms(tmax),
            "calendars": calendars,
        }

    def _busy(
        self, cal: _Calendar, tmin: datetime, tmax: datetime
    ) -> list[tuple[datetime, datetime]]:
        spans: list[tuple[datetime, datetime]] = []
        for ev in cal.events.values():
            bodies = (
                [i for i in self._instances(cal, ev, tmax) if i["id"] not in cal.events]
                if ev.body.get("recurrence") and ev.body["status"] != "cancelled"
                else [ev.body]
            )
            for b in bodies:
                if (
                    b["status"] == "cancelled"
                    or b.get("transparency") == "transparent"
                    or b.get("recurrence")
                ):
                    continue
                s, e = self._bounds(b, cal.zone)
                if e > tmin and s < tmax:
                    spans.append((max(s, tmin), min(e, tmax)))
        merged: list[tuple[datetime, datetime]] = []
        for s, e in sorted(spans):
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        return merged


def _minimal(body: dict[str, Any]) -> dict[str, Any]:
    """A cancelled event as incremental lists give it: only what identifies it."""
    keep = ("kind", "etag", "id", "status", "recurringEventId", "originalStartTime")
    return {k: copy.deepcopy(body[k]) for k in keep if k in body}


def _fault_error(fault: PartFault) -> ApiError:
    return ApiError(fault.status, fault.reason, fault.message, domain=fault.domain)


def _merge(base: dict[str, Any], patch: dict[str, Any], depth: int) -> dict[str, Any]:
    """Key-by-key merge `depth` levels deep; a null value deletes the key."""
    out = dict(base)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif depth > 1 and isinstance(v, dict):
            out[k] = _merge(out.get(k) or {}, v, depth - 1)
        else:
            out[k] = v
    return out
