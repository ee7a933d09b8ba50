"""``gatewarden simulate``: the demo's compound, unwatched and fast, scored against the truth.

It runs the same processes as ``gatewarden demo`` (:mod:`gatewarden.sim.runner`: a private
Mosquitto, the hub, the simulated gate, lane scanners and shed driving the real edge code) through
N consecutive nights — each evening-to-morning night at ``--speed`` times real time, the daytime
between nights jumped over — then reads what the hub decided from its database and compares it
with what the script says happened (:mod:`gatewarden.sim.score`).  With ``--outages`` gate and
lane devices are frozen or killed for a while each night (:mod:`gatewarden.sim.outages`).  With
``--chaos`` the run is a soak (:mod:`gatewarden.sim.chaos`): the hub and the broker are SIGKILLed
and started again, edge devices lose power, an edge clock is stepped by hours, the hub's disk
fills up and the hub is down for two days; the score adds what reached the hub of what the edges
recorded (lost, doubled) and how late each morning was decided.

Exit status: 0 when the nights were scored and no resident was falsely accused (a confirmed
violation that is not in the truth) — and, with ``--chaos``, no recorded event was lost or stored
twice; 1 when there was such a false accusation, loss or double, or a process died; 2 when it
could not start.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable

from gatewarden.cliwords import say
from gwcommon.lang import choose

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
    parser.add_argument("--chaos", action="store_true",
                        help="a soak: kill the hub, the broker and edge devices at random moments, step an edge "
                             "clock by hours, fill the hub's disk, keep the hub down two days (from the seed); "
                             "also scores events lost and doubled and the latest morning decision")
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
        self.chaos = Chaos(self) if args.chaos else None

    def start(self) -> None:
        from gwcommon.clock import ScaledClock

        self.runner.prepare(offline_after=offline_after(self.args.speed), device_keepalive=DEVICE_KEEPALIVE)
        with self.runner.files["hub"].open("a", encoding="utf-8") as hub_config:
            hub_config.write(KEEP_EVERYTHING)
        skips = tuple((a.end + EDGE, b.start - EDGE) for a, b in zip(self.nights, self.nights[1:]))
        self.clock = ScaledClock(self.nights[0].start - EDGE, real_start=time.time() + WARMUP,
                                 speed=self.args.speed, skips=skips)
        hub_argv = self.chaos.hub_argv() if self.chaos else None
        device_args = ("--outages",) * bool(self.outages) + ("--chaos",) * bool(self.chaos)
        self.runner.start(self.clock, wait_web=False, device_args=device_args, hub_argv=hub_argv)

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
            if self.chaos:
                self.chaos.step()
                self.chaos.watch(reader)
            dead = self.runner.dead(killed=self.chaos.killed if self.chaos else set())
            if dead and not (dead[0] in self.down and dead[1] == -signal.SIGKILL):
                raise SimulationError.said("gw.demo.died", name=dead[0], code=dead[1],
                                           log=f"{self.runner.dir / dead[0]}.log")
            marks = reader.watermarks(clock_ids)
            progress(self.clock.now(), marks)
            # the shed too: a charging device that lags behind the night must still be judged on all of it
            if (not any(self.pending.values()) and self.clock.now() >= end and not (self.chaos and self.chaos.busy)
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

    def chaos_score(self) -> dict:
        """Events lost and doubled, mornings and their worst delay, faults injected (``--chaos``)."""
        from gatewarden.sim import chaos

        got = chaos.delivery(self.runner.db_path, self.chaos.outboxes(), self.chaos.drained_to)
        mornings, worst = chaos.decision_delays(self.chaos.decided, self.nights)
        return {"recorded": got.recorded, "stored": got.stored, "waiting": got.waiting, "lost": got.lost,
                "doubled": got.doubled,
                "mornings_decided": mornings, "worst_decision_delay_s": worst and worst.total_seconds(),
                "faults": dict(self.chaos.injected)}

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.runner.stop()


@dataclass
class _Undo:
    """What ends a fault: ``action()`` once the real clock passes ``real`` or the simulated one ``sim``."""

    action: Callable[[], None]
    real: float | None = None
    sim: datetime | None = None
    target: str = ""


class Chaos:
    """``simulate --chaos``: injects the faults of :func:`gatewarden.sim.chaos.plan` as they fall due."""

    def __init__(self, sim: Simulation):
        from gatewarden.sim import chaos

        self.sim = sim
        self.faults = chaos.plan(sim.nights, sim.args.seed)
        self.flag = sim.runner.dir / "disk-full"
        self.killed: set[str] = set()
        self.down_since: dict[str, datetime] = {}  # name → the simulated moment it went off
        self.cut_at: dict[str, datetime] = {}  # name → the simulated clock when it was killed
        self._boxes: dict[str, Path] | None = None
        self.decided: dict[datetime, datetime] = {}  # deadline → first decided at (hub clock)
        self.drained_to: dict[str, int] = {}  # device → its last seq when the nights were over
        self.undo: list[_Undo] = []
        self.injected: Counter = Counter()

    def watch(self, reader) -> None:
        """Note when each morning is first decided (the hub notes only its latest decision)."""
        for deadline, at in reader.decisions().items():
            self.decided.setdefault(deadline, at)

    def hub_argv(self) -> list[str]:
        return ["-m", "gatewarden.sim.hubproc", "--config", str(self.sim.runner.files["hub"]),
                "--disk-full-flag", str(self.flag)]

    def outboxes(self) -> dict[str, Path]:
        """Device id → its outbox file."""
        from edge.config import load_edge_config
        from edge.daemon import outbox_path
        from gatewarden.sim.runner import DEVICE_IDS

        return {DEVICE_IDS[name]: outbox_path(load_edge_config(self.sim.runner.files[name])) for name in DEVICE_IDS}

    @property
    def busy(self) -> bool:
        """Faults still to come or to end, or events still waiting in an edge's outbox."""
        from gatewarden.sim import chaos

        if self.faults or self.undo:
            return True
        if self._boxes is None:
            self._boxes = self.outboxes()
            self.drained_to = {device: chaos.outbox_meta(path).get("last_seq", 0) for device, path in self._boxes.items()}
        return not chaos.drained(self._boxes, self.drained_to)

    def step(self) -> None:
        now, real = self.sim.clock.now(), time.monotonic()
        for item in list(self.undo):
            if (item.real is not None and real >= item.real) or (item.sim is not None and now >= item.sim):
                self.undo.remove(item)
                item.action()
        while self.faults and self.faults[0].start <= now:
            self._inject(self.faults.pop(0), real)

    def _inject(self, fault, real: float) -> None:
        runner, kind, target = self.sim.runner, fault.kind, fault.target
        if kind == "clock_step":  # the device steps its own clock (gatewarden.sim.device --chaos)
            from gatewarden.sim.score import Downtime

            # the gate's passages carry the stepped time meanwhile: its drives are not matched to them
            self.sim.downtimes.append(Downtime(target, fault.start - MARGIN, fault.end + MARGIN))
            self.injected[kind] += 1
        elif kind == "disk_full":
            self.flag.touch()
            self.undo.append(_Undo(lambda: self.flag.unlink(missing_ok=True), sim=fault.end))
            self.injected[kind] += 1
        elif kind == "broker_kill" and runner.broker.running:
            runner.broker.kill()
            self.undo.append(_Undo(runner.broker.start, real=real + fault.pause))
            self.injected[kind] += 1
        elif kind == "hub_outage":
            self.undo = [u for u in self.undo if u.target != "hub"]  # a hub killed just now stays down
            self._kill("hub")
            self.undo.append(_Undo(lambda: self._restart("hub"), sim=fault.end, target="hub"))
            self.injected[kind] += 1
        elif kind in ("hub_kill", "edge_kill") and target not in self.killed:
            self._kill(target)
            self.undo.append(_Undo(lambda: self._restart(target), real=real + fault.pause, target=target))
            self.injected[kind] += 1

    def _kill(self, name: str) -> None:
        if name not in self.killed:
            self.sim.runner.kill(name)
            self.killed.add(name)
            now = self.sim.clock.now()
            self.down_since[name] = min(now, self._played(name) or now)
            self.cut_at[name] = now

    def _played(self, name: str) -> datetime | None:
        """How far an edge device had played its script when it was killed (it may lag behind)."""
        from edge.config import load_edge_config
        from gatewarden.sim.device import progress_file

        if name not in self.sim.runner.files or name == "hub":
            return None
        try:
            return datetime.fromisoformat(progress_file(load_edge_config(self.sim.runner.files[name])).read_text())
        except (OSError, ValueError):
            return None

    def _restart(self, name: str) -> None:
        from gatewarden.sim.score import Downtime

        now = self.sim.clock.now()
        if name == "hub":
            self.sim.runner.restart(name)
        else:  # off as long as it was dead (what came meanwhile went unseen); its outbox kept what it recorded
            back = self.down_since[name] + (now - self.cut_at[name])
            self.sim.runner.restart(name, "--resume-at", back.isoformat())
            self.sim.downtimes.append(Downtime(name, self.down_since[name] - MARGIN, back + MARGIN))
        self.killed.discard(name)


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
        soak = sim.chaos_score() if sim.chaos else None
    except SimulationError as exc:
        print(f"\ngatewarden simulate: {exc.text(choose(environ=os.environ))}", file=sys.stderr)
        return 1
    finally:
        sim.stop()
        if args.dir is None:
            shutil.rmtree(sim.runner.dir, ignore_errors=True)
    seconds = time.monotonic() - started
    if args.json:
        print(json.dumps({"seed": args.seed, "nights": [n.to_json() for n in nights], "total": overall.to_json(),
                          "outages": [_outage_json(o) for o in sim.outages], "speed": args.speed,
                          "chaos": soak, "seconds": round(seconds, 1)}, ensure_ascii=False, indent=2))
    else:
        print(render(nights, overall, outages=sim.outages, seconds=seconds))
        if soak is not None:
            print(_chaos_text(soak))
    return 1 if overall.false_accusations or (soak and (soak["lost"] or soak["doubled"])) else 0


def _chaos_text(soak: dict) -> str:
    faults = ", ".join(f"{kind} {n}" for kind, n in sorted(soak["faults"].items()))
    worst = soak["worst_decision_delay_s"]
    return "\n".join([
        say("simulate.chaos_faults", faults=faults or say("simulate.chaos_none")),
        say("simulate.chaos_events", recorded=soak["recorded"], stored=soak["stored"], waiting=soak["waiting"],
            lost=soak["lost"], doubled=soak["doubled"]),
        say("simulate.chaos_mornings", mornings=soak["mornings_decided"],
            worst="-" if worst is None else timedelta(seconds=round(worst)))])


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
