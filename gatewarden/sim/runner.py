"""The processes of a simulated compound, shared by ``gatewarden demo`` and ``gatewarden simulate``.

A :class:`Runner` owns one data directory: a private Mosquitto, the config files
(:mod:`gatewarden.sim.configs`), the registry imported through the real CLI, the hub, and one
process per simulated edge device (:mod:`gatewarden.sim.device`), all sharing one
:class:`~gwcommon.clock.ScaledClock` through ``GATEWARDEN_CLOCK``.  It can pause, resume, kill
and restart a device (``simulate --outages``) and stops every process it started.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from gatewarden.localbroker import Broker, free_port, stop_with_parent, wait_port
from gwcommon.clock import ScaledClock
from gwcommon.exc import GatewardenError

from . import configs
from .compound import build
from .night import VISITOR_PLATE, Night, plan_nights

logger = logging.getLogger(__name__)

DEVICES = {"gate": "gate", "lane-east": "lane", "lane-fire": "lane", "shed": "shed"}  # process → role
CLOCK_DEVICES = ("gate", "lane-east", "lane-fire")  # their watermarks make the hub's site clock
DEVICE_IDS = {"gate": "gate-north", "lane-east": "lane-east", "lane-fire": "lane-fire", "shed": "shed"}


class SimulationError(GatewardenError, RuntimeError):
    """A part of the simulated compound could not be started."""


class Runner:
    """Every process of one simulated compound; ``stop()`` ends every one of them."""

    def __init__(self, directory: Path | None, *, seed: int, evening: date, nights: int = 1,
                 web_port: int, prefix: str = "gatewarden-demo-", plates: bool = False):
        self.dir = Path(directory or tempfile.mkdtemp(prefix=prefix)).resolve()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.seed, self.evening = seed, evening
        self.compound = build(seed)
        self.plates = plates  # plate cameras at the gate and over the strip (docs/lpr.md)
        self.nights: list[Night] = plan_nights(self.compound, evening, nights, seed, plates=plates)
        self.web_port = web_port
        self.procs: dict[str, subprocess.Popen] = {}
        self.argv: dict[str, list[str]] = {}
        self.broker: Broker | None = None
        self.env: dict[str, str] = {}
        self.files: dict[str, Path] = {}

    @property
    def db_path(self) -> Path:
        return self.dir / "hub" / "hub.db"

    # -- set-up ----------------------------------------------------------------------------------

    def prepare(self, *, offline_after: str = "30m", device_keepalive: int = 5, inbox_key: str | None = None,
                lang: str = "zh") -> None:
        """Start the broker, write the configs and import the registry (through the real CLI)."""
        self.broker = Broker(self.dir / "mosquitto").start()
        ports = {"gate": free_port(), "lane-east": free_port()} if self.plates else None
        self.files = configs.write_all(self.dir, self.compound, broker_port=self.broker.port,
                                       web_port=self.web_port, inbox_key=inbox_key or secrets.token_hex(8),
                                       offline_after=offline_after, device_keepalive=device_keepalive,
                                       lpr_ports=ports, lang=lang)
        registry = self.compound.registry_csv()
        if self.plates:  # a visitor's pass by plate: no tag, the plate camera lets it in
            registry += f"{VISITOR_PLATE},{self.compound.households[0]},访客,,plate:{VISITOR_PLATE},访客\n"
        (self.dir / "registry.csv").write_text(registry, encoding="utf-8-sig")
        self.cli("registry", "import", str(self.dir / "registry.csv"), "--config", str(self.files["hub"]))
        self.count_cars(self.nights[0])

    def count_cars(self, night) -> None:
        """The warden's head count at dusk (as entered on the Today page), so 余位 starts right."""
        from hub.overnight import occupancy
        from hub.cli.common import run_for_command

        run_for_command(self.files["hub"], lambda db: occupancy.correct(
            db, night.inside_at_start, by="值班员", at=night.start, note="傍晚清点"))

    def cli(self, *words: str) -> None:
        """Run ``gatewarden WORDS…`` in a child process; a failure raises :class:`SimulationError`."""
        result = subprocess.run([sys.executable, "-m", "gatewarden", *words], capture_output=True, text=True,
                                timeout=120)
        if result.returncode != 0:
            raise SimulationError(f"gatewarden {' '.join(words[:2])} failed: {result.stderr.strip()[-500:]}")

    def start(self, clock: ScaledClock, *, wait_web: bool = True, device_args: tuple[str, ...] = (),
              hub_argv: list[str] | None = None) -> None:
        """The hub (``hub_argv``: another way to run it), then every device, all on ``clock``."""
        self.env = dict(os.environ, GATEWARDEN_CLOCK=clock.to_env(), GPIOZERO_PIN_FACTORY="mock")
        self.spawn("hub", hub_argv or ["-m", "gatewarden", "hub", "--config", str(self.files["hub"])])
        if wait_web:
            wait_port(self.web_port, timeout=60)
        for name, role in DEVICES.items():
            self.spawn(name, ["-m", "gatewarden.sim.device", role, "--config", str(self.files[name]),
                              "--seed", str(self.seed), "--evening", self.evening.isoformat(),
                              "--nights", str(len(self.nights)), *(("--plates",) if self.plates else ()),
                              *device_args])

    def spawn(self, name: str, argv: list[str]) -> None:
        log = (self.dir / f"{name}.log").open("ab")
        self.argv[name] = argv
        self.procs[name] = subprocess.Popen([sys.executable, *argv], env=self.env, stdout=log, stderr=log,
                                            stdin=subprocess.DEVNULL, start_new_session=True,
                                            preexec_fn=stop_with_parent)
        log.close()

    # -- running ---------------------------------------------------------------------------------

    def dead(self, *, killed: frozenset[str] | set[str] = frozenset()) -> tuple[str, int] | None:
        """(name, exit code) of a process that stopped by itself, if any (``killed``: names the
        simulator killed on purpose and will start again)."""
        for name, proc in self.procs.items():
            if name in killed and proc.returncode == -signal.SIGKILL:
                continue
            if proc.poll() is not None:
                return name, proc.returncode
        return None

    def state(self, name: str) -> str:
        """``running``, ``stopped`` (SIGSTOP: frozen) or ``dead``."""
        proc = self.procs[name]
        if proc.poll() is not None:
            return "dead"
        try:
            fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return "running"
        return "stopped" if fields[0] in ("T", "t") else "running"

    def pause(self, name: str) -> None:
        """SIGSTOP: the process hangs (its connection times out; its outbox keeps its events)."""
        os.killpg(self.procs[name].pid, signal.SIGSTOP)

    def resume(self, name: str) -> None:
        os.killpg(self.procs[name].pid, signal.SIGCONT)

    def kill(self, name: str) -> None:
        """SIGKILL, like a power cut: the broker sends its will; the outbox survives on disk."""
        proc = self.procs[name]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def restart(self, name: str, *extra: str) -> None:
        """Start a killed process again, with ``extra`` arguments this once."""
        argv = self.argv[name]
        self.spawn(name, [*argv, *extra])
        self.argv[name] = argv

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                _signal(proc, signal.SIGCONT)  # a paused device must be able to hear the SIGTERM
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(proc, signal.SIGKILL)
                proc.wait(5)
        if self.broker:
            self.broker.stop()


def _signal(proc: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except ProcessLookupError:
        pass
