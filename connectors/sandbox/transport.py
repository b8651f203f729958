"""In-process adapters: the real SDKs' HTTP layers, answered by the sandbox without a socket.

- `HttpxTransport` plugs into `httpx.Client(transport=...)`, which `todoist-api-python` accepts.
- `Httplib2Http` is an `httplib2.Http` whose `request` is answered by the sandbox, for
  `googleapiclient.discovery.build(..., http=...)`, `BatchHttpRequest` and google-auth refreshes.

A `DroppedConnection` from the wire surfaces as each library's own connection error, so the
client code sees exactly what it would see when a real connection drops after the write.
"""

from __future__ import annotations

from typing import Any

import httplib2
import httpx

from connectors.sandbox.wire import DroppedConnection, Request, Wire


class HttpxTransport(httpx.BaseTransport):
    def __init__(self, wire: Wire) -> None:
        self.wire = wire

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        req = Request.from_url(
            request.method, str(request.url), dict(request.headers), request.read()
        )
        try:
            resp = self.wire.dispatch(req)
        except DroppedConnection as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from exc
        return httpx.Response(resp.status, headers=resp.headers, content=resp.body)


class Httplib2Http(httplib2.Http):  # type: ignore[misc]
    def __init__(self, wire: Wire) -> None:
        super().__init__()
        self.wire = wire

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        redirections: int = 5,
        connection_type: Any = None,
    ) -> tuple[httplib2.Response, bytes]:
        data = body.encode() if isinstance(body, str) else (body or b"")
        try:
            resp = self.wire.dispatch(Request.from_url(method, uri, headers, data))
        except DroppedConnection as exc:
            raise ConnectionResetError("Connection reset by peer") from exc
        except TimeoutError as exc:  # pragma: no cover - latency faults raise this
            raise TimeoutError(str(exc)) from exc
        info = httplib2.Response({"status": str(resp.status), **resp.headers})
        info.status = resp.status
        return info, resp.body
