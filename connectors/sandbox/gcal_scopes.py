"""What an OAuth scope lets a Calendar call reach, beyond the discovery document's lists.

The discovery document says which scopes a method accepts; it cannot say that
`calendar.app.created` ("Make secondary Google calendars, and see, create, change, and delete
events on them") reaches only the calendars the calling app created. When a call is allowed by
that scope alone, the calendar it names must be one this OAuth client made, or the answer is
403 `insufficientPermissions` (what Google answers a token whose scopes do not cover a call;
the exact body for this case is not documented).
"""

from __future__ import annotations

from collections.abc import Set

APP_CREATED = "https://www.googleapis.com/auth/calendar.app.created"


def app_created_only(granted: Set[str], accepted: Set[str]) -> bool:
    """Whether the token reaches this method only through `calendar.app.created`."""
    return (granted & accepted) == {APP_CREATED}


def may_reach(creator: str | None, client_id: str) -> bool:
    """Whether an app-created-only token of `client_id` may touch a calendar made by `creator`."""
    return creator is not None and creator == client_id
