"""Google Calendar failures as careersync's errors, mapped once at the connector boundary.

HTTP statuses and reasons (api-notes/gcal.md §7) become `AuthError`, `RateLimited`,
`TransientError` or a plain `RemoteError`. Answers the SDK could not parse (a truncated or empty
body, a captive portal's HTML, a broken batch multipart) are transient: a retry, or the next
run, gets a real answer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import google.auth.exceptions
import httplib2
from googleapiclient.errors import BatchError, HttpError

from connectors.retry import RetryPolicy, retrying
from sync.errors import AuthError, RateLimited, RemoteError, TransientError
from sync.model import Service

SERVICE: Service = "google"
AUTH_FIX = (
    "run `careersync auth google`; if this happens every week, the OAuth app is in Google's"
    ' "Testing" mode, whose sign-ins expire after 7 days: publish it in the Cloud console'
)
T = TypeVar("T")


SDK_ERRORS = (HttpError, google.auth.exceptions.GoogleAuthError, httplib2.HttpLib2Error, OSError)


def map_error(exc: Exception) -> RemoteError:
    """An SDK or transport failure (one of `SDK_ERRORS`) as one of careersync's errors."""
    if isinstance(exc, BatchError):  # the batch answer could not be parsed
        return TransientError(SERVICE, f"malformed batch answer ({exc.reason})")
    if isinstance(exc, HttpError):
        return _http_error(exc)
    if isinstance(exc, google.auth.exceptions.RefreshError):
        detail = str(exc.args[0]) if exc.args else "refresh failed"
        if getattr(exc, "retryable", False):
            return TransientError(SERVICE, f"sign-in server unavailable ({detail})")
        return AuthError(SERVICE, f"Google sign-in expired or was revoked ({detail})", AUTH_FIX)
    if isinstance(exc, RemoteError):
        return exc
    return TransientError(SERVICE, f"connection failed ({type(exc).__name__}: {exc})")


def _http_error(exc: HttpError) -> RemoteError:
    status, reason, message = exc.status_code, _reason(exc), exc.reason or ""
    if status == 401:
        return AuthError(SERVICE, "Google sign-in expired or was revoked", AUTH_FIX, status)
    if status == 403 and reason == "insufficientPermissions":
        return AuthError(
            SERVICE,
            f"careersync lacks a permission it needs ({message})",
            "run `careersync auth google` and allow everything it asks for",
            status,
        )
    if status == 429 or (status == 403 and "RateLimit" in reason):
        return RateLimited(SERVICE, _retry_after(exc, 1.0), status)
    if status == 403 and reason in ("quotaExceeded", "dailyLimitExceeded"):
        return RateLimited(SERVICE, 3600.0, status)  # the calendar is read-only for hours
    if status >= 500:
        return TransientError(SERVICE, f"server error {status} ({message})", None, status)
    return RemoteError(SERVICE, f"request refused ({status} {reason}: {message})", None, status)


def _sample(body: str | bytes) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not text.strip():
        return "an empty body"
    kind = "HTML, a proxy's or captive portal's page?" if "<html" in text.lower() else "not JSON"
    return f"{kind}: {text.strip()[:40]!r}"


def _reason(exc: HttpError) -> str:
    try:
        errors = json.loads(exc.content.decode("utf-8"))["error"]["errors"]
        return str(errors[0]["reason"])
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


def _retry_after(exc: HttpError, default: float) -> float:
    try:
        return float(exc.resp.get("retry-after", default))
    except (TypeError, ValueError):
        return default


def call(policy: RetryPolicy, request: Callable[[], T]) -> T:
    """One API call: errors mapped, transient ones retried by the policy."""

    def once() -> T:
        try:
            result = request()
        except SDK_ERRORS as exc:
            raise map_error(exc) from exc
        if isinstance(result, str | bytes):  # the SDK hands back a body it could not parse
            raise TransientError(SERVICE, f"malformed answer ({_sample(result)})")
        return result

    return retrying(policy, once)
