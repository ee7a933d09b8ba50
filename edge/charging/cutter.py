"""The charging device's hands: :mod:`edge.charging.cutoff` decides, the switches act.

The device's poll thread calls :meth:`Cutter.observe` at every reading; a warden's ``restore``
command (from the hub, on the inbox thread) calls :meth:`Cutter.restore`.  Each switch has its own
worker thread, so a relay that does not answer never holds up the meters or another relay; its
answer comes back through a queue and :meth:`Cutter.drain` (the poll thread) turns it into
``fault`` events (``power_cut``, ``relay_fault``) through the outbox — which keeps them while the
hub or the broker is away.  Nothing here waits for the hub.
"""

from __future__ import annotations

import logging
import queue
import threading
from datetime import datetime, tzinfo
from typing import Any

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


class Cutter:
    """Every switched circuit's state, policy and relay."""

    def __init__(self, policies: dict[str, cutoff.Policy], switches: dict[str, Any], *, sink: Any, clock: Any):
        self.policies = policies
        self.sink, self.clock = sink, clock
        self.states = {circuit: cutoff.CutState() for circuit in policies}
        self._answers: queue.SimpleQueue = queue.SimpleQueue()
        self._workers = {c: _Worker(s, self._answers) for c, s in switches.items()}
        self._lock = threading.Lock()
        self.commands = 0
        self.refused = 0

    def observe(self, circuit: str, view: cutoff.View, now: datetime) -> None:
        """A reading of ``circuit``: decide, and hand any command to its relay at once."""
        policy = self.policies.get(circuit)
        if policy is None:
            return
        with self._lock:
            self.states[circuit], commands = cutoff.decide(self.states[circuit], view, now, policy)
        for command in commands:
            self._send(command)

    def restore(self, circuit: str | None, *, by: str, note: str) -> bool:
        """A warden's restore; False (and nothing done) when this device has no switch for it."""
        if circuit not in self._workers:
            self.refused += 1
            logger.warning("restore by %s refused: circuit %r has no switch on this device", by, circuit)
            return False
        with self._lock:
            self.states[circuit], command = cutoff.restore(self.states[circuit], circuit, by, note, self.clock.now())
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
                self.states[command.circuit], more = cutoff.result(self.states[command.circuit], command, ok,
                                                                   error, self.clock.now())
            events.extend(more)

    def close(self) -> None:
        for worker in self._workers.values():
            worker.stop()
