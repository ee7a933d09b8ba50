"""Nothing lost, nothing doubled: the real edge outbox and publisher against the real hub, with faults.

Each scenario records the (device, seq) of every event the edge durably emitted, injects a fault
(broker SIGKILL, hub SIGKILL, edge SIGKILL while the broker is down, every message delivered twice,
the hub away past the broker's queue limit) and then checks, with one checker, that the hub stores
every emitted event exactly once, gapless, and that the edge's outbox ends empty (all acked).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.subscribeoptions import SubscribeOptions

from edge.outbox import Outbox
from edge.publisher import Publisher
from gwcommon.clock import SystemClock
from gwcommon.config import MqttConfig
from tests.support.broker import free_port
from tests.support.hubrun import make_hub, rows, unique_site, wait_until
from tests.support.hubproc import db_rows, start_hub, write_config

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.timeout(90)
FIELDS = {"circuit": "shed-a", "power_w": 120.0, "current_a": 0.5, "loads": 1}


def check_no_loss(db_path: Path, sent: set[tuple[str, int]], *, backlog: int) -> None:
    """The checker: every sent (device, seq) stored once, nothing else, no conflicts, outbox empty."""
    stored = [(r["device"], r["seq"]) for r in db_rows(db_path, "SELECT device, seq FROM events")]
    assert len(stored) == len(set(stored)), "an event is stored twice"
    missing = sent - set(stored)
    assert not missing, f"lost: {sorted(missing)[:20]}"
    for device in {d for d, _ in stored}:
        seqs = sorted(s for d, s in stored if d == device)
        assert seqs == list(range(1, len(seqs) + 1)), f"{device}: stored seqs have gaps"
    conflicts = db_rows(db_path, "SELECT code FROM quarantine WHERE code LIKE '%conflict'")
    assert conflicts == []
    assert backlog == 0, "the edge still holds events the hub never acked"


class Edge:
    """An in-process edge device: the real outbox and publisher."""

    def __init__(self, tmp_path: Path, port: int, site: str, device: str = "shed-1"):
        self.device = device
        self.box = Outbox(tmp_path / f"outbox-{device}.db", site=site, device=device, clock=SystemClock())
        self.pub = Publisher(self.box, mqtt=MqttConfig(port=port, keepalive=2), site=site, device=device,
                             kind="charging", clock=self.box.clock, heartbeat=1.0, ack_timeout=2.0,
                             settle=0.2).start()
        self.sent: set[tuple[str, int]] = set()

    def emit(self, n: int, *, pause: float = 0.0) -> None:
        for _ in range(n):
            self.box.emit("charging", FIELDS)
            self.sent.add((self.device, self.box.last_seq))
            if pause:
                time.sleep(pause)

    def drained(self) -> bool:
        return self.box.count() == 0

    def close(self) -> None:
        self.pub.stop()
        self.box.close()


class EdgeProcess:
    """tests/support/edgeproc.py as a subprocess; collects the seqs it reports as emitted."""

    def __init__(self, tmp_path: Path, port: int, site: str, *, emit: int, rate: float = 0.0):
        self.sent: set[tuple[str, int]] = set()
        self.backlog = -1
        self.ready = threading.Event()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.edgeproc", "--dir", str(tmp_path), "--port", str(port),
             "--site", site, "--device", "shed-9", "--emit", str(emit), "--rate", str(rate)],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            word, _, value = line.partition(" ")
            if word == "emitted":
                self.sent.add(("shed-9", int(value)))
            elif word == "backlog":
                self.backlog = int(value)
            elif word == "ready":
                self.ready.set()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)


def test_broker_sigkilled_mid_stream_and_restarted(tmp_path, make_broker):
    broker = make_broker()
    with make_hub(tmp_path, broker) as hub:
        edge = Edge(tmp_path, broker.port, hub.config.site.id)
        try:
            writer = threading.Thread(target=edge.emit, args=(300,), kwargs={"pause": 0.003})
            writer.start()
            wait_until(lambda: len(edge.sent) >= 100)
            broker.kill()
            time.sleep(0.5)
            broker.start()
            writer.join(30)
            wait_until(edge.drained, timeout=60)
            check_no_loss(hub.db_path, edge.sent, backlog=edge.box.count())
        finally:
            edge.close()


def test_hub_killed_and_restarted(tmp_path, broker):
    site, web_port = unique_site(), free_port()
    config = write_config(tmp_path, broker.port, site=site, web_port=web_port)
    proc = start_hub(config)
    edge = Edge(tmp_path, broker.port, site)
    try:
        edge.emit(150, pause=0.002)
        wait_until(lambda: edge.box.acked_seq > 0, timeout=30)
        proc.kill()
        proc.wait(10)
        edge.emit(150)
        proc = start_hub(config)
        wait_until(edge.drained, timeout=60)
        check_no_loss(tmp_path / "data" / "hub.db", edge.sent, backlog=edge.box.count())
    finally:
        edge.close()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def test_edge_killed_while_the_broker_is_down_then_restarted(tmp_path, make_broker):
    broker = make_broker()
    with make_hub(tmp_path, broker) as hub:
        site = hub.config.site.id
        first = EdgeProcess(tmp_path, broker.port, site, emit=50)
        wait_until(lambda: first.backlog == 0, timeout=30)          # the first 50 are acked
        broker.kill()
        first.kill()
        crashed = EdgeProcess(tmp_path, broker.port, site, emit=80, rate=400)
        wait_until(lambda: len(crashed.sent) == 80, timeout=30)     # stored in the outbox, unsent
        crashed.kill()                                              # the edge dies with the broker down
        broker.start()
        resumed = EdgeProcess(tmp_path, broker.port, site, emit=0)
        try:
            wait_until(lambda: resumed.backlog == 0 and count_events(hub) >= 130, timeout=60)
        finally:
            resumed.stop()
        check_no_loss(hub.db_path, first.sent | crashed.sent, backlog=resumed.backlog)
        assert len(first.sent | crashed.sent) == 130


def count_events(hub) -> int:
    return rows(hub, "SELECT COUNT(*) AS n FROM events")[0]["n"]


class Doubler:
    """Publishes every event the edge sends once more, so the hub receives each one twice."""

    def __init__(self, port: int, site: str):
        self.copies = 0
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"dbl-{uuid.uuid4().hex[:6]}",
                                  protocol=paho.MQTTv5)
        ready = threading.Event()
        options = SubscribeOptions(qos=1, noLocal=True)       # never see (and copy) its own copies
        self.client.on_connect = lambda c, *a: c.subscribe(f"gatewarden/{site}/+/charging", options=options)
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.on_message = self._copy
        self.client.connect("127.0.0.1", port, keepalive=5)
        self.client.loop_start()
        assert ready.wait(10)

    def _copy(self, client, userdata, msg) -> None:
        client.publish(msg.topic, msg.payload, qos=1)
        self.copies += 1

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_every_message_delivered_twice(tmp_path, broker):
    with make_hub(tmp_path, broker) as hub:
        doubler = Doubler(broker.port, hub.config.site.id)
        edge = Edge(tmp_path, broker.port, hub.config.site.id)
        try:
            edge.emit(200)
            wait_until(lambda: edge.drained() and hub.ingest.stats.duplicates >= 200, timeout=60)
            check_no_loss(hub.db_path, edge.sent, backlog=edge.box.count())
            assert doubler.copies >= 200 and hub.ingest.stats.events == 200
        finally:
            edge.close()
            doubler.close()


def test_hub_offline_past_the_broker_queue_limit(tmp_path, make_broker):
    broker = make_broker(extra="max_queued_messages 50")
    site = unique_site()
    make_hub(tmp_path, broker, site=site).stop()            # the hub's session exists, the hub is away
    edge = Edge(tmp_path, broker.port, site)
    try:
        edge.emit(300)
        wait_until(lambda: edge.pub.stats.published >= 300, timeout=30)   # the broker took them all
        with make_hub(tmp_path, broker, site=site) as hub:
            wait_until(edge.drained, timeout=60)
            check_no_loss(hub.db_path, edge.sent, backlog=edge.box.count())
            assert edge.pub.stats.rewinds >= 1               # the edge had to send again
    finally:
        edge.close()
