"""A device's clock ahead of the hub's (a forged heartbeat, an edge with a wrong RTC): its
watermark never runs ahead of the hub's clock by more than hub.clock_tolerance, it is flagged
``clock_ahead`` (Devices page, maintenance alert) and does not hold the site clock — no deadline
is decided before the hub's own clock reaches it (docs/contract.md §2)."""

from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from gwcommon.timefmt import format_ts, parse_ts
from tests.hub.overnight.clockrig import DEADLINE, NIGHT, make

H = timedelta(hours=1)
M = timedelta(minutes=1)
Y9999 = datetime(9999, 12, 31, 23, 0, tzinfo=timezone.utc)


@pytest.fixture
def rig(tmp_path):
    made = make(tmp_path, NIGHT)
    yield made
    made.close()


def ahead(rig) -> dict:
    return {r["device"]: r["clock_ahead"] for r in rig.db.query("SELECT device, clock_ahead FROM devices")}


def test_two_heartbeats_from_the_future_decide_nothing_before_the_real_deadline(rig):
    rig.beat(NIGHT, status=True)
    rig.park("eid:car-1", NIGHT + 3 * H)              # 22:00, has until 08:00
    rig.wall(DEADLINE - 4 * H - 37 * M)               # 03:23 on the hub's clock
    rig.follow = False
    rig.beat(DEADLINE + H)                            # both devices claim 09:00
    assert rig.violations() == [] and rig.mornings() == []
    assert ahead(rig) == {"gate-n": 1, "lane-e": 1}
    rig.park("eid:car-3", DEADLINE - 4 * H - 30 * M)  # parks at 03:30: not accused at once
    assert rig.violations() == []
    rig.follow = True
    rig.beat(DEADLINE + M)                            # the real 08:01, honest clocks again
    assert ahead(rig) == {"gate-n": 0, "lane-e": 0}
    assert rig.standing() == {("浙A12345", "2026-03-10", "open", False), ("浙A54321", "2026-03-10", "open", False)}
    decided_at = rig.db.execute("SELECT decided_at FROM ovn_deadlines").fetchone()[0]
    assert parse_ts(decided_at) >= DEADLINE


def test_an_edge_clock_an_hour_ahead_is_flagged_and_the_hub_judges_by_its_own_clock(rig):
    from hub.alerts import conditions

    rig.beat(NIGHT, ("gate-n",), status=True)
    rig.beat(NIGHT + H, ("lane-e",), status=True)
    rig.follow = False
    rig.park("eid:car-1", NIGHT + 3 * H + H)          # 22:00, stamped 23:00 by the lane
    rig.leave("eid:car-2", NIGHT + 4 * H)             # an honest gate
    for real in (NIGHT + 6 * H, DEADLINE - 50 * M):   # ... 07:10, when the lane says 08:10
        rig.wall(real)
        rig.beat(real, ("gate-n",))
        rig.beat(real + H, ("lane-e",))
        assert rig.violations() == []
    assert ahead(rig) == {"gate-n": 0, "lane-e": 1}
    rig.wall(DEADLINE + M)
    rig.beat(DEADLINE + M, ("gate-n",))
    rig.beat(DEADLINE + H + M, ("lane-e",))
    # decided at the real deadline; provisional: the lane does not hold the site clock
    assert rig.standing() == {("浙A12345", "2026-03-10", "open", True)}
    rig._tx(lambda db: conditions.watch_devices(db, rig.clock.now(), offline_after=timedelta(minutes=2)))
    rows = list(rig.db.query("SELECT device, code, active FROM alert_conditions WHERE code = 'clock_ahead'"))
    assert rows == [{"device": "lane-e", "code": "clock_ahead", "active": 1}]


def test_a_year_9999_heartbeat_is_bounded_and_a_stored_one_is_repaired_on_start(tmp_path):
    first = make(tmp_path, NIGHT)
    first.beat(NIGHT, status=True)
    first.follow = False
    first.beat(Y9999, ("gate-n",))
    row = next(first.db.query("SELECT watermark, skew_ms, clock_ahead FROM devices WHERE device = 'gate-n'"))
    assert parse_ts(row["watermark"]) <= NIGHT + 2 * M and row["clock_ahead"] == 1
    assert row["skew_ms"] > 0
    # a database written before this bound existed: the watermark itself from year 9999
    first.db.execute("UPDATE devices SET watermark = ?", [format_ts(Y9999)])
    first.close()
    back = make(tmp_path, NIGHT + H)
    try:
        marks = {v.device: v.watermark for v in back.hub.book.views()}
        assert all(m <= NIGHT + H + 2 * M for m in marks.values())
        assert back.hub.site_time().now <= NIGHT + H + 2 * M
        back.park("eid:car-1", NIGHT + H + M)
        back.beat(NIGHT + 2 * H, status=True)
        assert back.mornings() == [] and back.violations() == []
    finally:
        back.close()


def test_the_devices_page_shows_a_clock_ahead_device_after_a_year_9999_heartbeat(tmp_path, broker):
    from gwcommon.clock import FakeClock
    from tests.support.hubrun import Publisher, rows, wait_until
    from tests.support.webhub import add_user, login, web_hub

    hub = web_hub(tmp_path, broker, clock=FakeClock(NIGHT))
    try:
        add_user(hub, "wang", "viewer")
        topic = f"gatewarden/{hub.config.site.id}/gate-n/"
        with Publisher(broker.port) as pub:
            pub.json(topic + "status", {"online": True, "kind": "gate", "version": "t", "ts": format_ts(NIGHT)})
            pub.json(topic + "heartbeat", {"ts": format_ts(Y9999), "last_seq": 0, "outbox": 0})
        wait_until(lambda: rows(hub, "SELECT clock_ahead FROM devices WHERE device = 'gate-n'") == [{"clock_ahead": 1}],
                   timeout=20, message="the hub did not flag the device")
        client = TestClient(hub.web)
        login(client, "wang")
        page = client.get("/devices")
        assert page.status_code == 200 and "时钟超前" in page.text
    finally:
        hub.stop()


def test_a_morning_an_older_hub_decided_early_is_retracted_and_decided_again_at_the_deadline(tmp_path):
    from hub.overnight import calendar
    from hub.core.watermark import SiteTime

    first = make(tmp_path, NIGHT)
    first.beat(NIGHT, status=True)
    first.park("eid:car-1", NIGHT + 3 * H)
    first.wall(DEADLINE - 4 * H - 37 * M)  # 03:23: what the old hub did with heartbeats claiming 09:00
    first._tx(lambda db: first.area.decide(db, DEADLINE, SiteTime(DEADLINE + H, False), calendar.load_overrides(db)))
    assert first.standing() == {("浙A12345", "2026-03-10", "open", False)}
    seqs = dict(first.seqs)
    first.close()
    back = make(tmp_path, DEADLINE - 4 * H)  # restarted at 04:00 with this version
    try:
        back.seqs = seqs
        back.tick()
        assert back.standing() == {("浙A12345", "2026-03-10", "retracted", False)} and back.mornings() == []
        back.beat(DEADLINE + M, status=True)
        assert back.standing() == {("浙A12345", "2026-03-10", "open", False)}
        assert len(back.mornings()) == 1
    finally:
        back.close()
