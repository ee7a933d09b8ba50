"""Priority lanes and coalescing in the alert outbox (issue 15): a safety alert waits for no backlog.

A fire-lane alert queued behind 1,000 device-health messages goes out within a minute of simulated
time, with the chat robot's rate limit (15 a minute) in force; 1,000 devices going offline at once
are one message, not an hour of chat.
"""

from __future__ import annotations

import pytest

from hub.alerts import queue_alert
from hub.alerts.api import queue_fire_lane
from hub.alerts.lanes import HEALTH, SAFETY, VIOLATIONS, coalesce, lane
from hub.alerts.outbox import add_message
from tests.support.fakechat import Rig, fakechat  # noqa: F401  (fixture)


@pytest.fixture
def rig(tmp_path, fakechat):  # noqa: F811
    wecom = fakechat("wecom")
    made = Rig(tmp_path, [wecom])
    wecom.clock = made.clock
    yield made, wecom
    made.close()


@pytest.mark.parametrize("kind,severity,expected", [
    ("fire_lane", "safety", SAFETY), ("charging", "safety", SAFETY), ("device_fault", "safety", SAFETY),
    ("fire_lane", "warning", SAFETY), ("digest", "warning", VIOLATIONS), ("charging", "warning", VIOLATIONS),
    ("retracted", "info", VIOLATIONS), ("device_offline", "warning", HEALTH), ("device_batch", "warning", HEALTH),
    ("notice", "info", HEALTH), ("target_fault", "warning", HEALTH),
])
def test_lanes(kind, severity, expected):
    assert lane(kind, severity) == expected


def test_coalesce_only_many_device_alerts_below_safety():
    alert = lambda n, kind="device_offline", severity="warning": {"id": n, "kind": kind, "severity": severity}  # noqa: E731
    assert coalesce([alert(n) for n in range(4)])[1] == []
    single, batch = coalesce([alert(n) for n in range(5)] + [alert(9, "fire_lane", "safety"), alert(8, "device_fault", "safety")])
    assert [a["id"] for a in batch] == [0, 1, 2, 3, 4] and [a["id"] for a in single] == [9, 8]


def queue_backlog(rig: Rig, n: int) -> None:
    """``n`` device-offline messages already in the outbox for wecom-1 (also used by bench/hostile.py)."""
    now = rig.clock.now()

    def job(db):
        alert_id = queue_alert(db, kind="device_offline", severity="warning", dedup_key="phantoms", now=now,
                               payload={"device": "phantom"}, subject="phantom")
        db.execute("UPDATE alerts SET state = 'notified' WHERE id = ?", [alert_id])
        for i in range(n):
            add_message(db, alert_id=alert_id, dedup_key=f"phantom-{i}", target="wecom-1", audience="warden",
                        msg_type="text", now=now, body={"text": f"设备离线：phantom-{i}", "title": "x", "mobiles": [],
                                                         "feishu_ids": [], "meta": {"kind": "device_offline",
                                                                                     "severity": "warning"}})
    rig.call(job)


def test_a_fire_lane_alert_behind_a_thousand_device_messages_goes_out_within_a_minute(rig):
    made, wecom = rig
    queue_backlog(made, 1000)
    made.pump()
    made.clock.advance(5)
    made.pump()                                            # the robot is busy with the backlog, at its rate
    start = made.clock.now()
    made.call(lambda db: queue_fire_lane(db, violation_id="v-fire", zone="east-fire-lane", now=start))
    for _ in range(120):
        made.pump()
        if any("消防" in t for t in wecom.texts):
            break
        made.clock.advance(1)
    sent_at = next(r.at for r in wecom.received if "消防" in str(r.body))
    assert (sent_at - start).total_seconds() <= 60
    assert len(wecom.received) < 60                         # the rate limit stayed in force


def test_a_thousand_devices_offline_at_once_are_one_message(rig):
    made, wecom = rig
    now = made.clock.now()

    def job(db):
        for i in range(1000):
            queue_alert(db, kind="device_offline", severity="warning", dedup_key=f"offline:d{i}", now=now,
                        payload={"device": f"d{i}", "since": "2026-03-02T22:00:00.000+00:00"}, subject=f"d{i}")
    made.call(job)
    made.pump(3)
    made.clock.advance(30)
    made.pump(3)
    assert len(wecom.texts) == 1 and "1000 台设备同时告警" in wecom.texts[0] and "另有 990 台" in wecom.texts[0]
    states = {r["state"] for r in made.rows("SELECT state FROM alerts WHERE kind = 'device_offline'")}
    assert states == {"coalesced"}


def test_a_follow_up_never_overtakes_the_device_alert_it_follows(rig):
    """With a device-health backlog, "已恢复" waits behind its own "设备故障" in the health lane; it
    used to travel in the violations lane and reach the chat first."""
    from hub.alerts.outbox import resolve_alert

    made, wecom = rig
    queue_backlog(made, 30)
    now = made.clock.now()
    made.call(lambda db: queue_alert(db, kind="device_fault", severity="warning", dedup_key="fault:gate-1:relay",
                                     now=now, payload={"device": "gate-1", "code": "relay_fault"}, subject="gate-1"))
    made.pump()                                            # fanned out: its message waits behind the backlog
    made.call(lambda db: resolve_alert(db, "fault:gate-1:relay", now=made.clock.now()))
    for _ in range(600):
        made.pump()
        if any("已恢复：" in t for t in wecom.texts):
            break
        made.clock.advance(1)
    texts = wecom.texts
    fault = next((i for i, t in enumerate(texts) if "gate-1" in t and "已恢复：" not in t), None)
    resolved = next(i for i, t in enumerate(texts) if "已恢复：" in t)
    assert fault is not None and fault < resolved, texts[-3:]


def test_a_follow_up_takes_its_originals_lane():
    from hub.alerts.lanes import follow_up_lane
    assert follow_up_lane("resolved", "info", ("device_fault", "warning")) == HEALTH
    assert follow_up_lane("resolved", "info", ("fire_lane", "safety")) == SAFETY
    assert follow_up_lane("retracted", "info", ("digest", "warning")) == VIOLATIONS
    assert follow_up_lane("resolved", "info", None) == VIOLATIONS
