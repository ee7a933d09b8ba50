"""`gatewarden simulate --chaos` (issue 16): the fault plan, the stepped edge clock, the delivery
score, and one short soak with real processes — hub and broker SIGKILLed and restarted, edge
power cuts, an edge clock stepped by hours, the hub's disk full, the hub down a day — that ends
with no event lost or doubled and no resident falsely accused.  The long soak is
``gatewarden simulate --chaos --nights N`` (docs/reliability.md), not a test.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta

import pytest

from gatewarden.sim import chaos
from gatewarden.sim.compound import build
from gatewarden.sim.night import TZ, plan_nights
from gwcommon.clock import FakeClock

EVENING = date(2026, 11, 19)


def test_the_plan_has_every_fault_over_before_the_last_night_ends_and_no_clock_step_near_a_morning():
    nights = plan_nights(build(4), EVENING, 3, 4)
    faults = chaos.plan(nights, 4)
    assert faults == chaos.plan(nights, 4) == sorted(faults)  # from the seed alone
    assert {f.kind for f in faults} == set(chaos.KINDS)
    assert all(f.end <= nights[-1].end - chaos.END_MARGIN for f in faults)
    outage = next(f for f in faults if f.kind == "hub_outage")
    assert outage.end - outage.start == timedelta(days=2)
    for step in chaos.clock_steps(faults, "gate") + chaos.clock_steps(faults, "lane-east"):
        assert timedelta(hours=1) <= abs(step.offset) < timedelta(hours=4)
        assert not 5 <= step.start.astimezone(TZ).hour < 9 and not 5 <= step.end.astimezone(TZ).hour < 9


def test_a_stepped_clock_steps_the_wall_clock_only_and_syncs_back():
    base = FakeClock(datetime(2026, 11, 19, 20, 0, tzinfo=TZ))
    step = chaos.Fault(datetime(2026, 11, 19, 21, 0, tzinfo=TZ), datetime(2026, 11, 19, 22, 0, tzinfo=TZ),
                       "clock_step", "gate", offset=timedelta(hours=-2))
    clock = chaos.SteppedClock(base, [step])
    assert clock.now() == base.now()
    base.advance(3600)
    assert clock.now() == base.now() - timedelta(hours=2) and clock.monotonic() == base.monotonic()
    base.advance(3600)
    assert clock.now() == base.now()


def test_delivery_counts_lost_waiting_and_doubled_events(tmp_path):
    hub = sqlite3.connect(tmp_path / "hub.db")
    hub.execute("CREATE TABLE events (device TEXT, seq INTEGER, kind TEXT, ts TEXT, body TEXT)")
    body = lambda i, seq, n: json.dumps({"id": i, "seq": seq, "zone": "z", "n": n})  # noqa: E731
    hub.executemany("INSERT INTO events VALUES ('d', ?, 'presence', 't', ?)",
                    [(1, body("a", 1, 1)), (2, body("b", 2, 2)), (5, body("e", 5, 2))])  # 5 repeats 2's content
    hub.commit()
    box = sqlite3.connect(tmp_path / "box.db")
    box.execute("CREATE TABLE meta (key TEXT, value INTEGER)")
    box.execute("CREATE TABLE events (seq INTEGER)")
    box.executemany("INSERT INTO meta VALUES (?, ?)", [("last_seq", 6), ("acked_seq", 2)])
    box.executemany("INSERT INTO events VALUES (?)", [(4,), (6,)])  # 3 is gone from the outbox, not at the hub
    box.commit()
    got = chaos.delivery(tmp_path / "hub.db", {"d": tmp_path / "box.db"})
    assert (got.recorded, got.stored, got.waiting, got.lost, got.doubled) == (6, 3, 2, 1, 1)
    assert chaos.delivery(tmp_path / "hub.db", {"d": tmp_path / "box.db"}, {"d": 2}).lost == 0
    assert not chaos.drained({"d": tmp_path / "box.db"}, {"d": 3}) and chaos.drained({"d": tmp_path / "box.db"}, {"d": 2})


@pytest.mark.timeout(300)
def test_a_short_chaos_soak_loses_nothing_doubles_nothing_and_accuses_nobody_falsely(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "gatewarden", "simulate", "--chaos", "--json", "--nights", "2",
                           "--seed", "2", "--dir", str(tmp_path / "run")], capture_output=True, text=True,
                          timeout=280)
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON (exit {proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    soak, overall = result["chaos"], result["total"]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert soak["lost"] == 0 and soak["doubled"] == 0 and soak["recorded"] > 0
    assert overall["false_accusations"] == 0, overall["details"]
    assert set(soak["faults"]) == set(chaos.KINDS), soak["faults"]
    assert soak["mornings_decided"] == 2
