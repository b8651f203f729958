"""Bounded retries with exponential backoff and jitter, at the connector boundary.

Only what can succeed on a second try is retried: timeouts, dropped connections, 5xx, and rate
limits (honouring the server's `retry_after`). Bad requests, auth failures and limit errors
surface at once. Connectors map SDK errors into `sync.errors` first, then call `retrying`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sync.errors import RateLimited, RemoteError, TransientError

T = TypeVar("T")


@dataclass
class RetryPolicy:
    attempts: int = 6
    base: float = 0.5  # seconds before the first retry
    cap: float = 30.0  # longest single backoff
    max_retry_after: float = 120.0  # a server asking for longer than this ends the run instead
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    retries: int = 0  # how many retries this policy has made (for reports and benchmarks)

    def backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to base * 2**attempt, capped."""
        return self.rng.uniform(0, min(self.cap, self.base * 2**attempt))


def retrying(policy: RetryPolicy, call: Callable[[], T]) -> T:
    for attempt in range(policy.attempts):
        try:
            return call()
        except RateLimited as exc:
            if exc.retry_after > policy.max_retry_after or attempt == policy.attempts - 1:
                raise
            wait = exc.retry_after + policy.backoff(0)
        except TransientError as exc:
            if attempt == policy.attempts - 1:
                raise RemoteError(
                    exc.service,
                    f"still failing after {policy.attempts} tries ({exc.message})",
                    "nothing was lost; run the same command again later",
                    exc.status,
                ) from exc
            wait = policy.backoff(attempt)
        policy.retries += 1
        policy.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
