"""The daily clean-up of old sightings, readings, passages and pictures (``[retention]``).

A hub tick (on the writer thread) that, once a day after ``run_at`` (local time), deletes events
of the kinds ``[retention]`` bounds and snapshots older than their setting, at most ``batch`` rows
of each per transaction; while a batch comes back full it carries on at the next tick, so a first
run over years of data never holds the writer for long.  Evidence of an open violation is never
deleted (see :mod:`hub.retention.policy`).

The last charging reading of each circuit before each local month start (and its first one) is
kept whatever ``charging`` says: its energy total is where the month's bill (电费分摊表) and the
monthly report's kWh trend start and end.  That is one reading per circuit and month.

Snapshot files are unlinked one tick *after* their rows were deleted, and only when the rows are
really gone: a clean-up whose transaction failed leaves both row and picture in place.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from gwcommon.timefmt import parse_ts, stored_ts
from hub.retention.policy import (EVENT_KINDS, KIND_OF, RetentionConfig, cutoffs, due, evidence_ids, local_day,
                                  month_starts)

logger = logging.getLogger(__name__)


@dataclass
class RetentionStats:
    """What the clean-up deleted since the hub started (for logs, metrics and tests)."""

    runs: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    files_missing: int = 0
    last_run: str | None = None


class Retention:
    """The clean-up; ``tick(db, now)`` is called from the hub's tick."""

    def __init__(self, config: RetentionConfig, *, snapshots_dir: Path, tz: Any):
        self.config = config
        self.snapshots_dir = Path(snapshots_dir)
        self.tz = tz
        self.stats = RetentionStats()
        self._done_day: date | None = None
        self._running: dict[str, int] | None = None
        self._unlink: list[str] = []
        self._month_ends: set[str] | None = None  # computed once per clean-up run

    def tick(self, db: Any, now: datetime) -> None:
        self._unlink_deleted(db)
        if self._running is None:
            if not due(self._done_day, now, run_at=self.config.run_at, tz=self.tz):
                return
            self._running = {}
        more = self.run_batch(db, now)
        if not more:
            self._finish(now)

    def run_batch(self, db: Any, now: datetime) -> bool:
        """Delete one batch of each kind that is due; True while some batch came back full."""
        limits = cutoffs(self.config, now)
        protected = self._protected(db)
        if "charging" in limits:
            if self._month_ends is None:
                self._month_ends = month_end_readings(db, limits["charging"], self.tz)
            protected |= self._month_ends
        more = False
        for name in EVENT_KINDS:
            if name in limits:
                more |= self._delete_events(db, name, limits[name], protected)
        if "snapshots" in limits:
            more |= self._delete_snapshots(db, limits["snapshots"], protected)
        return more

    def _protected(self, db: Any) -> set[str]:
        rows = db.execute("SELECT evidence FROM violations WHERE state = 'open'").fetchall()
        return evidence_ids(value for (text,) in rows for value in _json_list(text))

    def _delete_events(self, db: Any, name: str, cutoff: datetime, protected: set[str]) -> bool:
        rows = db.execute("SELECT rowid, id FROM events WHERE kind = ? AND ts < ? ORDER BY ts LIMIT ?",
                          [KIND_OF[name], stored_ts(cutoff), self.config.batch + len(protected)]).fetchall()
        doomed = [rowid for rowid, event_id in rows if event_id not in protected][: self.config.batch]
        _delete_rowids(db, "events", doomed)
        self._count(name, len(doomed))
        return len(doomed) >= self.config.batch

    def _delete_snapshots(self, db: Any, cutoff: datetime, protected: set[str]) -> bool:
        rows = db.execute("SELECT rowid, event_id, path FROM snapshots WHERE received_at < ? "
                          "ORDER BY received_at LIMIT ?",
                          [stored_ts(cutoff), self.config.batch + len(protected)]).fetchall()
        doomed = [(rowid, path) for rowid, event_id, path in rows if event_id not in protected][: self.config.batch]
        _delete_rowids(db, "snapshots", [rowid for rowid, _ in doomed])
        self._unlink.extend(path for _, path in doomed)
        self._count("snapshots", len(doomed))
        return len(doomed) >= self.config.batch

    def _unlink_deleted(self, db: Any) -> None:
        """Remove the files of snapshot rows deleted by an earlier (committed) tick."""
        paths, self._unlink = self._unlink, []
        for path in paths:
            if db.execute("SELECT 1 FROM snapshots WHERE path = ?", [path]).fetchone():
                continue  # that delete was rolled back: the picture stays
            try:
                (self.snapshots_dir / path).unlink()
            except FileNotFoundError:
                self.stats.files_missing += 1
            except OSError as exc:
                logger.warning("retention: cannot delete picture %s: %s", path, exc)

    def _count(self, name: str, n: int) -> None:
        if not n:
            return
        self.stats.deleted[name] = self.stats.deleted.get(name, 0) + n
        if self._running is not None:
            self._running[name] = self._running.get(name, 0) + n

    def _finish(self, now: datetime) -> None:
        done = self._running or {}
        self._running = None
        self._month_ends = None
        self._done_day = local_day(now, self.tz)
        self.stats.runs += 1
        self.stats.last_run = stored_ts(now)
        summary = ", ".join(f"{n} {name}" for name, n in sorted(done.items())) or "nothing was due"
        logger.info("retention clean-up done: deleted %s", summary)


def _delete_rowids(db: Any, table: str, rowids: list[int]) -> None:
    for start in range(0, len(rowids), 500):
        chunk = rowids[start:start + 500]
        db.execute(f"DELETE FROM {table} WHERE rowid IN ({', '.join('?' * len(chunk))})", chunk)


def month_end_readings(db: Any, cutoff: datetime, tz: Any) -> set[str]:
    """Ids of each circuit's last charging reading with an energy total before each local month
    start up to the first one after ``cutoff`` (later ones are not due for deletion anyway), and
    of its first such reading (where a circuit first heard mid-month starts)."""
    (first,) = db.execute("SELECT min(ts) FROM events WHERE kind = 'charging'").fetchone()
    if first is None:
        return set()
    keep = {event_id for event_id, _c, _ts in db.execute(
        "SELECT id, json_extract(body, '$.circuit') AS c, min(ts) FROM events WHERE kind = 'charging' "
        "AND json_extract(body, '$.energy_wh') IS NOT NULL GROUP BY c")}
    lower = first
    for start in month_starts(parse_ts(first), cutoff, tz):
        upper = stored_ts(start)
        # SQLite: with max(), the bare id is that of the row holding the maximum
        keep.update(event_id for event_id, _c, _ts in db.execute(
            "SELECT id, json_extract(body, '$.circuit') AS c, max(ts) FROM events WHERE kind = 'charging' "
            "AND ts >= ? AND ts < ? AND json_extract(body, '$.energy_wh') IS NOT NULL GROUP BY c", [lower, upper]))
        lower = upper
    return keep


def _json_list(text: str | None) -> list[Any]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def attach(hub: Any) -> Retention:
    """Register the daily clean-up on the hub's writer thread."""
    retention = Retention(hub.config.retention, snapshots_dir=hub.snapshots_dir, tz=hub.config.site.tz)

    def retention_tick(db: Any, site_time: Any) -> None:
        retention.tick(db, hub.clock.now())

    hub.add_tick(retention_tick)
    return retention
