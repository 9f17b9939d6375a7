"""A small in-process token bucket per client, for the probe-run write endpoint.

Each key (a client address) holds up to ``capacity`` tokens and regains ``refill_per_s`` per
second; a request spends one. In-process only: with several server workers each keeps its own
buckets, so the effective limit is per worker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

MAX_KEYS = 10_000  # forget the idlest buckets beyond this many clients


class TokenBucket:
    """Buckets keyed by client; ``take`` answers None (allowed) or the seconds to wait."""

    def __init__(
        self, *, capacity: float, refill_per_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity, self.refill_per_s, self.clock = capacity, refill_per_s, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last update)
        self._lock = threading.Lock()

    def take(self, key: str) -> float | None:
        """Spend one token of ``key``'s bucket; None when allowed, else seconds until one is."""
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.refill_per_s)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / self.refill_per_s
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > MAX_KEYS:
                oldest = min(self._buckets, key=lambda k: self._buckets[k][1])
                del self._buckets[oldest]
            return None
