"""Poison messages (issue 15): no payload may hold the hub's in-flight slots or stop ingest.

A flood of deep-nested JSON and 5,000-digit numbers, each under the size limit, goes through a
real Mosquitto to a real hub; every one is quarantined and acknowledged, and real events sent
after them are stored and acked within seconds — also when the flood waits at the broker for a
restarting hub.
"""

from __future__ import annotations

import json
import sqlite3
import urllib.error
import urllib.request

import pytest

from gwcommon import wire
from gwcommon.exc import InvalidMessage
from tests.support.hubrun import Publisher, ack_listener, count, event_payload, make_hub, rows, wait_until

DEEP = b"[" * 1100 + b"]" * 1100
DEEP_OBJECT = b'{"a":' * 1100 + b"1" + b"}" * 1100
HUGE_INT = b'{"id": "x", "ts": "2026-03-02T07:00:00.000+00:00", "seq": ' + b"7" * 5000 + b"}"
POISON = [DEEP, DEEP_OBJECT, HUGE_INT]


@pytest.mark.parametrize("payload", [
    DEEP, DEEP_OBJECT, HUGE_INT, b'{"seq": NaN}', b'{"seq": Infinity}', b"1e999", b'{"a": -Infinity}',
    b"\xff\xfe", b'{"a": "\\ud800"}', b"[]" * 5000,
])
def test_every_decoding_failure_is_an_invalid_message(payload):
    with pytest.raises(InvalidMessage):
        wire.decode_payload("passage", payload)


def test_infinite_energy_is_refused_at_the_wire():
    body = event_payload("charging", 1, energy_wh=1.0)
    text = json.dumps(body).replace('"energy_wh": 1.0', '"energy_wh": 1e999').encode()
    with pytest.raises(InvalidMessage, match="not finite"):
        wire.decode_payload("charging", text)
    with pytest.raises(InvalidMessage):
        wire.decode_payload("charging", json.dumps({**body, "energy_wh": float("inf")}).encode())


def _flood(pub: Publisher, site: str, n: int) -> None:
    infos = [pub.client.publish(f"gatewarden/{site}/gate-9/{kind}", POISON[i % 3], qos=1)
             for i, kind in zip(range(n), ["passage", "presence", "charging", "fault", "heartbeat", "status"] * n)]
    for info in infos:
        info.wait_for_publish(30)


def _real_events(pub: Publisher, site: str, seqs: range) -> None:
    for seq in seqs:
        pub.json(f"gatewarden/{site}/gate-1/passage", event_payload("passage", seq, device="gate-1"))


def test_a_poison_flood_is_quarantined_acked_and_real_events_still_flow(tmp_path, broker):
    hub = make_hub(tmp_path, broker)
    site = hub.config.site.id
    listener, acks = ack_listener(broker.port, site)
    try:
        with Publisher(broker.port) as pub:
            _flood(pub, site, 1200)
            _real_events(pub, site, range(1, 4))
            wait_until(lambda: count(hub, "events", "device = 'gate-1'") == 3, timeout=60)
            wait_until(lambda: acks.get("gate-1", [0])[-1] == 3, timeout=30)
            wait_until(lambda: hub.quarantine.total >= 1200, timeout=60)
            assert hub.intake.errors == 0
            assert {r["code"] for r in rows(hub, "SELECT DISTINCT code FROM quarantine")} <= {"json", "schema"}
            hub.stop()
            # the hub is away: the next flood waits at the broker for its persistent session
            _flood(pub, site, 600)
            hub = make_hub(tmp_path, broker, site=site)
            _real_events(pub, site, range(4, 6))
            wait_until(lambda: count(hub, "events", "device = 'gate-1'") == 5, timeout=60)
            wait_until(lambda: acks.get("gate-1", [0])[-1] == 5, timeout=30)
    finally:
        listener.loop_stop()
        hub.stop()


def test_storage_errors_that_keep_rising_turn_healthz_not_ok_and_raise_an_alert(tmp_path, broker):
    hub = make_hub(tmp_path, broker, areas=["hub.alerts"])
    site = hub.config.site.id

    def broken(*_a, **_k):
        raise sqlite3.OperationalError("disk I/O error")

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{hub.web_port}/healthz", timeout=10) as answer:
            assert json.load(answer)["ok"] is True
        hub.ingest._store_event = broken
        with Publisher(broker.port) as pub:
            _real_events(pub, site, range(1, 8))
        wait_until(lambda: hub.intake.errors >= 7, timeout=30)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{hub.web_port}/healthz", timeout=10)
        assert refused.value.code == 503
        assert json.load(refused.value)["ingest_failing"] is True
        assert count(hub, "events") == 0 and hub.quarantine.total == 0  # not quarantined: it comes again
        wait_until(lambda: rows(hub, "SELECT * FROM alert_conditions WHERE code = 'ingest_errors' AND active = 1"),
                   timeout=30)
    finally:
        hub.stop()
