"""What the hub decided, read from its database (read-only; never in the hub's way)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

from gwcommon.timefmt import parse_ts, stored_ts

from .score import ChargeReport, Passage, Verdict


class HubReader:
    """Read-only queries of ``hub.db`` for the simulator; a missing or busy database reads as empty."""

    def __init__(self, db_path: Path):
        self.db_path = db_path
        self._conn: sqlite3.Connection | None = None

    def _query(self, sql: str, args: list | tuple = ()) -> list[tuple]:
        try:
            if self._conn is None:
                self._conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=2)
            return self._conn.execute(sql, args).fetchall()
        except sqlite3.Error:
            self.close()
            return []

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def watermarks(self, devices: list[str]) -> dict[str, datetime | None]:
        """Each device's watermark as the hub last wrote it (None: not known yet)."""
        found = {d: None for d in devices}
        marks = "?" + ", ?" * (len(devices) - 1)
        for device, mark in self._query(f"SELECT device, watermark FROM devices WHERE device IN ({marks})", devices):
            found[device] = parse_ts(mark) if mark else None
        return found

    def settled(self, devices: list[str], until: datetime) -> bool:
        """Every device online with its watermark at or past ``until``, and no late mark waiting."""
        marks = "?" + ", ?" * (len(devices) - 1)
        rows = self._query(f"SELECT online, watermark FROM devices WHERE device IN ({marks})", devices)
        if len(rows) < len(devices) or not all(online and mark and parse_ts(mark) >= until for online, mark in rows):
            return False
        waiting = self._query("SELECT count(*) FROM ovn_recheck")
        return bool(waiting) and waiting[0][0] == 0

    def provisional(self, until: datetime) -> int:
        """Violations with a deadline up to ``until`` that are still provisional."""
        rows = self._query("SELECT count(*) FROM violations WHERE provisional = 1 AND deadline <= ?",
                           [stored_ts(until)])
        return rows[0][0] if rows else -1

    def decisions(self) -> dict[datetime, datetime]:
        """Each morning deadline the hub has decided → when (hub clock) it last decided it."""
        return {parse_ts(d): parse_ts(at) for d, at in self._query("SELECT deadline, decided_at FROM ovn_deadlines")}

    def verdicts(self) -> list[Verdict]:
        return [Verdict(plate, rule, parse_ts(deadline), state, bool(provisional)) for plate, rule, deadline, state,
                provisional in self._query("SELECT plate, rule, deadline, state, provisional FROM violations")]

    def passages(self) -> list[Passage]:
        found = []
        for ts, body in self._query("SELECT ts, body FROM events WHERE kind = 'passage' ORDER BY ts"):
            data = json.loads(body)
            found.append(Passage(parse_ts(ts), data["lane"], data.get("tag"), data["decision"], bool(data["passed"])))
        return found

    def charging(self) -> list[ChargeReport]:
        found = []
        for ts, body in self._query("SELECT ts, body FROM events WHERE kind = 'charging' ORDER BY ts"):
            data = json.loads(body)
            found.append(ChargeReport(parse_ts(ts), data["circuit"], int(data["loads"])))
        return found
