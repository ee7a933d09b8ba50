"""The demo's progress line, read from the hub's database (read-only, never in the hub's way)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from gwcommon.clock import ScaledClock

from .night import TZ, Night

WIDTH = 28


@dataclass(frozen=True)
class Status:
    line: str
    digest_sent: bool


class Progress:
    """Polls the hub database and renders one status line."""

    def __init__(self, db_path: Path, night: Night, clock: ScaledClock):
        self.db_path, self.night, self.clock = db_path, night, clock
        self._conn: sqlite3.Connection | None = None

    def _query(self, sql: str) -> list[tuple]:
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=1)
            return self._conn.execute(sql).fetchall()
        except sqlite3.Error:
            self._conn = None
            return []

    def poll(self) -> Status:
        now = self.clock.now()
        span = (self.night.end - self.night.start).total_seconds()
        done = min(1.0, max(0.0, (now - self.night.start).total_seconds() / span))
        bar = "#" * int(done * WIDTH) + "-" * (WIDTH - int(done * WIDTH))
        online = self._scalar("SELECT count(*) FROM devices WHERE online = 1")
        events = self._scalar("SELECT count(*) FROM events")
        open_v = self._scalar("SELECT count(*) FROM violations WHERE state = 'open'")
        sent = self._scalar("SELECT count(*) FROM alert_outbox WHERE state = 'sent'")
        digest = self._scalar("SELECT count(*) FROM alert_outbox o JOIN alerts a ON a.id = o.alert_id "
                              "WHERE a.kind = 'digest' AND o.state = 'sent'")
        local = now.astimezone(TZ).strftime("%m-%d %H:%M")
        from gatewarden.cliwords import say

        line = f"[{bar}] {local}  " + say("demo.progress", online=online, events=events, open=open_v, sent=sent) + "   "
        return Status(line=line, digest_sent=digest > 0)

    def _scalar(self, sql: str) -> int:
        rows = self._query(sql)
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0
