"""Event deduplication: Slack redelivers an event (same event_id) when our 2xx was slow or lost.

The store is a small interface so replicas can share one later (Redis or Postgres); the default
keeps ids in process memory for ten minutes, which covers Slack's three retries (at once, about
one minute and about five minutes later).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol


class SeenStore(Protocol):
    def first_time(self, key: str) -> bool:
        """Record key; True only for the first caller within the store's time window (atomic)."""
        ...


class InProcessSeenStore:
    """Bounded TTL set in memory: right for one process, wrong for several replicas."""

    def __init__(
        self, ttl_seconds: float = 600.0, max_items: int = 100_000, clock: Callable[[], float] = time.monotonic
    ):
        self._ttl = ttl_seconds
        self._max = max_items
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if now - at < self._ttl and len(self._seen) < self._max:
                    break
                del self._seen[oldest]
            if key in self._seen:
                return False
            self._seen[key] = now
            return True
