"""The composition interface areas code against (hub.app.Hub): attach, on_event, add_tick, publish."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone

import pytest

from gwcommon.clock import FakeClock
from hub.core.watermark import SiteTime
from tests.support.hubrun import Publisher, ack_listener, count, make_hub, rows, wait_until

T0 = datetime(2026, 3, 2, 23, 0, tzinfo=timezone.utc)

SEEN: dict[str, list] = {}


def attach(hub) -> None:
    """This test module is itself an area: ``make_hub(..., areas=["tests.hub.test_app"])``."""
    SEEN.clear()
    SEEN.update(events=[], ticks=[], threads=set())

    def on_passage(db, event, ctx):
        db.execute("INSERT INTO area_log (event_id, device) VALUES (?, ?)", [event.id, ctx.device])
        SEEN["events"].append(event.id)
        SEEN["threads"].add(threading.current_thread().name)

    def sweep(db, site_time):
        SEEN["ticks"].append(site_time)
        SEEN["threads"].add(threading.current_thread().name)

    hub.writer.call(lambda db: db.execute("CREATE TABLE IF NOT EXISTS area_log (event_id TEXT, device TEXT)"))
    hub.on_event("passage", on_passage)
    hub.add_tick(sweep)


@pytest.fixture
def hub(tmp_path, broker):
    with make_hub(tmp_path, broker, clock=FakeClock(T0), areas=["tests.hub.test_app"]) as running:
        yield running


def test_handlers_and_ticks_run_on_the_writer_thread(hub, broker):
    site = hub.config.site.id
    with Publisher(broker.port) as pub:
        pub.event(site, "gate-1", "passage", 1)
        pub.event(site, "gate-1", "passage", 1)          # a repeat: no handler call
        pub.event(site, "lane-1", "presence", 1)          # another kind: not this handler
    wait_until(lambda: hub.ingest.stats.duplicates == 1 and hub.ingest.stats.events == 2)
    assert SEEN["events"] == ["gate-1:boot1:1"]
    assert rows(hub, "SELECT * FROM area_log") == [{"event_id": "gate-1:boot1:1", "device": "gate-1"}]
    wait_until(lambda: len(SEEN["ticks"]) >= 3)
    assert all(isinstance(t, SiteTime) for t in SEEN["ticks"])
    assert SEEN["threads"] == {"hub-writer"}


def test_unknown_event_kind_and_late_ticks_are_refused(hub):
    with pytest.raises(ValueError, match="unknown event kind"):
        hub.on_event("teleport", lambda db, e, c: None)
    with pytest.raises(RuntimeError, match="before the hub starts"):
        hub.add_tick(lambda db, t: None)


def test_publish_goes_out_at_qos1_and_retained_on_request(hub, broker):
    site = hub.config.site.id
    hub.publish(f"gatewarden/{site}/allowlist", b'{"version": 3, "entries": []}', retain=True)
    listener, acks = ack_listener(broker.port, site)      # connects after: sees the retained message
    got = []
    listener.on_message = lambda c, u, m: got.append((m.topic, m.payload, m.retain))
    listener.subscribe(f"gatewarden/{site}/allowlist", qos=1)
    wait_until(lambda: got)
    listener.disconnect()
    listener.loop_stop()
    assert got == [(f"gatewarden/{site}/allowlist", b'{"version": 3, "entries": []}', True)]
    assert count(hub, "quarantine") == 0


def test_a_message_that_fails_unexpectedly_is_left_unacked_and_stored_when_sent_again(hub, broker):
    site = hub.config.site.id
    process, failed = hub.ingest.process, []

    def flaky(db, msg):
        if b'"seq":2' in msg.payload.replace(b" ", b"") and not failed:
            failed.append(msg.topic)
            raise RuntimeError("a bug")
        return process(db, msg)

    hub.ingest.process = flaky
    listener, acks = ack_listener(broker.port, site)
    with Publisher(broker.port) as pub:
        for seq in (1, 2, 3):
            pub.event(site, "gate-1", "passage", seq)
        wait_until(lambda: hub.intake.errors == 1 and acks.get("gate-1") == [1] and count(hub, "events") == 2)
        pub.event(site, "gate-1", "passage", 2)            # what the edge does when the ack stands still
        wait_until(lambda: acks["gate-1"][-1] == 3)
    listener.disconnect()
    listener.loop_stop()
    assert json.loads(json.dumps(acks)) == {"gate-1": [1, 3]}


def test_on_stop_runs_once_at_stop_latest_first_before_the_writer_stops(tmp_path, broker):
    order = []
    running = make_hub(tmp_path, broker, clock=FakeClock(T0))
    running.on_stop(lambda: order.append(("first", running.writer.call(lambda db: 1))))
    running.on_stop(lambda: order.append(("second", running.writer.call(lambda db: 2))))
    running.stop()
    assert order == [("second", 2), ("first", 1)]
