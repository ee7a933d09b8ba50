"""The charging area on the hub: ``attach(hub)`` wires the pure rules to events, ticks, alerts
and the patrol diary.

* ``charging`` events → :func:`hub.charging.rules.on_charging` (event time);
* ``fault`` events with code ``sensor_unreadable`` (detail ``"<circuit>: …"``) →
  :func:`hub.charging.rules.on_fault`;
* a tick every few seconds → :func:`hub.charging.rules.on_silence` on the hub's wall clock
  (a configured circuit never heard counts from the hub's start).

Every change goes, in the same transaction, into ``charging_incidents``, the chat through
:func:`hub.alerts.api.queue_charging` (a raised level is a new alert; a close resolves them) and
a line of the patrol diary (kind ``charging``).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

from hub.charging import store
from hub.charging import rules

logger = logging.getLogger(__name__)

SILENCE_CHECK_S = 5.0
FAULT_CODE = "sensor_unreadable"
_SEVERITY = {"info": "info", "warn": "warning", "alarm": "safety", "critical": "safety"}
_REASON = {"meter_silent": "meter_offline"}  # the alerts area's own name for it


def limits_for(config: Any, circuit: str) -> rules.Limits:
    """The rules' thresholds for ``circuit`` (defaults for a circuit missing from [[circuits]])."""
    r = config.rules.charging
    c = next((c for c in config.circuits if c.name == circuit), None)
    allowed = (c.allowed_from, c.allowed_until) if c is not None and c.allowed_from is not None else None
    return rules.Limits(
        circuit=circuit, label=c.label if c else "", breaker_a=c.breaker_a if c else 16.0,
        ports=c.ports if c else 0, baseline_w=c.baseline_w if c else 0.0,
        no_charging=c.no_charging if c else False, allowed=allowed, tz=config.site.tz,
        load_pct=(r.load_warn_pct, r.load_alarm_pct, r.load_critical_pct), load_clear_after=r.load_clear_after,
        session=(r.session_warn, r.session_alarm), port_w=(r.port_warn_w, r.port_alarm_w),
        trickle_w=(r.trickle_min_w, r.trickle_max_w), full_after=r.full_after, outside_grace=r.outside_grace,
        flying_wire_after=r.flying_wire_after, charger_w=(r.charger_min_w, r.charger_max_w),
        silent_after=(c.silent_after if c and c.silent_after else r.silent_after),
    )


class ChargingArea:
    """The rules' state of every circuit (cached; persisted in ``charging_circuits``)."""

    def __init__(self, config: Any, *, clock: Any):
        self.config = config
        self.clock = clock
        self.states: dict[str, rules.CircuitState] = {}
        self.heard: dict[str, datetime | None] = {}
        self.devices: dict[str, str | None] = {}
        self.started_at = clock.now()
        self._next_check = 0.0
        self._unknown: set[str] = set()
        self.stale_events = 0

    def load(self, db: Any) -> None:
        for circuit, (state, heard, device) in store.load_all(db).items():
            self.states[circuit], self.heard[circuit], self.devices[circuit] = state, heard, device
        for c in self.config.circuits:
            self.states.setdefault(c.name, rules.CircuitState(c.name))
            self.heard.setdefault(c.name, None)

    def on_charging(self, db: Any, event: Any, ctx: Any) -> None:
        circuit = event.circuit
        self._note_unknown(circuit)
        obs = rules.Observation(event.ts, event.power_w, event.current_a, event.loads,
                                event.voltage_v, event.energy_wh)
        state, changes = rules.on_charging(self._state(circuit), obs, limits_for(self.config, circuit))
        if state.stale > self._state(circuit).stale:
            self.stale_events += 1
            logger.info("charging event for %s older than the newest seen (%s): stored, rules skip it",
                        circuit, event.ts)
        self.states[circuit], self.heard[circuit], self.devices[circuit] = state, ctx.received_at, ctx.device
        store.save_reading(db, circuit, state, device=ctx.device, received_at=ctx.received_at, event=event)
        self._apply(db, changes, device=ctx.device)

    def on_fault(self, db: Any, event: Any, ctx: Any) -> None:
        if event.code != FAULT_CODE:
            return
        circuit = _circuit_of(event.detail)
        if circuit is None:
            logger.warning("sensor_unreadable fault from %s names no circuit: %r", ctx.device, event.detail)
            return
        state, changes = rules.on_fault(self._state(circuit), event.active, event.ts,
                                        limits_for(self.config, circuit))
        self.states[circuit] = state
        store.save_reading(db, circuit, state, device=ctx.device, received_at=None, event=None)
        self._apply(db, changes, device=ctx.device)

    def tick(self, db: Any, site_time: Any = None) -> None:
        mono = self.clock.monotonic()
        if mono < self._next_check:
            return
        self._next_check = mono + SILENCE_CHECK_S
        now = self.clock.now()
        for circuit in list(self.states):
            heard = self.heard.get(circuit) or self.started_at
            state, changes = rules.on_silence(self.states[circuit], heard, now, limits_for(self.config, circuit))
            if changes:
                self.states[circuit] = state
                store.save_reading(db, circuit, state, device=self.devices.get(circuit), received_at=None, event=None)
                self._apply(db, changes, device=self.devices.get(circuit))

    def _state(self, circuit: str) -> rules.CircuitState:
        return self.states.get(circuit) or rules.CircuitState(circuit)

    def _note_unknown(self, circuit: str) -> None:
        if circuit not in self._unknown and all(c.name != circuit for c in self.config.circuits):
            self._unknown.add(circuit)
            logger.warning("charging events for circuit %r, which [[circuits]] does not list: default limits "
                           "(16 A breaker, any hours) apply", circuit)

    def _apply(self, db: Any, changes: list[rules.Change], *, device: str | None) -> None:
        now = self.clock.now()
        for change in changes:
            store.record(db, change, device=device, now=now)
            _alert(db, change, self._state(change.circuit), now=now,
                   label=limits_for(self.config, change.circuit).label)
            _diary(db, change)
            logger.info("charging incident %s %s on %s: %s", change.rule, change.action, change.circuit, change.message)


def _circuit_of(detail: str) -> str | None:
    match = re.match(r"^([A-Za-z0-9_.:-]{1,64}): ", detail or "")
    return match.group(1) if match else None


def _alert(db: Any, change: rules.Change, state: rules.CircuitState, *, now: datetime, label: str = "") -> None:
    from hub.alerts import queue_charging, resolve_alert

    key = store.alert_key(change)
    if change.action == "close":
        for level in rules.LEVELS:
            resolve_alert(db, f"charging:{key}:{level}", now=now, note=change.message, note_words=change.words)
        return
    watts, limit = _watts(change, state)
    queue_charging(db, key=f"{key}:{change.level}", circuit=change.circuit, reason=_REASON.get(change.rule, change.rule),
                   now=now, power_w=watts, limit_w=limit, since=change.since, detail=change.message,
                   severity=_SEVERITY[change.level], label=label, words=change.words)


def _watts(change: rules.Change, state: rules.CircuitState) -> tuple[float | None, float | None]:
    if change.rule in ("port_overpower", "flying_wire", "full_plugged"):
        return change.value, None
    if change.rule == "overload" and state.last is not None:
        return state.last.power_w, None
    return None, None


def _diary(db: Any, change: rules.Change) -> None:
    from hub.overnight import add_diary_line

    add_diary_line(db, ts=change.ts, kind="charging", text=change.message, zone=change.circuit,
              detail={"circuit": change.circuit, "rule": change.rule, "level": change.level,
                      "action": change.action, "value": change.value, "words": change.words})


def attach(hub: Any) -> ChargingArea:
    """Register the charging rules on the hub (called by hub.areas before the writer starts)."""
    area = ChargingArea(hub.config, clock=hub.clock)
    area.load(hub.db)
    hub.on_event("charging", area.on_charging)
    hub.on_event("fault", area.on_fault)
    hub.add_tick(area.tick)
    from hub.charging import cuts  # power cuts the charging device made: diary, chat, restore
    cuts.attach(hub)
    return area
