"""A token bucket per client 限流, for the public progress endpoint."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from domain.errors import TooMany


class TokenBuckets:
    """`capacity` requests at once, refilled at `per_second`; one bucket per key.

    Held in process memory; the least recently seen keys are forgotten beyond `max_keys`
    (a forgotten key starts full again, which only ever favours the first request).
    """

    def __init__(
        self,
        capacity: float,
        per_second: float,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one token for `key`, or refuse with TooMany `rate_limited`."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.per_second)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        if not allowed:
            wait = (1 - tokens) / self.per_second if self.per_second > 0 else None
            raise TooMany(
                "rate_limited",
                "查询过于频繁,请稍后再试",
                "Too many queries; please try again later",
                retry_after_seconds=None if wait is None else round(wait, 1),
            )
