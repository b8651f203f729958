"""Calendar failures that hit single calls: one part of a batch, or one user's usage limits.

Google answers a batch with 200 and a multipart in which each part has its own status, so a
bulk write fails part by part: 403 `rateLimitExceeded`, a 5xx inside the 200, and so on
(api-notes/gcal.md §6-7). `PART_FAULTS` are the kinds the wire can inject into a part
(`Faults.batch_parts`, `Faults.part_fraction`). `UsageLimits` is the per-user side: calls
beyond `per_minute` in a sliding minute (Google's figure is 600; every batch part counts) get
403 `rateLimitExceeded` (domain `usageLimits`), or 429 with `status = 429`; while
`read_only_until` is ahead, every write gets 403 `quotaExceeded` "Calendar usage limits
exceeded." (the calendar is read-only for hours; retrying soon does not help).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class PartFault:
    status: int
    domain: str
    reason: str
    message: str
    applied: bool = False  # the call took effect before the error was sent


PART_FAULTS = {
    "rateLimitExceeded": PartFault(403, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    "userRateLimitExceeded": PartFault(
        403, "usageLimits", "userRateLimitExceeded", "User Rate Limit Exceeded"
    ),
    "tooManyRequests": PartFault(429, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    "quotaExceeded": PartFault(
        403, "usageLimits", "quotaExceeded", "Calendar usage limits exceeded."
    ),
    "backendError": PartFault(500, "global", "backendError", "Backend Error"),
    "unavailable": PartFault(
        503, "global", "backendError", "The service is currently unavailable."
    ),
    "backendErrorApplied": PartFault(500, "global", "backendError", "Backend Error", applied=True),
}
QUOTA = PART_FAULTS["quotaExceeded"]


@dataclass
class UsageLimits:
    """One user's limits; off (None) unless a test or the demo sets them."""

    per_minute: int | None = None
    status: int = 403  # 403 or 429 ("functionally similar", the errors guide says)
    read_only_until: datetime | None = None
    _calls: deque[datetime] = field(default_factory=deque, repr=False)

    def check(self, now: datetime, write: bool) -> PartFault | None:
        """The fault this call meets, if any; a call that passes is counted."""
        if write and self.read_only_until is not None and now < self.read_only_until:
            return QUOTA
        if self.per_minute is None:
            return None
        while self._calls and self._calls[0] <= now - timedelta(minutes=1):
            self._calls.popleft()
        if len(self._calls) >= self.per_minute:
            kind = "tooManyRequests" if self.status == 429 else "rateLimitExceeded"
            return PART_FAULTS[kind]
        self._calls.append(now)
        return None
