"""The Google Calendar connector: the plan's calendar, its milestone events and focus blocks.

Reading: `events.list` over the whole calendar with a stored `syncToken` (one request per run
once the first full read is done; a 410 drops the token and reads everything again) and a mirror
of the calendar's events in the state store, so the snapshot is complete after an incremental
read. Deleted events stay in the mirror: their ids can never be used again.
Writing: `events.insert` with deterministic ids (a repeat is a 409: the event is fetched and
re-linked), `events.patch` with only the changed fields, `events.delete` (404/410: already gone),
sent as batches of at most 50 calls; every result is recorded in the state store as its batch
lands. An event careersync deleted itself leaves a tombstone in the state, so when the plan wants
its key again the cancelled event is restored (patched back to `confirmed`) instead of inserted,
which would be a 409; an event the user deleted stays deleted.
Creating a calendar is not idempotent: the calendar list is read for the plan's marker before
each try, the transport never re-sends by itself (`connectors.clients.GoogleHttp`), and the id
is stored at once. A calendar is the plan's only by that marker, never by its title.
Answers that are not what the API sends (truncated or empty JSON, a captive portal's HTML, a
broken batch multipart) are transient errors, retried like a dropped connection.
Block times live in the records' `synced` `start`/`end` (see `connectors.gcal_map`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

import httplib2
from google.oauth2.credentials import Credentials
from google_auth_httplib2 import AuthorizedHttp
from googleapiclient.http import BatchHttpRequest

from connectors.clients import GoogleHttp, WatchedHttp, calendar_batch_uri, calendar_service
from connectors.gcal_errors import SCOPE_FIX, SERVICE, SignIn, map_error
from connectors.gcal_errors import call as _call
from connectors.gcal_map import (
    CALENDAR,
    calendar_item,
    calendar_remote,
    event_body,
    event_id,
    freebusy_windows,
    marker,
    to_remote,
)
from connectors.retry import RetryPolicy
from sync.errors import AuthError, RateLimited, RemoteError, SecretError, TransientError
from sync.model import (
    Action,
    Applied,
    Create,
    Delete,
    Item,
    Link,
    Record,
    Remote,
    Snapshot,
    Update,
)
from sync.plan import Plan
from sync.secrets import SecretStore
from sync.settings import Settings
from sync.spans import Interval
from sync.state import StateStore

NAME = "Google Calendar"
# The narrowest scopes that do the job (api-notes/gcal.md §8):
SCOPES = [
    # make the plan's calendar and manage the events in it; no access to other calendars' events
    "https://www.googleapis.com/auth/calendar.app.created",
    # busy time of the user's own calendars (start/end only), so blocks avoid it
    "https://www.googleapis.com/auth/calendar.freebusy",
    # find the plan's calendar again after the state DB is lost, instead of making a second one
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
]
# Only when the user names an existing calendar (the `calendar_id` setting): events on a
# calendar careersync did not create are out of `calendar.app.created`'s reach.
EVENTS_ANYWHERE = "https://www.googleapis.com/auth/calendar.events"
BATCH = 50  # calls per batch request (Google's long-standing limit)
PAGE = 2500  # events per list page (the maximum)
CALENDAR_CURSOR = "calendar_id"
RETIRED = "retired:"  # cursor prefix: a key whose deterministic event careersync itself deleted
T = TypeVar("T")


# The connector ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Write:
    """One event write of a batch."""

    action: Create | Update | Delete
    build: Callable[[], Any]  # a fresh HttpRequest (a retried batch cannot reuse the old one)
    restore: bool = False  # a Create sent as a patch that undeletes careersync's own event


class CalendarConnector:
    def __init__(
        self,
        service: Any,
        http: Any,
        batch_uri: str,
        store: StateStore,
        plan: Plan,
        *,
        calendar_id: str | None = None,
        busy_calendars: Sequence[str] = ("primary",),
        policy: RetryPolicy | None = None,
    ) -> None:
        self.service = service
        self.events = service.events()  # building a resource costs ~30 ms: build it once
        self.http = http
        self.batch_uri = batch_uri
        self.store = store
        self.plan = plan
        self.setting = calendar_id  # a calendar the user named: careersync only adds events
        self.busy_calendars = list(busy_calendars)
        self.policy = policy or RetryPolicy()
        self._calendar_id: str | None = calendar_id
        self._looked = False  # the stored id and the calendar list were consulted

    @property
    def owns_calendar(self) -> bool:
        return self.setting is None

    # The calendar -------------------------------------------------------------------------
    def calendar_id(self, *, persist: bool = True) -> str | None:
        """The plan's calendar: the setting, the stored id, or one found by its marker."""
        if self._calendar_id is None and not self._looked:
            stored = self.store.cursor(self.plan.id, SERVICE, CALENDAR_CURSOR)
            found = stored or self._find_calendar()
            if found and not stored and persist:
                self.store.set_cursor(self.plan.id, SERVICE, CALENDAR_CURSOR, found)
            self._calendar_id, self._looked = found, True
        return self._calendar_id

    def _find_calendar(self) -> str | None:
        """The plan's calendar in the calendar list, known only by the marker in its description:
        never by its title, which the user's own calendar or another plan's may share."""
        mark = marker(self.plan.id)
        lister = self.service.calendarList().list
        try:
            _, entries = self._pages(lambda page: lister(pageToken=page, maxResults=250))
        except AuthError as exc:
            if exc.status == 403:
                return None  # signed in without the calendar-list scope: cannot look
            raise
        marked = sorted(
            str(e["id"])
            for e in entries
            if e.get("accessRole") == "owner" and mark in (e.get("description") or "")
        )
        return marked[0] if marked else None  # several (a race): the same one for everybody

    def ensure_calendar(self) -> str:
        """The plan's calendar, made now if there is none; its id is stored before anything else."""
        found = self.calendar_id()
        if found is not None:
            return found
        body = dict(calendar_item(self.plan).fields)
        tries = 0

        def insert() -> Any:
            # Calendars have no client ids: an insert whose answer was lost may have landed,
            # so a retry first looks for it by its marker.
            nonlocal tries
            tries += 1
            if tries > 1 and (found := self._find_calendar()):
                return {"id": found}
            return self.service.calendars().insert(body=body).execute()

        created = _call(self.policy, insert)
        self._calendar_id = str(created["id"])
        self.store.set_cursor(self.plan.id, SERVICE, CALENDAR_CURSOR, self._calendar_id)
        return self._calendar_id

    # Reading ------------------------------------------------------------------------------
    def gather(self, now: datetime | None = None, *, persist: bool = True) -> Snapshot:
        """The calendar's events as they are now (`now` is unused: the protocol's signature).

        With `persist`, the mirror and the new sync token are saved (not for a dry run).
        """
        cid = self.calendar_id(persist=persist)
        if cid is None:
            return Snapshot({})  # nothing made yet
        token_name = f"sync_token:{cid}"
        token = self.store.cursor(self.plan.id, SERVICE, token_name)
        try:
            listing, events = self._list(cid, token)
        except RemoteError as exc:
            if exc.status == 410 and token is not None:  # token expired: read everything
                token = None
                listing, events = self._list(cid, None)
            elif exc.status == 404 and self.owns_calendar:  # the user deleted it
                return Snapshot({cid: calendar_remote(cid, {}, owned=True, deleted=True)})
            elif exc.status == 404:
                raise RemoteError(
                    SERVICE,
                    f"the calendar {cid!r} does not exist or is not yours",
                    "check the calendar_id setting",
                    404,
                ) from exc
            else:
                raise
        previous = self.store.mirror(self.plan.id, SERVICE)
        changed = {str(e["id"]): _merged(previous.get(str(e["id"])), e) for e in events}
        mirror = changed if token is None else {**previous, **changed}
        if persist:
            with self.store.transaction():
                self.store.update_mirror(self.plan.id, SERVICE, changed, replace=token is None)
                self.store.set_cursor(
                    self.plan.id, SERVICE, token_name, listing.get("nextSyncToken")
                )
        return self._snapshot(cid, listing, mirror)

    def _list(self, cid: str, token: str | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Every page of events.list (changes since `token`, or everything, deleted included)."""
        args: dict[str, Any] = {"calendarId": cid, "showDeleted": True, "maxResults": PAGE}
        if token:
            args["syncToken"] = token
        lister = self.events.list
        return self._pages(lambda page: lister(**args, pageToken=page))

    def _pages(
        self, request: Callable[[str | None], Any]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Every page of a list call: (the last page, all items)."""
        items: list[dict[str, Any]] = []
        page: str | None = None
        while True:
            answer: dict[str, Any] = self._execute(partial(request, page))
            items += answer.get("items", [])
            page = answer.get("nextPageToken")
            if not page:
                return answer, items

    def _snapshot(
        self, cid: str, listing: Mapping[str, Any], mirror: Mapping[str, Mapping[str, Any]]
    ) -> Snapshot:
        remotes: dict[str, Remote] = {
            rid: to_remote(event, self.plan.id, self.plan.tz) for rid, event in mirror.items()
        }
        remotes[cid] = calendar_remote(cid, listing, owned=self.owns_calendar)
        return Snapshot(remotes)

    def busy(self, start: datetime, end: datetime) -> list[Interval]:
        """Busy time of the user's own calendars in [start, end), in queries under 90 days."""
        own = self._calendar_id if self.owns_calendar else None  # its blocks are kept anyway
        items = [{"id": c} for c in self.busy_calendars if c != own]
        spans: list[Interval] = []
        for low, high in freebusy_windows(start, end) if items else []:
            body = {"timeMin": low.isoformat(), "timeMax": high.isoformat(), "items": items}
            answer = self._execute(partial(self.service.freebusy().query, body=body))
            for cid, cal in (answer.get("calendars") or {}).items():
                spans += _busy_spans(cid, cal)
        return sorted(spans)

    # Writing ------------------------------------------------------------------------------
    def apply(self, actions: Sequence[Action]) -> Applied:
        """Carry out decided actions; each result is recorded as its request or batch lands."""
        applied = Applied()  # writes count the calls that landed
        self.store.note(self.plan.id, SERVICE, actions)
        writes = [a for a in actions if isinstance(a, Create | Update | Delete)]
        for action in writes:
            if action.key == CALENDAR:
                self._calendar_write(action, applied)
        events = [a for a in writes if a.key != CALENDAR]
        if events:
            cid = self.calendar_id()
            if cid is None:
                applied.errors.append("calendar: not created, so its events were not written")
                return applied
            self._send([self._write(cid, a) for a in events], cid, applied)
        return applied

    def _calendar_write(self, action: Create | Update | Delete, applied: Applied) -> None:
        plan_id = self.plan.id
        if isinstance(action, Create):
            cid = self.ensure_calendar()
            self.store.put(plan_id, SERVICE, Record(CALENDAR, cid, action.item.fields))
        elif isinstance(action, Update):
            changes = dict(action.changes)
            self._execute(
                lambda: self.service.calendars().patch(calendarId=action.remote_id, body=changes)
            )
            self.store.put(plan_id, SERVICE, Record(CALENDAR, action.remote_id, action.item.fields))
        else:  # never deletes a whole calendar: it only stops being the plan's
            self.store.remove(plan_id, SERVICE, CALENDAR)
            self.store.set_cursor(plan_id, SERVICE, CALENDAR_CURSOR, None)
            self._calendar_id = self.setting
            return
        applied.writes += 1

    def _write(self, cid: str, action: Create | Update | Delete) -> _Write:
        events = self.events
        if isinstance(action, Create) and self._retired(action.key):
            body = {**event_body(self.plan.id, action.item), "status": "confirmed"}
            eid = body.pop("id")
            restore = partial(events.patch, calendarId=cid, eventId=eid, body=body)
            return _Write(action, restore, restore=True)
        if isinstance(action, Create):
            body = event_body(self.plan.id, action.item)
            return _Write(action, lambda: events.insert(calendarId=cid, body=body))
        if isinstance(action, Update):
            changes, eid = dict(action.changes), action.remote_id
            return _Write(action, lambda: events.patch(calendarId=cid, eventId=eid, body=changes))
        eid = action.remote_id
        return _Write(action, lambda: events.delete(calendarId=cid, eventId=eid))

    def _send(self, writes: Sequence[_Write], cid: str, applied: Applied) -> None:
        """Batches of up to 50; calls that failed transiently are retried in a later batch."""
        queue = list(writes)
        for attempt in range(self.policy.attempts):
            again: list[tuple[_Write, RemoteError]] = []
            for chunk in _chunks(queue, BATCH):
                results = _call(self.policy, partial(self._batch, chunk))
                fatal: RemoteError | None = None
                taken: list[Item] = []  # creates whose id exists (a 409)
                with self.store.transaction():  # what landed is recorded, whatever follows
                    for write, answer, error in results:
                        problem = None if error is None else map_error(error)
                        if isinstance(problem, TransientError | RateLimited):
                            again.append((write, problem))
                        elif write.restore and _status(problem) in (404, 410):  # purged
                            self._retire(write.action.key, None)  # so it is inserted anew
                            gone = TransientError(SERVICE, f"{write.action.key}: event purged")
                            again.append((self._write(cid, write.action), gone))
                        elif isinstance(problem, AuthError):
                            fatal = fatal or problem
                        elif isinstance(write.action, Create) and _status(problem) == 409:
                            taken.append(write.action.item)
                        else:
                            self._landed(write.action, answer, problem, applied)
                if fatal is not None:
                    raise fatal
                for item in taken:
                    self._relink(item, cid, applied)
            if not again:
                return
            limited = [p.retry_after for _, p in again if isinstance(p, RateLimited)]
            wait = max(limited, default=0)
            if attempt == self.policy.attempts - 1 or wait > self.policy.max_retry_after:
                raise max((p for _, p in again), key=lambda p: getattr(p, "retry_after", 0.0))
            if limited:  # Google's backoff for usage limits: 1, 2, 4... s, plus up to 1 s
                wait = max(wait, min(2.0**attempt, self.policy.cap)) + self.policy.rng.random()
            else:
                wait = self.policy.backoff(attempt)
            self.policy.retries += 1
            self.policy.sleep(wait)
            queue = [w for w, _ in again]

    def _batch(self, writes: Sequence[_Write]) -> list[tuple[_Write, Any, Exception | None]]:
        results: dict[str, tuple[Any, Exception | None]] = {}

        def landed(request_id: str, response: Any, exception: Exception | None) -> None:
            results[request_id] = (response, exception)

        batch = BatchHttpRequest(callback=landed, batch_uri=self.batch_uri)
        for n, write in enumerate(writes):
            batch.add(write.build(), request_id=str(n))
        batch.execute(http=self.http)
        out: list[tuple[_Write, Any, Exception | None]] = []
        for n, write in enumerate(writes):
            if str(n) not in results:
                raise TransientError(SERVICE, "malformed batch answer (a part is missing)")
            answer, error = results[str(n)]
            deleted = isinstance(write.action, Delete)  # a 204: no body to parse
            if error is None and not deleted and not isinstance(answer, dict):  # it did not parse
                error = TransientError(
                    SERVICE, f"malformed answer in a batch part ({answer!r:.40})"
                )
            out.append((write, answer, error))
        return out

    def _landed(
        self,
        action: Create | Update | Delete,
        answer: Any,
        problem: RemoteError | None,
        applied: Applied,
    ) -> None:
        """Record one call's result: done, already done, gone, or a failure to report."""
        plan_id, status = self.plan.id, _status(problem)
        if problem is None:
            applied.writes += 1
        if isinstance(action, Delete) and status in (None, 404, 410):
            self.store.remove(plan_id, SERVICE, action.key)
            if status is None and action.remote_id == event_id(plan_id, action.key):
                self._retire(action.key, action.remote_id)  # careersync's own deletion
        elif isinstance(action, Update) and status in (404, 410):
            synced = action.item.fields
            self.store.put(
                plan_id, SERVICE, Record(action.key, action.remote_id, synced, "dismissed")
            )
        elif problem is not None:
            applied.errors.append(f"{action.key}: {problem.message}")
        elif not isinstance(action, Delete):
            record = Record(action.key, str(answer["id"]), action.item.fields)
            self.store.put(plan_id, SERVICE, record)
            if isinstance(action, Create):
                self._retire(action.key, None)

    def _relink(self, item: Item, cid: str, applied: Applied) -> None:
        """A create whose id exists: an earlier run's event (re-link it) or one the user deleted."""
        eid = event_id(self.plan.id, item.key)
        event = self._execute(lambda: self.events.get(calendarId=cid, eventId=eid))
        remote = to_remote(event, self.plan.id, self.plan.tz)
        if remote.deleted:
            record = Record(item.key, eid, item.fields, "dismissed")
        else:
            changes = {f: v for f, v in item.fields.items() if remote.fields.get(f) != v}
            if changes:
                self._execute(lambda: self.events.patch(calendarId=cid, eventId=eid, body=changes))
                applied.writes += 1
            record = Record(item.key, eid, item.fields)
        self.store.put(self.plan.id, SERVICE, record)

    def _retired(self, key: str) -> bool:
        return self.store.cursor(self.plan.id, SERVICE, RETIRED + key) is not None

    def _retire(self, key: str, remote_id: str | None) -> None:
        """Remember (or, with None, forget) that careersync itself deleted `key`'s event."""
        self.store.set_cursor(self.plan.id, SERVICE, RETIRED + key, remote_id)

    def _execute(self, request: Callable[[], Any]) -> Any:
        return _call(self.policy, lambda: request().execute())


def _status(problem: RemoteError | None) -> int | None:
    return None if problem is None else problem.status


def _record(link: Link) -> Record:
    return Record(link.key, link.remote_id, link.synced, link.status, link.completed_at)


def _merged(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """A cancelled event may come back as little more than its id: keep what was known."""
    if old is not None and new.get("status") == "cancelled":
        return {**old, **new}
    return dict(new)


def _busy_spans(calendar_id: str, answer: Mapping[str, Any]) -> list[Interval]:
    errors = answer.get("errors") or []
    if errors:
        reason = errors[0].get("reason", "unknown")
        raise RemoteError(
            SERVICE,
            f"cannot read the busy time of calendar {calendar_id!r} ({reason})",
            "check the busy_calendars setting",
        )
    spans = [
        Interval(datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"]))
        for b in answer.get("busy") or []
    ]
    return [s for s in spans if s.start < s.end]


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# Building it from settings and secrets -------------------------------------------------------


CredentialCache = dict[tuple[str, str, str], Credentials]


def scopes_for(calendar_id: str | None) -> list[str]:
    """The scopes to ask for: `SCOPES`, plus `calendar.events` if the user named a calendar."""
    return [*SCOPES, EVENTS_ANYWHERE] if calendar_id else list(SCOPES)


def credentials(
    settings: Settings, secrets: SecretStore, cache: CredentialCache | None = None
) -> Credentials:
    """The stored authorized-user credentials, refreshing at `settings.google_token_uri`.

    A long-running process passes a `cache` (in memory only) so its access token is reused
    across cycles instead of refreshed on each: an idle cycle then costs one request.
    """
    raw = secrets.require("google")
    key = (raw, settings.google_token_uri, settings.calendar_id or "")
    if cache is not None and key in cache:
        return cache[key]
    needed = scopes_for(settings.calendar_id)
    try:
        info = json.loads(raw)
        creds = SignIn.from_authorized_user_info(info, needed)  # type: ignore[no-untyped-call]
    except (ValueError, TypeError, AttributeError) as exc:
        raise SecretError(
            "the stored Google credentials are not authorized-user JSON",
            "run `careersync auth google` again",
        ) from exc
    granted = info.get("scopes")
    if isinstance(granted, list) and not set(needed) <= set(granted):
        raise AuthError(
            SERVICE,
            "the calendar_id setting names a calendar careersync did not create, and the"
            " Google sign-in only allows calendars careersync creates",
            SCOPE_FIX,
        )
    refreshing: Credentials = creds.with_token_uri(settings.google_token_uri)
    if cache is not None:
        cache[key] = refreshing
    return refreshing


def connect(
    settings: Settings,
    secrets: SecretStore,
    store: StateStore,
    plan: Plan,
    *,
    http: httplib2.Http | None = None,
    policy: RetryPolicy | None = None,
    cache: CredentialCache | None = None,
) -> CalendarConnector:
    """A connector for `plan` at the configured endpoint (tests pass the sandbox's `http`)."""
    creds = credentials(settings, secrets, cache)
    endpoints = {settings.google_token_uri: "CAREERSYNC_GOOGLE_TOKEN_URI"}
    transport = WatchedHttp(http or GoogleHttp(timeout=60), endpoints, "CAREERSYNC_GOOGLE_API_ROOT")
    authed = AuthorizedHttp(creds, http=transport)
    return CalendarConnector(
        calendar_service(authed, settings.google_api_root),
        authed,
        calendar_batch_uri(settings.google_api_root),
        store,
        plan,
        calendar_id=settings.calendar_id,
        busy_calendars=settings.busy_calendars,
        policy=policy,
    )
