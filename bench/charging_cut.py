"""Overload → relay off on the charging device, with the relay a Shelly Gen1 HTTP fake (prints markdown).

    .venv/bin/python bench/charging_cut.py                  # 8 circuits × 8 rounds, each case before and now
    .venv/bin/python bench/charging_cut.py --rounds 3

The device runs as ``gatewarden edge`` runs it (edge/charging/device.py: poll every meter, count,
the pure cut-off rules, a worker thread per relay), in real time, at the default config (1 s
polling), with no broker at all (the cut never waits for the hub).  Each circuit's meter is a
stand-in whose current the benchmark steps above the alarm level (a 16 A breaker, alarm at 80 % =
12.8 A) at a random moment; each relay is its own loopback HTTP server speaking the Shelly Gen1
API.  Two cases: a sudden fault (4 A → 14.5 A, from far below the alarm) and the usual evening
overload (11.5 A → 13.5 A: one charger too many on a circuit already near its alarm level).
Measured per overload: from its start to the relay's ``turn=off``, and from the first reading that
showed it.  Then a warden's restore switches every relay on again for the next round.

Each case runs twice in the same run: *before* (the cut read the median of the last 3 readings,
so it waited for a second reading above the limit, polling at 1 s throughout) and *now* (the cut
reads each reading's own current, and the meters are read every ``watch_interval`` = 250 ms while
a circuit draws ≥ ``watch_from_pct`` = 60 % of its alarm level).  Goal: p99 ≤ 1 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import TypeAdapter  # noqa: E402

from edge.charging.config import ChargingConfig  # noqa: E402
from edge.charging.cutconfig import SwitchConfig  # noqa: E402
from edge.charging import cutoff  # noqa: E402
from edge.charging.cutter import Cutter, policy_for  # noqa: E402
from edge.charging.device import ChargingDevice  # noqa: E402
from edge.charging.model import Reading  # noqa: E402
from edge.charging.switches import Shelly1Http  # noqa: E402
from edge.events import ListSink  # noqa: E402
from gwcommon.clock import SystemClock  # noqa: E402
from tests.support.fakeswitch import FakeShellyHttp  # noqa: E402

ALARM_A = 12.8
CASES = {"fault": (4.0, 14.5), "evening": (11.5, 13.5)}  # (normal A, overload A)


class BeforeDevice(ChargingDevice):
    """The cut as it was: the median current of the counted readings, at the poll interval only."""

    def _watch(self, poll) -> None:
        latest = self.tracks[poll.circuit].latest
        if isinstance(poll, Reading) and latest is not None:
            self.cutter.observe(poll.circuit, cutoff.View(latest.power_w, latest.current_a, latest.loads), poll.ts)


class BeforeCutter(Cutter):
    def near(self, fraction: float) -> bool:
        return False


class Knob:
    """A meter per circuit whose current the benchmark sets; notes when a reading first showed it."""

    name = "bench"

    def __init__(self, circuits: list[str], clock: SystemClock, relays: dict, normal_a: float):
        self.amps = {c: normal_a for c in circuits}
        self.relays = relays  # a circuit whose relay is off reads 0 A
        self.seen: dict[str, float] = {}
        self.clock = clock
        self.lock = threading.Lock()

    @property
    def circuits(self) -> tuple[str, ...]:
        return tuple(self.amps)

    def poll(self) -> list[Reading]:
        now, mono = self.clock.now(), time.monotonic()
        with self.lock:
            for c, amps in self.amps.items():
                if amps >= ALARM_A:
                    self.seen.setdefault(c, mono)
            amps = {c: 0.0 if self.relays[c].state.get("relay:0") is False else a for c, a in self.amps.items()}
            return [Reading(c, now, 230.0, a, a * 230.0, None) for c, a in amps.items()]

    def close(self) -> None:
        pass


def measure(case: str, before: bool, circuits: int, rounds: int,
            rng: random.Random) -> tuple[list[float], list[float], int]:
    clock = SystemClock()
    normal_a, over_a = CASES[case]
    names = [f"c{i}" for i in range(circuits)]
    fakes = {c: FakeShellyHttp().start() for c in names}
    configs = {c: TypeAdapter(SwitchConfig).validate_python(
        {"kind": "shelly1_http", "circuit": c, "host": "127.0.0.1", "port": fakes[c].port,
         "switchable": True, "breaker_a": 16}) for c in names}
    charging = ChargingConfig()  # the default config: 1 s polling, watch at 250 ms from 60 % of the alarm
    poll_s = charging.poll_interval.total_seconds()
    cutter = (BeforeCutter if before else Cutter)(
        {c: policy_for(configs[c], charging, None) for c in names},
        {c: Shelly1Http(configs[c]) for c in names}, sink=ListSink(), clock=clock)
    knob = Knob(names, clock, fakes, normal_a)
    device = (BeforeDevice if before else ChargingDevice)(charging, [knob], sink=ListSink(), clock=clock, cutter=cutter)
    stop = threading.Event()
    runner = threading.Thread(target=device.run, args=(stop,), daemon=True)
    runner.start()
    from_start, from_reading, missed = [], [], 0
    try:
        time.sleep(5 * poll_s)  # the median filter fills with normal readings
        for _ in range(rounds):
            starts = _overload(knob, names, rng, poll_s, over_a)
            for c in names:
                if not fakes[c].wait_for("relay:0", False, timeout=10):
                    missed += 1
                    continue
                off = next(t for t, key, on in fakes[c].changes if key == "relay:0" and not on and t >= starts[c])
                from_start.append(off - starts[c])
                from_reading.append(off - knob.seen[c])
            _reset(knob, names, cutter, fakes, poll_s, normal_a)
    finally:
        stop.set()
        runner.join(5)
        device.close()
        for fake in fakes.values():
            fake.stop()
    return from_start, from_reading, missed


def _overload(knob: Knob, names: list[str], rng: random.Random, poll_s: float, over_a: float) -> dict[str, float]:
    """Step each circuit to the overload at a random moment within two poll intervals."""
    order = sorted(names, key=lambda _c: rng.random())
    starts = {}
    for c in order:
        time.sleep(rng.uniform(0, 2 * poll_s / len(names)))
        with knob.lock:
            knob.amps[c] = over_a
            starts[c] = time.monotonic()
    return starts


def _reset(knob: Knob, names: list[str], cutter: Cutter, fakes: dict, poll_s: float, normal_a: float) -> None:
    with knob.lock:
        for c in names:
            knob.amps[c] = normal_a
        knob.seen.clear()
    time.sleep(4 * poll_s)  # the median filter forgets the overload
    for c in names:
        cutter.restore(c, by="bench", note="next round")
    for c in names:
        fakes[c].wait_for("relay:0", True, timeout=10)
    time.sleep(2 * poll_s)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--circuits", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    print(f"## Overload → relay off on the edge: {args.circuits} circuits × {args.rounds} overloads per row, "
          "Shelly Gen1 HTTP fake, no broker, default config (1 s polling)\n")
    print("Goal: p99 ≤ 1 s.\n")
    print("| overload | version | overloads | cut | from the overload's start: median | p99 | worst "
          "| from the first reading showing it: median | p99 | worst |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    labels = {"fault": "sudden fault, 4 → 14.5 A", "evening": "one charger too many, 11.5 → 13.5 A"}
    for case in CASES:
        for before in (True, False):
            start, reading, missed = measure(case, before, args.circuits, args.rounds, rng)
            n = len(start) + missed
            print(f"| {labels[case]} | {'before: median of 3' if before else 'now: first reading, watch'} | {n} "
                  f"| {len(start)} | {statistics.median(start):.2f} s | {pct(start, 0.99):.2f} s "
                  f"| {max(start):.2f} s | {statistics.median(reading):.2f} s | {pct(reading, 0.99):.2f} s "
                  f"| {max(reading):.2f} s |")
    print("\nBefore, the cut waited for the median filter's second reading above the limit: one to two "
          "poll intervals. Now it comes at the first reading above the alarm level, and while a circuit "
          "draws ≥ 60 % of its alarm level the meters are read every 250 ms, so the usual overload (a "
          "circuit already near its limit) is seen within a quarter of a second. A sudden fault from "
          "far below the limit is seen at the next 1 s reading: its time to cut is spread evenly over that "
          "second, so its p99 sits just under 1 s. The relay itself answers within milliseconds; what is "
          "left is this shared machine's thread scheduling.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
