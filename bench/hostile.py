"""Hostile input: login floods, poison floods and a safety alert behind a backlog (issue 15).

    .venv/bin/python bench/hostile.py [--logins 100] [--poison-rate 1000] [--seconds 5] [--fuzz 5000]

Four runs, each against real parts on this machine:

1. **Login flood**: a hub with the web view (uvicorn on loopback); 100 parallel wrong passwords for
   one account and 100 for 100 different accounts, each from its own connection.  Prints the hub
   process's RSS before and at its peak, how many argon2 checks ran (at most two at a time) and the
   login latency.
2. **Poison flood**: a private Mosquitto and a hub; a publisher sends ``--poison-rate`` poison
   messages a second (JSON nested 1,100 deep, 5,000-digit numbers, ``1e999``) while another sends
   valid events as fast as the hub acknowledges them.  Prints valid events stored per second, and the
   same without poison as the baseline.
3. **Safety alert behind a backlog**: the alerts area with a WeCom-like fake robot (15 a minute);
   1,000 device messages queued, then a fire-lane alert.  Prints how long (simulated time) the fire
   alert waited, and how long the backlog took.
4. **Fuzzing**: ``--fuzz`` random payloads on random topics through ingest (more than the tests'
   few thousand); prints how many there were and that every one got an outcome.

Numbers, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import paho.mqtt.client as paho  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from gatewarden.localbroker import Broker  # noqa: E402

SITE = "hostile"
POISON = [b"[" * 1100 + b"]" * 1100, b'{"seq": ' + b"7" * 5000 + b"}", b'{"id":"x","seq":1,"energy_wh":1e999}']


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_hub(workdir: Path, port: int, areas=()):
    from gwcommon.config import validate
    from hub.app import Hub
    from hub.config import HubConfig

    config = validate({"site": {"id": SITE, "name": "压测小区"}, "storage": {"dir": str(workdir)},
                       "mqtt": {"port": port}, "web": {"listen": "127.0.0.1:0"}}, HubConfig)
    hub = Hub(config, areas=list(areas)).start()
    hub.link.connected.wait(10)
    return hub


# --- 1. login flood ---------------------------------------------------------------------------------

def login_flood(broker: Broker, workdir: Path, n: int) -> list[str]:
    from hub.web.auth import add_user_job

    hub = make_hub(workdir / "login", broker.port, areas=("hub.web.app",))
    try:
        hub.writer.call(add_user_job("warden", "correct horse 1", "warden", hub.clock.now()))
        for i in range(n):
            hub.writer.call(add_user_job(f"user{i}", "correct horse 1", "viewer", hub.clock.now()))
        base = f"http://127.0.0.1:{hub.web_port}"
        web = hub.web.state.web
        lines = ["| flood | requests | argon2 checks | peak checks at once | RSS before → peak | login latency p50 / p95 / max |",
                 "|---|---|---|---|---|---|"]
        for label, names in (("one account", ["warden"] * n), (f"{n} accounts", [f"user{i}" for i in range(n)])):
            web.limiter._fails.clear()
            checks, before, peak = web.verify_pool.checks, rss_mib(), [rss_mib()]
            stop = threading.Event()

            def sample():
                while not stop.wait(0.02):
                    peak.append(rss_mib())
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            with ThreadPoolExecutor(max_workers=n) as pool:
                took = list(pool.map(lambda name: _wrong_login(base, name), names))
            stop.set()
            sampler.join()
            took.sort()
            lines.append(f"| {label} | {n} | {web.verify_pool.checks - checks} | {web.verify_pool.peak} | "
                         f"{before:.0f} → {max(peak):.0f} MiB | {statistics.median(took) * 1000:.0f} / "
                         f"{took[int(len(took) * 0.95) - 1] * 1000:.0f} / {took[-1] * 1000:.0f} ms |")
        return lines
    finally:
        hub.stop()


def _wrong_login(base: str, name: str) -> float:
    with httpx.Client(base_url=base, timeout=120) as client:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
        started = time.perf_counter()
        client.post("/login", data={"name": name, "password": "wrong password", "csrf": token})
        return time.perf_counter() - started


# --- 2. poison flood --------------------------------------------------------------------------------

def _client(port: int, name: str) -> paho.Client:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=name, protocol=paho.MQTTv5)
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port, keepalive=30)
    client.loop_start()
    return client


def _event(seq: int) -> bytes:
    return json.dumps({"id": f"gate-1:{seq}", "ts": "2026-03-02T07:00:00.000+00:00", "seq": seq, "v": 1,
                       "code": "relay_fault", "active": True, "detail": ""}).encode()


def valid_rate(hub, port: int, seconds: float, poison_rate: float) -> tuple[float, int]:
    """Valid events stored per second while ``poison_rate`` poison messages/s arrive."""
    stop = threading.Event()
    sent_poison = [0]

    def poison():
        client = _client(port, "bench-poison")
        started = time.monotonic()
        while not stop.is_set():
            due = int((time.monotonic() - started) * poison_rate)
            while sent_poison[0] < due:
                client.publish(f"gatewarden/{SITE}/gate-x/passage", POISON[sent_poison[0] % 3], qos=1)
                sent_poison[0] += 1
            time.sleep(0.005)
        client.loop_stop()
        client.disconnect()

    before = hub.ingest.stats.events
    thread = threading.Thread(target=poison, daemon=True)
    if poison_rate:
        thread.start()
    valid = _client(port, f"bench-valid-{poison_rate}")
    seq0 = before
    started = time.monotonic()
    seq = seq0
    while time.monotonic() - started < seconds:
        while seq - (hub.ingest.stats.events - before) - seq0 < 200 and time.monotonic() - started < seconds:
            seq += 1
            valid.publish(f"gatewarden/{SITE}/gate-1/fault", _event(seq), qos=1)
        time.sleep(0.002)
    stored = hub.ingest.stats.events - before
    stop.set()
    thread.join(5) if poison_rate else None
    valid.loop_stop()
    valid.disconnect()
    return stored / seconds, sent_poison[0]


def poison_flood(broker: Broker, workdir: Path, rate: float, seconds: float) -> list[str]:
    hub = make_hub(workdir / "poison", broker.port)
    try:
        base, _ = valid_rate(hub, broker.port, seconds, 0)
        flooded, poisoned = valid_rate(hub, broker.port, seconds, rate)
        time.sleep(1)
        return ["| run | poison sent | valid events stored/s | quarantined | unacked ingest errors |", "|---|---|---|---|---|",
                f"| no poison (baseline) | 0 | {base:.0f} | – | – |",
                f"| {rate:.0f} poison/s for {seconds:.0f} s | {poisoned} | {flooded:.0f} | {hub.quarantine.total} | "
                f"{hub.intake.errors} |"]
    finally:
        hub.stop()


# --- 3. safety alert behind a backlog ---------------------------------------------------------------

def safety_behind_backlog(workdir: Path, backlog: int) -> list[str]:
    from hub.alerts.api import queue_fire_lane
    from tests.hub.alerts.test_priority import queue_backlog
    from tests.support.fakechat import FakeChat, Rig

    chat = FakeChat("wecom")
    (workdir / "alerts").mkdir(parents=True, exist_ok=True)
    rig = Rig(workdir / "alerts", [chat])
    chat.clock = rig.clock
    try:
        queue_backlog(rig, backlog)
        rig.pump()
        rig.clock.advance(5)
        start = rig.clock.now()
        rig.call(lambda db: queue_fire_lane(db, violation_id="v-fire", zone="消防通道", now=start))
        fire_at = None
        for _ in range(6 * 3600):
            rig.pump()
            if fire_at is None and any("消防" in t for t in chat.texts):
                fire_at = rig.clock.now()
            if len(chat.received) >= backlog + 1:
                break
            rig.clock.advance(1)
        done = rig.clock.now()
        return ["| backlog | rate limit | fire alert out after | whole backlog out after |", "|---|---|---|---|",
                f"| {backlog} device messages | WeCom robot, 15/min | {(fire_at - start).total_seconds():.0f} s "
                f"(simulated) | {(done - start).total_seconds() / 60:.0f} min (simulated) |"]
    finally:
        rig.close()
        chat.close()


# --- 4. fuzzing -------------------------------------------------------------------------------------

def fuzz(workdir: Path, count: int) -> list[str]:
    from tests.hub.hostile.test_fuzz_topics import KINDS, SITE as FUZZ_SITE, Harness

    workdir.mkdir(parents=True, exist_ok=True)
    h = Harness(str(workdir))
    rng = random.Random(15)
    outcomes: dict[str, int] = {}
    started = time.perf_counter()
    for _ in range(count):
        kind = rng.choice(KINDS)
        payload = rng.choice([bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200))),
                              rng.choice(POISON), f'{{"seq": {rng.random()}e{rng.randint(0, 400)}}}'.encode(),
                              _event(rng.randint(1, 10))])
        what = h.send(f"gatewarden/{FUZZ_SITE}/gate-{rng.randint(1, 3)}/{kind}", payload).what
        outcomes[what] = outcomes.get(what, 0) + 1
        h.valid_event()
    took = time.perf_counter() - started
    listed = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
    return [f"{count} random payloads (each followed by a valid event) in {took:.1f} s: {listed}; "
            f"every valid event stored ({h.ingest.book.get('gate-9').track.top} of {h.seq})."]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=100)
    parser.add_argument("--poison-rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--backlog", type=int, default=1000)
    parser.add_argument("--fuzz", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = Broker(work / "mosquitto", extra="max_queued_messages 1000000").start()
        try:
            print(f"### Login flood: {args.logins} parallel wrong passwords\n")
            print("\n".join(login_flood(broker, work, args.logins)) + "\n")
            print(f"### Valid events while {args.poison_rate:.0f} poison messages/s arrive\n")
            print("\n".join(poison_flood(broker, work, args.poison_rate, args.seconds)) + "\n")
        finally:
            broker.kill()
        print(f"### A fire-lane alert behind {args.backlog} device messages\n")
        print("\n".join(safety_behind_backlog(work, args.backlog)) + "\n")
        print("### Fuzzing every topic\n")
        print("\n".join(fuzz(work / "fuzz", args.fuzz)))


if __name__ == "__main__":
    main()
