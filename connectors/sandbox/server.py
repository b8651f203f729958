"""The sandbox on loopback: one threaded HTTP server that serves both emulators.

Todoist answers under `/api/v1/`, Google under `/calendar/v3/`, `/batch/calendar/v3` and
`/token`, so `CAREERSYNC_TODOIST_API_URL=http://127.0.0.1:PORT/api/v1` and
`CAREERSYNC_GOOGLE_API_ROOT=http://127.0.0.1:PORT/` point the real SDKs at it. `/` is the
page that shows both as a user sees them (`web.py`).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from connectors.sandbox import Sandbox, web
from connectors.sandbox.wire import DroppedConnection, Request


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.sandbox = sandbox

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def todoist_url(self) -> str:
        return f"{self.base_url}/api/v1"

    @property
    def google_root(self) -> str:
        return f"{self.base_url}/"

    def start(self) -> threading.Thread:
        """Serve in a daemon thread (for tests); `shutdown()` stops it."""
        thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: SandboxServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small answers must not wait for the client's delayed ACK

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request.from_url(self.command, self.path, dict(self.headers.items()), body)
        try:
            if web.handles(request.path):  # the page a user looks at; the APIs go on the wire
                response = web.handle(self.server.sandbox, request, self.client_address[0])
            else:
                response = self.server.sandbox.wire.dispatch(request)
        except DroppedConnection:
            self.close_connection = True
            return
        self.send_response(response.status)
        for key, value in response.headers.items():
            if key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet; the wire keeps a log
        pass
