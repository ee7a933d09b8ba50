"""What the network sends an edge (issue 15): no message stops the inbox, no forged ack deletes events.

A running publisher on a real Mosquitto gets poison ``cmd`` and ``allowlist`` messages; the inbox
thread survives, counts them, raises one ``bad_message`` fault, and the next valid allowlist is
still taken by the gate's allowlist store (a revoked tag must stop opening).  An ack for a seq the
device never issued is refused and raised as an ``ack_ahead`` fault.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from edge import inbox as inbox_module
from edge.allowlist import Allowlist
from edge.inbox import Inbox
from edge.outbox import Outbox
from edge.publisher import Publisher, PublisherStats
from edge.selffaults import FaultLatch
from gwcommon.clock import FakeClock
from gwcommon.config import MqttConfig
from tests.support.mqttspy import Spy, wait_until

pytestmark = pytest.mark.timeout(60)

SITE, DEVICE = "pingan-2", "gate-hostile"
BASE = f"gatewarden/{SITE}/{DEVICE}"
T0 = datetime(2026, 3, 1, 0, 0, tzinfo=timezone.utc)
TAG = "mac:aa:bb:cc:dd:ee:01"
POISON = [b"[" * 1100 + b"]" * 1100, b'{"version": ' + b"9" * 5000 + b"}", b'{"version": 1e999}', b"\xff"]


def listing(version: int, *, revoked: bool) -> bytes:
    return json.dumps({"version": version, "entries": [{"tag": TAG, "vehicle": "浙A12345", "revoked": revoked}]}).encode()


@pytest.fixture
def edge(tmp_path, broker):
    box = Outbox(tmp_path / "outbox.db", site=SITE, device=DEVICE, clock=FakeClock(T0))
    box.confirm_numbering()
    pub = Publisher(box, mqtt=MqttConfig(port=broker.port, keepalive=2), site=SITE, device=DEVICE, kind="gate",
                    clock=box.clock, version="9.9", heartbeat=60.0, settle=0.2)
    store = Allowlist(tmp_path / "allowlist.json", clock=box.clock)
    pub.on_allowlist(store.update)
    spy = Spy(broker.port, (f"{BASE}/#",)).start()
    pub.start()
    assert pub.wait_connected(10)
    yield box, pub, store, spy
    spy.publish(f"gatewarden/{SITE}/allowlist", b"", retain=True)
    spy.publish(f"{BASE}/ack", b"", retain=True)
    spy.stop()
    pub.stop()
    box.close()


def faults(spy: Spy, code: str) -> list[dict]:
    return [m.json() for m in spy.of("fault") if m.json()["code"] == code]


def test_poison_commands_and_allowlists_leave_the_inbox_running(edge):
    box, pub, store, spy = edge
    spy.publish(f"gatewarden/{SITE}/allowlist", listing(3, revoked=False), retain=True)
    wait_until(lambda: store.version == 3, what="first allowlist")
    for payload in POISON:
        spy.publish(f"{BASE}/cmd", payload)
        spy.publish(f"gatewarden/{SITE}/allowlist", payload, retain=True)
    wait_until(lambda: pub.stats.invalid_commands == len(POISON) and pub.stats.invalid_allowlists == len(POISON))
    assert store.version == 3  # a payload that does not validate never moves the version
    spy.publish(f"gatewarden/{SITE}/allowlist", listing(4, revoked=True), retain=True)
    wait_until(lambda: store.version == 4, what="the next allowlist still applies")
    assert store.lookup(TAG) == "revoked"
    spy.wait_for(lambda s: faults(s, "bad_message"))
    raised = faults(spy, "bad_message")
    assert len(raised) == 1 and raised[0]["active"] is True  # one fault event for the whole flood


def test_the_inbox_thread_survives_whatever_a_message_raises(monkeypatch):
    stats, problems, lists = PublisherStats(), [], []
    inbox = Inbox(f"{BASE}/cmd", stats, on_problem=problems.append)
    inbox.on_allowlist(lists.append)
    inbox.start()
    try:
        def explode(*_a):
            raise RecursionError("maximum recursion depth exceeded")

        monkeypatch.setattr(inbox_module.wire, "decode", explode)
        inbox.put(f"{BASE}/cmd", b"{}")
        wait_until(lambda: stats.inbox_errors == 1)
        monkeypatch.undo()
        inbox.put(f"gatewarden/{SITE}/allowlist", listing(7, revoked=False))
        wait_until(lambda: lists and lists[0].version == 7, what="the inbox thread is still alive")
        assert problems[0].startswith("RecursionError") and problems[-1] is None
    finally:
        inbox.stop()


def test_an_ack_above_the_last_issued_seq_is_refused_and_raised_as_a_fault(edge):
    box, pub, _store, spy = edge
    box.emit_many([("fault", {"code": "relay_fault", "active": True, "detail": ""})] * 3)
    spy.wait_for(lambda s: len(s.of("fault")) >= 3)
    spy.publish(f"{BASE}/ack", json.dumps({"seq": 8}), retain=True)  # forged: only 3 issued
    spy.wait_for(lambda s: faults(s, "ack_ahead"))
    assert faults(spy, "ack_ahead")[0]["active"] is True and "8" in faults(spy, "ack_ahead")[0]["detail"]
    assert box.count() == 4  # nothing deleted; the fault event itself waits for the hub's ack


@pytest.mark.parametrize("steps,expected", [
    ([(True, 0)], [True]),
    ([(True, 0), (True, 1), (True, 2)], [True, False, False]),            # a flood: one event
    ([(True, 0), (False, 10)], [True, False]),                           # cleared too soon: later
    ([(True, 0), (False, 10), (False, 61)], [True, False, True]),
    ([(False, 0)], [False]),                                             # never raised: nothing to clear
])
def test_fault_latch(steps, expected):
    latch = FaultLatch(min_interval=60)
    assert [latch.note("x", active, at) for active, at in steps] == expected
