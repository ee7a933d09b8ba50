"""Gate latency: a tag heard → the open relay's pin changes (gpiozero mock pins, real threads).

Three rows:

* ``sighting``: a decoded Sighting handed to the gate device (its queue and thread) → pin change;
* ``advertisement``: an iBeacon advertisement through bleak's own backend seam (fake BlueZ
  backend → BleakScanner callback → our scanner's decode thread → gate device) → pin change;
* ``advertisement + N/s load``: the same while a busy street's phones send N other
  advertisements per second through the same scanner.

Each trial is a new vehicle on the arming loop with a new allowed tag; the barrier is held
"open" (open limit active) so every decision is an open pulse.  Goal: p99 ≤ 5 ms (no load).

    .venv/bin/python bench/gate_latency.py [--trials 400] [--load 2000]

Prints a markdown table (and CPU seconds and peak RSS of the process).
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gpiozero import Device  # noqa: E402
from gpiozero.pins.mock import MockFactory, MockPin  # noqa: E402

from edge.allowlist import Allowlist  # noqa: E402
from edge.ble.config import ScannerConfig  # noqa: E402
from edge.ble.decode import ibeacon_payload  # noqa: E402
from edge.ble.fake import FakeRadio  # noqa: E402
from edge.ble.model import Sighting  # noqa: E402
from edge.events import ListSink  # noqa: E402
from edge.gate.config import GateConfig  # noqa: E402
from edge.gate.daemon import make_scanner  # noqa: E402
from edge.gate.device import GateDevice  # noqa: E402
from gwcommon import wire  # noqa: E402
from gwcommon.clock import SystemClock  # noqa: E402
from gwcommon.config import validate  # noqa: E402

UUID = "f7826da6-4fa2-4e98-8024-bc5b71e0893e"
OPEN_RELAY, EYE, LOOP, OPEN_LIMIT = 5, 6, 13, 19


class TimedPin(MockPin):
    """A mock pin that notes when an output changes (perf_counter) and wakes a waiter."""

    changed = threading.Event()
    last_on = 0.0

    def _change_state(self, value):
        done = super()._change_state(value)
        if done and self._function == "output" and value:
            TimedPin.last_on = time.perf_counter()
            TimedPin.changed.set()
        return done


def build(tmp: Path, trials: int):
    factory = MockFactory(pin_class=TimedPin)
    Device.pin_factory = factory
    config = validate({"lanes": [{"name": "bench", "direction": "in", "open_relay": OPEN_RELAY, "photo_eye": EYE,
                                  "arming_loop": LOOP, "open_limit": OPEN_LIMIT, "pulse": "50ms"}]}, GateConfig)
    clock = SystemClock()
    allowlist = Allowlist(tmp / "allowlist.json", clock=clock)
    allowlist.update(wire.Allowlist(version=1, entries=[
        wire.AllowEntry(tag=f"ibeacon:{UUID}:1:{n}", vehicle=f"浙A{n:05d}") for n in range(3 * trials + 10)]))
    device = GateDevice(config, sink=ListSink(), allowlist=allowlist, clock=clock, pin_factory=factory,
                        cameras={}, tick=0.005)
    factory.pin(EYE).drive_low()
    factory.pin(OPEN_LIMIT).drive_low()  # arm held open: every decision pulses
    factory.pin(LOOP).drive_high()
    device.start()
    return factory, device, clock


def trial(factory, send) -> float:
    """One vehicle: wait for the relay to be off, new loop occupancy, send the tag; ms to pin on."""
    while factory.pin(OPEN_RELAY).state:
        time.sleep(0.002)
    factory.pin(LOOP).drive_high()
    time.sleep(0.003)
    factory.pin(LOOP).drive_low()
    time.sleep(0.01)
    TimedPin.changed.clear()
    started = time.perf_counter()
    send()
    if not TimedPin.changed.wait(2.0):
        return float("nan")
    return (TimedPin.last_on - started) * 1000


def flood(radio: FakeRadio, rate: int, stop: threading.Event) -> None:
    """Phones and other beacons: ``rate`` advertisements per second that are not our tags."""
    rng = random.Random(7)
    batch = max(1, rate // 100)
    while not stop.is_set():
        for _ in range(batch):
            address = "4a:%02x:%02x:%02x:%02x:%02x" % tuple(rng.randrange(256) for _ in range(5))
            radio.advertise(address, rng.randrange(-95, -60), manufacturer_data={0x0006: b"\x01\x09\x20"})
        stop.wait(0.01)


def run_rows(trials: int, load: int) -> list[tuple[str, list[float]]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        factory, device, clock = build(Path(tmp), trials)
        counter = iter(range(10**6))
        rows.append(("sighting → relay pin", [trial(factory, lambda: device.sighted(
            Sighting(f"ibeacon:{UUID}:1:{next(counter)}", -50, clock.monotonic(), False))) for _ in range(trials)]))
        radio = FakeRadio()
        scanner = make_scanner(SimpleNamespace(scanner=ScannerConfig(), device=SimpleNamespace(id="bench")),
                               ListSink(), clock, device, backend=radio.backend)
        scanner.start()
        while not radio.scanning:
            time.sleep(0.01)

        def advert():
            radio.ibeacon("c4:7c:8d:6a:1b:2e", -50, ibeacon_payload(UUID, 1, next(counter)))

        rows.append(("advertisement → relay pin", [trial(factory, advert) for _ in range(trials)]))
        if load:
            stop = threading.Event()
            threading.Thread(target=flood, args=(radio, load, stop), daemon=True).start()
            time.sleep(0.5)
            heard, began = scanner.stats().get("advertisements", 0), time.monotonic()
            values = [trial(factory, advert) for _ in range(trials)]
            rate = (scanner.stats().get("advertisements", 0) - heard) / (time.monotonic() - began)
            rows.append((f"advertisement → relay pin, {rate:.0f}/s other adverts decoded", values))
            stop.set()
        scanner.stop()
        device.stop()
    return rows


def pct(values: list[float], q: float) -> float:
    ordered = sorted(v for v in values if v == v)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=400, help="vehicles per row (default 400)")
    parser.add_argument("--load", type=int, default=2000, help="other advertisements per second in the last row (0: skip)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
    cpu0 = time.process_time()
    rows = run_rows(args.trials, args.load)
    cpu = time.process_time() - cpu0
    print("| path | trials | missed | p50 ms | p90 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    for name, values in rows:
        missed = sum(1 for v in values if v != v)
        print(f"| {name} | {len(values)} | {missed} | {statistics.median(v for v in values if v == v):.2f} | "
              f"{pct(values, 90):.2f} | {pct(values, 99):.2f} | {max(v for v in values if v == v):.2f} |")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nCPU {cpu:.1f} s for the whole run; peak RSS {rss:.0f} MiB; goal p99 ≤ 5 ms (no load).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
