"""The error tree. Every error a user can meet is one of these, shown as one line, never a traceback."""

from __future__ import annotations

from pathlib import Path


class CareersyncError(Exception):
    """Base of every error careersync reports to the user."""

    exit_code = 1

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} ({self.fix})" if self.fix else self.message


class UserError(CareersyncError):
    """Input the user can fix: a plan file, a setting, a flag. Exit status 2, nothing written."""

    exit_code = 2


class PlanError(UserError):
    """A plan file that cannot be loaded; names the file, line and column."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        fix: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message, fix)
        self.path = Path(path)
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = str(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {super().__str__()}"


class ConfigError(UserError):
    """A settings file or environment variable that is not valid."""


class SecretError(CareersyncError):
    """A secret cannot be read or stored (no keyring backend, no token)."""

    exit_code = 2


class RemoteError(CareersyncError):
    """A remote service refused or failed a request, mapped from the SDK at the connector boundary."""

    def __init__(
        self, service: str, message: str, fix: str | None = None, status: int | None = None
    ) -> None:
        super().__init__(f"{service}: {message}", fix)
        self.service = service
        self.status = status


class AuthError(RemoteError):
    """Credentials are missing, expired or revoked."""

    exit_code = 2


class RateLimited(RemoteError):
    """The service asked us to slow down; `retry_after` is in seconds."""

    def __init__(
        self,
        service: str,
        retry_after: float,
        status: int = 429,
        message: str | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(
            service,
            message or f"rate limited (retry after {retry_after:g}s)",
            fix or "wait and run again; careersync run backs off by itself",
            status,
        )
        self.retry_after = retry_after


class TransientError(RemoteError):
    """A timeout, a dropped connection or a 5xx: safe to retry."""


class Unreachable(RemoteError):
    """Nothing answers at a configured endpoint (connection refused, unknown host): a wrong URL
    or a server that is not running. Not retried; the setting that holds the URL is named."""

    exit_code = 2

    def __init__(self, service: str, url: str, reason: str, setting: str) -> None:
        super().__init__(
            service,
            f"cannot connect to {url} ({reason})",
            f"check {setting}, or start the server it points at",
        )
        self.url = url
        self.setting = setting


class SafetyError(CareersyncError):
    """A run refused because it would do something drastic (mass delete, vanished project)."""

    exit_code = 3
