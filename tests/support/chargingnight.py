"""A simulated evening of charging events for the charging charts' tests (page and browser)."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone

from edge.charging.simulator import CircuitSim, random_evening
from gwcommon.timefmt import format_ts

DAY = "2026-03-02"
START = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)   # 18:00 in Shanghai
CIRCUITS = [{"name": "shed-a", "label": "充电棚A路", "breaker_a": 16},
            {"name": "shed-b", "label": "充电棚B路", "breaker_a": 20},
            {"name": "shed-c", "label": "充电棚C路"},
            {"name": "shed-d", "label": "充电棚D路"},
            {"name": "b3-stairs", "label": "3号楼楼道", "no_charging": True}]


def night_of_events(db):
    rows, seq = [], 0
    for k, c in enumerate(CIRCUITS):
        rng = random.Random(k)
        sim = CircuitSim(random_evening(rng, max_chargers=1 if c["name"] == "b3-stairs" else 6), rng=rng)
        for minute in range(0, 6 * 60):
            s = sim.sample(minute * 60.0)
            seq += 1
            at = START + timedelta(minutes=minute)
            rows.append((f"e{seq}", "s", "shed-1", seq, "charging", format_ts(at), format_ts(at), json.dumps(
                {"circuit": c["name"], "power_w": s.power_w, "current_a": s.current_a, "loads": s.true_loads})))
    rows.append(("cut-1", "s", "shed-1", seq + 1, "fault", format_ts(START + timedelta(hours=3)), "", json.dumps(
        {"code": "power_cut", "active": True, "circuit": "b3-stairs", "detail": "b3-stairs: no_charging: 150 W, loads=1"})))
    db.conn.executemany("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES (?,?,?,?,?,?,?,?)",
                        rows)
    db.execute("INSERT INTO charging_incidents (circuit, rule, level, state, since, opened_at, updated_at, value, "
               "message, alert_key) VALUES ('shed-a', 'overload', 'alarm', 'closed', ?, ?, 'x', 13.2, '充电过载', 'k')",
               [format_ts(START + timedelta(hours=2)), format_ts(START + timedelta(hours=2, minutes=1))])


def a_year_of_months(db):
    """Twelve months before the night: violations (a different number and mix each month) and each
    circuit's daily energy total, for the monthly report's month-to-month trends."""
    states = ("open", "resolved", "excused", "retracted", "open")
    day0 = START - timedelta(days=365)
    rows, totals = [], {c["name"]: 1000.0 for c in CIRCUITS}
    for d in range(365):
        at = day0 + timedelta(days=d)
        for k, c in enumerate(CIRCUITS):
            totals[c["name"]] += 0.0 if c.get("no_charging") else 1500.0 + 400.0 * k + 20.0 * (d % 30)
            rows.append((f"y{d}-{k}", "s", "shed-0", d * len(CIRCUITS) + k + 1, "charging", format_ts(at), format_ts(at),
                         json.dumps({"circuit": c["name"], "power_w": 0.0, "current_a": 0.0, "loads": 0,
                                     "energy_wh": round(totals[c["name"]], 1)})))
        if d % 9 == 0:
            db.execute("INSERT INTO violations (id, key, rule, deadline, plate, household, zone, state, provisional, "
                       "evidence, ts, created_at, updated_at) VALUES (?, ?, 'overnight', ?, ?, '1-101', 'east', ?, 0, "
                       "'[]', ?, 'x', 'x')", [f"v{d}", f"k{d}", format_ts(at), f"浙A{d:05d}",
                                              states[(d // 9) % len(states)], format_ts(at)])
    db.conn.executemany("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES (?,?,?,?,?,?,?,?)",
                        rows)
