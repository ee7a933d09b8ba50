"""Password checks a few at a time (口令校验限流): argon2 costs 64 MiB and a CPU core per check.

A flood of logins must not run dozens of argon2 verifications at once (on a Pi that is out of
memory before anyone logs in).  :class:`VerifyPool` lets ``slots`` checks run together; up to
``queue`` more wait their turn (each at most ``wait`` seconds); anything beyond that is refused at
once as busy, so waiting threads are bounded too.  ``peak`` and ``checks`` are for tests and
metrics.
"""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

T = TypeVar("T")


class Busy(Exception):
    """Too many password checks are running or waiting: try again in a moment."""


class VerifyPool:
    def __init__(self, *, slots: int = 2, queue: int = 16, wait: float = 10.0):
        self.slots, self.queue, self.wait = slots, queue, wait
        self._semaphore = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._waiting = 0
        self._running = 0
        self.peak = 0
        self.checks = 0
        self.refused = 0

    def run(self, check: Callable[[], T]) -> T:
        """Run ``check()`` when a slot is free; raise :class:`Busy` when the queue is full or the wait long."""
        with self._lock:
            if self._waiting >= self.queue:
                self.refused += 1
                raise Busy()
            self._waiting += 1
        acquired = self._semaphore.acquire(timeout=self.wait)
        with self._lock:
            self._waiting -= 1
            if not acquired:
                self.refused += 1
                raise Busy()
            self._running += 1
            self.checks += 1
            self.peak = max(self.peak, self._running)
        try:
            return check()
        finally:
            with self._lock:
                self._running -= 1
            self._semaphore.release()
