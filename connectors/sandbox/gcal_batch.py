"""The multipart/mixed batch codec of Google's `/batch/calendar/v3`, as google-api-python-client speaks it.

The client (`googleapiclient.http.BatchHttpRequest`) sends one `application/http` part per call,
with LF line endings, a quoted boundary and `Content-ID: <uuid + N>` headers that fold onto a
second line when N is long. It parses the answer with `email.FeedParser` and matches parts by
Content-ID, so each answer part must carry `Content-ID: <response-uuid + N>`, a status line
with a reason phrase, and CRLF CRLF between its headers and body (see api-notes/gcal.md §6).
"""

from __future__ import annotations

import email
import email.message
import email.policy
import re
import secrets
from dataclasses import dataclass
from http import HTTPStatus

from connectors.sandbox.wire import Request, Response

_FOLD = re.compile(r"\r?\n(?=[ \t])")


class BatchFormatError(ValueError):
    """The batch body is not a multipart/mixed of application/http requests."""


@dataclass(frozen=True)
class BatchPart:
    content_id: str | None  # as sent, unfolded, e.g. "<4036fbb0-... + 1>"
    request: Request


def parse_batch(content_type: str, body: bytes) -> list[BatchPart]:
    """Split a batch request body into its inner requests, in order."""
    if not content_type.lower().startswith("multipart/mixed"):
        raise BatchFormatError("Content-Type must be multipart/mixed.")
    raw = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    outer = email.message_from_bytes(raw, policy=email.policy.compat32)
    if not outer.is_multipart():
        raise BatchFormatError("The batch body has no parts.")
    parts: list[BatchPart] = []
    for part in outer.get_payload():
        if not isinstance(part, email.message.Message):
            raise BatchFormatError("Bad batch part.")
        cid = part.get("Content-ID")
        payload = part.get_payload()
        if not isinstance(payload, str):
            raise BatchFormatError("A batch part must be a single application/http request.")
        request = _parse_inner(payload.encode("utf-8", "surrogateescape"))
        parts.append(BatchPart(_FOLD.sub("", str(cid)) if cid else None, request))
    return parts


def _parse_inner(data: bytes) -> Request:
    # request line, headers, blank line (LF or CRLF), body
    match = re.search(rb"\r?\n\r?\n", data)
    head, rest = (data[: match.start()], data[match.end() :]) if match else (data, b"")
    line, _, header_block = head.partition(b"\n")
    fields = line.decode("latin-1").strip().split(" ")
    if len(fields) < 2:
        raise BatchFormatError(f"Bad request line in a batch part: {line!r}")
    headers = email.message_from_bytes(header_block + b"\r\n\r\n", policy=email.policy.compat32)
    hdrs = {k.lower(): _FOLD.sub("", str(v)) for k, v in headers.items()}
    length = hdrs.get("content-length")
    body = rest[: int(length)] if length and length.isdigit() else rest.rstrip(b"\r\n")
    return Request.from_url(fields[0], fields[1], hdrs, body)


def encode_batch(answers: list[tuple[str | None, Response]]) -> tuple[str, bytes]:
    """The batch response: (outer Content-Type, body), one application/http part per answer."""
    boundary = "batch_" + secrets.token_hex(12)
    out: list[str] = []
    for cid, resp in answers:
        out.append(f"--{boundary}\r\nContent-Type: application/http\r\n")
        if cid:
            out.append(f"Content-ID: {_response_id(cid)}\r\n")
        reason = (
            HTTPStatus(resp.status).phrase
            if resp.status in HTTPStatus._value2member_map_
            else "Unknown"
        )
        out.append(f"\r\nHTTP/1.1 {resp.status} {reason}\r\n")
        for key, value in resp.headers.items():
            if key.lower() != "content-length":
                out.append(f"{key.title()}: {value}\r\n")
        # at least one header line: the client needs a CRLF CRLF after the status line
        out.append(f"Content-Length: {len(resp.body)}\r\n\r\n")
        out.append(resp.body.decode("utf-8") + "\r\n")
    out.append(f"--{boundary}--\r\n")
    return f"multipart/mixed; boundary={boundary}", "".join(out).encode("utf-8")


def _response_id(cid: str) -> str:
    inner = cid[1:-1] if cid.startswith("<") and cid.endswith(">") else cid
    return f"<response-{inner}>"
