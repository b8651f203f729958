"""The sandbox's wire layer: plain requests and responses, the request log, latency and faults.

Each emulator is an `App`: a pure-ish `handle(Request) -> Response` over its own in-memory state.
`Wire` sits in front of the apps and adds what tests and benchmarks need: a log with read/write
counts, an injected latency, and failures (the Nth request, a seeded fraction, or "apply the
write, then drop the connection", "answer with a malformed body"). The adapters in `transport.py` and the loopback server in
`server.py` turn real HTTP (httpx, httplib2, sockets) into these requests.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # raw (still percent-encoded) path, e.g. /calendar/v3/calendars/me%40x/events
    query: tuple[tuple[str, str], ...] = ()
    headers: dict[str, str] = field(default_factory=dict)  # keys lower-cased
    body: bytes = b""

    @classmethod
    def from_url(
        cls, method: str, url: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Request:
        parts = urlsplit(url)
        return cls(
            method=method.upper(),
            path=parts.path,
            query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in (headers or {}).items()},
            body=body,
        )

    def arg(self, name: str, default: str | None = None) -> str | None:
        """The first value of a query parameter."""
        return next((v for k, v in self.query if k == name), default)

    def args(self, name: str) -> list[str]:
        """Every value of a repeated query parameter."""
        return [v for k, v in self.query if k == name]

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        return cls(
            status,
            {"content-type": "application/json; charset=UTF-8", **(headers or {})},
            json.dumps(payload).encode(),
        )

    @classmethod
    def empty(cls, status: int = 204) -> Response:
        return cls(status)


class App(Protocol):
    """One emulated service."""

    service: str  # "todoist" or "google"

    def handles(self, path: str) -> bool: ...

    def handle(self, request: Request) -> Response: ...

    def fault(self, status: int, retry_after: int) -> Response:
        """The error body this service sends for an injected failure of `status`."""
        ...


class DroppedConnection(Exception):
    """Raised by `Wire.dispatch` when a fault says: the request was applied, the answer is lost."""


def is_write(request: Request) -> bool:
    """Whether a request changes anything: POSTs that only read (a `/sync` read, a free/busy
    query, a token refresh) are reads."""
    if request.method not in WRITE_METHODS:
        return False
    if request.path.endswith("/sync"):
        return b"commands" in request.body
    return not request.path.endswith(("/freeBusy", "/token"))


@dataclass(frozen=True)
class LogEntry:
    service: str
    method: str
    path: str
    status: int  # 0 for a dropped connection
    is_write: bool


@dataclass
class Faults:
    """Failure injection. Positions count requests (or writes) from the last `reset`, from 1."""

    fail_at: dict[int, int] = field(default_factory=dict)  # request number -> status
    drop_after_write: set[int] = field(default_factory=set)  # write number -> drop its answer
    drop_at: set[int] = field(default_factory=set)  # request number (read or write) -> drop it
    malformed: dict[int, str] = field(default_factory=dict)  # request number -> a `MALFORMED`
    fraction: float = 0.0  # seeded share of requests failing
    fraction_statuses: tuple[int, ...] = (429, 500, 503)
    drop_in_fraction: bool = True  # a share of the storm is "applied, then dropped"
    retry_after: int = 1
    seed: int = 0
    service: str | None = None  # only this service's requests, or all
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self._rng.seed(self.seed)


MALFORMED = ("truncated", "empty", "html", "multipart")  # what a broken proxy or portal answers
_PORTAL = b"<!DOCTYPE html><html><head><title>Sign in to Wi-Fi</title></head><body></body></html>"


def malformed(kind: str, response: Response) -> Response:
    """A 200 whose body is broken: cut in half, empty, a captive portal's HTML page (the request
    never reached the service), or a multipart batch answer without its parts."""
    if kind == "html":
        return Response(200, {"content-type": "text/html; charset=utf-8"}, _PORTAL)
    if kind == "multipart":
        return Response(200, {"content-type": "multipart/mixed; boundary=batch_x"}, b"--batch_x")
    body = response.body[: len(response.body) // 2] if kind == "truncated" else b""
    return Response(200, {**response.headers, "content-length": str(len(body))}, body)


class Wire:
    """Routes requests to the apps; logs, delays and fails them as the test controls say."""

    def __init__(self, apps: list[App], latency: float = 0.0) -> None:
        self.apps = apps
        self.latency = latency
        self.faults = Faults()
        self.log: list[LogEntry] = []
        self._requests = 0
        self._writes = 0
        self.lock = threading.RLock()  # held while a request is applied
        self.sleep: Callable[[float], None] = time.sleep

    def reset(self, faults: Faults | None = None) -> None:
        """Clear the log and counters; install new faults (or none)."""
        with self.lock:
            self.log.clear()
            self._requests = self._writes = 0
            self.faults = faults or Faults()

    def counts(self, service: str | None = None) -> Counter[str]:
        """`reads` and `writes` (HTTP requests) so far, for one service or all."""
        c: Counter[str] = Counter(reads=0, writes=0)
        for e in self.log:
            if service is None or e.service == service:
                c["writes" if e.is_write else "reads"] += 1
        return c

    def dispatch(self, request: Request) -> Response:
        app = next((a for a in self.apps if a.handles(request.path)), None)
        if app is None:
            return Response.json(404, {"error": f"no sandbox route for {request.path}"})
        if self.latency:
            self.sleep(self.latency)
        with self.lock:
            f = self.faults
            targeted = f.service in (None, app.service)
            write = is_write(request)
            if targeted:
                self._requests += 1
                self._writes += write
            n, w = self._requests, self._writes
            status = f.fail_at.get(n) if targeted else None
            drop = targeted and ((write and w in f.drop_after_write) or n in f.drop_at)
            broken = f.malformed.get(n) if targeted else None
            storm = targeted and status is None and not drop and f.fraction
            if storm and f._rng.random() < f.fraction:
                if write and f.drop_in_fraction and f._rng.random() < 0.25:
                    drop = True
                else:
                    status = f._rng.choice(f.fraction_statuses)
            if status is not None:
                response = app.fault(status, f.retry_after)
            elif broken == "html":  # a captive portal answered instead
                response = malformed(broken, Response(200))
            else:
                response = app.handle(request)
                if broken is not None:
                    response = malformed(broken, response)
            self.log.append(
                LogEntry(
                    app.service, request.method, request.path, 0 if drop else response.status, write
                )
            )
        if drop:
            raise DroppedConnection(f"{request.method} {request.path}")
        return response
