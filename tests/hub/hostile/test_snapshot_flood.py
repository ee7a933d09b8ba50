"""A snapshot flood (issue 15): pictures only for events the hub holds, a quota per device, and a
free-space floor below which events are kept and pictures dropped — each refusal quarantined."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gwcommon.clock import FakeClock
from hub.core.snapshot_guard import Waiting, WaitRoom, verdict
from tests.support.hubrun import Publisher, count, make_hub, rows, wait_until

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 1000 + b"\xff\xd9"


@pytest.mark.parametrize("has_event,used,free,expected", [
    (True, 0, 10**12, "keep"), (False, 0, 10**12, "wait"), (True, 300, 10**12, "snapshot_quota"),
    (False, 0, 100, "snapshot_disk_low"), (True, 0, 1050, "snapshot_disk_low"), (True, 0, 1100, "keep"),
])
def test_verdict(has_event, used, free, expected):
    assert verdict(has_event=has_event, device_bytes_24h=used, size=100, free_bytes=free,
                   quota_bytes=350, floor_bytes=1000) == expected


def test_the_waiting_room_is_bounded_per_device_and_in_bytes():
    room = WaitRoom(wait=60, per_device=2, max_bytes=250)
    item = lambda n, device="d": Waiting(device, f"e{n}", b"x" * 100, "t", None, float(n))  # noqa: E731
    assert room.put(item(1)) == [] and room.put(item(2)) == []
    assert [w.event_id for w in room.put(item(3))] == ["e1"]           # per device
    assert [w.event_id for w in room.put(item(4, "other"))] == ["e2"]  # bytes
    assert room.take("e3", "other") is None and room.take("e3", "d").event_id == "e3"
    assert [w.event_id for w in room.expired(100.0)] == ["e4"] and len(room) == 0


@pytest.fixture
def hub(tmp_path, broker):
    running = make_hub(tmp_path, broker, clock=FakeClock())
    yield running
    running.stop()


def _picture(pub, site, event_id, device="gate-1"):
    pub.raw(f"gatewarden/{site}/{device}/snapshot/{event_id}", JPEG)


def test_pictures_without_an_event_are_quarantined_not_stored(hub):
    site = hub.config.site.id
    with Publisher(hub.config.mqtt.port) as pub:
        for n in range(40):
            _picture(pub, site, f"nope-{n}")
    wait_until(lambda: hub.ingest.stats.by_kind.get("snapshot_waiting", 0) == 40)
    hub.clock.advance(timedelta(seconds=61))
    wait_until(lambda: count(hub, "quarantine", "code = 'snapshot_orphan'") == 40)
    assert count(hub, "snapshots") == 0 and not list(hub.snapshots_dir.rglob("*.jpg"))


def test_a_device_over_its_quota_and_a_full_disk_keep_events_and_drop_pictures(hub):
    site = hub.config.site.id
    hub.ingest.snapshot_quota = 3 * len(JPEG)
    with Publisher(hub.config.mqtt.port) as pub:
        for seq in range(1, 6):
            sent = pub.event(site, "gate-1", "passage", seq)
            _picture(pub, site, sent["id"])
        wait_until(lambda: count(hub, "events") == 5 and count(hub, "quarantine") == 2)
        assert count(hub, "snapshots") == 3
        assert {r["code"] for r in rows(hub, "SELECT code FROM quarantine")} == {"snapshot_quota"}
        hub.ingest.snapshot_floor = 10**18  # no disk has that much free
        sent = pub.event(site, "gate-2", "passage", 1)
        _picture(pub, site, sent["id"], device="gate-2")
        wait_until(lambda: count(hub, "quarantine", "code = 'snapshot_disk_low'") == 1)
    assert count(hub, "events") == 6 and count(hub, "snapshots") == 3 and hub.ingest.disk_low


def test_a_picture_waiting_for_its_event_survives_a_hub_restart(tmp_path, broker):
    """The broker has had its PUBACK for a waiting picture: a restart must not lose it."""
    clock = FakeClock()
    first = make_hub(tmp_path, broker, clock=clock)
    site = first.config.site.id
    try:
        with Publisher(first.config.mqtt.port) as pub:
            _picture(pub, site, "gate-1:boot1:1")
            wait_until(lambda: first.ingest.stats.by_kind.get("snapshot_waiting", 0) == 1)
    finally:
        first.stop()
    clock.advance(timedelta(seconds=50))
    second = make_hub(tmp_path, broker, clock=clock, site=site)
    try:
        assert len(second.ingest.waitroom) == 1
        clock.advance(timedelta(seconds=30))  # 80 s after it came, 30 s after the restart: still waiting
        with Publisher(second.config.mqtt.port) as pub:
            pub.event(site, "gate-1", "passage", 1)
            wait_until(lambda: count(second, "snapshots") == 1)
        assert count(second, "quarantine") == 0 and count(second, "snapshot_waiting") == 0
    finally:
        second.stop()
