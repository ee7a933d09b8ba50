"""Is ingest failing? (入库异常) — a pure judgement over the intake's error counter.

A single storage error is retried and forgotten; errors that keep rising mean events are not
being stored (disk full, a broken database, a bug met by every message).  :class:`ErrorTrend` keeps
a few (time, count) samples and says ``failing`` when the counter grew by at least ``threshold``
within the last ``window`` seconds.  It clears itself once a whole window passes with no new error.
/healthz answers 503 while failing, and the alerts area raises a maintenance alert (a fault
condition of the device ``hub``, code ``ingest_errors``) after its usual debounce.
"""

from __future__ import annotations

import threading
from collections import deque

WINDOW_S = 120.0
THRESHOLD = 5


class ErrorTrend:
    """Samples of a never-decreasing error counter; thread-safe (web and writer threads read it)."""

    def __init__(self, *, window: float = WINDOW_S, threshold: int = THRESHOLD):
        self.window = window
        self.threshold = threshold
        self._samples: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def failing(self, now: float, errors: int) -> bool:
        """Record ``errors`` seen at monotonic time ``now``; True while errors keep rising."""
        with self._lock:
            samples = self._samples
            if not samples or samples[-1][1] != errors or now - samples[-1][0] >= self.window / 4:
                samples.append((now, errors))
            while len(samples) > 1 and now - samples[1][0] >= self.window:
                samples.popleft()
            oldest = samples[0][1]
            return errors - oldest >= self.threshold and now - _last_rise(samples) < self.window


def _last_rise(samples: deque[tuple[float, int]]) -> float:
    """When the counter last went up (the first sample's time when it never did)."""
    moment = samples[0][0]
    previous = samples[0][1]
    for at, count in samples:
        if count > previous:
            moment = at
        previous = count
    return moment
