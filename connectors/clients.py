"""Building the real SDK clients for a configured endpoint (the real service, a proxy, or the sandbox)."""

from __future__ import annotations

import http.client
from typing import Any

import httplib2
import httpx
from googleapiclient.discovery import build
from todoist_api_python._core.endpoints import API_URL as TODOIST_DEFAULT_URL
from todoist_api_python.api import TodoistAPI

GOOGLE_DEFAULT_ROOT = "https://www.googleapis.com/"


def todoist_http(base_url: str, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """An httpx client for Todoist at `base_url`.

    The SDK always builds URLs from its default `API_URL`; a request hook moves them to
    `base_url`, so the SDK and our raw `/sync` calls share one client and one setting.
    """
    base = httpx.URL(base_url.rstrip("/"))
    default = TODOIST_DEFAULT_URL.rstrip("/")

    def to_base(request: httpx.Request) -> None:
        url = str(request.url)
        if base_url.rstrip("/") != default and url.startswith(default):
            rest = httpx.URL(base.raw_path.decode() + url[len(default) :])
            request.url = request.url.copy_with(
                scheme=base.scheme, host=base.host, port=base.port, raw_path=rest.raw_path
            )
            request.headers["host"] = base.netloc.decode()

    timeout = httpx.Timeout(connect=10, read=60, write=60, pool=10)
    return httpx.Client(transport=transport, timeout=timeout, event_hooks={"request": [to_base]})


def todoist_api(token: str, client: httpx.Client) -> TodoistAPI:
    return TodoistAPI(token, client=client)


class _Once:
    """A connection whose lost answer is an error, not a silent second send.

    httplib2 re-sends a request whose answer never came (a `BadStatusLine`), whatever the
    method: a `calendars.insert` sent twice makes two calendars. Raised as a connection reset
    instead, the loss reaches the connector, which looks before it retries.
    """

    def getresponse(self) -> Any:
        try:
            return super().getresponse()  # type: ignore[misc]
        except http.client.BadStatusLine as exc:  # RemoteDisconnected included
            raise ConnectionResetError(f"the connection closed before an answer ({exc!r})") from exc


class _OnceHTTP(_Once, httplib2.HTTPConnectionWithTimeout):  # type: ignore[misc]
    pass


class _OnceHTTPS(_Once, httplib2.HTTPSConnectionWithTimeout):  # type: ignore[misc]
    pass


class GoogleHttp(httplib2.Http):  # type: ignore[misc]
    """`httplib2.Http` that never sends a request twice by itself."""

    def request(self, uri: str, *args: Any, connection_type: Any = None, **kw: Any) -> Any:
        if connection_type is None:
            connection_type = _OnceHTTPS if uri.startswith("https:") else _OnceHTTP
        return super().request(uri, *args, connection_type=connection_type, **kw)


def calendar_service(http: httplib2.Http, api_root: str = GOOGLE_DEFAULT_ROOT) -> Any:
    """The Calendar v3 resource from the bundled discovery document, at `api_root`."""
    return build(
        "calendar",
        "v3",
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": api_root.rstrip("/") + "/calendar/v3/"},
    )


def calendar_batch_uri(api_root: str = GOOGLE_DEFAULT_ROOT) -> str:
    """The batch endpoint; the client ignores `api_endpoint` for batches, so pass this explicitly."""
    return api_root.rstrip("/") + "/batch/calendar/v3"
