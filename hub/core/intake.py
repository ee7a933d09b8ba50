"""Intake: hands MQTT messages to the writer in batches, and acks each one after its commit.

paho's callback only appends to a queue (:meth:`Intake.deliver`).  One writer job at a time takes
everything waiting (up to ``max_batch``) and stores it in one transaction; after that transaction
commits, each message's outcome is applied to the device state and the message is PUBACKed to
the broker.  A message that cannot be decoded or validated — whatever the exception — is
quarantined with the reason and acknowledged, so no input can hold one of the broker's in-flight
slots for ever.  Only a failed storage step (an ``sqlite3.Error``) leaves a message
unacknowledged, so the broker (after a reconnect) or the edge (after its ack timeout) sends it
again.  Each message runs in its own savepoint, so a failure takes back only its own writes.  When a whole batch
fails to commit (disk full, I/O error), it goes back to the front of the queue and is retried
after ``retry_after`` seconds, doubling up to ``max_retry_after`` while it keeps failing: nothing
is dropped.  A full disk (SQLITE_FULL) fails the whole batch the same way — SQLite itself takes
back the open transaction — so the messages wait in memory, unacknowledged (the broker holds at
most its in-flight window of them; the edges' outboxes keep the rest), until space returns.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import deque
from typing import Any, Callable

from sqlite_utils import Database

from hub.core.db import Writer, is_full
from hub.core.ingest import Ingest, RawMessage
from hub.core.ingest_health import ErrorTrend

logger = logging.getLogger(__name__)

STORED = ("event", "snapshot", "quarantined")  # outcomes that inserted rows: storage works
Item = tuple[RawMessage, Callable[[], None]]


class Intake:
    """The queue between paho's network thread and the hub's writer."""

    def __init__(self, writer: Writer, ingest: Ingest, *, max_batch: int = 500, retry_after: float = 1.0,
                 max_retry_after: float = 30.0):
        self.writer = writer
        self.ingest = ingest
        self.max_batch = max_batch
        self.retry_after = retry_after
        self.max_retry_after = max_retry_after
        self._failed_in_a_row = 0
        self._logged_failure = float("-inf")
        self.errors = 0
        self.failed_batches = 0
        self.trend = ErrorTrend()
        self._items: deque[Item] = deque()
        self._taken: list[Item] = []
        self._lock = threading.Lock()
        self._scheduled = False
        self.closed = False

    def close(self) -> None:
        """Stop retrying (at hub stop); what is still queued was never acked and comes again."""
        self.closed = True

    def deliver(self, msg: RawMessage, ack: Callable[[], None]) -> None:
        """Queue one message (paho's network thread); ``ack`` is called once it is committed."""
        with self._lock:
            self._items.append((msg, ack))
            if self._scheduled:
                return
            self._scheduled = True
        self._submit()

    def failing(self, now: float) -> bool:
        """True while storage errors keep rising (``now``: the hub clock's monotonic seconds)."""
        return self.trend.failing(now, self.errors + self.failed_batches)

    @property
    def backlog(self) -> int:
        return len(self._items)

    def _submit(self) -> None:
        future = self.writer.submit(self._job, after_commit=self._committed)
        future.add_done_callback(self._settled)

    def _job(self, db: Database) -> list[tuple[Any, Callable[[], None]]]:
        with self._lock:
            count = min(len(self._items), self.max_batch)
            self._taken = [self._items.popleft() for _ in range(count)]
        results = []
        for msg, ack in self._taken:
            db.execute("SAVEPOINT message")
            try:
                results.append((self.ingest.process(db, msg), ack))
            except sqlite3.Error as exc:  # storage itself failed: the message comes again
                if is_full(exc) or not db.conn.in_transaction:
                    raise  # the whole transaction is gone (a full disk): the batch is retried
                db.execute("ROLLBACK TO SAVEPOINT message")
                self.ingest.taken_back()
                self.errors += 1
                logger.exception("could not store the message on %s (it stays unacknowledged and comes "
                                 "again)", msg.topic[:120])
            except Exception as exc:  # noqa: BLE001 — a bug on one message: keep it, ack it, carry on
                db.execute("ROLLBACK TO SAVEPOINT message")
                self.ingest.taken_back()
                self.errors += 1
                logger.exception("processing the message on %s failed; it is quarantined", msg.topic[:120])
                results.append((self.ingest.quarantine_failure(db, msg, exc), ack))
            db.execute("RELEASE SAVEPOINT message")
        return results

    def _committed(self, results: list[tuple[Any, Callable[[], None]]]) -> None:
        self._taken = []
        self._failed_in_a_row = 0
        if any(outcome.what in STORED for outcome, _ in results):
            self.writer.space_again()
        for outcome, ack in results:
            try:
                self.ingest.apply(outcome)
            except Exception:
                self.errors += 1
                logger.exception("could not update device state after storing a message")
            ack()
        self._next()

    def _settled(self, future) -> None:
        if future.exception() is None or self.closed:
            return
        self.failed_batches += 1
        self._failed_in_a_row += 1
        self.ingest.taken_back()  # the waiting room and quarantine counts are read again from the tables
        with self._lock:
            self._items.extendleft(reversed(self._taken))
            self._taken = []
        delay = min(self.max_retry_after, self.retry_after * 2 ** (self._failed_in_a_row - 1))
        now = time.monotonic()
        if now - self._logged_failure >= 60 or self._failed_in_a_row == 1:  # not a line a second for days
            self._logged_failure = now
            logger.error("storing %d message(s) failed %d time(s) in a row (%s); they stay unacknowledged, "
                         "retrying in %.0f s", len(self._items), self._failed_in_a_row, future.exception(), delay)
        timer = threading.Timer(delay, self._submit)
        timer.daemon = True
        timer.start()

    def _next(self) -> None:
        with self._lock:
            if not self._items:
                self._scheduled = False
                return
        self._submit()
