"""Devices, acks and the site clock through a real hub and broker (hub wall clock is a FakeClock)."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from gwcommon.clock import FakeClock
from hub.core.db import open_reader
from tests.support.hubrun import Publisher, make_hub, rows, wait_until

T0 = datetime(2026, 3, 2, 23, 0, tzinfo=timezone.utc)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture
def clock():
    return FakeClock(T0)


@pytest.fixture
def hub(tmp_path, broker, clock):
    with make_hub(tmp_path, broker, clock=clock) as running:
        yield running


@pytest.fixture
def pub(broker):
    with Publisher(broker.port) as client:
        yield client


class AckWatch:
    """Records every ack of a site and, on arrival, what the hub's database holds at that moment."""

    def __init__(self, port: int, hub):
        self.hub, self.acks, self.violations = hub, [], []
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"w-{uuid.uuid4().hex[:6]}",
                                  protocol=paho.MQTTv5)
        ready = threading.Event()
        self.client.on_connect = lambda c, *a: c.subscribe(f"gatewarden/{hub.config.site.id}/+/ack", qos=1)
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port, keepalive=5)
        self.client.loop_start()
        assert ready.wait(10)

    def _on_message(self, client, userdata, msg):
        device, seq = msg.topic.split("/")[2], json.loads(msg.payload)["seq"]
        db = open_reader(self.hub.db_path)
        held = {r["seq"] for r in db.query("SELECT seq FROM events WHERE device = ?", [device])}
        db.conn.close()
        if not held or not set(range(min(held), seq + 1)) <= held:
            self.violations.append((device, seq, sorted(held)))
        self.acks.append((device, seq, bool(msg.retain)))

    def seqs(self, device: str) -> list[int]:
        return [s for d, s, _ in self.acks if d == device]

    def close(self):
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def acks(broker, hub):
    watch = AckWatch(broker.port, hub)
    yield watch
    watch.close()


def test_acks_follow_the_contiguous_prefix_and_only_after_commit(hub, pub, acks):
    site = hub.config.site.id
    for seq in (1, 2, 4, 5):
        pub.event(site, "gate-1", "passage", seq)
    wait_until(lambda: acks.seqs("gate-1") and acks.seqs("gate-1")[-1] == 2)
    pub.event(site, "gate-1", "passage", 3)
    wait_until(lambda: acks.seqs("gate-1")[-1] == 5)
    seqs = acks.seqs("gate-1")
    assert seqs == sorted(set(seqs)) and seqs[0] >= 1        # only ever growing, never repeated
    assert acks.violations == []                             # every ack covered stored events


def test_many_events_get_few_acks_and_all_are_stored(hub, pub, acks):
    site = hub.config.site.id
    for seq in range(1, 301):
        pub.raw(f"gatewarden/{site}/lane-1/presence",
                json.dumps({"id": f"l1-{seq}", "ts": "2026-03-02T23:00:00.000Z", "seq": seq, "zone": "z",
                            "tag": "eid:car-1", "present": seq % 2 == 0}), qos=1)
    wait_until(lambda: acks.seqs("lane-1") and acks.seqs("lane-1")[-1] == 300)
    assert acks.violations == [] and len(acks.seqs("lane-1")) < 300


def test_no_ack_before_the_device_shows_where_its_outbox_starts(hub, pub, acks):
    site = hub.config.site.id
    pub.event(site, "gate-7", "passage", 41)
    pub.event(site, "gate-7", "passage", 42)
    wait_until(lambda: hub.ingest.stats.events == 2)
    pub.heartbeat(site, "gate-7", last_seq=43, outbox=3)      # it still holds 41, 42, 43
    pub.event(site, "gate-7", "passage", 43)
    wait_until(lambda: acks.seqs("gate-7") == [43])
    assert acks.violations == []


def test_an_ack_is_published_again_when_the_device_comes_back_online(hub, pub, acks):
    site = hub.config.site.id
    pub.event(site, "gate-1", "passage", 1)
    wait_until(lambda: acks.seqs("gate-1") == [1])
    pub.status(site, "gate-1", online=False)
    pub.status(site, "gate-1", online=True)
    wait_until(lambda: acks.seqs("gate-1") == [1, 1])


def test_status_sets_kind_version_and_online(hub, pub, clock):
    site = hub.config.site.id
    pub.status(site, "lane-3", kind="lane")
    wait_until(lambda: rows(hub, "SELECT kind, version, status_online, online FROM devices WHERE device='lane-3'")
               == [{"kind": "lane", "version": "test", "status_online": 1, "online": 1}])
    pub.status(site, "lane-3", online=False)
    wait_until(lambda: rows(hub, "SELECT online FROM devices WHERE device='lane-3'") == [{"online": 0}])


def test_the_will_marks_a_device_offline(hub, broker):
    site = hub.config.site.id
    topic = f"gatewarden/{site}/gate-9/status"
    edge = Publisher(broker.port, will=(topic, b'{"online":false}'))
    edge.status(site, "gate-9")
    wait_until(lambda: hub.book.get("gate-9").status_online is True)
    edge.client.loop_stop()
    edge.client.socket().shutdown(socket.SHUT_RDWR)           # the edge dies without a DISCONNECT
    wait_until(lambda: hub.book.get("gate-9").status_online is False)
    assert hub.site_time().provisional


def test_silence_makes_a_device_offline(hub, pub, clock):
    site = hub.config.site.id
    pub.status(site, "gate-1")
    pub.heartbeat(site, "gate-1", last_seq=0, at=at(0))
    wait_until(lambda: hub.book.get("gate-1").hb_ts == at(0))
    assert hub.site_time() == type(hub.site_time())(at(0), False)
    clock.advance(121)
    wait_until(lambda: rows(hub, "SELECT online FROM devices WHERE device='gate-1'") == [{"online": 0}])
    assert hub.site_time().now == clock.now() and hub.site_time().provisional
    pub.heartbeat(site, "gate-1", last_seq=0, at=at(122))
    wait_until(lambda: rows(hub, "SELECT online FROM devices WHERE device='gate-1'") == [{"online": 1}])
    assert hub.site_time().now == at(122)


def test_heartbeat_records_skew_backlog_and_last_seq(hub, pub, clock):
    site = hub.config.site.id
    pub.event(site, "gate-1", "passage", 1, at=at(-30))
    pub.heartbeat(site, "gate-1", last_seq=4, outbox=3, at=clock.now() - timedelta(seconds=5))
    expected = {"hb_last_seq": 4, "hb_outbox": 3, "last_seq": 1, "ack_seq": 1, "watermark": at(-30).isoformat(
        timespec="milliseconds")}
    wait_until(lambda: rows(hub, "SELECT hb_last_seq, hb_outbox, last_seq, ack_seq, watermark FROM devices") == [expected])
    skew = rows(hub, "SELECT skew_ms FROM devices")[0]["skew_ms"]
    assert -5100 <= skew <= -5000            # edge clock 5 s behind (minus the time in transit)


def test_site_clock_is_the_minimum_watermark_of_gates_and_lanes(hub, pub):
    site = hub.config.site.id
    for device, kind in (("gate-1", "gate"), ("lane-1", "lane"), ("shed-1", "charging")):
        pub.status(site, device, kind=kind)
    pub.event(site, "gate-1", "passage", 1, at=at(10))
    pub.heartbeat(site, "gate-1", last_seq=1, at=at(20))
    pub.event(site, "lane-1", "presence", 1, at=at(5))
    pub.event(site, "lane-1", "presence", 3, at=at(15))          # seq 2 missing: lane stays at 5
    pub.heartbeat(site, "lane-1", last_seq=3, at=at(16))
    pub.heartbeat(site, "shed-1", last_seq=0, at=at(-999))       # charging does not hold the clock
    wait_until(lambda: hub.book.get("shed-1").hb_ts is not None and hub.book.get("lane-1").hb_ts is not None)
    assert (hub.site_time().now, hub.site_time().provisional) == (at(5), False)
    pub.event(site, "lane-1", "presence", 2, at=at(12))          # the late event closes the gap
    wait_until(lambda: hub.site_time().now == at(16))
    pub.status(site, "lane-1", kind="lane", online=False)
    wait_until(lambda: hub.site_time().now == at(20))
    assert hub.site_time().provisional


def test_state_survives_a_restart(tmp_path, broker, clock):
    with make_hub(tmp_path, broker, clock=clock) as hub:
        site = hub.config.site.id
        with Publisher(broker.port) as pub:
            for seq in (1, 2, 4):
                pub.event(site, "gate-1", "passage", seq, at=at(seq))
            wait_until(lambda: hub.ingest.stats.events == 3)
    with make_hub(tmp_path, broker, clock=clock, site=site) as hub:
        dev = hub.book.get("gate-1")
        assert (dev.track.top, sorted(dev.track.pending), dev.watermark) == (2, [4], at(2))
        watch = AckWatch(broker.port, hub)
        with Publisher(broker.port) as pub:
            pub.event(site, "gate-1", "passage", 3, at=at(3))
        wait_until(lambda: watch.seqs("gate-1") and watch.seqs("gate-1")[-1] == 4)
        watch.close()
        assert hub.book.get("gate-1").watermark == at(4)
