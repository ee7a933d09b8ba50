"""The charging device's hands: :mod:`edge.charging.cutoff` decides, the switches act.

The device's poll thread calls :meth:`Cutter.observe` at every reading; a warden's ``restore``
command (from the hub, on the inbox thread) calls :meth:`Cutter.restore`.  Each switch has its own
worker thread, so a relay that does not answer never holds up the meters or another relay; its
answer comes back through a queue and :meth:`Cutter.drain` (the poll thread) turns it into
``fault`` events (``power_cut``, ``relay_fault``) through the outbox — which keeps them while the
hub or the broker is away.  Nothing here waits for the hub.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from dataclasses import asdict, fields
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from gwcommon.atomicfile import write_atomic

from . import cutoff
from .config import ChargingConfig

logger = logging.getLogger(__name__)


def policy_for(switch: Any, charging: ChargingConfig, tz: tzinfo | None) -> cutoff.Policy:
    """The pure rules' view of one ``[[switches]]`` entry."""
    alarm_a = switch.breaker_a * switch.alarm_pct / 100 if switch.breaker_a is not None else None
    allowed = (switch.allowed_from, switch.allowed_until) if switch.allowed_from is not None else None
    seconds = (lambda d: d.total_seconds() if d is not None else None)
    return cutoff.Policy(
        circuit=switch.circuit, switchable=switch.switchable, alarm_a=alarm_a,
        alarm_text=(f"{alarm_a:.1f} A ({switch.breaker_a:g} A × {switch.alarm_pct:g} %)" if alarm_a else ""),
        allowed=allowed, tz=tz, full_after_s=seconds(switch.cut_when_full_after),
        restore_full_after_s=seconds(switch.restore_full_after),
        trickle_w=(switch.trickle_min_w, switch.trickle_max_w), no_charging=switch.no_charging,
        no_charging_after_s=switch.no_charging_after.total_seconds(),
        charger_w=(switch.charger_min_w, switch.charger_max_w), baseline_w=charging.baseline_w,
        active_w=charging.active_w, retry_after_s=switch.retry_after.total_seconds())


class _Worker:
    """One relay's thread: takes commands in order, reports each answer."""

    def __init__(self, switch: Any, answers: queue.SimpleQueue):
        self.switch, self._answers = switch, answers
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"switch-{switch.circuit}", daemon=True)
        self._thread.start()

    def put(self, command: cutoff.Command) -> None:
        self._commands.put(command)

    def _run(self) -> None:
        while (command := self._commands.get()) is not None:
            try:
                self.switch.set(command.on)
                self._answers.put((command, True, ""))
            except Exception as exc:  # SwitchError, or a bug in a driver: reported, never fatal
                self._answers.put((command, False, str(exc) or type(exc).__name__))

    def stop(self) -> None:
        self._commands.put(None)
        self._thread.join(5)


def path_in(storage_dir: str | Path, device_id: str) -> Path:
    """``<storage.dir>/cuts-<device>.json``: which circuits are cut, kept across a restart."""
    return Path(storage_dir) / f"cuts-{device_id}.json"


def load_states(path: Path | None, circuits: list[str]) -> dict[str, cutoff.CutState]:
    """The saved cut states (fresh ones for a missing or unreadable file, or a new circuit)."""
    states = {c: cutoff.CutState() for c in circuits}
    if path is None or not path.exists():
        return states
    known = {f.name for f in fields(cutoff.CutState)}
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        for circuit, values in saved.items():
            if circuit in states:
                values = {k: tuple(v) if k == "why_on" and v else v for k, v in values.items() if k in known}
                states[circuit] = cutoff.CutState(**values)
    except (OSError, ValueError, TypeError) as exc:
        logger.warning("cut states in %s unreadable (%s): every circuit starts as not cut", path, exc)
        return {c: cutoff.CutState() for c in circuits}
    cut = sorted(c for c, s in states.items() if s.reason)
    if cut:
        logger.warning("circuits cut before the restart stay cut: %s", ", ".join(cut))
    return states


def _durable(state: cutoff.CutState) -> tuple:
    return state.reason, state.switched, state.announced, state.excused, state.pending, state.since


class Cutter:
    """Every switched circuit's state, policy and relay."""

    def __init__(self, policies: dict[str, cutoff.Policy], switches: dict[str, Any], *, sink: Any, clock: Any,
                 state_file: Path | None = None):
        self.policies = policies
        self.sink, self.clock = sink, clock
        self.state_file = state_file
        self.states = load_states(state_file, list(policies))
        self._answers: queue.SimpleQueue = queue.SimpleQueue()
        self._workers = {c: _Worker(s, self._answers) for c, s in switches.items()}
        self._lock = threading.Lock()
        self.commands = 0
        self.refused = 0
        self._amps: dict[str, float] = {}

    def observe(self, circuit: str, view: cutoff.View, now: datetime) -> None:
        """A reading of ``circuit``: decide, and hand any command to its relay at once."""
        policy = self.policies.get(circuit)
        if policy is None:
            return
        self._amps[circuit] = view.current_a
        with self._lock:
            before = self.states[circuit]
            self.states[circuit], commands = cutoff.decide(before, view, now, policy)
            self._save_if_changed(before, self.states[circuit])
        for command in commands:
            self._send(command)

    def near(self, fraction: float) -> bool:
        """Does a circuit with an overload cut draw ``fraction`` of its alarm level or more (and is not cut)?"""
        return any(p.switchable and p.alarm_a is not None and self.states[c].reason is None
                   and self._amps.get(c, 0.0) >= fraction * p.alarm_a for c, p in self.policies.items())

    def restore(self, circuit: str | None, *, by: str, note: str) -> bool:
        """A warden's restore; False (and nothing done) when this device has no switch for it."""
        if circuit not in self._workers:
            self.refused += 1
            logger.warning("restore by %s refused: circuit %r has no switch on this device", by, circuit)
            return False
        with self._lock:
            before = self.states[circuit]
            self.states[circuit], command = cutoff.restore(before, circuit, by, note, self.clock.now())
            self._save_if_changed(before, self.states[circuit])
        logger.info("restore of %s by %s (%s)", circuit, by, note)
        self._send(command)
        return True

    def _send(self, command: cutoff.Command) -> None:
        self.commands += 1
        if not command.on:
            logger.warning("cutting circuit %s: %s (%s)", command.circuit, command.reason, command.detail)
        self._workers[command.circuit].put(command)

    def drain(self) -> list[tuple[str, dict[str, Any]]]:
        """The relays' answers since the last call, folded into the states; returns the events."""
        events: list[tuple[str, dict[str, Any]]] = []
        while True:
            try:
                command, ok, error = self._answers.get_nowait()
            except queue.Empty:
                return events
            if not ok:
                logger.warning("switch of %s did not take %s: %s", command.circuit, "on" if command.on else "off", error)
            with self._lock:
                before = self.states[command.circuit]
                self.states[command.circuit], more = cutoff.result(before, command, ok, error, self.clock.now())
                self._save_if_changed(before, self.states[command.circuit])
            events.extend(more)

    def _save_if_changed(self, before: cutoff.CutState, after: cutoff.CutState) -> None:
        if self.state_file is None or _durable(before) == _durable(after):
            return
        try:
            data = {c: asdict(s) for c, s in self.states.items() if s != cutoff.CutState()}
            write_atomic(self.state_file, json.dumps(data, ensure_ascii=False, sort_keys=True).encode())
        except OSError:
            logger.exception("could not save the cut states to %s", self.state_file)

    def close(self) -> None:
        for worker in self._workers.values():
            worker.stop()
