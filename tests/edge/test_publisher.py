"""The edge publisher against a real private Mosquitto: order, acks, resends, refusals, status."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone

import pytest

from edge.outbox import Outbox
from edge.publisher import Publisher
from gwcommon.clock import FakeClock
from gwcommon.config import MqttConfig
from tests.support.mqttspy import Spy, wait_until

pytestmark = pytest.mark.timeout(60)

SITE, DEVICE = "pingan-2", "gate-north"
BASE = f"gatewarden/{SITE}/{DEVICE}"
FAULT = {"code": "relay_fault", "active": True, "detail": ""}
JPEG = b"\xff\xd8" + b"\x01" * 200
T0 = datetime(2026, 3, 1, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def parts(tmp_path, broker):
    """Build outboxes/publishers/spies on a broker; everything is stopped at the end."""
    made: list = []

    def outbox(name: str = "outbox-gate-north.db") -> Outbox:
        box = Outbox(tmp_path / name, site=SITE, device=DEVICE, clock=FakeClock(T0))
        made.append(box)
        return box

    def publisher(box: Outbox, port: int | None = None, **kw) -> Publisher:
        kw = {"heartbeat": 60.0, "settle": 0.2, **kw}
        pub = Publisher(box, mqtt=MqttConfig(port=port or broker.port, keepalive=2), site=SITE,
                        device=DEVICE, kind="gate", clock=box.clock, version="9.9", **kw)
        made.append(pub)
        return pub.start()

    def spy(port: int | None = None, topics=(f"{BASE}/#",)) -> Spy:
        made.append(Spy(port or broker.port, topics).start())
        return made[-1]

    yield type("Parts", (), {"outbox": staticmethod(outbox), "publisher": staticmethod(publisher),
                             "spy": staticmethod(spy)})
    for thing in reversed(made):
        (thing.stop if not isinstance(thing, Outbox) else thing.close)()


def event_seqs(spy: Spy, kind: str = "fault") -> list[int]:
    return [m.json()["seq"] for m in spy.of(kind)]


def ack(spy: Spy, seq: int) -> None:
    """What the hub does once the events are committed: a retained ack."""
    spy.publish(f"{BASE}/ack", json.dumps({"seq": seq}), retain=True)


def clear_ack(spy: Spy) -> None:
    spy.publish(f"{BASE}/ack", b"", retain=True)


def test_events_go_out_in_seq_order_with_the_contracts_topics(parts):
    spy = parts.spy()
    box = parts.outbox()
    box.emit_many([("fault", FAULT)] * 5)
    parts.publisher(box)
    box.emit("passage", {"lane": "in-1", "direction": "in", "tag": None, "decision": "deny",
                         "reason": "no_tag", "passed": False})
    spy.wait_for(lambda s: len(s.of("fault")) == 5 and s.of("passage"))
    assert event_seqs(spy) == [1, 2, 3, 4, 5]
    body = spy.of("passage")[0].json()
    assert body["seq"] == 6 and body["v"] == 1 and body["ts"] == "2026-03-01T00:00:00.000+00:00"
    status = spy.of("status")[0]
    assert status.json() == {"online": True, "kind": "gate", "version": "9.9",
                             "ts": "2026-03-01T00:00:00.000+00:00"}
    clear_ack(spy)


def test_rows_stay_until_the_hub_ack_covers_them(parts):
    spy = parts.spy()
    box = parts.outbox()
    pub = parts.publisher(box)
    box.emit_many([("fault", FAULT)] * 4)
    spy.wait_for(lambda s: len(s.of("fault")) == 4)
    wait_until(lambda: pub.stats.confirmed == 4, what="PUBACKs")
    assert box.count() == 4                      # the broker's PUBACK deletes nothing
    ack(spy, 2)
    wait_until(lambda: box.count() == 2, what="ack 2 applied")
    assert [r.seq for r in box.pending()] == [3, 4] and box.acked_seq == 2
    ack(spy, 4)
    wait_until(lambda: box.count() == 0, what="ack 4 applied")
    clear_ack(spy)


def test_everything_unacknowledged_is_resent_after_a_broker_crash(parts, make_broker):
    server = make_broker()
    box = parts.outbox()
    pub = parts.publisher(box, port=server.port)
    box.emit_many([("fault", FAULT)] * 3)
    wait_until(lambda: pub.stats.confirmed == 3, what="PUBACKs before the crash")
    server.kill()                                 # a hard kill: the broker forgets everything
    wait_until(lambda: not pub.connected, what="disconnect noticed")
    box.emit("fault", FAULT)                      # while the broker is down
    server.start()
    spy = parts.spy(port=server.port)
    spy.wait_for(lambda s: sorted(set(event_seqs(s))) == [1, 2, 3, 4], timeout=20)
    first_seen = sorted(set(event_seqs(spy)), key=event_seqs(spy).index)
    assert first_seen == [1, 2, 3, 4] and box.count() == 4


def test_everything_unacknowledged_is_resent_after_an_edge_restart(parts, broker):
    spy = parts.spy()
    box = parts.outbox()
    pub = parts.publisher(box)
    box.emit_many([("fault", FAULT)] * 3)
    spy.wait_for(lambda s: len(s.of("fault")) == 3)
    ack(spy, 1)
    wait_until(lambda: box.count() == 2)
    pub.stop()
    box.close()
    again = parts.outbox()
    parts.publisher(again)
    spy.wait_for(lambda s: len(s.of("fault")) == 5)
    assert event_seqs(spy) == [1, 2, 3, 2, 3]
    clear_ack(spy)


def test_a_refused_publish_stays_in_the_outbox_and_is_logged_once(parts, make_broker, tmp_path, caplog):
    acl = tmp_path / "acl"
    acl.write_text("".join(f"topic readwrite {BASE}/{k}\n" for k in ("status", "heartbeat", "ack", "cmd", "passage"))
                   + f"topic readwrite gatewarden/{SITE}/allowlist\ntopic read gatewarden/#\n")
    server = make_broker(extra=f"acl_file {acl}")
    spy = parts.spy(port=server.port)
    box = parts.outbox()
    caplog.set_level(logging.WARNING, logger="edge.publisher")
    pub = parts.publisher(box, port=server.port)
    passage = {"lane": "in-1", "direction": "in", "tag": None, "decision": "deny", "reason": "no_tag",
               "passed": False}
    box.emit_many([("passage", passage), ("fault", FAULT), ("passage", passage)])
    spy.wait_for(lambda s: len(s.of("passage")) == 2)
    wait_until(lambda: pub.stats.refused >= 2, timeout=15, what="a retry refused again")
    assert spy.of("fault") == []
    assert box.get(2) is not None and box.count() == 3
    assert caplog.text.count("refused event seq") == 1
    assert "Not authorized" in caplog.text and "0x87" in caplog.text


def test_heartbeat_reports_last_seq_and_backlog(parts):
    spy = parts.spy()
    box = parts.outbox()
    box.emit_many([("fault", FAULT)] * 3)
    box.ack(1)
    parts.publisher(box, heartbeat=0.2)
    beats = spy.wait_for(lambda s: s.of("heartbeat")[1:])
    assert beats[0].json() == {"ts": "2026-03-01T00:00:00.000+00:00", "last_seq": 3, "outbox": 2}
    assert not beats[0].retain


def test_clean_stop_publishes_retained_offline(parts, broker):
    box = parts.outbox()
    pub = parts.publisher(box)
    assert pub.wait_connected(10)
    pub.stop()
    late = parts.spy(topics=(f"{BASE}/status",))          # a retained message reaches a late subscriber
    late.wait_for(lambda s: s.of("status"))
    assert late.of("status")[-1].json() == {"online": False}
    assert late.of("status")[-1].retain


def test_the_hub_ack_is_ignored_when_ahead_of_what_was_issued(parts):
    spy = parts.spy()
    box = parts.outbox()
    box.emit("fault", FAULT)
    box.confirm_numbering()
    pub = parts.publisher(box)
    spy.wait_for(lambda s: s.of("fault"))
    ack(spy, 99)
    wait_until(lambda: pub.stats.acks_ignored == 1)
    spy.publish(f"{BASE}/ack", b'{"seq": "1"}', retain=True)
    wait_until(lambda: pub.stats.acks_ignored == 2)
    assert box.count() == 2  # nothing deleted; one more row: the ack_ahead fault event
    assert [row.kind for row in box.pending(after=0, limit=10)] == ["fault", "fault"]
    clear_ack(spy)


def test_a_new_outbox_numbers_on_after_the_hubs_retained_ack(parts):
    spy = parts.spy()
    ack(spy, 500)                                   # the hub remembers the device's old life
    box = parts.outbox("fresh.db")
    box.emit_many([("fault", FAULT)] * 2)           # emitted before the first connection
    parts.publisher(box)
    spy.wait_for(lambda s: len(s.of("fault")) == 2)
    assert event_seqs(spy) == [501, 502] and box.count() == 2
    clear_ack(spy)


def test_an_ack_that_stands_still_makes_the_edge_resend(parts):
    spy = parts.spy()
    box = parts.outbox()
    pub = parts.publisher(box, ack_timeout=0.5)
    box.emit_many([("fault", FAULT)] * 2)
    spy.wait_for(lambda s: len(s.of("fault")) >= 4, timeout=10)
    assert pub.stats.rewinds >= 1 and event_seqs(spy)[:4] == [1, 2, 1, 2]


def test_snapshots_follow_their_event_and_are_deleted_after_puback(parts):
    spy = parts.spy()
    box = parts.outbox()
    pub = parts.publisher(box)
    event_id = box.emit("fault", FAULT)
    box.snapshot(event_id, JPEG)
    spy.wait_for(lambda s: s.of(f"snapshot/{event_id}"))
    topics = [m.topic for m in spy.seen if not m.topic.endswith("status")]
    assert topics.index(f"{BASE}/fault") < topics.index(f"{BASE}/snapshot/{event_id}")
    assert spy.of(f"snapshot/{event_id}")[0].payload == JPEG
    wait_until(lambda: box.snapshot_count() == 0 and pub.stats.snapshots_sent == 1)


def test_commands_and_the_allowlist_reach_their_handlers(parts):
    spy = parts.spy()
    box = parts.outbox()
    pub = parts.publisher(box)
    commands, lists, late = [], [], []
    pub.on_command(commands.append)
    pub.on_allowlist(lists.append)
    assert pub.wait_connected(10)
    allowlist = {"version": 3, "entries": [{"tag": "mac:aa:bb:cc:dd:ee:01", "vehicle": "浙A12345"}]}
    spy.publish(f"gatewarden/{SITE}/allowlist", json.dumps(allowlist), retain=True)
    wait_until(lambda: lists, what="allowlist delivered")
    spy.publish(f"{BASE}/cmd", json.dumps({"id": "c1", "ts": "2026-03-01T00:00:00Z", "op": "open",
                                           "lane": "in-1", "by": "warden-li", "reason": "visitor"}))
    spy.publish(f"{BASE}/cmd", b'{"op": "explode"}')
    wait_until(lambda: commands and pub.stats.invalid_commands == 1, what="commands handled")
    assert commands[0].op == "open" and lists[0].version == 3
    pub.on_allowlist(late.append)
    wait_until(lambda: late, what="late handler gets the retained allowlist")
    assert late[0].entries[0].vehicle == "浙A12345"
    spy.publish(f"gatewarden/{SITE}/allowlist", b'{"version": -1}', retain=True)
    wait_until(lambda: pub.stats.invalid_allowlists == 1)
    spy.publish(f"gatewarden/{SITE}/allowlist", b"", retain=True)


def test_round_trip_through_a_real_hub_empties_the_outbox(parts, broker, tmp_path):
    from tests.support.hubrun import make_hub, rows

    hub = make_hub(tmp_path, broker)
    try:
        site = hub.config.site.id
        box = Outbox(tmp_path / "rt.db", site=site, device="gate-rt", clock=FakeClock(T0))
        pub = Publisher(box, mqtt=MqttConfig(port=broker.port), site=site, device="gate-rt",
                        kind="gate", clock=box.clock, heartbeat=60.0, settle=0.2)
        pub.start()
        ids = box.emit_many([("fault", FAULT)] * 20)
        wait_until(lambda: box.count() == 0, timeout=20, what="hub acked every event")
        stored = rows(hub, "SELECT id, seq FROM events WHERE device = 'gate-rt' ORDER BY seq")
        assert [r["seq"] for r in stored] == list(range(1, 21)) and [r["id"] for r in stored] == ids
        assert box.acked_seq == 20
        pub.stop()
        box.close()
    finally:
        hub.stop()
