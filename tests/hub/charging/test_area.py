"""The charging area in a real hub: events over a private Mosquitto, SQLite in tmp_path, FakeClock."""

from datetime import datetime, timedelta, timezone

import pytest

from gwcommon.clock import FakeClock
from hub.charging import store
from hub.charging.query import charging_state
from hub.core.db import open_reader
from hub.charging.rules import CircuitState, Incident, Observation
from tests.support.hubrun import Publisher, make_hub, wait_until

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
CIRCUITS = [{"name": "shed-a", "label": "充电棚A路", "breaker_a": 16},
            {"name": "b3-stairs", "label": "3号楼楼道", "no_charging": True},
            {"name": "shed-b", "label": "充电棚B路"}]


def test_state_round_trips_through_json():
    state = CircuitState("shed-a", last=Observation(T0, 812.5, 4.1, 6, 221.0, None), sessions=(T0, T0),
                         trickle_since=T0, port_suspect_w=520.0, incidents=(Incident("overload", "warn", T0, 11.5),),
                         stale=2)
    assert store.load_state("shed-a", store.dump_state(state)) == state


def query(hub, sql, args=()):
    reader = open_reader(hub.db_path)
    try:
        return reader.execute(sql, args).fetchall()
    finally:
        reader.conn.close()


@pytest.fixture
def hub(tmp_path, broker):
    clock = FakeClock(T0)
    running = make_hub(tmp_path, broker, clock=clock, areas=("hub.alerts", "hub.charging.area"),
                       config_overrides={"circuits": CIRCUITS})
    running.test_clock = clock
    yield running
    running.stop()


def test_overload_and_flying_wire_become_incidents_alerts_and_diary_lines(hub, broker):
    site = hub.config.site.id
    with Publisher(broker.port) as pub:
        pub.event(site, "shed-1", "charging", 1, at=T0, circuit="shed-a", power_w=2700.0, current_a=13.2, loads=7)
        for seq, minutes in enumerate((0, 2, 4), start=1):
            pub.event(site, "stairs-1", "charging", seq, at=T0 + timedelta(minutes=minutes),
                      circuit="b3-stairs", power_w=140.0, current_a=0.7, loads=1)
    rows = wait_until(lambda: query(hub, "SELECT circuit, rule, level, state FROM charging_incidents ORDER BY id"), timeout=15)
    wait_until(lambda: len(query(hub, "SELECT id FROM charging_incidents")) == 2, timeout=15)
    rows = query(hub, "SELECT circuit, rule, level, state, message FROM charging_incidents ORDER BY circuit")
    assert [r[:4] for r in rows] == [("b3-stairs", "flying_wire", "alarm", "open"), ("shed-a", "overload", "alarm", "open")]
    diary = query(hub, "SELECT kind, text FROM diary WHERE kind = 'charging' ORDER BY text")
    assert [text for _, text in diary] == sorted(r[4] for r in rows)
    alerts = query(hub, "SELECT kind, severity, dedup_key FROM alerts WHERE kind = 'charging' ORDER BY dedup_key")
    assert [(k, s) for k, s, _ in alerts] == [("charging", "safety"), ("charging", "safety")]


def test_unreadable_fault_and_silence_and_the_api_state(hub, broker):
    site = hub.config.site.id
    with Publisher(broker.port) as pub:
        pub.event(site, "shed-1", "charging", 1, at=T0, circuit="shed-a", power_w=330.0, current_a=1.7, loads=3,
                  voltage_v=221.0, energy_wh=1520.0)
        pub.event(site, "shed-1", "fault", 2, at=T0, code="sensor_unreadable", active=True,
                  detail="shed-b: PZEM address 2 on /dev/ttyAMA0: no response")
    wait_until(lambda: query(hub, "SELECT rule FROM charging_incidents WHERE rule = 'meter_unreadable'"), timeout=15)
    hub.test_clock.advance(timedelta(minutes=6))
    silent = wait_until(lambda: query(hub, "SELECT circuit FROM charging_incidents WHERE rule = 'meter_silent' ORDER BY circuit"),
                        timeout=15)
    assert "b3-stairs" in {c for (c,) in silent}
    reader = open_reader(hub.db_path)
    try:
        state = charging_state(reader, hub.config, now=hub.test_clock.now())
    finally:
        reader.conn.close()
    by_name = {c["circuit"]: c for c in state["circuits"]}
    assert list(by_name) == ["shed-a", "b3-stairs", "shed-b"]
    a = by_name["shed-a"]
    assert (a["label"], a["loads"], a["power_w"], a["voltage_v"], a["load_pct"]) == ("充电棚A路", 3, 330.0, 221.0, 10.6)
    assert by_name["shed-b"]["status"] == "silent" and by_name["b3-stairs"]["no_charging"] is True
    assert state["open_incidents"] >= 2
