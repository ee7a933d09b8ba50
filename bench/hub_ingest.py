"""Hub ingest through a real (private) Mosquitto: throughput, latency, and the practical limit.

    .venv/bin/python bench/hub_ingest.py [--events 20000] [--rate 1000] [--seconds 10]

Three runs against one private broker, each fed by a publisher in its own process (so it does not
share the hub's interpreter):

1. the hub (``hub.app.Hub``: validation, dedupe by id, one writer, synchronous=FULL commits,
   acks) fed as fast as ``--publishers`` QoS 1 publishers can: sustained events/s;
2. the hub fed at a steady ``--rate`` events/s: publish → committed latency (p50/p99/max);
3. a bare paho subscriber doing batched ``executemany`` inserts into SQLite (WAL, synchronous
   FULL), fed the same way: the practical limit on this machine, and the hub's ratio to it.

The broker runs with ``max_queued_messages 1000000`` (see docs/mqtt.md: with Mosquitto's default
of 1000, a burst beyond what the hub has in flight is dropped by the broker and must be resent by
the edges).  Prints a markdown table.  Numbers, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as paho  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from gatewarden.localbroker import Broker  # noqa: E402

SITE = "bench"


def publish_main(port: int, count: int, rate: float, device: str) -> None:
    """The publisher process: ``count`` fault events at ``rate``/s (0: as fast as possible)."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{device}", protocol=paho.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    done = threading.Semaphore(0)
    client.on_publish = lambda *a: done.release()
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    topic = f"gatewarden/{SITE}/{device}/fault"
    start = time.time()
    for seq in range(1, count + 1):
        if rate:
            delay = start + (seq - 1) / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        body = {"id": f"{device}-{seq}", "ts": "2026-03-02T07:00:00.000Z", "seq": seq, "v": 1,
                "code": "bench", "active": True, "detail": f"{time.time():.6f}"}
        client.publish(topic, json.dumps(body, separators=(",", ":")), qos=1)
    for _ in range(count):
        done.acquire()
    client.disconnect()
    client.loop_stop()


def spawn_publisher(port: int, count: int, rate: float, device: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--publish", str(port), str(count), str(rate), device])


def spawn_publishers(port: int, count: int, rate: float, device: str, publishers: int) -> list[subprocess.Popen]:
    """``publishers`` processes sharing ``count`` events (one device each)."""
    share = count // publishers
    return [spawn_publisher(port, share, rate / publishers, f"{device}{i}") for i in range(publishers)]


def run_hub(broker: Broker, workdir: Path, count: int, rate: float, device: str,
            publishers: int = 1) -> tuple[float, list[float]]:
    """Feed the real hub; returns (events/s from first publish to last commit, latencies in s)."""
    from gwcommon.config import validate
    from hub.app import Hub
    from hub.config import HubConfig

    config = validate({"site": {"id": SITE}, "storage": {"dir": str(workdir)},
                       "mqtt": {"port": broker.port}, "web": {"listen": "127.0.0.1:0"}}, HubConfig)
    hub = Hub(config, areas=[]).start()
    hub.link.connected.wait(10)
    latencies: list[float] = []
    first: list[float] = []
    apply = hub.ingest.apply

    def timed_apply(outcome):
        apply(outcome)
        if outcome.what == "event":
            sent = float(outcome.message[1].detail)
            first.append(sent) if not first else None
            latencies.append(time.time() - sent)

    hub.ingest.apply = timed_apply
    try:
        procs = spawn_publishers(broker.port, count, rate, device, publishers)
        while len(latencies) < count:
            time.sleep(0.01)
        end = time.time()
        for proc in procs:
            proc.wait(30)
    finally:
        hub.stop()
    return count / (end - min(first)), latencies


def run_bare(broker: Broker, workdir: Path, count: int, publishers: int = 1) -> float:
    """A bare subscriber with batched inserts: events/s from first publish to last commit."""
    db = sqlite3.connect(workdir / "bare.db", isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE events (id TEXT PRIMARY KEY, device TEXT, seq INT, body TEXT)")
    inbox: queue.Queue = queue.Queue()
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-bare", protocol=paho.MQTTv5)
    client.on_message = lambda c, u, m: inbox.put(m.payload)
    ready = threading.Event()
    client.on_subscribe = lambda *a: ready.set()
    client.on_connect = lambda c, *a: c.subscribe(f"gatewarden/{SITE}/+/fault", qos=1)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    ready.wait(10)
    procs = spawn_publishers(broker.port, count, 0, "bare", publishers)
    stored, first = 0, None
    while stored < count:
        batch = [inbox.get()]
        while len(batch) < 500 and not inbox.empty():
            batch.append(inbox.get_nowait())
        rows = []
        for payload in batch:
            data = json.loads(payload)
            first = first or float(data["detail"])
            rows.append((data["id"], data["id"].rsplit("-", 1)[0], data["seq"], payload.decode()))
        db.execute("BEGIN")
        db.executemany("INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?)", rows)
        db.execute("COMMIT")
        stored += len(batch)
    end = time.time()
    for proc in procs:
        proc.wait(30)
    client.disconnect()
    client.loop_stop()
    return count / (end - first)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000, help="events for the throughput runs")
    parser.add_argument("--rate", type=float, default=1000, help="events/s for the latency run")
    parser.add_argument("--seconds", type=float, default=10, help="length of the latency run")
    parser.add_argument("--publishers", type=int, default=2, help="publisher processes for the throughput runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # Mosquitto's default max_queued_messages (1000) drops the overflow of a burst even for a
        # connected subscriber; edges resend it, this bench's publisher does not: raise the limit.
        broker = Broker(work / "mosquitto", extra="max_queued_messages 1000000").start()
        try:
            (work / "a").mkdir(), (work / "b").mkdir(), (work / "c").mkdir()
            sustained, _ = run_hub(broker, work / "a", args.events, 0, "full", args.publishers)
            _, lat = run_hub(broker, work / "b", int(args.rate * args.seconds), args.rate, "paced")
            bare = run_bare(broker, work / "c", args.events, args.publishers)
        finally:
            broker.kill()
    ms = [x * 1000 for x in lat]
    print(f"Hub ingest through Mosquitto ({platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version})\n")
    print("| measure | value |\n|---|---|")
    print(f"| hub, sustained ({args.events} events, {args.publishers} QoS 1 publisher processes) | {sustained:,.0f} events/s |")
    print(f"| hub, publish → committed at {args.rate:,.0f} events/s, p50 | {statistics.median(ms):.1f} ms |")
    print(f"| hub, publish → committed at {args.rate:,.0f} events/s, p99 | {pct(ms, 0.99):.1f} ms |")
    print(f"| hub, publish → committed at {args.rate:,.0f} events/s, max | {max(ms):.1f} ms |")
    print(f"| bare paho subscriber + batched SQLite inserts (practical limit) | {bare:,.0f} events/s |")
    print(f"| ratio hub / practical limit | {sustained / bare:.2f} |")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--publish":
        publish_main(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
        sys.exit(0)
    sys.exit(main())
