"""One simulated edge device: the real edge code, driven by the night's script through its seams.

``python -m gatewarden.sim.device gate|lane|shed --config FILE --seed S --evening YYYY-MM-DD [--nights N]``

Each process runs the real outbox and publisher (events reach the hub exactly as from a Pi) and
the real device logic — the gate's lane decisions and barrier state machine on gpiozero mock pins
with a simulated barrier controller, the lane scanner's presence hysteresis, the shed's charger
counting — while an *actor* plays the script: cars on loops and tags in the air, chargers plugged
in.  The device's clock is a stepped clock kept in line with the demo's scaled clock
(``GATEWARDEN_CLOCK``), so a barrier cycle takes its real seconds of simulated time however fast
the night runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time as _time
from datetime import date, datetime, timedelta

from pathlib import Path

from edge.config import load_edge_config
from edge.daemon import EdgeDaemon, outbox_path
from gwcommon.clock import Clock, FakeClock, clock_from_env
from gwcommon.logsetup import setup_logging

from .compound import build
from .night import Night, merge, plan_nights

logger = logging.getLogger(__name__)


class Actor:
    """Plays one device's part of the night on a stepped clock."""

    def __init__(self, config, daemon: EdgeDaemon, clock: FakeClock, night: Night, stamps: Clock | None = None):
        self.config, self.daemon, self.clock, self.night = config, daemon, clock, night
        self.stamps = stamps or clock  # the device's wall clock (``simulate --chaos`` steps it)
        self.outages: list = []  # this device's own outages still to come (``simulate --outages``)
        self.progress: Path | None = None  # where to note how far it has played (``simulate --chaos``)
        self._noted = 0.0
        self._noting = threading.Lock()

    def advance_to(self, moment: datetime) -> None:
        if moment > self.clock.now():
            self.clock.set(moment)

    def run(self, scaled: Clock, stop: threading.Event) -> None:
        while not stop.is_set():
            moment = scaled.now()
            if self.outages and self.outages[0].start <= moment:
                self._go_down(self.outages.pop(0))
                continue
            self.until(moment)
            self.note_progress()
            stop.wait(0.02)

    def note_progress(self, *, force: bool = False) -> None:
        """A device lags behind the simulated clock when the machine is busy: the simulator reads
        how far it got, so a power cut (``simulate --chaos``) skips only the time it was off.
        Forced after every stored event, so a device started again never plays (and records) a
        second time what it had already recorded."""
        if self.progress is None or (not force and _time.monotonic() - self._noted < 0.2):
            return
        with self._noting:
            self._noted = _time.monotonic()
            tmp = self.progress.with_name(self.progress.name + ".tmp")
            tmp.write_text(self.clock.now().isoformat())
            os.replace(tmp, self.progress)

    def _go_down(self, outage) -> None:
        """Play up to the outage's start by this device's own clock, then hang or die.

        The device stops itself, at the same simulated moment however far it lags behind the
        scaled clock; the simulator thaws it (SIGCONT) or starts it again (``--resume-at``).
        """
        self.until(outage.start)
        logger.warning("simulated outage: %s at %s", outage.mode, self.clock.now().isoformat())
        os.kill(os.getpid(), signal.SIGSTOP if outage.mode == "pause" else signal.SIGKILL)

    def until(self, moment: datetime) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """Release the device's resources."""


def actor_for(role: str):
    if role == "gate":
        from .gateactor import GateActor
        return GateActor
    if role == "lane":
        from .laneactor import LaneActor
        return LaneActor
    from .shedactor import ShedActor
    return ShedActor


LEAD_IN = timedelta(minutes=10)  # a first start plays the script from this long before the night


def own_outages(args: argparse.Namespace, device_id: str, now: datetime) -> list:
    """The outages planned for this device from ``now`` on."""
    from . import outages
    from .runner import DEVICE_IDS

    nights = plan_nights(build(args.seed), args.evening, args.nights, args.seed)
    return [o for o in outages.plan(nights, args.seed) if DEVICE_IDS[o.device] == device_id and o.start >= now]


def progress_file(config) -> Path:
    """Where a device under ``simulate --chaos`` notes the simulated moment it has played up to."""
    return Path(config.storage.dir) / "sim-progress.txt"


def stepped(args: argparse.Namespace, device_id: str, clock: FakeClock) -> Clock:
    """This device's wall clock under ``simulate --chaos``: stepped as the seed plans."""
    from . import chaos
    from .runner import DEVICE_IDS

    name = next(n for n, i in DEVICE_IDS.items() if i == device_id)
    nights = plan_nights(build(args.seed), args.evening, args.nights, args.seed)
    return chaos.SteppedClock(clock, chaos.clock_steps(chaos.plan(nights, args.seed), name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gatewarden.sim.device")
    parser.add_argument("role", choices=["gate", "lane", "shed"])
    parser.add_argument("--config", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--evening", type=date.fromisoformat, required=True)
    parser.add_argument("--nights", type=int, default=1, help="consecutive nights from --evening")
    parser.add_argument("--resume-at", type=datetime.fromisoformat, default=None,
                        help="after a restart: the simulated moment the device came back (default: now)")
    parser.add_argument("--outages", action="store_true", help="go down as `simulate --outages` plans")
    parser.add_argument("--plates", action="store_true", help="the night has its plate-only cars (demo)")
    parser.add_argument("--chaos", action="store_true", help="step this device's clock as `simulate --chaos` plans")
    args = parser.parse_args(argv)
    config = load_edge_config(args.config)
    setup_logging(config.log)
    scaled = clock_from_env()
    night = merge(plan_nights(build(args.seed), args.evening, args.nights, args.seed, plates=args.plates))
    start = args.resume_at or scaled.now() - timedelta(seconds=1)
    if not outbox_path(config).exists():
        # a first start plays the script from its beginning however late the process came up
        # (the events keep their scripted times; the hub waits for this device's watermark);
        # a restart goes on from now: what happened while it was down went unseen
        start = min(start, night.start - LEAD_IN)
    clock = FakeClock(start)
    stamps = stepped(args, config.device.id, clock) if args.chaos else clock
    daemon = EdgeDaemon(config, clock=stamps)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    daemon.publisher.start()
    actor = actor_for(args.role)(config, daemon, clock, night, stamps)
    if args.chaos:
        actor.progress = progress_file(config)
        daemon.outbox.add_listener(lambda: actor.note_progress(force=True))
    if args.outages:
        actor.outages = own_outages(args, config.device.id, clock.now())
    try:
        actor.run(scaled, stop)
    finally:
        actor.stop()
        daemon.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
