"""The charging device's daemon: poll every meter each second, count, emit through the outbox.

``start(config, sink, publisher, clock, stop_event)`` is registered in :mod:`edge.sources` under
the ``charging`` section.  One thread polls the sources (paho's own thread feeds the MQTT ones),
runs :mod:`edge.charging.track` for each circuit, and emits ``charging`` / ``fault`` events.
Each circuit's energy total survives a restart in ``<storage.dir>/energy-<device>.json``
(:mod:`edge.charging.energystore`).
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from gwcommon.clock import Clock

from . import counting, cutoff, energystore, track
from .config import MQTT_KINDS, ChargingConfig
from .energy import PZEM_WRAP_WH, EnergyCounter
from .model import PowerSource, Reading, Unreadable

logger = logging.getLogger(__name__)


def params_from(config: ChargingConfig) -> counting.CountingParams:
    return counting.CountingParams(
        median_window=config.median_window, step_w=config.step_w, stable_samples=config.stable_samples,
        active_w=config.active_w, baseline_w=config.baseline_w, typical_charger_w=config.typical_charger_w)


def policy_from(config: ChargingConfig) -> counting.EmitPolicy:
    return counting.EmitPolicy(max_interval_s=config.max_interval.total_seconds(),
                               power_delta_w=config.power_delta_w)


def build_sources(charging: ChargingConfig, meters: list, *, mqtt, clock: Clock,
                  device_id: str = "charging") -> list[PowerSource]:
    """One source per meter family: the Modbus bus, the CT clamps, the MQTT subscription…"""
    by_kind: dict[str, list] = {}
    for meter in meters:
        by_kind.setdefault(meter.kind, []).append(meter)
    sources: list[PowerSource] = []
    if "pzem" in by_kind:
        from .pzem import PzemBus
        sources.append(PzemBus(charging.modbus, by_kind["pzem"], clock=clock))
    if "ct" in by_kind:
        from .ctclamp import CtClamps
        sources.append(CtClamps(by_kind["ct"], clock=clock))
    mqtt_meters = [m for k in MQTT_KINDS for m in by_kind.get(k, [])]
    if mqtt_meters:
        from .mqttsource import MqttMeters
        sources.append(MqttMeters(mqtt_meters, mqtt=mqtt, clock=clock, client_id=f"{device_id}-meters"))
    if "simulated" in by_kind:
        sources.append(_simulated(by_kind["simulated"], clock))
    return sources


def _simulated(meters: list, clock: Clock) -> PowerSource:
    from .simulator import CircuitSim, SimulatedSource, random_evening

    sims = {}
    for meter in meters:
        rng = random.Random(meter.seed)
        chargers = random_evening(rng, max_chargers=meter.chargers) if meter.chargers else []
        sims[meter.circuit] = CircuitSim(chargers, rng=rng)
    return SimulatedSource(sims, clock=clock)


class ChargingDevice:
    """Sources → per-circuit tracks → events.  ``step()`` is one poll of every meter."""

    def __init__(self, config: ChargingConfig, sources: list[PowerSource], *, sink: Any, clock: Clock,
                 energy_file: Path | None = None, cutter: Any = None):
        self.config = config
        self.cutter = cutter  # an edge.charging.cutter.Cutter when [[switches]] are configured
        self.sources = list(sources)
        self.sink = sink
        self.clock = clock
        self.params = params_from(config)
        self.policy = policy_from(config)
        wraps = {circuit: PZEM_WRAP_WH if source.name == "pzem" else None
                 for source in self.sources for circuit in source.circuits}
        # without a file (tests, the simulator) every total starts from its meter's raw counter
        self.energy_store = None if energy_file is None else energystore.EnergyStore(energy_file, clock=clock)
        meters = energystore.merge({}, wraps) if self.energy_store is None else self.energy_store.restore(wraps)
        self.tracks: dict[str, track.Track] = {
            circuit: replace(track.new_track(self.params, wrap_wh=wrap), energy=meters[circuit])
            for circuit, wrap in wraps.items()}
        self.emitted = 0

    def step(self, *, full: bool = True) -> None:
        """One poll of every meter; ``full=False`` (a watch reading) feeds only the overload cut."""
        for source in self.sources:
            try:
                polls = source.poll()
            except Exception as exc:  # a source must not stop the others
                logger.exception("meter source %s failed", source.name)
                polls = [Unreadable(c, self.clock.now(), f"{source.name} failed: {exc}") for c in source.circuits]
            for poll in polls:
                if full:
                    self._take(poll)
                else:
                    self._watch(poll)
        self._drain_cutter()
        if full and self.energy_store is not None:
            self.energy_store.save_if_due(self.energies())

    def energies(self) -> dict[str, EnergyCounter]:
        """Each circuit's :class:`~edge.charging.energy.EnergyCounter`."""
        return {circuit: state.energy for circuit, state in self.tracks.items()}

    def _take(self, poll: Reading | Unreadable) -> None:
        current = self.tracks[poll.circuit]
        if isinstance(poll, Reading):
            new, events = track.on_reading(current, poll, self.params, self.policy)
        else:
            new, events = track.on_unreadable(current, poll, self.config.unreadable_after.total_seconds())
            if events:
                logger.warning("meter of circuit %s unreadable: %s", poll.circuit, poll.reason)
        self.tracks[poll.circuit] = new
        self._emit(events)
        self._watch(poll)

    def _watch(self, poll: Reading | Unreadable) -> None:
        """The cut-off rules at every reading: the counted power and loads, the reading's own current.

        The overload rule reads this reading's current, not the median the charging events carry:
        the cut comes at the first reading above the alarm level, not one reading later."""
        latest = self.tracks[poll.circuit].latest
        if self.cutter is not None and isinstance(poll, Reading) and latest is not None:
            self.cutter.observe(poll.circuit, cutoff.View(latest.power_w, _amps(poll), latest.loads), poll.ts)

    def _emit(self, events: list) -> None:
        for kind, fields in events:
            self.sink.emit(kind, fields)
            self.emitted += 1

    def _drain_cutter(self) -> None:
        if self.cutter is not None:
            self._emit(self.cutter.drain())

    def run(self, stop_event: threading.Event) -> None:
        """Poll every ``poll_interval``; in between, every ``watch_interval`` while a circuit is near
        its overload cut (those readings feed only the cut: the counter keeps its 1 s cadence)."""
        interval = self.config.poll_interval.total_seconds()
        watch = self.config.watch_interval.total_seconds()
        near = self.config.watch_from_pct / 100
        next_at = self.clock.monotonic()
        while not stop_event.is_set():
            started = self.clock.monotonic()
            full = started >= next_at - watch / 10
            self.step(full=full)
            if full:
                next_at += interval
                if next_at - self.clock.monotonic() < -5 * interval:  # fell far behind (a slow bus): start afresh
                    next_at = self.clock.monotonic()
            wake = next_at
            if self.cutter is not None and self.cutter.near(near):
                wake = min(wake, started + watch)
            stop_event.wait(max(0.0, wake - self.clock.monotonic()))

    def close(self) -> None:
        if self.cutter is not None:
            self.cutter.close()
            self._drain_cutter()
        for source in self.sources:
            try:
                source.close()
            except Exception:
                logger.exception("closing meter source %s failed", source.name)
        if self.energy_store is not None:
            self.energy_store.flush(self.energies())


def _amps(reading: Reading) -> float:
    if reading.current_a is not None:
        return reading.current_a
    return reading.power_w / (reading.voltage_v or 220.0)


def _cutter(config: Any, sink: Any, clock: Clock) -> tuple[Any, list]:
    """The relays of ``[[switches]]`` and their rules (None without switches)."""
    if not config.switches:
        return None, []
    from . import switches
    from .cutter import Cutter, path_in, policy_for

    made, closers = switches.build(config.switches, mqtt=config.mqtt, device_id=config.device.id)
    policies = {s.circuit: policy_for(s, config.charging, config.site.tz) for s in config.switches}
    return Cutter(policies, made, sink=sink, clock=clock,
                  state_file=path_in(config.storage.dir, config.device.id)), closers


def _on_command(cutter: Any, cmd: Any) -> None:
    if cmd.op == "restore":
        cutter.restore(cmd.circuit, by=cmd.by, note=cmd.reason)


class _Handle:
    def __init__(self, device: ChargingDevice, thread: threading.Thread, stop_event: threading.Event,
                 closers: list | None = None):
        self.device = device
        self._closers = closers or []
        self._thread = thread
        self._stop = stop_event

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.device.close()
        for closer in self._closers:
            try:
                closer.close()
            except Exception:
                logger.exception("closing a switch failed")


def start(config: Any, sink: Any, publisher: Any, clock: Clock, stop_event: threading.Event) -> _Handle:
    """The ``charging`` source of :mod:`edge.sources`."""
    from gwcommon.exc import ConfigError

    if not config.meters:
        raise ConfigError("[charging] is set but no [[meters]] are listed: add one per circuit")
    sources = build_sources(config.charging, config.meters, mqtt=config.mqtt, clock=clock,
                            device_id=config.device.id)
    cutter, closers = _cutter(config, sink, clock)
    device = ChargingDevice(config.charging, sources, sink=sink, clock=clock,
                            energy_file=energystore.path_in(config.storage.dir, config.device.id), cutter=cutter)
    if cutter is not None:
        publisher.on_command(lambda cmd: _on_command(cutter, cmd))
    own_stop = threading.Event()

    def run() -> None:
        watcher = threading.Thread(target=lambda: (stop_event.wait(), own_stop.set()), daemon=True)
        watcher.start()
        device.run(own_stop)

    thread = threading.Thread(target=run, name="charging-meters", daemon=True)
    thread.start()
    logger.info("charging device: %d circuit(s) on %d source(s)", len(device.tracks), len(sources))
    return _Handle(device, thread, own_stop, closers)
