"""Tasmota, ESPHome and Shelly meters over MQTT: a subscription on the compound's broker.

paho's callbacks only enqueue; :meth:`MqttMeters.poll` (the device's 1 Hz loop) drains the queue,
parses each message (:mod:`edge.charging.plugs`) and returns, per circuit, the latest values
(held between messages: plugs report every few seconds, the counter samples every second) or an
:class:`~edge.charging.model.Unreadable` when the device is offline, has been silent for
``stale_after``, or sends what cannot be understood.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from gwcommon.clock import Clock
from gwcommon.config import MqttConfig

from . import plugs
from .model import Poll, Reading, Unreadable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlugState:
    """What is known of one MQTT meter."""

    power_w: float | None = None
    voltage_v: float | None = None
    current_a: float | None = None
    energy_wh: float | None = None
    updated: datetime | None = None
    online: bool | None = None
    error: str | None = None


def merge(state: PlugState, update: plugs.PlugUpdate, now: datetime) -> PlugState:
    """Fold one update into the state (pure)."""
    if update.online is not None:
        return replace(state, online=update.online)
    values = {k: getattr(update, k) for k in ("power_w", "voltage_v", "current_a", "energy_wh")
              if getattr(update, k) is not None}
    fresh = {"updated": now, "online": True, "error": None} if update.power_w is not None else {}
    return replace(state, **values, **fresh)


def judge(circuit: str, state: PlugState, now: datetime, stale_after_s: float) -> Poll:
    """The reading for this poll, or why there is none (pure)."""
    if state.online is False:
        return Unreadable(circuit, now, "the device reports itself offline (last will)")
    if state.updated is None:
        return Unreadable(circuit, now, state.error or "no power message received yet")
    age = (now - state.updated).total_seconds()
    if age > stale_after_s:
        why = f"; last problem: {state.error}" if state.error else ""
        return Unreadable(circuit, now, f"no power message for {age:.0f} s{why}")
    return Reading(circuit, now, state.voltage_v, state.current_a, state.power_w, state.energy_wh)


class MqttMeters:
    """A :class:`~edge.charging.model.PowerSource` over every MQTT meter of this device."""

    name = "mqtt"

    def __init__(self, meters: list, *, mqtt: MqttConfig, clock: Clock, client_id: str | None = None):
        self._meters = {m.circuit: m for m in meters}
        self._routes: dict[str, list[tuple[object, str]]] = {}
        for meter in meters:  # a node's status topic serves every meter on it
            for topic, what in plugs.routes(meter).items():
                self._routes.setdefault(topic, []).append((meter, what))
        self._clock = clock
        self._inbox: queue.SimpleQueue[tuple[str, bytes]] = queue.SimpleQueue()
        self._states = {c: PlugState() for c in self._meters}
        self.rejected = 0
        self._logged: set[tuple[str, str]] = set()
        self.subscribed = threading.Event()
        self._client = self._connect(mqtt, client_id or f"gw-meters-{uuid.uuid4().hex[:8]}")

    def _connect(self, mqtt: MqttConfig, client_id: str):
        from gwcommon.mqtt import make_client

        client = make_client(mqtt, client_id)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_subscribe = lambda *_args: self.subscribed.set()
        client.connect_async(mqtt.host, mqtt.port, keepalive=mqtt.keepalive)
        client.loop_start()
        return client

    def _on_connect(self, client, _userdata, _flags, reason_code, _props=None) -> None:
        if reason_code.is_failure:
            logger.warning("meter subscription: broker refused the connection: %s", reason_code)
            return
        client.subscribe([(topic, 0) for topic in self._routes])

    def _on_message(self, _client, _userdata, message) -> None:
        self._inbox.put((message.topic, bytes(message.payload)))

    @property
    def circuits(self) -> tuple[str, ...]:
        return tuple(self._meters)

    def poll(self) -> list[Poll]:
        now = self._clock.now()
        self._drain(now)
        return [judge(c, self._states[c], now, self._meters[c].stale_after.total_seconds())
                for c in self._meters]

    def _drain(self, now: datetime) -> None:
        while True:
            try:
                topic, payload = self._inbox.get_nowait()
            except queue.Empty:
                return
            for meter, what in self._routes.get(topic, []):
                try:
                    update = plugs.parse(meter, what, payload)
                except ValueError as exc:
                    self._reject(meter.circuit, topic, str(exc))
                    continue
                self._states[meter.circuit] = merge(self._states[meter.circuit], update, now)

    def _reject(self, circuit: str, topic: str, reason: str) -> None:
        self.rejected += 1
        self._states[circuit] = replace(self._states[circuit], error=f"{topic}: {reason}")
        if (circuit, reason) not in self._logged:
            self._logged.add((circuit, reason))
            logger.warning("meter message on %s not understood (circuit %s): %s", topic, circuit, reason)

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()
