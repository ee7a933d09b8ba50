"""A forged event taking a real event's seq (issue 15): the real one is kept whole, and it is said.

The hub cannot tell which of two events with one device+seq is genuine (no signatures on the
wire), so it keeps the first in ``events``, keeps the second *whole* in the quarantine (a person
can restore it), and raises a maintenance alert for the device — never silently.
"""

from __future__ import annotations

import json

from tests.support.hubrun import Publisher, event_payload, make_hub, rows, wait_until


def test_a_seq_conflict_keeps_the_refused_event_whole_and_raises_an_alert(tmp_path, broker):
    hub = make_hub(tmp_path, broker, areas=["hub.alerts"])
    site = hub.config.site.id
    try:
        with Publisher(broker.port) as pub:
            pub.json(f"gatewarden/{site}/gate-1/passage", event_payload("passage", 1, device="gate-1"))
            forged = event_payload("passage", 2, id="forged-2", device="gate-1")
            pub.json(f"gatewarden/{site}/gate-1/passage", forged)
            real = event_payload("passage", 2, id="real-2", device="gate-1", lane="x" * 64, note="n" * 600,
                                 reason="manual", by="warden")
            pub.json(f"gatewarden/{site}/gate-1/passage", real)
        (kept,) = wait_until(lambda: rows(hub, "SELECT * FROM quarantine WHERE code = 'seq_conflict'"))
        assert kept["payload_bytes"] > 512 and json.loads(kept["payload"])["id"] == "real-2"
        (alert,) = wait_until(lambda: rows(hub, "SELECT * FROM alerts WHERE kind = 'device_fault'"), timeout=20)
        assert json.loads(alert["payload"])["code"] == "seq_conflict" and alert["subject"] == "gate-1"
    finally:
        hub.stop()
