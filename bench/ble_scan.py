"""Benchmark: one scanner process under a busy street's advertisements.

A fake bleak backend (``edge.ble.fake.FakeRadio``, a real ``BaseBleakScanner`` subclass driven
through ``bleak.BleakScanner``) is fed ``--rate`` advertisements per second for ``--seconds``:
mostly phones and other non-tags (``--noise`` share), the rest iBeacons, Eddystone-UIDs and
Eddystone-EIDs of ``--eid-tags`` registered keys.  The subscriber runs the lane presence decision
(``PresenceTracker.observe``) and records, per sighting, the latency from bleak's detection
callback to the end of that decision.  Prints a markdown table.

    .venv/bin/python bench/ble_scan.py [--rate 2000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import resource
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge.ble.config import ScannerConfig  # noqa: E402
from edge.ble.decode import eddystone_eid_payload, eddystone_uid_payload, ibeacon_payload  # noqa: E402
from edge.ble.eid import EidKey, EidResolver, compute_eid  # noqa: E402
from edge.ble.fake import FakeAdapterControl, FakeRadio  # noqa: E402
from edge.ble.pipeline import Pipeline  # noqa: E402
from edge.ble.presence import PresenceParams, PresenceTracker  # noqa: E402
from edge.ble.scanner import Scanner  # noqa: E402
from edge.events import ListSink  # noqa: E402
from gwcommon.clock import SystemClock  # noqa: E402


def thread_cpu(native_id: int) -> float:
    """CPU seconds (user + system) of one thread of this process, from /proc."""
    fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_traffic(n_eid: int, now_unix: float) -> tuple[list, tuple[EidKey, ...]]:
    """A pool of advertisement makers: (address, kwargs) pairs for FakeRadio.advertise."""
    rng = random.Random(1)
    base = datetime.fromtimestamp(now_unix - 100_000, timezone.utc)
    keys = tuple(EidKey(f"car-{i:04d}", rng.randbytes(16), 10, 0, base) for i in range(n_eid))
    tags = []
    for i in range(200):
        tags.append({"manufacturer_data": {0x004C: ibeacon_payload("f7826da6-4fa2-4e98-8024-bc5b71e0893e", 1, i)}})
        tags.append({"service_data": {"0000feaa-0000-1000-8000-00805f9b34fb":
                                      eddystone_uid_payload(bytes(10), i.to_bytes(6, "big"))}})
    for key in keys:
        eid = compute_eid(key.identity_key, key.exponent, key.counter_at(now_unix))
        tags.append({"service_data": {"0000feaa-0000-1000-8000-00805f9b34fb": eddystone_eid_payload(eid)}})
    noise = [{"manufacturer_data": {0x0006: rng.randbytes(27)}} for _ in range(500)]
    noise += [{"manufacturer_data": {0x004C: b"\x10\x05" + rng.randbytes(5)}} for _ in range(500)]
    return [tags, noise], keys


def feed(radio: FakeRadio, pools: list, rate: int, seconds: float, noise_share: float) -> int:
    rng = random.Random(2)
    tags, noise = pools
    sent, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        due = int(elapsed * rate)
        while sent < due:
            pool = noise if rng.random() < noise_share else tags
            kwargs = pool[rng.randrange(len(pool))]
            address = f"4f:00:00:{sent % 256:02x}:{(sent >> 8) % 256:02x}:01"
            radio.advertise(address, rng.randint(-95, -45), **kwargs)
            sent += 1
        time.sleep(0.001)
    return sent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=int, default=2000, help="advertisements per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration")
    parser.add_argument("--noise", type=float, default=0.8, help="share of non-tag advertisements")
    parser.add_argument("--eid-tags", type=int, default=500, help="registered EID keys")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    clock = SystemClock()
    pools, keys = make_traffic(args.eid_tags, clock.now().timestamp())
    radio = FakeRadio()
    pipeline = Pipeline("bench", resolver=EidResolver(keys=keys))
    scanner = Scanner(ScannerConfig(), sink=ListSink(), clock=clock, pipeline=pipeline, backend=radio.backend,
                      adapter_control=FakeAdapterControl(radio), on_fatal=lambda reason: None)
    tracker = PresenceTracker(PresenceParams())
    latencies: list[float] = []

    def decide(sighting):
        tracker.observe(sighting)
        latencies.append(time.monotonic() - sighting.at)

    scanner.subscribe(decide)
    scanner.start()
    while not radio.scanning:
        time.sleep(0.01)
    threads = {t.name: t.native_id for t in scanner._threads}
    cpu0 = {name: thread_cpu(tid) for name, tid in threads.items()}
    proc0, wall0 = time.process_time(), time.perf_counter()
    sent = feed(radio, pools, args.rate, args.seconds, args.noise)
    time.sleep(0.5)
    wall = time.perf_counter() - wall0
    cpu = {name: thread_cpu(tid) - cpu0[name] for name, tid in threads.items()}
    proc = time.process_time() - proc0
    stats = scanner.stats()
    scanner.stop()

    lat = sorted(latencies)
    pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")  # noqa: E731
    rows = [
        ("advertisements sent / decoded", f"{sent} / {stats['advertisements']} ({sent / args.seconds:.0f}/s)"),
        ("sightings (tags) / dropped at the queue", f"{stats['sightings']} / {stats['queue_dropped']}"),
        ("callback → presence decision p50 / p99 / max", f"{pct(0.5):.2f} / {pct(0.99):.2f} / {pct(1.0):.2f} ms"),
        ("mean latency", f"{statistics.fmean(lat) * 1000:.2f} ms" if lat else "n/a"),
        ("CPU, radio thread (bleak callback + enqueue)", f"{100 * cpu['ble-radio'] / wall:.1f} % of one core"),
        ("CPU, decode thread (decoders, EID, decision)", f"{100 * cpu['ble-decode'] / wall:.1f} % of one core"),
        ("CPU, whole process (incl. the fake radio feeding it)", f"{100 * proc / wall:.1f} % of one core"),
        ("RSS", f"{rss_mb():.1f} MB (peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB)"),
    ]
    print(f"### BLE scanner under load ({args.rate}/s for {args.seconds:.0f} s, {args.noise:.0%} non-tags, "
          f"{args.eid_tags} EID keys, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})\n")
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
