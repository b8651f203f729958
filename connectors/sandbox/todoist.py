"""A local emulator of the Todoist API v1, faithful enough for `todoist-api-python` 4.x and raw `/sync`.

It serves `/api/v1/...` from in-memory state (see `TodoistEmulator`). Every fact it relies on is in
`api-notes/todoist.md`; the REST bodies are held against the official OpenAPI schemas in
`tests/sandbox/test_todoist_contract.py`.

What is emulated
----------------
- REST: projects (list, archived list, get, create, update, delete, archive, unarchive),
  sections (list, get, create, update, delete), tasks (list with project_id / section_id /
  parent_id / label / ids filters, get, create, update, close, reopen, move, delete),
  completed tasks by completion date and by due date, comments (list, get, create, update,
  delete), labels (list, get, create, update, delete), `GET /user`.
- `POST /sync`: form-encoded or JSON bodies; up to 100 commands run in order with `uuid`
  idempotency and `temp_id` resolution (within and across requests); reads of `projects`,
  `items`, `notes`, `project_notes`, `sections`, `labels` and `user` ("all" and "-type" work),
  full (`"*"`) or incremental.
- Commands: project_add / update / delete / archive / unarchive / reorder, section_add / update /
  move / reorder / delete, item_add / update / move / reorder / delete / complete / close /
  uncomplete, note_add / update / delete, project_note_add / update / delete, label_add /
  update / delete.
- Due dates: `due_string` / `due_date` / `due_datetime` (REST) and `due` objects (sync), in the
  three documented kinds (full-day, floating, fixed zone), with an English parser for: today,
  tomorrow, yesterday, weekday names ("mon", "next friday"), "in 3 days", ISO dates, "jan 27",
  any of these "at 9am" / "at 14:30"; and recurring strings: every day / N days / other day,
  week / N weeks, month / N months, year, weekday / workday, weekend, "every mon, wed",
  "every other monday", "every 2 weeks on mon, thu", "every 15th", every morning / afternoon /
  evening / night, daily / weekly / monthly / yearly,
  `every!` and `after` (from the completion date), with "at <time>", "starting <date>" and
  "until <date>" clauses. Closing a recurring task moves it to the first occurrence after its
  current due date that is not before today (or after the completion date for `every!`).
- Limits (configurable): 300 active tasks per project counting subtasks (403
  MAX_ITEMS_LIMIT_REACHED, code 49), 20 sections per project, 300 active projects, pagination
  limit 1..200, field lengths, priority 1..4, duration > 0 in minute/day, and per-15-minute
  rate limits (REST 1000, partial sync 1000, full sync 100) answered with 429 LIMITS_REACHED,
  `error_extra.retry_after` and a `Retry-After` header.

Known deviations from the real API
----------------------------------
- One user, one token; no sharing, workspaces, collaborators, reminders, filters, uploads,
  quick add, search, shared labels, activity log or webhooks: those paths answer 404
  "not emulated by the sandbox".
- The due-string parser knows only the English forms listed above; anything else is 400
  INVALID_ARGUMENT_VALUE (the real parser knows far more). `due_lang` is stored, not used.
  "Today" is in the emulator's `timezone` (default UTC), which stands for the user's setting.
- `order_key` is always null (the spec allows null for objects "not yet migrated").
- `/tasks`, `/projects`, `/sections`, `/comments`, `/labels` list in creation order; cursors
  are keyset cursors, so pages never repeat or skip an object when data changes meanwhile.
- Sync tokens never expire, and deletions are kept forever as tombstones.
- `filter_query` on the completed-task endpoints is not emulated (400 rather than a silent
  wrong answer); `workspace_id` and `public_key` are ignored. Their `limit` is 1..200 too (the
  docs show no maximum; the SDK annotates 200).
- Rate-limit windows are sliding 15-minute windows on the injected clock and are not persisted.

UNCONFIRMED in the notes, and what the emulator does
----------------------------------------------------
- Success of close / reopen / delete: 204 with an empty body (what both official SDK test
  suites mock; the docs say 200 `null`). Move answers 200 with the task.
- An unknown, forged or future `sync_token`: 400 INVALID_ARGUMENT_VALUE, argument `sync_token`.
  A read without `sync_token` is 400 ARGUMENT_MISSING. The token answered to a request without
  a read describes the state after that request's commands.
- More than 100 commands: the whole request is refused with 400 INVALID_ARGUMENT_VALUE,
  argument `commands`, and nothing runs.
- A re-sent `uuid` of a command that succeeded is not run again and answers "ok" with its
  original `temp_id_mapping` entry; a failed command's uuid is not remembered, so it may be
  retried. The last 50,000 uuids and temp ids are remembered.
- An unresolvable temp id (a UUID-shaped id that was never mapped): error_code 15 (the docs),
  tag INVALID_TEMP_ID (a Doist MCP fixture), http_code 400.
- Sync command errors: ITEM_NOT_FOUND 22 and PROJECT_NOT_FOUND 21 (3P fixtures and the v9
  numbering); missing sections / comments / labels use NOT_FOUND 478 as REST does.
  ARGUMENT_MISSING is code 19.
- 401 body: `{"error": "Invalid token", "error_code": 401, "error_tag": "AUTH_INVALID_TOKEN",
  "http_code": 401, "error_extra": {...}}` (the shape of a 2022 report, tod-org/tod#223).
  That report's answer was a 403 with `http_code: 403`; `invalid_token_status = 403` answers so.
- `GET /user` (and the sync `user` resource) carries every field `UserJSON` requires, with a
  fresh Pro account's values (`todoist_user.py`); settings such as `karma` never change.
- Section and project caps: 403 MAX_SECTIONS_LIMIT_REACHED (a 3P fixture) and 403
  MAX_PROJECTS_LIMIT_REACHED; their error codes (50, 48) are invented. The Inbox does not count.
- 500 / 503 bodies: INTERNAL_SERVER_ERROR / SERVICE_UNAVAILABLE with invented codes; 503 also
  carries `Retry-After`. A body over 1 MiB is 413 REQUEST_TOO_LARGE (invented tag).
- `GET /tasks/{id}` returns a completed task (with `checked: true`) rather than 404; deleted
  objects are 404.
- Completed-task windows: at most 93 days by completion date (the official CLI's boundary;
  400 "completion date range must not exceed 3 months") and 42 days by due date; `since` is
  inclusive, `until` exclusive (the spec; the SDK docstring says inclusive); naive times are
  UTC. Completed occurrences of a recurring task are not listed at all (the task stays
  open with its due moved on), as a Doist maintainer says of the real API in
  Doist/todoist-api-python#206; the task's `completed_count` still counts them.
- Full sync returns no completed or deleted items and no archived projects or their content;
  an incremental sync returns every object changed since the token, with `checked` /
  `is_deleted` / `is_archived` as they now are.
- Reopening a task reopens its completed ancestors, not its subtasks. Completing a task
  completes its subtasks.
- Project description is limited to 1024 characters (the sync docs; the SDK says 16383), label
  names to 60 (the Help Center), 100 labels per task; duplicate label names are 400.
- Unknown ids in `project_id` / `section_id` / `parent_id` list filters are 404; unknown ids in
  `ids` are skipped. A task filter on an archived project returns nothing.
- Mixed-case paths under /api/v1/ are 404 (documented); `GET /sync` is 405.
"""

from __future__ import annotations

import base64
import calendar
import copy
import hashlib
import hmac
import json
import math
import re
import secrets
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connectors.sandbox.todoist_user import USER_ID, user_view
from connectors.sandbox.wire import Request, Response

__all__ = ["ApiError", "TodoistEmulator"]

Json = dict[str, Any]

PREFIX = "/api/v1/"
COLORS = frozenset(
    [
        "berry_red",
        "red",
        "orange",
        "yellow",
        "olive_green",
        "lime_green",
        "green",
        "mint_green",
        "teal",
        "sky_blue",
        "light_blue",
        "blue",
        "grape",
        "violet",
        "lavender",
        "magenta",
        "salmon",
        "charcoal",
        "grey",
        "taupe",
    ]
)
VIEW_STYLES = frozenset({"list", "board", "calendar"})
SYNC_RESOURCES = frozenset(
    [
        "labels",
        "projects",
        "items",
        "notes",
        "project_notes",
        "sections",
        "filters",
        "reminders",
        "reminders_location",
        "locations",
        "user",
        "live_notifications",
        "collaborators",
        "user_settings",
        "notification_settings",
        "user_plan_limits",
        "completed_info",
        "stats",
        "workspaces",
        "workspace_users",
        "workspace_filters",
        "view_options",
        "project_view_options_defaults",
        "role_actions",
    ]
)
EMULATED_RESOURCES = ("projects", "sections", "items", "notes", "project_notes", "labels", "user")
_ID_ALPHABET = "23456789CFGHJMPQRVWXcfghjmpqrvwx"
_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_CURSOR_RE = re.compile(r"[0-9a-zA-Z_-]+\.[0-9a-zA-Z_-]+")
_MEMORY = 50_000  # remembered command uuids and temp ids
_MAX_BODY = 1 << 20


class ApiError(Exception):
    """A Todoist error: raised inside the emulator, and by the `user_*` helpers on bad input."""

    def __init__(self, status: int, tag: str, code: int, message: str, **extra: Any) -> None:
        super().__init__(f"{status} {tag}: {message} {extra or ''}".rstrip())
        self.status = status
        self.tag = tag
        self.code = code
        self.message = message
        self.extra = extra
        self.kind: str | None = None  # for not-found errors: which object

    def body(self, event_id: str | None = None) -> Json:
        extra = dict(self.extra)
        if event_id:
            extra["event_id"] = event_id
        return {
            "error": self.message,
            "error_code": self.code,
            "error_extra": extra,
            "error_tag": self.tag,
            "http_code": self.status,
        }

    def sync_body(self) -> Json:
        """The `sync_status` value: not-found errors use the sync API's own tags."""
        if self.kind == "task":
            return ApiError(404, "ITEM_NOT_FOUND", 22, "Item not found").body()
        if self.kind == "project":
            return ApiError(404, "PROJECT_NOT_FOUND", 21, "Project not found").body()
        return self.body()


def _invalid(argument: str, explanation: str | None = None, **extra: Any) -> ApiError:
    if explanation:
        extra["explanation"] = explanation
    return ApiError(
        400, "INVALID_ARGUMENT_VALUE", 20, "Invalid argument value", argument=argument, **extra
    )


def _missing(argument: str) -> ApiError:
    return ApiError(400, "ARGUMENT_MISSING", 19, "Required argument is missing", argument=argument)


def _not_found(kind: str) -> ApiError:
    err = ApiError(404, "NOT_FOUND", 478, f"{kind.capitalize()} not found")
    err.kind = kind
    return err


# Time and due dates ---------------------------------------------------------------------------


def _ts(dt: datetime) -> str:
    """The API's timestamp form: UTC with microseconds and Z."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_instant(value: str, argument: str) -> datetime:
    """An RFC 3339 time; a naive one is taken as UTC."""
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, AttributeError):
        raise _invalid(argument, "expected an RFC 3339 date-time") from None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
_MONTHS = {
    name: i
    for i in range(1, 13)
    for name in (calendar.month_name[i].lower(), calendar.month_abbr[i].lower())
}
_DAYPARTS = {"morning": time(9), "afternoon": time(12), "evening": time(19), "night": time(22)}


def _add_months(d: date, n: int, day: int | None = None) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(day or d.day, calendar.monthrange(year, month)[1]))


def _parse_time(text: str) -> time | None:
    text = text.strip()
    if text in ("noon", "midday"):
        return time(12)
    if text == "midnight":
        return time(0)
    m = re.fullmatch(r"(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?", text)
    if not m:
        return None
    hour, minute = int(m[1]), int(m[2] or 0)
    if m[3]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if m[3] == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _parse_day(text: str, today: date) -> date | None:
    """A single day in words: today, tomorrow, mon, next fri, in 3 days, 2027-01-05, jan 27..."""
    text = " ".join(text.split())
    if text in ("today", "tod"):
        return today
    if text in ("tomorrow", "tom", "tmr"):
        return today + timedelta(days=1)
    if text == "yesterday":
        return today - timedelta(days=1)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    if text == "next week":
        return today + timedelta(days=7 - today.weekday())
    if text == "next month":
        return _add_months(today.replace(day=1), 1)
    m = re.fullmatch(r"in (\d+) (day|week|month)s?", text)
    if m:
        n = int(m[1])
        if m[2] == "month":
            return _add_months(today, n)
        return today + timedelta(days=n * (7 if m[2] == "week" else 1))
    m = re.fullmatch(r"(next )?([a-z]+)", text)
    if m and m[2] in _WEEKDAYS:
        ahead = (_WEEKDAYS[m[2]] - today.weekday()) % 7
        if m[1] and ahead == 0:
            ahead = 7
        return today + timedelta(days=ahead)
    m = re.fullmatch(r"([a-z]+) (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?", text) or re.fullmatch(
        r"(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)(?:,? (\d{4}))?", text
    )
    if m:
        month_word, day_word = (m[1], m[2]) if m[1].isalpha() else (m[2], m[1])
        if month_word not in _MONTHS:
            return None
        try:
            found = date(int(m[3] or today.year), _MONTHS[month_word], int(day_word))
        except ValueError:
            return None
        if not m[3] and found < today:
            found = found.replace(year=found.year + 1)
        return found
    return None


@dataclass(frozen=True)
class _Rule:
    """A recurrence: the part of a due string after "every"."""

    unit: str  # day | week | month | year | weekdays | monthday
    n: int = 1
    weekdays: tuple[int, ...] = ()
    monthday: int = 0
    at: time | None = None
    start: date | None = None
    until: date | None = None
    from_completion: bool = False

    def first(self, start: date) -> date:
        """The first occurrence on or after `start`."""
        if self.unit == "weekdays":
            while start.weekday() not in self.weekdays:
                start += timedelta(days=1)
        elif self.unit == "monthday":
            found = _add_months(start, 0, self.monthday)
            return found if found >= start else _add_months(start, 1, self.monthday)
        return start

    def step(self, d: date) -> date:
        """The next occurrence strictly after `d`."""
        if self.unit == "day":
            return d + timedelta(days=self.n)
        if self.unit == "week":
            return d + timedelta(weeks=self.n)
        if self.unit == "month":
            return _add_months(d, self.n)
        if self.unit == "year":
            return _add_months(d, 12 * self.n)
        if self.unit == "monthday":
            return _add_months(d, 1, self.monthday)
        nxt = d + timedelta(days=1)
        while nxt.weekday() not in self.weekdays:
            nxt += timedelta(days=1)
        if self.n > 1 and nxt.weekday() <= d.weekday():  # into the next week: skip n - 1 more
            nxt += timedelta(weeks=self.n - 1)
        return nxt


def _parse_rule(text: str, today: date) -> _Rule | None:
    """A recurring due string, or None if `text` is not one this emulator understands."""
    text = " ".join(text.lower().split())
    shorthand = {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year"}
    m = re.fullmatch(r"(every!|ev!|every|ev|after) (.+)", text)
    if m:
        head, body = m[1], m[2]
    else:
        first, _, rest = text.partition(" ")
        if first not in shorthand:
            return None
        head, body = "every", (shorthand[first] + " " + rest).strip()
    at = start = until = None
    while True:  # trailing clauses, in any order
        if c := re.fullmatch(r"(.+?) (?:until|ending|end) (?:on )?(.+)", body):
            if (until := _parse_day(c[2], today)) is None:
                return None
        elif c := re.fullmatch(r"(.+?) (?:starting|from|start) (?:on )?(.+)", body):
            if (start := _parse_day(c[2], today)) is None:
                return None
        elif c := re.fullmatch(r"(.+?) (?:at|@) (.+)", body):
            if (at := _parse_time(c[2])) is None:
                return None
        else:
            break
        body = c[1]
    fields: Json = {}
    if m2 := re.fullmatch(r"(?:(\d+|other) )?(day|week|month|year)s?", body):
        n = 2 if m2[1] == "other" else int(m2[1] or 1)
        if n < 1:
            return None
        fields = {"unit": m2[2], "n": n}
    elif body in ("weekday", "workday"):
        fields = {"unit": "weekdays", "weekdays": (0, 1, 2, 3, 4)}
    elif body == "weekend":
        fields = {"unit": "weekdays", "weekdays": (5,)}
    elif body in _DAYPARTS:
        fields = {"unit": "day"}
        at = at or _DAYPARTS[body]
    elif m2 := re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?", body):
        if not 1 <= int(m2[1]) <= 31:
            return None
        fields = {"unit": "monthday", "monthday": int(m2[1])}
    else:  # weekdays, maybe every N weeks: "mon, wed", "other monday", "2 weeks on fri"
        m2 = re.fullmatch(r"(?:(\d+|other) )?(?:weeks? (?:on )?)?(.+)", body)
        n = 0 if m2 is None else 2 if m2[1] == "other" else int(m2[1] or 1)
        names = [w for w in re.split(r"\s*,\s*|\s+and\s+|\s+", m2[2] if m2 else "") if w]
        if n < 1 or not names or any(w not in _WEEKDAYS for w in names):
            return None
        days = tuple(sorted({_WEEKDAYS[w] for w in names}))
        fields = {"unit": "weekdays", "weekdays": days, "n": n}
    from_completion = head in ("every!", "ev!", "after")
    return _Rule(at=at, start=start, until=until, from_completion=from_completion, **fields)


def _parse_once(text: str, today: date) -> date | datetime | None:
    """A non-recurring due string: a day, or a floating (naive) date-time."""
    text = " ".join(text.lower().split())
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})[t ](\d{1,2}:\d{2})(?::\d{2})?", text):
        day, at = _parse_day(m[1], today), _parse_time(m[2])
        return datetime.combine(day, at) if day and at else None
    if m := re.fullmatch(r"(?:(.+?) )?(?:at|@) (.+)", text):
        day = _parse_day(m[1], today) if m[1] else today
        at = _parse_time(m[2])
        return datetime.combine(day, at) if day and at else None
    return _parse_day(text, today)


# The emulator ---------------------------------------------------------------------------------


def _strip(rec: Json) -> Json:
    """The API view of a stored record: internal keys (leading underscore) removed, deep-copied."""
    return copy.deepcopy({k: v for k, v in rec.items() if not k.startswith("_")})


def _str_arg(args: Json, key: str, *, lo: int = 0, hi: int | None = None) -> str:
    value = args[key]
    if not isinstance(value, str):
        raise _invalid(key, "expected a string")
    if len(value.strip()) < lo or (hi is not None and len(value) > hi):
        raise _invalid(key, f"length must be between {lo} and {hi}")
    return value


def _int_arg(args: Json, key: str, lo: int = -(2**31), hi: int = 2**31 - 1) -> int:
    value = args[key]
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _invalid(key, f"expected an integer between {lo} and {hi}")
    return value


def _enum_arg(args: Json, key: str, allowed: frozenset[str], explanation: str) -> str:
    value = args[key]
    if not isinstance(value, str) or value not in allowed:
        raise _invalid(key, explanation)
    return value


def _bool_arg(args: Json, key: str) -> bool:
    value = args[key]
    if not isinstance(value, bool):
        if value in (0, 1):
            return bool(value)
        raise _invalid(key, "expected a boolean")
    return value


class TodoistEmulator:
    """The Todoist API v1 for one user, in memory (implements `wire.App`).

    The limits and `rate_limits` ({"rest", "sync_partial", "sync_full"} per `rate_window`) are
    plain attributes, so a test can lower them; `timezone` is the user's, for "today".
    The `user_*` methods act as the user in the Todoist app (each change shows in incremental
    syncs) and raise `ApiError` on bad input; `tasks()`, `projects()`... show the state as the
    API would. `to_dict` / `load_dict` persist everything but the limits and rate windows.
    """

    service = "todoist"
    invalid_token_status = 401  # the HTTP status of a bad token's answer; tests may set 403

    def __init__(
        self,
        clock: Callable[[], datetime],
        token: str,
        *,
        timezone: str = "UTC",
        max_tasks_per_project: int = 300,
        max_sections_per_project: int = 20,
        max_projects: int = 300,
        rate_limits: dict[str, int] | None = None,
        rate_window: timedelta = timedelta(minutes=15),
    ) -> None:
        self.clock = clock
        self.token = token
        self.max_tasks_per_project = max_tasks_per_project
        self.max_sections_per_project = max_sections_per_project
        self.max_projects = max_projects
        self.rate_limits = {"rest": 1000, "sync_partial": 1000, "sync_full": 100}
        self.rate_limits.update(rate_limits or {})
        self.rate_window = rate_window
        self._hits: dict[str, deque[datetime]] = {}
        self._lock = threading.RLock()
        self._reset(timezone)

    def _reset(self, timezone: str) -> None:
        self.timezone = timezone
        self._secret = secrets.token_bytes(16)
        self._counter = 0  # ids and creation order
        self._seq = 0  # change sequence, what sync tokens point into
        self._calls = 0  # sync calls, so that every token is new
        self._projects: dict[str, Json] = {}
        self._sections: dict[str, Json] = {}
        self._items: dict[str, Json] = {}
        self._notes: dict[str, Json] = {}
        self._labels: dict[str, Json] = {}
        self._history: list[Json] = []  # completions of recurring tasks (snapshots)
        self._done: dict[str, dict[str, str]] = {}  # command uuid -> its temp_id mapping
        self._temp_ids: dict[str, str] = {}
        self.inbox_id = self._add_project({"name": "Inbox"}, inbox=True)["id"]

    # wire.App -----------------------------------------------------------------------------

    def handles(self, path: str) -> bool:
        return path.lower().startswith(PREFIX)

    def handle(self, request: Request) -> Response:
        with self._lock:
            try:
                return self._handle(request)
            except ApiError as err:
                return self._error(err)

    def fault(self, status: int, retry_after: int) -> Response:
        known = {
            400: ("INVALID_ARGUMENT_VALUE", 20, "Invalid argument value"),
            401: ("AUTH_INVALID_TOKEN", 401, "Invalid token"),
            403: ("FORBIDDEN", 403, "Forbidden"),
            404: ("NOT_FOUND", 478, "Not found"),
            429: ("LIMITS_REACHED", 35, "Too many requests. Limits reached. Try again later"),
            500: ("INTERNAL_SERVER_ERROR", 500, "Internal server error"),
            503: ("SERVICE_UNAVAILABLE", 503, "Service unavailable"),
        }
        tag, code, message = known.get(status, ("UNKNOWN_ERROR", status, "Unknown error"))
        return self._error(ApiError(status, tag, code, message, retry_after=retry_after))

    def _error(self, err: ApiError) -> Response:
        seed = f"{self._counter}:{self._calls}:{err.message}".encode()
        event_id = hashlib.sha256(seed).hexdigest()[:32]
        headers = {}
        if err.status in (429, 503) and "retry_after" in err.extra:
            headers["retry-after"] = str(err.extra["retry_after"])
        return Response.json(err.status, err.body(event_id), headers)

    def _handle(self, req: Request) -> Response:
        path = req.path.split("?")[0]
        if not path.startswith(PREFIX):  # routes match case-sensitively: lowercase only
            raise ApiError(404, "NOT_FOUND", 478, "Not found (endpoints are lowercase)")
        auth = req.headers.get("authorization", "")
        scheme, _, given = auth.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), self.token):
            status = self.invalid_token_status  # 401, or 403 as some real answers are
            raise ApiError(status, "AUTH_INVALID_TOKEN", 401, "Invalid token", access_type="none")
        if len(req.body) > _MAX_BODY:
            raise ApiError(413, "REQUEST_TOO_LARGE", 413, "Request body exceeds 1 MiB")
        rest = path[len(PREFIX) :].rstrip("/")
        if _NOT_EMULATED.fullmatch(rest):
            raise ApiError(404, "NOT_FOUND", 478, f"/api/v1/{rest} is not emulated by the sandbox")
        if rest == "sync":
            if req.method != "POST":
                raise ApiError(405, "METHOD_NOT_ALLOWED", 405, "Use POST for /sync")
            return self._sync(req)
        self._rate("rest")
        for method, pattern, name in _ROUTES:
            m = pattern.fullmatch(rest)
            if m and method == req.method:
                handler: Callable[..., Response] = getattr(self, name)
                return handler(req, *m.groups())
        if any(p.fullmatch(rest) for _, p, _ in _ROUTES):
            raise ApiError(405, "METHOD_NOT_ALLOWED", 405, f"{req.method} not allowed here")
        raise ApiError(404, "NOT_FOUND", 478, f"/api/v1/{rest} is not emulated by the sandbox")

    def _rate(self, bucket: str) -> None:
        now = self.clock()
        hits = self._hits.setdefault(bucket, deque())
        while hits and hits[0] <= now - self.rate_window:
            hits.popleft()
        if len(hits) >= self.rate_limits[bucket]:
            wait = (hits[0] + self.rate_window - now).total_seconds()
            raise ApiError(
                429, "LIMITS_REACHED", 35, "Too many requests. Limits reached. Try again later",
                retry_after=max(1, math.ceil(wait)),
            )  # fmt: skip
        hits.append(now)

    # Bookkeeping ----------------------------------------------------------------------------

    def _now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the emulator's clock must return aware datetimes")
        return now.astimezone(UTC)

    def _tz(self, name: str | None = None) -> ZoneInfo:
        try:
            return ZoneInfo(name or self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise _invalid("timezone", f"unknown time zone {name!r}") from None

    def _today(self, when: datetime | None = None) -> date:
        return (when or self._now()).astimezone(self._tz()).date()

    def _new_id(self) -> str:
        self._counter += 1
        digest = hashlib.sha256(self._secret + str(self._counter).encode()).digest()
        return "6" + "".join(_ID_ALPHABET[b % 32] for b in digest[:15])

    def _touch(self, rec: Json) -> None:
        """Record a change: it shows in incremental syncs from now on."""
        self._seq += 1
        rec["_seq"] = self._seq
        if "updated_at" in rec:
            rec["updated_at"] = _ts(self._now())

    # Lookups --------------------------------------------------------------------------------

    def _project(self, pid: Any, *, archived_ok: bool = True) -> Json:
        rec = self._projects.get(pid) if isinstance(pid, str) else None
        if rec is None or rec["is_deleted"] or (rec["is_archived"] and not archived_ok):
            raise _not_found("project")
        return rec

    def _section(self, sid: Any) -> Json:
        rec = self._sections.get(sid) if isinstance(sid, str) else None
        if rec is None or rec["is_deleted"]:
            raise _not_found("section")
        return rec

    def _item(self, tid: Any) -> Json:
        rec = self._items.get(tid) if isinstance(tid, str) else None
        if rec is None or rec["is_deleted"]:
            raise _not_found("task")
        return rec

    def _note(self, nid: Any) -> Json:
        rec = self._notes.get(nid) if isinstance(nid, str) else None
        if rec is None or rec["is_deleted"]:
            raise _not_found("comment")
        return rec

    def _label(self, lid: Any) -> Json:
        rec = self._labels.get(lid) if isinstance(lid, str) else None
        if rec is None or rec["is_deleted"]:
            raise _not_found("label")
        return rec

    def _live_items(self) -> Iterable[Json]:
        return (t for t in self._items.values() if not t["is_deleted"])

    def _descendants(self, tid: str) -> list[Json]:
        """The live subtasks of `tid`, at any depth."""
        children: dict[str, list[Json]] = {}
        for t in self._live_items():
            if t["parent_id"]:
                children.setdefault(t["parent_id"], []).append(t)
        found, todo = [], [tid]
        while todo:
            for child in children.get(todo.pop(), []):
                found.append(child)
                todo.append(child["id"])
        return found

    def _active_count(self, project_id: str) -> int:
        return sum(
            1 for t in self._live_items() if t["project_id"] == project_id and not t["checked"]
        )

    def _check_room(self, project_id: str, adding: int) -> None:
        if adding and self._active_count(project_id) + adding > self.max_tasks_per_project:
            raise ApiError(
                403, "MAX_ITEMS_LIMIT_REACHED", 49, "Maximum number of items exceeded",
                max_count=self.max_tasks_per_project, project_id=project_id,
            )  # fmt: skip

    # Projects -------------------------------------------------------------------------------

    def _add_project(self, args: Json, *, inbox: bool = False) -> Json:
        if "name" not in args or args["name"] is None:
            raise _missing("name")
        name = _str_arg(args, "name", lo=1, hi=120)
        parent_id = args.get("parent_id")
        if parent_id is not None:
            self._project(parent_id, archived_ok=False)
        active = [
            p
            for p in self._projects.values()
            if not (p["is_deleted"] or p["is_archived"] or p["inbox_project"])
        ]
        if not inbox and len(active) >= self.max_projects:
            raise ApiError(
                403, "MAX_PROJECTS_LIMIT_REACHED", 48, "Maximum number of projects exceeded",
                max_count=self.max_projects,
            )  # fmt: skip
        siblings = [p["child_order"] for p in active if p["parent_id"] == parent_id]
        now = _ts(self._now())
        rec: Json = {
            "id": self._new_id(), "can_assign_tasks": False, "can_comment": True,
            "child_order": 0 if inbox else max(siblings, default=0) + 1, "order_key": None,
            "is_collapsed": False, "color": "charcoal", "creator_uid": USER_ID,
            "created_at": now, "is_archived": False, "is_deleted": False, "is_favorite": False,
            "is_frozen": False, "name": name, "is_shared": False, "updated_at": now,
            "view_style": "list", "default_order": 0, "default_order_key": None,
            "description": "", "public_key": "", "access": None, "role": None,
            "parent_id": parent_id, "inbox_project": inbox,
        }  # fmt: skip
        rec["_n"] = self._counter
        self._apply_project_fields(rec, {k: v for k, v in args.items() if k != "name"})
        self._projects[rec["id"]] = rec
        self._touch(rec)
        return rec

    def _apply_project_fields(self, rec: Json, args: Json) -> None:
        changes: Json = {}
        for key in (
            "name",
            "description",
            "color",
            "view_style",
            "is_favorite",
            "is_collapsed",
            "child_order",
        ):
            if key not in args or args[key] is None:
                continue
            if key == "name":
                changes[key] = _str_arg(args, key, lo=1, hi=120)
            elif key == "description":
                changes[key] = _str_arg(args, key, hi=1024)
            elif key == "color":
                changes[key] = _enum_arg(args, key, COLORS, "unknown color")
            elif key == "view_style":
                changes[key] = _enum_arg(args, key, VIEW_STYLES, "expected list, board or calendar")
            elif key == "child_order":
                changes[key] = _int_arg(args, key)
            else:
                changes[key] = _bool_arg(args, key)
        rec.update(changes)

    def _update_project(self, pid: str, args: Json) -> Json:
        rec = self._project(pid)
        if rec["inbox_project"] and args.get("name") not in (None, rec["name"]):
            raise _invalid("name", "the Inbox cannot be renamed")
        self._apply_project_fields(rec, args)
        self._touch(rec)
        return rec

    def _project_tree(self, pid: str) -> list[Json]:
        """The project and its live descendants."""
        tree, todo = [], [pid]
        while todo:
            current = todo.pop()
            tree.append(self._projects[current])
            todo += [
                p["id"]
                for p in self._projects.values()
                if p["parent_id"] == current and not p["is_deleted"]
            ]
        return tree

    def _delete_project(self, pid: str) -> None:
        rec = self._project(pid)
        if rec["inbox_project"]:
            raise _invalid("id", "the Inbox cannot be deleted")
        ids = {p["id"] for p in self._project_tree(pid)}
        for group in (self._sections, self._items):
            for obj in group.values():
                if obj["project_id"] in ids and not obj["is_deleted"]:
                    self._delete_obj(obj)
        for p in self._project_tree(pid):
            self._delete_obj(p)

    def _delete_obj(self, rec: Json) -> None:
        """Tombstone an object and its comments."""
        rec["is_deleted"] = True
        self._touch(rec)
        key = "item_id" if "checked" in rec else "project_id" if "inbox_project" in rec else None
        if key:
            for note in self._notes.values():
                if note.get(key) == rec["id"] and not note["is_deleted"]:
                    note["is_deleted"] = True
                    self._touch(note)

    def _archive_project(self, pid: str, archived: bool) -> Json:
        rec = self._project(pid)
        if rec["inbox_project"]:
            raise _invalid("id", "the Inbox cannot be archived")
        if archived:
            for p in self._project_tree(pid):
                if not p["is_archived"]:
                    p["is_archived"] = True
                    self._touch(p)
        elif rec["is_archived"]:
            active = sum(
                1
                for p in self._projects.values()
                if not (p["is_deleted"] or p["is_archived"] or p["inbox_project"])
            )
            if active >= self.max_projects:
                raise ApiError(
                    403, "MAX_PROJECTS_LIMIT_REACHED", 48, "Maximum number of projects exceeded",
                    max_count=self.max_projects,
                )  # fmt: skip
            rec.update(is_archived=False, parent_id=None)  # unarchived alone, as a root project
            self._touch(rec)
        return rec

    def _reorder(self, kind: str, entries: Any, key: str) -> None:
        if not isinstance(entries, list):
            raise _invalid(kind, f"expected a list of {{id, {key}}}")
        lookup = {"items": self._item, "sections": self._section, "projects": self._project}[kind]
        checked = []
        for entry in entries:
            if not isinstance(entry, dict) or "id" not in entry or key not in entry:
                raise _invalid(kind, f"expected a list of {{id, {key}}}")
            checked.append((lookup(entry["id"]), _int_arg(entry, key)))
        for rec, order in checked:
            rec[key] = order
            self._touch(rec)

    # Sections -------------------------------------------------------------------------------

    def _check_section_room(self, project_id: str) -> None:
        count = sum(
            1
            for s in self._sections.values()
            if s["project_id"] == project_id and not (s["is_deleted"] or s["is_archived"])
        )
        if count >= self.max_sections_per_project:
            raise ApiError(
                403, "MAX_SECTIONS_LIMIT_REACHED", 50, "Maximum number of sections exceeded",
                max_count=self.max_sections_per_project, project_id=project_id,
            )  # fmt: skip

    def _add_section(self, args: Json) -> Json:
        for key in ("name", "project_id"):
            if args.get(key) is None:
                raise _missing(key)
        name = _str_arg(args, "name", lo=1, hi=2048)
        project = self._project(args["project_id"], archived_ok=False)
        self._check_section_room(project["id"])
        siblings = [
            s["section_order"]
            for s in self._sections.values()
            if s["project_id"] == project["id"] and not s["is_deleted"]
        ]
        now = _ts(self._now())
        rec: Json = {
            "id": self._new_id(), "user_id": USER_ID, "project_id": project["id"],
            "added_at": now, "updated_at": now, "archived_at": None, "name": name,
            "description": None, "section_order": max(siblings, default=0) + 1,
            "order_key": None, "is_collapsed": False, "is_archived": False, "is_deleted": False,
        }  # fmt: skip
        rec["_n"] = self._counter
        self._apply_section_fields(rec, {k: v for k, v in args.items() if k != "name"})
        self._sections[rec["id"]] = rec
        self._touch(rec)
        return rec

    def _apply_section_fields(self, rec: Json, args: Json) -> None:
        changes: Json = {}
        if args.get("name") is not None:
            changes["name"] = _str_arg(args, "name", lo=1, hi=2048)
        if "description" in args:
            changes["description"] = (
                None if args["description"] is None else _str_arg(args, "description", hi=16383)
            )
        if args.get("section_order") is not None:
            changes["section_order"] = _int_arg(args, "section_order")
        if args.get("is_collapsed") is not None:
            changes["is_collapsed"] = _bool_arg(args, "is_collapsed")
        rec.update(changes)

    def _update_section(self, sid: str, args: Json) -> Json:
        rec = self._section(sid)
        self._apply_section_fields(rec, args)
        self._touch(rec)
        return rec

    def _move_section(self, sid: str, project_id: Any) -> None:
        rec = self._section(sid)
        target = self._project(project_id, archived_ok=False)
        if target["id"] == rec["project_id"]:
            return
        self._check_section_room(target["id"])
        moving = [t for t in self._live_items() if t["section_id"] == sid]
        self._check_room(target["id"], sum(1 for t in moving if not t["checked"]))
        rec["project_id"] = target["id"]
        self._touch(rec)
        for t in moving:
            t["project_id"] = target["id"]
            self._touch(t)

    def _delete_section(self, sid: str) -> None:
        rec = self._section(sid)
        for t in list(self._live_items()):
            if t["section_id"] == sid:
                self._delete_obj(t)
        self._delete_obj(rec)

    # Tasks ----------------------------------------------------------------------------------

    def _due(self, value: Any, argument: str = "due") -> Json | None:
        """Normalize a sync-style due object (or None) into the stored form."""
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _invalid(argument, "expected an object or null")
        string, raw_date, tz_name = value.get("string"), value.get("date"), value.get("timezone")
        lang = value.get("lang") or "en"
        if string is not None and (not isinstance(string, str) or len(string) > 150):
            raise _invalid(argument, "string must be at most 150 characters")
        if raw_date is None and not string:
            raise _invalid(argument, "give a date or a string")
        if raw_date is None:
            return self._due_from_string(str(string), lang, tz_name, argument)
        if not isinstance(raw_date, str):
            raise _invalid(argument, "date must be a string")
        when = self._due_date_value(raw_date, tz_name, argument)
        rule = _parse_rule(string, self._today()) if string else None
        if string and rule is None and string.lower().strip().startswith(("every", "ev ")):
            raise _invalid(argument, f"unsupported recurring due string {string!r}")
        return self._render_due(when, tz_name, lang, string or None, recurring=rule is not None)

    def _due_date_value(self, raw: str, tz_name: Any, argument: str) -> date | datetime:
        """`date` of a due object: YYYY-MM-DD, floating, or UTC (Z / offset)."""
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
                return date.fromisoformat(raw)
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise _invalid(argument, f"invalid date {raw!r}") from None
        if parsed.tzinfo is None and tz_name:  # local time in an explicit zone: fixed
            parsed = parsed.replace(tzinfo=self._tz(str(tz_name)))
        return parsed if parsed.tzinfo is None else parsed.astimezone(UTC)

    def _due_from_string(self, string: str, lang: str, tz_name: Any, argument: str) -> Json | None:
        text = " ".join(string.lower().split())
        if text in ("no date", "no due date", "none"):
            return None
        today = self._today()
        rule = _parse_rule(text, today)
        when: date | datetime | None
        if rule is not None:
            first = rule.first(rule.start or today)
            when = datetime.combine(first, rule.at) if rule.at else first
        else:
            when = _parse_once(text, today)
            if when is None:
                raise _invalid(argument, f"could not parse due string {string!r}")
        if isinstance(when, datetime) and tz_name:
            when = when.replace(tzinfo=self._tz(str(tz_name))).astimezone(UTC)
        return self._render_due(when, tz_name, lang, string, recurring=rule is not None)

    def _render_due(
        self, when: date | datetime, tz_name: Any, lang: str, string: str | None, *, recurring: bool
    ) -> Json:
        timezone = None
        if isinstance(when, datetime) and when.tzinfo is not None:  # fixed zone, stored in UTC
            timezone = str(tz_name or self.timezone)
            local = when.astimezone(self._tz(timezone))
            text, shown = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), local.strftime("%Y-%m-%d %H:%M")
        elif isinstance(when, datetime):  # floating
            text, shown = when.strftime("%Y-%m-%dT%H:%M:%S.%f"), when.strftime("%Y-%m-%d %H:%M")
        else:
            text = shown = when.isoformat()
        return {
            "date": text,
            "timezone": timezone,
            "string": string or shown,
            "lang": lang,
            "is_recurring": recurring,
        }

    def _next_due(self, due: Json, when: datetime) -> Json | None:
        """The due of a recurring task after a completion at `when`; None when the series ends."""
        today = self._today(when)
        rule = _parse_rule(due["string"], today)
        if rule is None:
            return None
        raw: str = due["date"]
        tz = self._tz(due["timezone"]) if due["timezone"] else None
        if len(raw) == 10:
            current, at = date.fromisoformat(raw), None
        else:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            if tz is not None:
                moment = moment.astimezone(tz)
            current, at = moment.date(), moment.time().replace(tzinfo=None)
        if rule.from_completion:
            nxt = rule.step(today)
        else:
            nxt = rule.step(current)
            while nxt < today:
                nxt = rule.step(nxt)
        if rule.until and nxt > rule.until:
            return None
        new: date | datetime = nxt
        if at is not None:
            new = datetime.combine(nxt, at)
            if tz is not None:
                new = new.replace(tzinfo=tz).astimezone(UTC)
        return self._render_due(new, due["timezone"], due["lang"], due["string"], recurring=True)

    def _deadline(self, value: Any, argument: str = "deadline") -> Json | None:
        if value is None:
            return None
        raw = value.get("date") if isinstance(value, dict) else value
        lang = (value.get("lang") or "en") if isinstance(value, dict) else "en"
        try:
            return {"date": date.fromisoformat(str(raw)).isoformat(), "lang": lang}
        except (TypeError, ValueError):
            raise _invalid(argument, "expected a YYYY-MM-DD date") from None

    @staticmethod
    def _duration(value: Any, argument: str = "duration") -> Json | None:
        if value is None:
            return None
        if not isinstance(value, dict) or "amount" not in value or "unit" not in value:
            raise _invalid(argument, "both amount and unit are required")
        amount, unit = value["amount"], value["unit"]
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise _invalid(argument, "amount must be an integer greater than zero")
        if unit not in ("minute", "day"):
            raise _invalid(argument, "unit must be minute or day")
        return {"amount": amount, "unit": unit}

    def _task_fields(self, args: Json, *, creating: bool) -> Json:
        """Validate the editable task fields of `args`; returns the changes to store."""
        changes: Json = {}
        if "content" in args or creating:
            if args.get("content") is None:
                raise _missing("content")
            changes["content"] = _str_arg(args, "content", lo=1, hi=500)
        if args.get("description") is not None:
            changes["description"] = _str_arg(args, "description", hi=16383)
        if args.get("priority") is not None:
            changes["priority"] = _int_arg(args, "priority", 1, 4)
        if args.get("labels") is not None:
            labels = args["labels"]
            if not isinstance(labels, list) or len(labels) > 100:
                raise _invalid("labels", "expected a list of at most 100 label names")
            if any(not isinstance(n, str) or not 1 <= len(n.strip()) <= 60 for n in labels):
                raise _invalid("labels", "label names are 1 to 60 characters")
            changes["labels"] = list(dict.fromkeys(labels))
        for key in ("child_order", "day_order"):
            if args.get(key) is not None:
                changes[key] = _int_arg(args, key)
        if args.get("is_collapsed") is not None:
            changes["is_collapsed"] = _bool_arg(args, "is_collapsed")
        for key in ("responsible_uid", "assigned_by_uid"):
            if key in args:
                changes[key] = None if args[key] in (None, "", 0, "0") else str(args[key])
        if "_due" in args:  # already normalized (REST)
            changes["due"] = args["_due"]
        elif "due" in args:
            changes["due"] = self._due(args["due"])
        if "deadline" in args:
            changes["deadline"] = self._deadline(args["deadline"])
        if "duration" in args:
            changes["duration"] = self._duration(args["duration"])
        return changes

    def _placement(self, args: Json) -> tuple[str, str | None, str | None]:
        """(project, section, parent) of a new task: the parent wins, then the section."""
        parent_id, section_id, project_id = (
            args.get(k) for k in ("parent_id", "section_id", "project_id")
        )
        if parent_id is not None:
            parent = self._item(parent_id)
            if section_id is not None and section_id != parent["section_id"]:
                raise _invalid("section_id", "does not match the parent task's section")
            if project_id is not None and project_id != parent["project_id"]:
                raise _invalid("project_id", "does not match the parent task's project")
            return parent["project_id"], parent["section_id"], parent["id"]
        if section_id is not None:
            section = self._section(section_id)
            if project_id is not None and project_id != section["project_id"]:
                raise _invalid("project_id", "does not match the section's project")
            return section["project_id"], section["id"], None
        if project_id is not None:
            return self._project(project_id, archived_ok=False)["id"], None, None
        return self.inbox_id, None, None

    def _last_child_order(
        self, project_id: str, section_id: str | None, parent_id: str | None
    ) -> int:
        return max(
            (
                t["child_order"]
                for t in self._live_items()
                if (t["project_id"], t["section_id"], t["parent_id"])
                == (project_id, section_id, parent_id)
            ),
            default=0,
        )

    def _add_item(self, args: Json) -> Json:
        fields = self._task_fields(args, creating=True)
        project_id, section_id, parent_id = self._placement(args)
        self._check_room(project_id, 1)
        now = _ts(self._now())
        rec: Json = {
            "user_id": USER_ID, "id": self._new_id(), "project_id": project_id,
            "section_id": section_id, "parent_id": parent_id, "added_by_uid": USER_ID,
            "assigned_by_uid": None, "responsible_uid": None, "labels": [], "deadline": None,
            "duration": None, "is_collapsed": False, "checked": False, "is_deleted": False,
            "added_at": now, "completed_at": None, "completed_by_uid": None, "updated_at": now,
            "due": None, "priority": 1,
            "child_order": self._last_child_order(project_id, section_id, parent_id) + 1,
            "order_key": None, "content": "", "description": "", "note_count": 0,
            "day_order": -1, "completed_count": 0, "postponed_count": 0,
        }  # fmt: skip
        rec["_n"] = self._counter
        rec.update(fields)
        self._items[rec["id"]] = rec
        self._touch(rec)
        return rec

    def _update_item(self, tid: str, args: Json) -> Json:
        rec = self._item(tid)
        changes = self._task_fields(args, creating=False)
        old, new = rec["due"], changes.get("due", rec["due"])
        if old and new and old["date"] != new["date"]:
            rec["postponed_count"] += 1
        rec.update(changes)
        self._touch(rec)
        return rec

    def _move_item(self, tid: str, args: Json) -> Json:
        rec = self._item(tid)
        given = [k for k in ("parent_id", "section_id", "project_id") if args.get(k) is not None]
        if len(given) != 1:
            raise _invalid("id", "give exactly one of parent_id, section_id, project_id")
        subtree = [rec, *self._descendants(tid)]
        place: tuple[str, str | None, str | None]  # project, section, parent
        if given[0] == "parent_id":
            parent = self._item(args["parent_id"])
            if parent["id"] in {t["id"] for t in subtree}:
                raise _invalid("parent_id", "a task cannot move under itself")
            place = (parent["project_id"], parent["section_id"], parent["id"])
        elif given[0] == "section_id":
            section = self._section(args["section_id"])
            place = (section["project_id"], section["id"], None)
        else:
            place = (self._project(args["project_id"], archived_ok=False)["id"], None, None)
        project_id, section_id, parent_id = place
        if project_id != rec["project_id"]:
            self._check_room(project_id, sum(1 for t in subtree if not t["checked"]))
        if place != (rec["project_id"], rec["section_id"], rec["parent_id"]):
            rec["child_order"] = self._last_child_order(*place) + 1
        rec["parent_id"] = parent_id
        for t in subtree:
            t["project_id"], t["section_id"] = project_id, section_id
            self._touch(t)
        return rec

    def _complete_item(self, tid: str, when: datetime | None, *, close: bool) -> None:
        """item_complete (close=False) or item_close / REST close (close=True)."""
        rec = self._item(tid)
        when = (when or self._now()).astimezone(UTC)
        if close and rec["due"] and rec["due"]["is_recurring"] and not rec["checked"]:
            nxt = self._next_due(rec["due"], when)
            if nxt is not None:
                snapshot = _strip(rec)
                snapshot.update(checked=True, completed_at=_ts(when), completed_by_uid=USER_ID)
                self._history.append({"task_id": tid, "completed_at": _ts(when), "task": snapshot})
                rec["due"] = nxt
                rec["completed_count"] += 1
                self._touch(rec)
                return
        for t in [rec, *self._descendants(tid)]:
            if not t["checked"]:
                t.update(checked=True, completed_at=_ts(when), completed_by_uid=USER_ID)
                t["completed_count"] += 1
                self._touch(t)

    def _uncomplete_item(self, tid: str) -> None:
        rec = self._item(tid)
        chain = [rec]
        while chain[-1]["parent_id"]:
            chain.append(self._items[chain[-1]["parent_id"]])
        reopening = [t for t in chain if t["checked"]]
        self._check_room(rec["project_id"], len(reopening))
        for t in reopening:
            t.update(checked=False, completed_at=None, completed_by_uid=None)
            t["child_order"] = (
                self._last_child_order(t["project_id"], t["section_id"], t["parent_id"]) + 1
            )
            self._touch(t)

    def _delete_item(self, tid: str) -> None:
        rec = self._item(tid)
        for t in [*self._descendants(tid), rec]:
            self._delete_obj(t)

    # Comments and labels --------------------------------------------------------------------

    def _add_note(self, args: Json, *, on: str) -> Json:
        """A comment on a task (`on="item_id"`) or a project (`on="project_id"`)."""
        if args.get(on) is None:
            raise _missing(on)
        parent = self._item(args[on]) if on == "item_id" else self._project(args[on])
        if args.get("content") is None:
            raise _missing("content")
        content = _str_arg(args, "content", lo=1, hi=15000)
        attachment = args.get("file_attachment", args.get("attachment"))
        if attachment is not None and not isinstance(attachment, dict):
            raise _invalid("file_attachment", "expected an object")
        notify = args.get("uids_to_notify")
        rec: Json = {
            "id": self._new_id(), "posted_uid": USER_ID, on: parent["id"], "content": content,
            "file_attachment": attachment,
            "uids_to_notify": [str(u) for u in notify] if isinstance(notify, list) else None,
            "is_deleted": False, "posted_at": _ts(self._now()), "reactions": None,
        }  # fmt: skip
        rec["_n"] = self._counter
        self._notes[rec["id"]] = rec
        self._touch(rec)
        return rec

    def _update_note(self, nid: str, args: Json) -> Json:
        rec = self._note(nid)
        if args.get("content") is not None:
            rec["content"] = _str_arg(args, "content", lo=1, hi=15000)
        if "file_attachment" in args:
            rec["file_attachment"] = args["file_attachment"]
        self._touch(rec)
        return rec

    def _add_label(self, args: Json) -> Json:
        if args.get("name") is None:
            raise _missing("name")
        name = _str_arg(args, "name", lo=1, hi=60)
        self._check_label_name(name, None)
        live = [lb for lb in self._labels.values() if not lb["is_deleted"]]
        self._counter += 1
        rec: Json = {
            "id": str(2156154810 + self._counter), "name": name, "color": "charcoal",
            "order": max((lb["order"] for lb in live), default=0) + 1, "is_favorite": False,
            "is_deleted": False,
        }  # fmt: skip
        rec["_n"] = self._counter
        self._apply_label_fields(rec, {k: v for k, v in args.items() if k != "name"})
        self._labels[rec["id"]] = rec
        self._touch(rec)
        return rec

    def _check_label_name(self, name: str, own_id: str | None) -> None:
        for lb in self._labels.values():
            if not lb["is_deleted"] and lb["id"] != own_id and lb["name"].lower() == name.lower():
                raise _invalid("name", "a label with this name already exists")

    def _apply_label_fields(self, rec: Json, args: Json) -> None:
        changes: Json = {}
        if args.get("color") is not None:
            changes["color"] = _enum_arg(args, "color", COLORS, "unknown color")
        for key in ("order", "item_order"):
            if args.get(key) is not None:
                changes["order"] = _int_arg(args, key, -32768, 32767)
        if args.get("is_favorite") is not None:
            changes["is_favorite"] = _bool_arg(args, "is_favorite")
        rec.update(changes)

    def _update_label(self, lid: str, args: Json) -> Json:
        rec = self._label(lid)
        old = rec["name"]
        if args.get("name") is not None:
            name = _str_arg(args, "name", lo=1, hi=60)
            self._check_label_name(name, lid)
        else:
            name = old
        self._apply_label_fields(rec, args)
        rec["name"] = name
        self._touch(rec)
        if name != old:  # a rename carries over to the tasks
            self._relabel(old, name)
        return rec

    def _delete_label(self, lid: str) -> None:
        rec = self._label(lid)
        self._delete_obj(rec)
        self._relabel(rec["name"], None)

    def _relabel(self, old: str, new: str | None) -> None:
        for t in self._live_items():
            if old in t["labels"]:
                t["labels"] = [new if n == old else n for n in t["labels"] if n != old or new]
                self._touch(t)

    # Views ----------------------------------------------------------------------------------

    @staticmethod
    def _label_sync_view(rec: Json) -> Json:
        view = _strip(rec)
        view["item_order"] = view.pop("order")
        return view

    @staticmethod
    def _label_rest_view(rec: Json) -> Json:
        view = _strip(rec)
        del view["is_deleted"]
        return view

    def _user_view(self) -> Json:
        now, zone = self._now(), self._tz()
        today = self._today(now)
        stamps = [t["completed_at"] for t in self._items.values() if t["completed_at"]]
        stamps += [h["completed_at"] for h in self._history]
        done_today = sum(self._today(_parse_instant(s, "completed_at")) == today for s in stamps)
        return user_view(
            zone=zone,
            now=now,
            inbox_id=self.inbox_id,
            joined=_parse_instant(self._projects[self.inbox_id]["created_at"], "joined").date(),
            completed_count=sum(int(t["completed_count"]) for t in self._items.values()),
            completed_today=done_today,
        )

    # REST plumbing --------------------------------------------------------------------------

    @staticmethod
    def _body(req: Request) -> Json:
        if not req.body.strip():
            return {}
        try:
            data = json.loads(req.body)
        except ValueError:
            raise _invalid("body", "expected a JSON object") from None
        if not isinstance(data, dict):
            raise _invalid("body", "expected a JSON object")
        return data

    def _limit(self, req: Request) -> int:
        raw = req.arg("limit")
        if raw is None:
            return 50
        try:
            value = int(raw)
        except ValueError:
            raise _invalid("limit", expected="Input should be a valid integer") from None
        if value > 200:
            raise _invalid("limit", expected="Input should be less than or equal to 200")
        if value <= 0:
            raise _invalid("limit", expected="Input should be greater than 0")
        return value

    def _cursor_sig(self, req: Request, last: int) -> str:
        params = sorted((k, v) for k, v in req.query if k != "cursor")
        mac = hmac.new(self._secret, f"{req.path}|{params}|{last}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:18]).decode()

    def _page(
        self, req: Request, objects: list[Json], view: Callable[[Json], Json], key: str = "results"
    ) -> Response:
        """One page of `objects` (in creation order) behind a keyset cursor."""
        limit, last = self._limit(req), 0
        cursor = req.arg("cursor")
        if cursor is not None:
            head, _, sig = cursor.partition(".")
            try:
                last = int(head, 36)
            except ValueError:
                last = -1
            if (
                not _CURSOR_RE.fullmatch(cursor)
                or last < 0
                or not hmac.compare_digest(sig, self._cursor_sig(req, last))
            ):
                raise _invalid("cursor")
        rest = sorted((o for o in objects if o["_n"] > last), key=lambda o: int(o["_n"]))
        page = rest[:limit]
        body: Json = {key: [view(o) for o in page]}
        if len(rest) > limit:
            n = int(page[-1]["_n"])
            body["next_cursor"] = f"{_base36(n)}.{self._cursor_sig(req, n)}"
        elif key == "results":
            body["next_cursor"] = None  # the completed-task endpoints omit it instead
        return Response.json(200, body)

    @staticmethod
    def _ok(rec: Json) -> Response:
        return Response.json(200, _strip(rec))

    def _rest_task_args(self, body: Json) -> Json:
        """REST task fields in the sync form (`due` etc. nested)."""
        args: Json = {
            k: body[k]
            for k in (
                "content", "description", "project_id", "section_id", "parent_id", "labels",
                "priority", "child_order", "day_order", "is_collapsed",
            )
            if k in body
        }  # fmt: skip
        if body.get("order") is not None:
            args["child_order"] = body["order"]
        if "assignee_id" in body:
            args["responsible_uid"] = body["assignee_id"]
        dues = [k for k in ("due_string", "due_date", "due_datetime") if body.get(k) is not None]
        if len(dues) > 1:
            raise _invalid(dues[1], "use only one of due_string, due_date, due_datetime")
        lang = body.get("due_lang") or "en"
        if dues == ["due_string"]:
            value = body["due_string"]
            if not isinstance(value, str) or len(value) > 150:
                raise _invalid("due_string", "expected a string of at most 150 characters")
            args["_due"] = self._due_from_string(value, lang, None, "due_string")
        elif dues == ["due_date"]:
            if not isinstance(body["due_date"], str) or not re.fullmatch(
                r"\d{4}-\d{2}-\d{2}", body["due_date"]
            ):
                raise _invalid("due_date", "expected YYYY-MM-DD")
            args["_due"] = self._due({"date": body["due_date"], "lang": lang}, "due_date")
        elif dues == ["due_datetime"]:
            if not isinstance(body["due_datetime"], str) or len(body["due_datetime"]) <= 10:
                raise _invalid("due_datetime", "expected an RFC 3339 date-time")
            args["_due"] = self._due({"date": body["due_datetime"], "lang": lang}, "due_datetime")
        if "deadline_date" in body:
            args["deadline"] = self._deadline(body["deadline_date"], "deadline_date")
        if body.get("duration_unit") is not None and "duration" in body:
            amount = body["duration"]
            args["duration"] = (
                None
                if amount is None
                else self._duration({"amount": amount, "unit": body["duration_unit"]}, "duration")
            )
        elif body.get("duration_unit") is not None and body["duration_unit"] not in (
            "minute",
            "day",
        ):
            raise _invalid("duration_unit", "unit must be minute or day")
        return args

    # REST: projects -------------------------------------------------------------------------

    def _r_projects(self, req: Request) -> Response:
        live = [p for p in self._projects.values() if not (p["is_deleted"] or p["is_archived"])]
        return self._page(req, live, _strip)

    def _r_projects_archived(self, req: Request) -> Response:
        archived = [p for p in self._projects.values() if p["is_archived"] and not p["is_deleted"]]
        return self._page(req, archived, _strip)

    def _r_project(self, req: Request, pid: str) -> Response:
        return self._ok(self._project(pid))

    def _r_project_add(self, req: Request) -> Response:
        return self._ok(self._add_project(self._body(req)))

    def _r_project_update(self, req: Request, pid: str) -> Response:
        return self._ok(self._update_project(pid, self._body(req)))

    def _r_project_delete(self, req: Request, pid: str) -> Response:
        self._delete_project(pid)
        return Response.empty(204)

    def _r_project_archive(self, req: Request, pid: str) -> Response:
        return self._ok(self._archive_project(pid, True))

    def _r_project_unarchive(self, req: Request, pid: str) -> Response:
        return self._ok(self._archive_project(pid, False))

    def _r_collaborators(self, req: Request, pid: str) -> Response:
        self._project(pid)
        return self._page(req, [], _strip)

    # REST: sections -------------------------------------------------------------------------

    def _r_sections(self, req: Request) -> Response:
        pid = req.arg("project_id")
        if pid is not None:
            self._project(pid)
        live = [
            s
            for s in self._sections.values()
            if not (s["is_deleted"] or s["is_archived"]) and pid in (None, s["project_id"])
        ]
        return self._page(req, live, _strip)

    def _r_section(self, req: Request, sid: str) -> Response:
        return self._ok(self._section(sid))

    def _r_section_add(self, req: Request) -> Response:
        body = self._body(req)
        if body.get("order") is not None:
            body["section_order"] = body.pop("order")
        return self._ok(self._add_section(body))

    def _r_section_update(self, req: Request, sid: str) -> Response:
        return self._ok(self._update_section(sid, self._body(req)))

    def _r_section_delete(self, req: Request, sid: str) -> Response:
        self._delete_section(sid)
        return Response.empty(204)

    # REST: tasks ----------------------------------------------------------------------------

    def _r_tasks(self, req: Request) -> Response:
        project_id, section_id, parent_id = (
            req.arg(k) for k in ("project_id", "section_id", "parent_id")
        )
        if project_id is not None:
            self._project(project_id)
        if section_id is not None:
            self._section(section_id)
        if parent_id is not None:
            self._item(parent_id)
        label, ids = req.arg("label"), req.arg("ids")
        wanted = {i.strip() for i in ids.split(",")} if ids is not None else None
        archived = {p["id"] for p in self._projects.values() if p["is_archived"]}
        tasks = [
            t
            for t in self._live_items()
            if not t["checked"]
            and t["project_id"] not in archived
            and project_id in (None, t["project_id"])
            and section_id in (None, t["section_id"])
            and parent_id in (None, t["parent_id"])
            and (label is None or label in t["labels"])
            and (wanted is None or t["id"] in wanted)
        ]
        return self._page(req, tasks, _strip)

    def _r_task(self, req: Request, tid: str) -> Response:
        return self._ok(self._item(tid))

    def _r_task_add(self, req: Request) -> Response:
        return self._ok(self._add_item(self._rest_task_args(self._body(req))))

    def _r_task_update(self, req: Request, tid: str) -> Response:
        self._item(tid)
        args = self._rest_task_args(self._body(req))
        for key in ("project_id", "section_id", "parent_id"):  # moving is /move's job
            args.pop(key, None)
        return self._ok(self._update_item(tid, args))

    def _r_task_close(self, req: Request, tid: str) -> Response:
        self._complete_item(tid, None, close=True)
        return Response.empty(204)

    def _r_task_reopen(self, req: Request, tid: str) -> Response:
        self._uncomplete_item(tid)
        return Response.empty(204)

    def _r_task_move(self, req: Request, tid: str) -> Response:
        return self._ok(self._move_item(tid, self._body(req)))

    def _r_task_delete(self, req: Request, tid: str) -> Response:
        self._delete_item(tid)
        return Response.empty(204)

    def _r_completed_by_completion(self, req: Request) -> Response:
        return self._completed(req, by_due=False)

    def _r_completed_by_due(self, req: Request) -> Response:
        return self._completed(req, by_due=True)

    def _completed(self, req: Request, *, by_due: bool) -> Response:
        for key in ("since", "until"):
            if not req.arg(key):
                raise _missing(key)
        since = _parse_instant(req.arg("since") or "", "since")
        until = _parse_instant(req.arg("until") or "", "until")
        if until < since:
            raise _invalid("until", "until must not be before since")
        span, what = (timedelta(weeks=6), "due") if by_due else (timedelta(days=93), "completion")
        if until - since > span:
            limit = "6 weeks" if by_due else "3 months"
            message = f"{what} date range must not exceed {limit}"
            raise ApiError(400, "INVALID_ARGUMENT_VALUE", 20, message, argument="until")
        if req.arg("filter_query"):
            raise _invalid("filter_query", "filter queries are not emulated by the sandbox")
        filters = {k: req.arg(k) for k in ("project_id", "section_id", "parent_id")}
        # completed occurrences of recurring tasks are not listed (Doist/todoist-api-python#206)
        entries: list[tuple[str, Json]] = [
            (t["completed_at"], _strip(t)) for t in self._live_items() if t["checked"]
        ]

        def moment(task: Json, completed_at: str) -> datetime | None:
            if not by_due:
                return _parse_instant(completed_at, "completed_at")
            if not task["due"]:
                return None
            raw = task["due"]["date"]
            return _parse_instant(raw if len(raw) > 10 else raw + "T00:00:00", "due")

        chosen: list[Json] = []
        for completed_at, task in sorted(entries, key=lambda e: e[0], reverse=True):
            at = moment(task, completed_at)
            if at is None or not since <= at < until:
                continue
            if any(v is not None and task[k] != v for k, v in filters.items()):
                continue
            task["_n"] = len(chosen) + 1
            chosen.append(task)
        return self._page(req, chosen, _strip, key="items")

    # REST: comments, labels, user -----------------------------------------------------------

    def _r_comments(self, req: Request) -> Response:
        task_id, project_id = req.arg("task_id"), req.arg("project_id")
        if task_id is not None:
            key, owner = "item_id", self._item(task_id)["id"]
        elif project_id is not None:
            key, owner = "project_id", self._project(project_id)["id"]
        else:
            raise _missing("task_id")
        notes = [n for n in self._notes.values() if n.get(key) == owner and not n["is_deleted"]]
        return self._page(req, notes, _strip)

    def _r_comment(self, req: Request, nid: str) -> Response:
        return self._ok(self._note(nid))

    def _r_comment_add(self, req: Request) -> Response:
        body = self._body(req)
        if body.get("task_id") is not None:
            return self._ok(self._add_note({**body, "item_id": body["task_id"]}, on="item_id"))
        if body.get("project_id") is not None:
            return self._ok(self._add_note(body, on="project_id"))
        raise _missing("task_id")

    def _r_comment_update(self, req: Request, nid: str) -> Response:
        body = self._body(req)
        if body.get("content") is None:
            raise _missing("content")
        return self._ok(self._update_note(nid, body))

    def _r_comment_delete(self, req: Request, nid: str) -> Response:
        self._delete_obj(self._note(nid))
        return Response.empty(204)

    def _r_labels(self, req: Request) -> Response:
        live = [lb for lb in self._labels.values() if not lb["is_deleted"]]
        return self._page(req, live, self._label_rest_view)

    def _r_label(self, req: Request, lid: str) -> Response:
        return Response.json(200, self._label_rest_view(self._label(lid)))

    def _r_label_add(self, req: Request) -> Response:
        return Response.json(200, self._label_rest_view(self._add_label(self._body(req))))

    def _r_label_update(self, req: Request, lid: str) -> Response:
        return Response.json(200, self._label_rest_view(self._update_label(lid, self._body(req))))

    def _r_label_delete(self, req: Request, lid: str) -> Response:
        self._delete_label(lid)
        return Response.empty(204)

    def _r_user(self, req: Request) -> Response:
        return Response.json(200, self._user_view())

    # /sync ----------------------------------------------------------------------------------

    def _sync_params(self, req: Request) -> Json:
        ctype = req.headers.get("content-type", "")
        if ctype.startswith("application/json"):
            params = self._body(req)
        else:
            try:
                params = dict(parse_qsl(req.body.decode(), keep_blank_values=True))
            except UnicodeDecodeError:
                raise _invalid("body", "expected form-encoded UTF-8") from None
        for key in ("commands", "resource_types"):  # JSON-in-a-string in forms
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    raise _invalid(key, "expected a JSON array") from None
        return params

    def _sync(self, req: Request) -> Response:
        params = self._sync_params(req)
        token, types, commands = (
            params.get("sync_token"),
            params.get("resource_types"),
            params.get("commands"),
        )
        if types is not None and token is None:
            raise _missing("sync_token")
        self._rate("sync_full" if token == "*" else "sync_partial")
        since = None if token in (None, "*") else self._read_token(token)
        wanted = self._resource_types(types) if types is not None else []
        if commands is not None:
            if not isinstance(commands, list):
                raise _invalid("commands", "expected a JSON array of commands")
            if len(commands) > 100:
                raise _invalid("commands", "at most 100 commands per request", max_count=100)
            for cmd in commands:
                if not (
                    isinstance(cmd, dict)
                    and isinstance(cmd.get("type"), str)
                    and isinstance(cmd.get("uuid"), str)
                    and cmd["uuid"]
                    and isinstance(cmd.get("args", {}), dict)
                ):
                    raise _invalid("commands", "each command needs a type, a uuid and args")
        out: Json = {}
        if commands is not None:
            statuses: Json = {}
            mapping: dict[str, str] = {}
            for cmd in commands:
                statuses[cmd["uuid"]] = self._run(cmd, mapping)
            out["sync_status"] = statuses
            out["temp_id_mapping"] = mapping
        else:
            out["temp_id_mapping"] = {}
        out.update(self._read(since, wanted))
        out["full_sync"] = since is None
        if since is None and wanted:
            out["full_sync_date_utc"] = _ts(self._now())
        out["sync_token"] = self._make_token()
        return Response.json(200, out)

    def _resource_types(self, types: Any) -> list[str]:
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            raise _invalid("resource_types", "expected a JSON array of strings")
        chosen: set[str] = set()
        for name in types:
            bare = name.removeprefix("-")
            if bare != "all" and bare not in SYNC_RESOURCES:
                raise _invalid("resource_types", f"unknown resource type {name!r}")
            if not name.startswith("-"):
                chosen |= (SYNC_RESOURCES - {"workspace_users"}) if bare == "all" else {bare}
        for name in types:
            if name.startswith("-"):
                chosen -= SYNC_RESOURCES if name == "-all" else {name[1:]}
        return [t for t in EMULATED_RESOURCES if t in chosen]

    def _make_token(self) -> str:
        self._calls += 1
        raw = struct.pack(">QQ", self._seq, self._calls)
        mac = hmac.new(self._secret, raw, hashlib.sha256).digest()[:29]
        return base64.urlsafe_b64encode(raw + mac).decode()

    def _read_token(self, token: Any) -> int:
        try:
            blob = base64.urlsafe_b64decode(str(token).encode())
            seq, _calls = struct.unpack(">QQ", blob[:16])
            good = len(blob) == 45 and hmac.compare_digest(
                blob[16:], hmac.new(self._secret, blob[:16], hashlib.sha256).digest()[:29]
            )
        except (ValueError, struct.error):
            good, seq = False, 0
        if not good or seq > self._seq:
            raise _invalid("sync_token", "unknown sync token; do a full sync with sync_token=*")
        return int(seq)

    def _read(self, since: int | None, types: list[str]) -> Json:
        """The resources of a read: everything live (full sync), or what changed since `since`."""
        if not types:
            return {}

        def keep(rec: Json, live: bool) -> bool:
            return bool(rec["_seq"] > since) if since is not None else live

        projects = [
            p for p in self._projects.values() if keep(p, not (p["is_deleted"] or p["is_archived"]))
        ]
        shown = {p["id"] for p in projects}
        items = [
            t
            for t in self._items.values()
            if keep(t, not (t["is_deleted"] or t["checked"]) and t["project_id"] in shown)
        ]
        shown_items = {t["id"] for t in items}
        groups: dict[str, list[Json]] = {
            "projects": projects,
            "items": items,
            "sections": [
                s
                for s in self._sections.values()
                if keep(s, not (s["is_deleted"] or s["is_archived"]) and s["project_id"] in shown)
            ],
            "notes": [
                n
                for n in self._notes.values()
                if "item_id" in n and keep(n, not n["is_deleted"] and n["item_id"] in shown_items)
            ],
            "project_notes": [
                n
                for n in self._notes.values()
                if "project_id" in n and keep(n, not n["is_deleted"] and n["project_id"] in shown)
            ],
            "labels": [lb for lb in self._labels.values() if keep(lb, not lb["is_deleted"])],
        }
        out: Json = {}
        for name in types:
            if name == "user":
                out["user"] = self._user_view()
                continue
            view = self._label_sync_view if name == "labels" else _strip
            out[name] = [view(r) for r in sorted(groups[name], key=lambda r: int(r["_n"]))]
        return out

    def _resolve(self, value: Any) -> Any:
        """A real id for a temp id; an unknown UUID-shaped id is an invalid temp id."""
        if isinstance(value, str):
            if value in self._temp_ids:
                return self._temp_ids[value]
            if _UUID_RE.fullmatch(value):
                raise ApiError(400, "INVALID_TEMP_ID", 15, "Invalid temporary id", argument=value)
        return value

    def _run(self, cmd: Json, mapping: dict[str, str]) -> Any:
        uuid = cmd["uuid"]
        if uuid in self._done:  # already executed: not again
            mapping.update(self._done[uuid])
            return "ok"
        handler = _COMMANDS.get(cmd["type"])
        if handler is None:
            return _invalid("type", f"unknown command {cmd['type']!r}").sync_body()
        args = dict(cmd.get("args") or {})
        try:
            for key in ("id", "project_id", "section_id", "parent_id", "item_id"):
                if key in args:
                    args[key] = self._resolve(args[key])
            for key in ("items", "sections", "projects"):
                if isinstance(args.get(key), list):
                    args[key] = [
                        {**e, "id": self._resolve(e.get("id"))} if isinstance(e, dict) else e
                        for e in args[key]
                    ]
            new_id = getattr(self, handler)(args)
        except ApiError as err:
            return err.sync_body()
        created: dict[str, str] = {}
        temp_id = cmd.get("temp_id")
        if new_id is not None and isinstance(temp_id, str) and temp_id:
            created[temp_id] = new_id
            self._remember(self._temp_ids, temp_id, new_id)
        self._remember(self._done, uuid, created)
        mapping.update(created)
        return "ok"

    @staticmethod
    def _remember(memory: dict[str, Any], key: str, value: Any) -> None:
        memory[key] = value
        while len(memory) > _MEMORY:
            del memory[next(iter(memory))]

    @staticmethod
    def _need(args: Json, key: str) -> Any:
        if args.get(key) is None:
            raise _missing(key)
        return args[key]

    # One method per command: args in, the new object's id (or None) out.
    def _c_project_add(self, args: Json) -> str:
        return str(self._add_project(args)["id"])

    def _c_project_update(self, args: Json) -> None:
        self._update_project(self._need(args, "id"), args)

    def _c_project_delete(self, args: Json) -> None:
        self._delete_project(self._need(args, "id"))

    def _c_project_archive(self, args: Json) -> None:
        self._archive_project(self._need(args, "id"), True)

    def _c_project_unarchive(self, args: Json) -> None:
        self._archive_project(self._need(args, "id"), False)

    def _c_project_reorder(self, args: Json) -> None:
        self._reorder("projects", self._need(args, "projects"), "child_order")

    def _c_section_add(self, args: Json) -> str:
        return str(self._add_section(args)["id"])

    def _c_section_update(self, args: Json) -> None:
        self._update_section(
            self._need(args, "id"), {k: v for k, v in args.items() if k != "section_order"}
        )

    def _c_section_move(self, args: Json) -> None:
        self._move_section(self._need(args, "id"), self._need(args, "project_id"))

    def _c_section_reorder(self, args: Json) -> None:
        self._reorder("sections", self._need(args, "sections"), "section_order")

    def _c_section_delete(self, args: Json) -> None:
        self._delete_section(self._need(args, "id"))

    def _c_item_add(self, args: Json) -> str:
        return str(self._add_item(args)["id"])

    def _c_item_update(self, args: Json) -> None:
        tid = self._need(args, "id")
        self._update_item(
            tid,
            {k: v for k, v in args.items() if k not in ("project_id", "section_id", "parent_id")},
        )

    def _c_item_move(self, args: Json) -> None:
        self._move_item(self._need(args, "id"), args)

    def _c_item_reorder(self, args: Json) -> None:
        self._reorder("items", self._need(args, "items"), "child_order")

    def _c_item_delete(self, args: Json) -> None:
        self._delete_item(self._need(args, "id"))

    def _c_item_complete(self, args: Json) -> None:
        when = args.get("date_completed")
        at = _parse_instant(when, "date_completed") if when else None
        self._complete_item(self._need(args, "id"), at, close=False)

    def _c_item_close(self, args: Json) -> None:
        self._complete_item(self._need(args, "id"), None, close=True)

    def _c_item_uncomplete(self, args: Json) -> None:
        self._uncomplete_item(self._need(args, "id"))

    def _c_note_add(self, args: Json) -> str:
        return str(self._add_note(args, on="item_id")["id"])

    def _c_project_note_add(self, args: Json) -> str:
        return str(self._add_note(args, on="project_id")["id"])

    def _c_note_update(self, args: Json) -> None:
        self._update_note(self._need(args, "id"), args)

    def _c_note_delete(self, args: Json) -> None:
        self._delete_obj(self._note(self._need(args, "id")))

    def _c_label_add(self, args: Json) -> str:
        return str(self._add_label(args)["id"])

    def _c_label_update(self, args: Json) -> None:
        self._update_label(self._need(args, "id"), args)

    def _c_label_delete(self, args: Json) -> None:
        self._delete_label(self._need(args, "id"))

    # Acting as the user (tests and the demo) ------------------------------------------------

    def user_add_project(self, name: str, **fields: Any) -> str:
        with self._lock:
            return str(self._add_project({"name": name, **fields})["id"])

    def user_add_section(self, project_id: str, name: str) -> str:
        with self._lock:
            return str(self._add_section({"project_id": project_id, "name": name})["id"])

    def user_add_task(self, project_id: str | None, content: str, **fields: Any) -> str:
        """Add a task as the user would; `fields` as in the sync `item_add` (`due` is a dict
        like {"date": "2026-12-05"} or {"string": "every week"}, or just the string)."""
        with self._lock:
            args = {"project_id": project_id, "content": content, **_due_shorthand(fields)}
            return str(self._add_item(args)["id"])

    def user_update(self, task_id: str, **fields: Any) -> None:
        """Edit a task: content, description, due (dict or None), deadline, duration, priority,
        labels...; project_id / section_id / parent_id move it."""
        fields = _due_shorthand(fields)
        with self._lock:
            moves: Json = {
                k: fields.pop(k) for k in ("project_id", "section_id", "parent_id") if k in fields
            }
            if moves:
                self._move_item(task_id, moves)
            if fields or not moves:
                self._update_item(task_id, fields)

    def user_complete(self, task_id: str, when: datetime | None = None) -> None:
        """Tick the task off; a recurring one moves to its next occurrence instead."""
        with self._lock:
            self._complete_item(task_id, when, close=True)

    def user_uncomplete(self, task_id: str) -> None:
        with self._lock:
            self._uncomplete_item(task_id)

    def user_delete(self, task_id: str) -> None:
        with self._lock:
            self._delete_item(task_id)

    def user_delete_section(self, section_id: str) -> None:
        with self._lock:
            self._delete_section(section_id)

    def user_archive_project(self, project_id: str) -> None:
        with self._lock:
            self._archive_project(project_id, True)

    def user_delete_project(self, project_id: str) -> None:
        with self._lock:
            self._delete_project(project_id)

    def user_comment(self, task_id: str, content: str) -> str:
        with self._lock:
            return str(self._add_note({"item_id": task_id, "content": content}, on="item_id")["id"])

    # Inspection -----------------------------------------------------------------------------

    def tasks(
        self, project_id: str | None = None, *, include_completed: bool = False
    ) -> list[Json]:
        """Live tasks as the API shows them, in creation order."""
        with self._lock:
            return [
                _strip(t)
                for t in sorted(self._live_items(), key=lambda t: int(t["_n"]))
                if project_id in (None, t["project_id"]) and (include_completed or not t["checked"])
            ]

    def task(self, task_id: str) -> Json:
        with self._lock:
            return _strip(self._item(task_id))

    def projects(self) -> list[Json]:
        """Live projects (the Inbox and archived ones included), in creation order."""
        with self._lock:
            live = (p for p in self._projects.values() if not p["is_deleted"])
            return [_strip(p) for p in sorted(live, key=lambda p: int(p["_n"]))]

    def sections(self, project_id: str) -> list[Json]:
        with self._lock:
            live = [
                s
                for s in self._sections.values()
                if s["project_id"] == project_id and not s["is_deleted"]
            ]
            return [_strip(s) for s in sorted(live, key=lambda s: (s["section_order"], s["_n"]))]

    def comments(self, task_id: str) -> list[Json]:
        with self._lock:
            live = [
                n
                for n in self._notes.values()
                if n.get("item_id") == task_id and not n["is_deleted"]
            ]
            return [_strip(n) for n in sorted(live, key=lambda n: int(n["_n"]))]

    def labels(self) -> list[Json]:
        with self._lock:
            return [
                self._label_rest_view(lb) for lb in self._labels.values() if not lb["is_deleted"]
            ]

    # Persistence ----------------------------------------------------------------------------

    def to_dict(self) -> Json:
        with self._lock:
            return copy.deepcopy(
                {
                    "version": 1,
                    "timezone": self.timezone,
                    "secret": self._secret.hex(),
                    "counter": self._counter,
                    "seq": self._seq,
                    "calls": self._calls,
                    "inbox_id": self.inbox_id,
                    "projects": self._projects,
                    "sections": self._sections,
                    "items": self._items,
                    "notes": self._notes,
                    "labels": self._labels,
                    "history": self._history,
                    "done": self._done,
                    "temp_ids": self._temp_ids,
                }
            )

    def load_dict(self, d: Json) -> None:
        if d.get("version") != 1:
            raise ValueError(f"unknown Todoist sandbox state version {d.get('version')!r}")
        d = copy.deepcopy(d)
        with self._lock:
            self.timezone = d["timezone"]
            self._secret = bytes.fromhex(d["secret"])
            self._counter, self._seq, self._calls = d["counter"], d["seq"], d["calls"]
            self.inbox_id = d["inbox_id"]
            self._projects, self._sections, self._items = d["projects"], d["sections"], d["items"]
            self._notes, self._labels, self._history = d["notes"], d["labels"], d["history"]
            self._done, self._temp_ids = d["done"], d["temp_ids"]
            self._hits.clear()


def _due_shorthand(fields: Json) -> Json:
    """`due="every week"` for `due={"string": "every week"}` in the `user_*` helpers."""
    if isinstance(fields.get("due"), str):
        return {**fields, "due": {"string": fields["due"]}}
    return fields


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


_ID = r"([^/]+)"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(pattern), handler)
    for method, pattern, handler in [
        ("GET", "projects", "_r_projects"),
        ("POST", "projects", "_r_project_add"),
        ("GET", "projects/archived", "_r_projects_archived"),
        ("GET", f"projects/{_ID}", "_r_project"),
        ("POST", f"projects/{_ID}", "_r_project_update"),
        ("DELETE", f"projects/{_ID}", "_r_project_delete"),
        ("POST", f"projects/{_ID}/archive", "_r_project_archive"),
        ("POST", f"projects/{_ID}/unarchive", "_r_project_unarchive"),
        ("GET", f"projects/{_ID}/collaborators", "_r_collaborators"),
        ("GET", "sections", "_r_sections"),
        ("POST", "sections", "_r_section_add"),
        ("GET", f"sections/{_ID}", "_r_section"),
        ("POST", f"sections/{_ID}", "_r_section_update"),
        ("DELETE", f"sections/{_ID}", "_r_section_delete"),
        ("GET", "tasks", "_r_tasks"),
        ("POST", "tasks", "_r_task_add"),
        ("GET", "tasks/completed/by_completion_date", "_r_completed_by_completion"),
        ("GET", "tasks/completed/by_due_date", "_r_completed_by_due"),
        ("GET", f"tasks/{_ID}", "_r_task"),
        ("POST", f"tasks/{_ID}", "_r_task_update"),
        ("DELETE", f"tasks/{_ID}", "_r_task_delete"),
        ("POST", f"tasks/{_ID}/close", "_r_task_close"),
        ("POST", f"tasks/{_ID}/reopen", "_r_task_reopen"),
        ("POST", f"tasks/{_ID}/move", "_r_task_move"),
        ("GET", "comments", "_r_comments"),
        ("POST", "comments", "_r_comment_add"),
        ("GET", f"comments/{_ID}", "_r_comment"),
        ("POST", f"comments/{_ID}", "_r_comment_update"),
        ("DELETE", f"comments/{_ID}", "_r_comment_delete"),
        ("GET", "labels", "_r_labels"),
        ("POST", "labels", "_r_label_add"),
        ("GET", f"labels/{_ID}", "_r_label"),
        ("POST", f"labels/{_ID}", "_r_label_update"),
        ("DELETE", f"labels/{_ID}", "_r_label_delete"),
        ("GET", "user", "_r_user"),
    ]
]
# Paths of the real API that the sandbox does not emulate: they must not fall into `tasks/{id}`.
_NOT_EMULATED = re.compile(
    r"tasks/(filter|quick|completed|completed/(?!by_completion_date$|by_due_date$).*)"
    r"|(projects|sections|labels)/search|labels/shared(/.*)?|projects/archived/.*"
    r"|(reminders|location_reminders|filters|activities|uploads|workspaces|templates|backups)(/.*)?"
)
_COMMANDS = {
    name: f"_c_{name}"
    for name in [
        "project_add",
        "project_update",
        "project_delete",
        "project_archive",
        "project_unarchive",
        "project_reorder",
        "section_add",
        "section_update",
        "section_move",
        "section_reorder",
        "section_delete",
        "item_add",
        "item_update",
        "item_move",
        "item_reorder",
        "item_delete",
        "item_complete",
        "item_close",
        "item_uncomplete",
        "note_add",
        "note_update",
        "note_delete",
        "project_note_add",
        "label_add",
        "label_update",
        "label_delete",
    ]
}
_COMMANDS["project_note_update"] = "_c_note_update"
_COMMANDS["project_note_delete"] = "_c_note_delete"
