"""The daily clean-up deletes old charging readings but keeps each circuit's last one before every
month start (and its first): the month's bill and the monthly report's kWh trend stay whole."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from gwcommon.timefmt import stored_ts
from hub.charging import bill
from hub.core.db import open_db
from hub.retention.area import Retention
from hub.retention.policy import RetentionConfig, month_starts
from hub.schema import all_sets

SH = ZoneInfo("Asia/Shanghai")
JAN_10 = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)   # 20:00 in Shanghai
MONTHS = [datetime(2026, m, 1, tzinfo=SH).astimezone(timezone.utc) for m in (2, 3, 4, 5)]


@pytest.fixture
def db(tmp_path):
    handle = open_db(tmp_path / "hub.db", migrations=all_sets())
    rows = []
    for day in range(100):                        # 2026-01-10 … 2026-04-19, one reading a day per circuit
        at = JAN_10 + timedelta(days=day)
        for circuit, wh in (("shed-a", 1000.0 * day), ("shed-b", 400.0 * day if day >= 40 else None), ("ct-1", None)):
            if circuit == "shed-b" and wh is None:
                continue                          # shed-b is first heard on 2026-02-19
            body = {"circuit": circuit, "power_w": 50.0, "current_a": 0.2, "loads": 1}
            if wh is not None:
                body["energy_wh"] = wh
            rows.append((f"{circuit}-{day}", "s", "shed-1", len(rows) + 1, "charging", stored_ts(at), stored_ts(at),
                         json.dumps(body)))
    handle.conn.executemany("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) "
                            "VALUES (?,?,?,?,?,?,?,?)", rows)
    yield handle
    handle.close()


def test_month_starts_are_local():
    starts = month_starts(JAN_10, MONTHS[1] + timedelta(days=3), SH)
    assert starts == MONTHS[:3] and starts[0] == datetime(2026, 1, 31, 16, 0, tzinfo=timezone.utc)


def test_the_bill_survives_the_clean_up(db, tmp_path):
    before = bill.months_kwh(db, MONTHS)
    assert before[0] == {"shed-a": 28.0, "shed-b": 3.6} and before[1]["shed-a"] == 31.0
    retention = Retention(RetentionConfig(batch=100), snapshots_dir=tmp_path, tz=SH)
    now = datetime(2026, 4, 25, 12, 0, tzinfo=timezone.utc)       # keeps 30 days: from 2026-03-26
    while retention.run_batch(db, now):
        pass
    left = [r[0] for r in db.execute("SELECT id FROM events WHERE kind = 'charging' AND ts < ? ORDER BY ts",
                                     [stored_ts(now - timedelta(days=30))])]
    assert set(left) == {"shed-a-0", "shed-a-21", "shed-a-49", "shed-b-40", "shed-b-49"}
    assert retention.stats.deleted["charging"] > 150
    assert bill.months_kwh(db, MONTHS) == before
