"""The hub's SQLite database: opened one way, migrated at start, written by one thread.

Every write goes through :class:`Writer`, which owns the only write connection (as datasette
does): work is queued, run in batches inside one ``BEGIN IMMEDIATE`` transaction (each job in its
own savepoint, so one failing job never undoes the others), committed with ``synchronous=FULL``,
and only then are the jobs' ``after_commit`` callbacks run — that is where the hub publishes acks,
so an ack never covers an event that a power cut could take back.

A full disk (SQLite's "database or disk is full", which also takes back the whole open
transaction) fails the batch: nothing in it is acked, so every event stays in its edge's outbox.
:attr:`Writer.storage_full` says so (for /healthz and the maintenance alert) until the database
grows again or new events are stored (an update in place proves nothing); a tick that keeps failing on a full disk is logged once a minute, not five times a second.

Schema: each area of the hub owns a sqlite-utils ``Migrations`` set (``hub.schema`` lists them);
all pending migrations are applied at open, so an upgraded hub keeps its data.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

logger = logging.getLogger(__name__)

Job = Callable[[Database], Any]
FULL_LOG_EVERY = 60.0  # seconds between two log lines about the same tick failing on a full disk


def is_full(exc: BaseException) -> bool:
    """SQLite said "database or disk is full" (SQLITE_FULL; also a ``max_page_count`` reached)."""
    return isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL


def open_db(path: str | Path, *, migrations: Iterable[Migrations] = ()) -> Database:
    """Open (creating if needed) a database file: WAL, synchronous FULL, 30 s busy timeout."""
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False, isolation_level=None)
    db = Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    for migration_set in migrations:
        migration_set.apply(db)
    return db


def open_reader(path: str | Path) -> Database:
    """A read-only connection for the web view and reports (never writes, never blocks the writer)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, check_same_thread=False,
                           isolation_level=None)
    return Database(conn)


@dataclass
class _Item:
    job: Job
    future: Future
    after_commit: Callable[[Any], None] | None = None


@dataclass
class WriterStats:
    """Counters the health page and metrics show."""

    batches: int = 0
    jobs: int = 0
    failed_jobs: int = 0
    last_commit_ms: float = 0.0
    tick_errors: int = 0
    tick_rounds: int = 0  # rounds over every tick (each area's periodic work)
    last_tick_round_ms: float = 0.0  # how long the newest round took
    extra: dict[str, int] = field(default_factory=dict)


class Writer:
    """The one thread that writes the hub database.

    ``submit(job)`` queues ``job(db)`` and returns a Future of its result; ``call(job)`` waits for
    it.  ``after_commit(result)`` runs on the writer thread once the batch holding the job is
    durably committed.  ``tick`` callbacks (the areas' periodic work) run on the writer thread between batches,
    at most every ``tick_interval`` seconds, each inside its own transaction.
    """

    def __init__(self, db: Database, *, max_batch: int = 500, tick_interval: float = 0.2):
        self.db = db
        self.max_batch = max_batch
        self.tick_interval = tick_interval
        self.stats = WriterStats()
        self._queue: queue.Queue[_Item | None] = queue.Queue()
        self._ticks: list[Callable[[Database], Any]] = []
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.full_since: float | None = None  # monotonic time of the first write refused as full
        self._full_pages = 0  # the database's size in pages then
        self.full_spells = 0  # how many times it has been full since the start
        self._full_logged: dict[str, float] = {}

    @property
    def storage_full(self) -> bool:
        """The newest write failed because the disk (or the database's page limit) is full."""
        return self.full_since is not None

    def _note_full(self, exc: BaseException) -> None:
        if is_full(exc) and self.full_since is None:
            self.full_since = time.monotonic()
            self.full_spells += 1
            self._full_pages = self._page_count()
            logger.error("the hub database is full (%s): nothing is stored or acknowledged, the edge devices "
                         "keep their events and send them again once space is freed", exc)

    def _note_committed(self) -> None:
        """After a commit: the database grew, so there is space again (an update in place proves nothing)."""
        if self.full_since is not None and self._page_count() > self._full_pages:
            self.space_again()

    def space_again(self) -> None:
        """New rows were stored (the intake says so after storing events): the disk takes writes again."""
        if self.full_since is not None:
            logger.warning("the hub database takes writes again after %.0f s full", time.monotonic() - self.full_since)
            self.full_since = None

    def _page_count(self) -> int:
        try:
            return self.db.execute("PRAGMA page_count").fetchone()[0]
        except sqlite3.Error:
            return 0

    def add_tick(self, tick: Callable[[Database], Any]) -> None:
        """Run ``tick(db)`` regularly on the writer thread (register before ``start``)."""
        self._ticks.append(tick)

    def start(self) -> "Writer":
        self._thread = threading.Thread(target=self._run, name="hub-writer", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what is queued, then stop."""
        if self._thread is None:
            return
        self._stopping.set()
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    def submit(self, job: Job, *, after_commit: Callable[[Any], None] | None = None) -> Future:
        future: Future = Future()
        if self._stopping.is_set():
            future.set_exception(RuntimeError("the hub writer is stopping"))
            return future
        self._queue.put(_Item(job, future, after_commit))
        return future

    def call(self, job: Job, timeout: float = 30.0) -> Any:
        """Run ``job(db)`` on the writer thread and return its result (or raise its error)."""
        if threading.current_thread() is self._thread:
            with self.db.atomic():
                return job(self.db)
        return self.submit(job).result(timeout)

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

    def _run(self) -> None:
        next_tick = time.monotonic()
        while True:
            timeout = max(0.0, next_tick - time.monotonic()) if self._ticks else None
            try:
                first = self._queue.get(timeout=timeout)
            except queue.Empty:
                first = False
            if first is None:
                self._drain_and_exit()
                return
            if first:
                self._run_batch(self._take_batch(first))
            if self._ticks and time.monotonic() >= next_tick:
                self._run_ticks()
                next_tick = time.monotonic() + self.tick_interval

    def _take_batch(self, first: _Item) -> list[_Item]:
        batch = [first]
        while len(batch) < self.max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                self._queue.put(None)
                break
            batch.append(item)
        return batch

    def _drain_and_exit(self) -> None:
        rest = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                rest.append(item)
        if rest:
            self._run_batch(rest)

    def _run_batch(self, batch: list[_Item]) -> None:
        started = time.perf_counter()
        results: list[tuple[_Item, Any, BaseException | None]] = []
        try:
            self.db.execute("BEGIN IMMEDIATE")
            for item in batch:
                results.append(self._run_one(item))
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._note_full(exc)
            if not is_full(exc):
                logger.error("hub database batch of %d jobs failed: %s", len(batch), exc)
            self._rollback()
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        self.stats.batches += 1
        self.stats.jobs += len(batch)
        self.stats.last_commit_ms = (time.perf_counter() - started) * 1000
        self._note_committed()
        for item, result, error in results:
            self._settle(item, result, error)

    def _run_one(self, item: _Item) -> tuple[_Item, Any, BaseException | None]:
        self.db.execute("SAVEPOINT job")
        try:
            result = item.job(self.db)
        except Exception as exc:  # one bad job must not undo the batch
            self.stats.failed_jobs += 1
            self._note_full(exc)
            if not self.db.conn.in_transaction:  # SQLite took back the whole transaction (a full disk)
                if isinstance(exc, sqlite3.Error):
                    raise
                raise sqlite3.OperationalError(f"the transaction was taken back: {exc}") from exc
            self.db.execute("ROLLBACK TO SAVEPOINT job")
            self.db.execute("RELEASE SAVEPOINT job")
            return item, None, exc
        self.db.execute("RELEASE SAVEPOINT job")
        return item, result, None

    def _settle(self, item: _Item, result: Any, error: BaseException | None) -> None:
        if error is not None:
            item.future.set_exception(error)
            return
        if item.after_commit is not None:
            try:
                item.after_commit(result)
            except Exception:
                logger.exception("after-commit callback failed")
        item.future.set_result(result)

    def _run_ticks(self) -> None:
        started = time.perf_counter()
        self._run_each_tick()
        self.stats.tick_rounds += 1
        self.stats.last_tick_round_ms = (time.perf_counter() - started) * 1000

    def _run_each_tick(self) -> None:
        for tick in self._ticks:
            try:
                self.db.execute("BEGIN IMMEDIATE")
                tick(self.db)
                self.db.execute("COMMIT")
            except Exception as exc:
                self.stats.tick_errors += 1
                self._tick_failed(tick, exc)
                self._rollback()
            else:
                self._note_committed()

    def _tick_failed(self, tick: Callable[[Database], Any], exc: Exception) -> None:
        name = getattr(tick, "__name__", repr(tick))
        if not is_full(exc):
            logger.exception("hub tick %s failed", name)
            return
        self._note_full(exc)
        now = time.monotonic()
        if now - self._full_logged.get(name, -FULL_LOG_EVERY) >= FULL_LOG_EVERY:
            self._full_logged[name] = now
            logger.error("hub tick %s skipped: the database is full (%s)", name, exc)

    def _rollback(self) -> None:
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.Error:
            pass
