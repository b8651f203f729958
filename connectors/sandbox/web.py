"""The sandbox as a user sees it: `GET /` on `careersync sandbox serve` is a small web page.

It shows the emulated Todoist (projects, sections, tasks) and a week of the emulated calendars,
and its buttons act as the user through the emulators' own `user_*` methods: complete or reopen
a task, move or delete an event. Server-rendered (`web_page.py`), no script, no build step; it
answers loopback clients only, and refuses a form posted from another site's page.

Routes: `GET /?week=YYYY-MM-DD&note=...`, `POST /ui/task` (task, op=complete|reopen) and
`POST /ui/event` (calendar, event, op=move|delete, minutes), each answered with a redirect back.
"""

from __future__ import annotations

import ipaddress
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

from connectors.sandbox import gcal, todoist
from connectors.sandbox.web_page import render
from connectors.sandbox.wire import LogEntry, Request, Response

if TYPE_CHECKING:
    from connectors.sandbox import Sandbox

PATHS = ("/", "/ui/task", "/ui/event")
MOVES = {-1440, -60, 60, 1440}  # the move buttons, in minutes
HTML = "text/html; charset=utf-8"


def handles(path: str) -> bool:
    return urlsplit(path).path in PATHS


def handle(sandbox: Sandbox, request: Request, client: str) -> Response:
    """Answer one request for the page or one of its forms."""
    if not _loopback(client):
        return _text(403, "the sandbox page answers loopback clients only")
    if request.path == "/" and request.method == "GET":
        week = _week_arg(request.arg("week"))
        page = render(sandbox, week=week, note=request.arg("note") or "")
        return Response(200, {"content-type": HTML, "cache-control": "no-store"}, page.encode())
    if request.path == "/":
        return _text(405, "GET only")
    if request.method != "POST":
        return _text(405, "POST only")
    if not _same_origin(request):
        return _text(403, "forms are accepted from the sandbox page only")
    form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    act = _task if request.path == "/ui/task" else _event
    with sandbox.wire.lock:  # never between a request's half-applied writes, nor a save
        try:
            note = act(sandbox, form)
        except (todoist.ApiError, gcal.ApiError, ValueError, KeyError) as exc:
            note = f"not done: {exc}"
        else:  # the request log is what `sandbox serve` watches to know when to save
            sandbox.wire.log.append(LogEntry("web", "POST", request.path, 303, True))
    return Response(303, {"location": _back(form.get("back", "/"), note)})


def _task(sandbox: Sandbox, form: dict[str, str]) -> str:
    emulator = sandbox.todoist
    task = emulator.task(form["task"])
    if form.get("op") == "complete":
        emulator.user_complete(task["id"])
        return f"completed: {task['content']}"
    if form.get("op") == "reopen":
        emulator.user_uncomplete(task["id"])
        return f"reopened: {task['content']}"
    raise ValueError(f"unknown task action {form.get('op')!r}")


def _event(sandbox: Sandbox, form: dict[str, str]) -> str:
    google = sandbox.google
    calendar, event_id = form["calendar"], form["event"]
    found = [e for e in google.events(calendar) if e["id"] == event_id]
    if not found:
        raise ValueError("that event is gone (deleted or moved by a sync)")
    event = found[0]
    title = event.get("summary") or "(no title)"
    if form.get("op") == "delete":
        google.user_delete_event(calendar, event_id)
        return f"deleted: {title}"
    if form.get("op") != "move":
        raise ValueError(f"unknown event action {form.get('op')!r}")
    minutes = int(form.get("minutes", ""))
    if minutes not in MOVES:
        raise ValueError(f"moves are by a day or an hour, not {minutes} minutes")
    start, end = (_when(event[k], ZoneInfo(google.time_zone)) for k in ("start", "end"))
    shift = timedelta(minutes=minutes)
    if "date" in event["start"]:  # an all-day event moves by whole days
        shift = timedelta(days=round(minutes / 1440))
    google.user_move_event(calendar, event_id, start + shift, end + shift)
    moved = (start + shift).astimezone(ZoneInfo(google.time_zone))
    return f"moved: {title} to {moved:%a %d %b}" + (
        "" if "date" in event["start"] else f" {moved:%H:%M}"
    )


def _when(value: dict[str, Any], tz: ZoneInfo) -> datetime:
    """An event's start or end as an aware datetime (an all-day date: midnight in `tz`)."""
    if "dateTime" in value:
        return datetime.fromisoformat(str(value["dateTime"]).replace("Z", "+00:00"))
    return datetime.combine(date.fromisoformat(value["date"]), datetime.min.time(), tz)


def _week_arg(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _back(raw: str, note: str) -> str:
    """Where a form returns to: a path on this page only (never another site), plus the note."""
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc or parts.path != "/":
        parts = urlsplit("/")
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "note"]
    return "/?" + urlencode([*query, ("note", note)])


def _loopback(client: str) -> bool:
    try:
        return ipaddress.ip_address(client).is_loopback
    except ValueError:
        return False


def _same_origin(request: Request) -> bool:
    """A browser names the page a form was posted from; it must be this server's own."""
    origin = request.headers.get("origin")
    if origin is None:  # not a browser form post (curl, a test client)
        return request.headers.get("sec-fetch-site", "same-origin") == "same-origin"
    return origin == f"http://{request.headers.get('host', '')}"


def _text(status: int, message: str) -> Response:
    return Response(status, {"content-type": "text/plain; charset=utf-8"}, message.encode())
