"""``gatewarden demo``: a whole simulated compound on this machine, no hardware, no config.

It starts a private Mosquitto, the hub, and the simulated edge devices as separate processes —
the north gate's two lanes (simulated Bluetooth tags, barrier on mock pins, a plate camera per
lane pushing over real HTTP), a lane scanner over the night parking strip (with a plate camera)
and the fire lane, and the e-bike shed's meters — and plays one evening
and night into the morning deadline, faster than life (a night in about two minutes).  The chat
messages land in the web view's inbox page; it prints the web view's address and a login.
Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from gatewarden.cliwords import say
from gatewarden.localbroker import free_port
from gatewarden.sim.runner import Runner, SimulationError
from gwcommon.clock import ScaledClock
from gwcommon.lang import choose

DemoError = SimulationError  # a part of the demo could not be started

DEFAULT_EVENING = date(2026, 11, 19)  # a Thursday: Friday's deadline is a working day's 08:00


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="run a whole simulated compound on this machine",
        description="Run a whole simulated compound on this machine: a private Mosquitto, the hub, "
                    "two gate lanes, a lane scanner and a charging shed, through one night.")
    parser.add_argument("--night-seconds", type=float, default=120.0, metavar="S",
                        help="real seconds the simulated evening and night take (default 120)")
    parser.add_argument("--seed", type=int, default=1, help="which simulated compound and night (default 1)")
    parser.add_argument("--evening", type=date.fromisoformat, default=DEFAULT_EVENING, metavar="YYYY-MM-DD",
                        help=f"the simulated evening (default {DEFAULT_EVENING})")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where to keep the demo's data (default: a new temporary directory)")
    parser.add_argument("--port", type=int, default=0, help="web view port (default: a free one)")
    parser.add_argument("--exit-after-morning", action="store_true",
                        help="stop once the morning digest is out instead of keeping the web view up")
    parser.set_defaults(func=run)


ROSTER = ("姓名,手机,角色,日期,开始,结束,顺序,飞书ID,备注\n"
          "值班甲,13800001111,值班,,18:00,09:00,1,,\n"
          "值班乙,13900002222,值班,,18:00,09:00,2,,后备\n"
          "委员丙,13700003333,委员,,,,1,,\n")


class Demo:
    """The processes of one demo run (a :class:`~gatewarden.sim.runner.Runner`) and what it shows."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.runner = Runner(args.dir, seed=args.seed, evening=args.evening, web_port=args.port or free_port(),
                             plates=True)
        self.dir, self.compound, self.web_port = self.runner.dir, self.runner.compound, self.runner.web_port
        self.night = self.runner.nights[0]
        span = (self.night.end - self.night.start).total_seconds()
        self.speed = span / args.night_seconds
        self.password = secrets.token_urlsafe(9)
        self.lang = choose(environ=os.environ)  # Chinese unless `gatewarden --lang en demo` or GATEWARDEN_LANG=en

    @property
    def procs(self):
        return self.runner.procs

    # -- set-up ----------------------------------------------------------------------------------

    def prepare(self) -> None:
        self.runner.prepare(inbox_key=secrets.token_hex(8), lang=self.lang)
        hub_config = str(self.runner.files["hub"])
        roster = self.dir / "roster.csv"
        roster.write_text(ROSTER, encoding="utf-8-sig")
        self.runner.cli("roster", "import", str(roster), "--config", hub_config)
        pw = self.dir / "admin.password"
        pw.write_text(self.password + "\n")
        self.runner.cli("hub", "user", "add", "admin", "--role", "admin", "--password-file", str(pw),
                        "--replace", "--config", hub_config)

    def start(self) -> None:
        self.clock = ScaledClock(self.night.start - timedelta(minutes=10), real_start=time.time() + 5,
                                 speed=self.speed)
        self.runner.start(self.clock)

    # -- running ---------------------------------------------------------------------------------

    def watch(self) -> bool:
        """Show progress until the morning digest is out; False if a process died."""
        from gatewarden.sim.progress import Progress

        progress = Progress(self.runner.db_path, self.night, self.clock)
        while True:
            dead = self.runner.dead()
            if dead:
                print("\n" + say("demo.died", name=dead[0], code=dead[1], log=f"{self.dir / dead[0]}.log"),
                      file=sys.stderr)
                return False
            status = progress.poll()
            print("\r" + status.line, end="", flush=True)
            if status.digest_sent:
                print()
                return True
            time.sleep(0.5)

    def stop(self) -> None:
        self.runner.stop()


def run(args: argparse.Namespace) -> int:
    if not shutil.which("mosquitto") and not Path("/usr/sbin/mosquitto").exists():
        print(say("demo.no_mosquitto"), file=sys.stderr)
        return 2
    demo = Demo(args)
    url = f"http://127.0.0.1:{demo.web_port}/"
    try:
        print(say("demo.head", compound=demo.compound.name, households=len(demo.compound.households),
                  cars=len(demo.compound.cars), spaces=demo.compound.spaces, evening=args.evening,
                  seconds=f"{args.night_seconds:.0f}"))
        print(say("demo.data", dir=demo.dir))
        demo.prepare()
        demo.start()
        print(say("demo.web", url=url, password=demo.password))
        if not demo.watch():
            return 1
        print(say("demo.morning", url=url, password=demo.password))
        if args.exit_after_morning:
            return 0
        print(say("demo.ctrl_c"))
        while all(p.poll() is None for p in demo.procs.values()):
            time.sleep(1)
        return 1
    except KeyboardInterrupt:
        print("\n" + say("demo.stopping"))
        return 0
    finally:
        demo.stop()
