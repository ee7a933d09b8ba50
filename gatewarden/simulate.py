"""``gatewarden simulate``: the demo's compound, unwatched and fast, scored against the truth.

It runs the same processes as ``gatewarden demo`` (:mod:`gatewarden.sim.runner`: a private
Mosquitto, the hub, the simulated gate, lane scanners and shed driving the real edge code) through
N consecutive nights — each evening-to-morning night at ``--speed`` times real time, the daytime
between nights jumped over — then reads what the hub decided from its database and compares it
with what the script says happened (:mod:`gatewarden.sim.score`).  With ``--outages`` gate and
lane devices are frozen or killed for a while each night (:mod:`gatewarden.sim.outages`).

Exit status: 0 when the nights were scored and no resident was falsely accused (a confirmed
violation that is not in the truth); 1 when there was such a false accusation or a process died;
2 when it could not start.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from gatewarden.cliwords import say

DEFAULT_EVENING = date(2026, 11, 19)
DEFAULT_SPEED = 8000.0  # simulated seconds per real second (docs/simulator.md: how it was chosen)
WARMUP = 4.0  # real seconds before the simulated clock reaches the first evening
EDGE = timedelta(minutes=10)  # simulated time kept before and after each night
CONFIRM_WAIT = 5.0  # real seconds the hub gets to confirm provisional decisions at the end
DEVICE_KEEPALIVE = 2  # real seconds: the broker gives up on a frozen device after about 3 s
PAUSE_AT_LEAST = 4.0  # real seconds a frozen device stays frozen, so the hub sees it go offline
MARGIN = timedelta(minutes=1)  # a drive this close to a gate's downtime may have been cut short by it


KEEP_EVERYTHING = """
[retention]   # the hub's clean-up must not take away what the simulator scores
presence = "forever"
charging = "forever"
passages = "forever"
"""


def offline_after(speed: float) -> str:
    """``[hub] offline_after`` (hub clock) for ``speed``: 30 real seconds of silence, 12 h to 24 h.

    The devices' heartbeats come every real second, so at thousands of times real speed minutes
    of simulated silence are normal; 12 h also covers the jump over the daytime between nights,
    and 24 h is the most the shed's ``silent_after`` (set to the same) accepts.  A device that
    really goes away is noticed by the broker (its will), not by this.
    """
    return f"{min(24 * 3600, max(12 * 3600, round(30 * speed)))}s"


def _positive(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 60:
        raise argparse.ArgumentTypeError(say("simulate.range", low=1, high=60))
    return value


def _speed(text: str) -> float:
    value = float(text)
    if not 1 <= value <= 20000:
        raise argparse.ArgumentTypeError(say("simulate.range", low=1, high=20000))
    return value


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate", help="run simulated nights as fast as they go and score the hub's decisions",
        description="Run the simulated compound of `gatewarden demo` through consecutive nights, unwatched, "
                    "and score what the hub decided against the ground truth: violations found "
                    "(precision, recall, false accusations), late-data retractions, gate decisions, "
                    "charging counts.  Exit 1 when any resident was falsely accused.")
    parser.add_argument("--nights", type=_positive, default=1, metavar="N", help="consecutive nights (1-60, default 1)")
    parser.add_argument("--seed", type=int, default=1, help="which compound, nights and outages (default 1)")
    parser.add_argument("--json", action="store_true", help="print the scores as JSON instead of a table")
    parser.add_argument("--outages", action="store_true",
                        help="freeze or kill a gate or lane device for a while each night (from the seed)")
    parser.add_argument("--speed", type=_speed, default=DEFAULT_SPEED,
                        help=f"simulated seconds per real second during a night (default {DEFAULT_SPEED:.0f})")
    parser.add_argument("--evening", type=date.fromisoformat, default=DEFAULT_EVENING, metavar="YYYY-MM-DD",
                        help=f"the first evening (default {DEFAULT_EVENING})")
    parser.add_argument("--dir", type=Path, default=None,
                        help="keep the run's data and logs here (default: a temporary directory, removed after)")
    parser.set_defaults(func=run)


class Simulation:
    """One ``simulate`` run: the runner, the clock, the outages, and the wait for the hub."""

    def __init__(self, args: argparse.Namespace):
        from gatewarden.localbroker import free_port
        from gatewarden.sim import outages
        from gatewarden.sim.runner import Runner

        self.args = args
        self.runner = Runner(args.dir, seed=args.seed, evening=args.evening, nights=args.nights,
                             web_port=free_port(), prefix="gatewarden-simulate-")
        self.nights = self.runner.nights
        self.outages = outages.plan(self.nights, args.seed) if args.outages else []
        self.pending = {name: [o for o in self.outages if o.device == name] for name in outages.DEVICES}
        self.down: dict[str, float] = {}  # device → real time it was first seen down
        self.stopped = False
        self.downtimes: list = []

    def start(self) -> None:
        from gwcommon.clock import ScaledClock

        self.runner.prepare(offline_after=offline_after(self.args.speed), device_keepalive=DEVICE_KEEPALIVE)
        with self.runner.files["hub"].open("a", encoding="utf-8") as hub_config:
            hub_config.write(KEEP_EVERYTHING)
        skips = tuple((a.end + EDGE, b.start - EDGE) for a, b in zip(self.nights, self.nights[1:]))
        self.clock = ScaledClock(self.nights[0].start - EDGE, real_start=time.time() + WARMUP,
                                 speed=self.args.speed, skips=skips)
        self.runner.start(self.clock, wait_web=False, device_args=("--outages",) if self.outages else ())

    def play(self, progress) -> None:
        """Until every clock device has reported past the last night and the hub is idle."""
        from gatewarden.sim.hubread import HubReader
        from gatewarden.sim.runner import DEVICE_IDS, CLOCK_DEVICES, SimulationError

        reader = HubReader(self.runner.db_path)
        end = self.nights[-1].end
        budget = time.monotonic() + WARMUP + 120 + 6 * self._real_span()
        clock_ids = [DEVICE_IDS[n] for n in CLOCK_DEVICES]
        while True:
            self._outage_steps()
            dead = self.runner.dead()
            if dead and not (dead[0] in self.down and dead[1] == -signal.SIGKILL):
                raise SimulationError(f"{dead[0]} stopped unexpectedly (exit {dead[1]}); "
                                      f"see {self.runner.dir / dead[0]}.log")
            marks = reader.watermarks(clock_ids)
            progress(self.clock.now(), marks)
            # the shed too: a charging device that lags behind the night must still be judged on all of it
            if (not any(self.pending.values()) and self.clock.now() >= end
                    and reader.settled(clock_ids + [DEVICE_IDS["shed"]], end)):
                self._confirmations(reader, end)
                return
            if time.monotonic() > budget:
                raise SimulationError(f"the hub did not finish within its time budget; see {self.runner.dir}")
            time.sleep(0.1)

    @staticmethod
    def _confirmations(reader, end: datetime) -> None:
        """Give the hub's ticks a moment to confirm (or retract) what it decided provisionally."""
        until = time.monotonic() + CONFIRM_WAIT
        while reader.provisional(end) != 0 and time.monotonic() < until:
            time.sleep(0.2)
        time.sleep(0.5)

    def _real_span(self) -> float:
        night = sum(((n.end - n.start) + 2 * EDGE).total_seconds() for n in self.nights)
        return night / self.args.speed

    def _outage_steps(self) -> None:
        """Thaw or restart a device that went down by its own clock (see ``sim.device``) once due."""
        from gatewarden.sim.score import Downtime

        for name, queue in self.pending.items():
            if not queue:
                continue
            outage, state = queue[0], self.runner.state(name)
            if state == "running":
                continue
            if (state == "dead") != (outage.mode == "kill"):
                return  # a death that is not an outage: play() reports it
            first = self.down.setdefault(name, time.monotonic())
            if self.clock.now() < outage.end or time.monotonic() - first < PAUSE_AT_LEAST:
                continue
            if outage.mode == "pause":
                self.runner.resume(name)
            else:
                self.runner.restart(name, "--resume-at", outage.end.isoformat())
                self.downtimes.append(Downtime(name, outage.start - MARGIN, outage.end + MARGIN))
            del self.down[name]
            queue.pop(0)

    def score(self):
        from gatewarden.sim import score
        from gatewarden.sim.hubread import HubReader

        reader = HubReader(self.runner.db_path)
        verdicts, passages, reports = reader.verdicts(), reader.passages(), reader.charging()
        reader.close()
        active = charging_truth(self.nights)
        nights = [score.score_night(n, verdicts, passages, reports, self.downtimes, active) for n in self.nights]
        return nights, score.total(nights)

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.runner.stop()


def charging_truth(nights):
    """(circuit, moment) → chargers drawing power, from the same simulated chargers the shed plays."""
    from edge.charging.simulator import ACTIVE_W
    from gatewarden.sim.night import Plug, merge
    from gatewarden.sim.shedactor import chargers_of

    script = merge(nights)
    chargers = chargers_of(script.of(Plug), script.start)

    def active(circuit: str, moment: datetime) -> int | None:
        if circuit not in chargers:
            return None
        t = (moment - script.start).total_seconds()
        return sum(c.power(t) >= ACTIVE_W for c in chargers[circuit])

    return active


def run(args: argparse.Namespace) -> int:
    from gatewarden.sim.runner import SimulationError
    from gatewarden.sim.table import render

    if not shutil.which("mosquitto") and not Path("/usr/sbin/mosquitto").exists():
        print(say("simulate.no_mosquitto"), file=sys.stderr)
        return 2
    sim = Simulation(args)
    started = time.monotonic()
    try:
        sim.start()
        sim.play(_progress(args))
        sim.stop()
        nights, overall = sim.score()
    except SimulationError as exc:
        print(f"\ngatewarden simulate: {exc}", file=sys.stderr)
        return 1
    finally:
        sim.stop()
        if args.dir is None:
            shutil.rmtree(sim.runner.dir, ignore_errors=True)
    seconds = time.monotonic() - started
    if args.json:
        print(json.dumps({"seed": args.seed, "nights": [n.to_json() for n in nights], "total": overall.to_json(),
                          "outages": [_outage_json(o) for o in sim.outages], "speed": args.speed,
                          "seconds": round(seconds, 1)}, ensure_ascii=False, indent=2))
    else:
        print(render(nights, overall, outages=sim.outages, seconds=seconds))
    return 1 if overall.false_accusations else 0


def _outage_json(outage) -> dict:
    return {"device": outage.device, "mode": outage.mode, "start": outage.start.isoformat(),
            "end": outage.end.isoformat()}


def _progress(args: argparse.Namespace):
    from gatewarden.sim.night import TZ

    interactive = sys.stderr.isatty() and not args.json

    def show(now: datetime, marks: dict) -> None:
        if interactive:
            slowest = min((m for m in marks.values() if m), default=None)
            behind = f"  hub decided up to {slowest.astimezone(TZ):%m-%d %H:%M}" if slowest else ""
            print(f"\r  simulated {now.astimezone(TZ):%m-%d %H:%M}{behind}   ", end="", file=sys.stderr, flush=True)

    return show
