"""Home Assistant on the compound's broker (智能家居接入): discovery, states and the open buttons.

Off by default (``[homeassistant] enabled = false``).  When on, the hub keeps one more MQTT
connection, ``gatewarden-hub-<site>-ha``, whose will marks every entity unavailable when the hub
goes away.  On each connect it publishes (retained) the discovery config of every entity it knows:
the site's, each gate lane's seen in a passage and each charging circuit's seen in a charging
event (from the events table at start, and as new ones arrive).  States go to
``gatewarden/<site>/hub/ha/...`` as the events flow (:mod:`hub.integrations.ha_discovery` builds it all).

A press of a lane's open button arrives on ``gatewarden/<site>/hub/ha/lane/<device>/<lane>/open``.
It becomes a writer job that writes the audit entry (actor ``homeassistant``, action
``lane_open``) and, after commit, the hub publishes a ``cmd`` with ``by = "homeassistant"``.
Presses for lanes the hub has never seen, other payloads than ``PRESS`` and presses within
``open_cooldown`` of the last are refused, counted and logged.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import uuid
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gwcommon import wire
from hub.integrations import ha_discovery as ha

if TYPE_CHECKING:
    from hub.core.port import HubPort as Hub

logger = logging.getLogger(__name__)
_STOP = ("stop",)


class HomeAssistantLink:
    """The HA connection and its worker thread (paho callbacks only enqueue)."""

    def __init__(self, hub: "Hub"):
        self.hub = hub
        self.settings: ha.HomeAssistantConfig = hub.config.homeassistant
        self.site = hub.config.site.id
        self.version = _version()
        self.lanes: set[tuple[str, str]] = set()
        self.circuits: set[tuple[str, str]] = set()
        self.stats: Counter[str] = Counter()
        self.connected = threading.Event()
        self._opened: dict[tuple[str, str], datetime] = {}
        self._site_state: dict[str, Any] | None = None
        self._site_due: datetime | None = None
        self._queue: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self.client = self._make_client()

    # -- life cycle --------------------------------------------------------------------------------

    def _make_client(self):
        from gwcommon.mqtt import make_client

        client = make_client(self.hub.config.mqtt, f"gatewarden-hub-{self.site}-ha")
        client.will_set(ha.hub_status_topic(self.site), b"offline", qos=1, retain=True)
        client.on_connect = lambda c, u, f, rc, p: self._queue.put(("connect", rc.is_failure, str(rc)))
        client.on_disconnect = lambda *a: self.connected.clear()
        client.on_message = lambda c, u, m: self._queue.put(("press", m.topic, bytes(m.payload)))
        return client

    def start(self) -> None:
        mqtt = self.hub.config.mqtt
        self._thread = threading.Thread(target=self._run, name="hub-homeassistant", daemon=True)
        self._thread.start()
        self.client.connect_async(mqtt.host, mqtt.port, keepalive=mqtt.keepalive)
        self.client.loop_start()

    def stop(self) -> None:
        if self.connected.is_set():
            self.client.publish(ha.hub_status_topic(self.site), b"offline", qos=1, retain=True).wait_for_publish(3)
        self.client.disconnect()
        self.client.loop_stop()
        self._queue.put(_STOP)
        if self._thread is not None:
            self._thread.join(5)

    # -- the worker thread -------------------------------------------------------------------------

    def _run(self) -> None:
        while (item := self._queue.get()) != _STOP:
            try:
                self._handle(item)
            except Exception:  # the worker must survive anything
                logger.exception("Home Assistant link: %s failed", item[0])

    def _handle(self, item: tuple) -> None:
        if item[0] == "connect":
            self._on_connect(item[1], item[2])
        elif item[0] == "press":
            self._on_press(item[1], item[2])
        elif item[0] == "publish":
            self._send(item[1], item[2], retain=item[3])
        elif item[0] == "announce":
            self._announce(item[1])

    def _on_connect(self, failed: bool, reason: str) -> None:
        if failed:
            logger.error("Home Assistant link: the broker refused the connection: %s", reason)
            return
        self.client.subscribe(f"{ha.state_root(self.site)}/lane/+/+/open", qos=1)
        self._send(ha.hub_status_topic(self.site), b"online", retain=True)
        self.connected.set()
        entities = ha.site_entities(self.site, self.hub.config.site.name, lang=self.settings.language,
                                    version=self.version)
        for device, lane in sorted(self.lanes):
            entities += self._lane(device, lane)
        for device, circuit in sorted(self.circuits):
            entities += self._circuit(device, circuit)
        self._announce(entities)
        logger.info("Home Assistant discovery published: %d entities under %s/", len(entities), self.settings.prefix)

    def _announce(self, entities: list[ha.Entity]) -> None:
        for entity in entities:
            self._send(entity.topic(self.settings.prefix), json.dumps(entity.config, ensure_ascii=False).encode(),
                       retain=True)
            self.stats["discovery"] += 1

    def _send(self, topic: str, payload: bytes, *, retain: bool) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain)

    def _lane(self, device: str, lane: str) -> list[ha.Entity]:
        return ha.lane_entities(self.site, device, lane, lang=self.settings.language, version=self.version,
                                open_button=self.settings.open_buttons)

    def _circuit(self, device: str, circuit: str) -> list[ha.Entity]:
        return ha.circuit_entities(self.site, device, circuit, lang=self.settings.language, version=self.version)

    # -- open buttons ------------------------------------------------------------------------------

    def _on_press(self, topic: str, payload: bytes) -> None:
        where = ha.parse_open_topic(self.site, topic)
        refusal = self._refusal(where, payload)
        if refusal:
            self.stats["press_refused"] += 1
            logger.warning("Home Assistant open on %s refused: %s", topic[:160], refusal)
            return
        device, lane = where  # type: ignore[misc]
        now = self.hub.clock.now()
        self._opened[(device, lane)] = now
        command = wire.Command(id=f"ha-{uuid.uuid4().hex[:16]}", ts=now, op="open", lane=lane,
                               by="homeassistant", reason="Home Assistant button")
        self.hub.writer.submit(lambda db: _audit(db, now, device, command),
                               after_commit=lambda _: self._command(device, command))

    def _refusal(self, where: tuple[str, str] | None, payload: bytes) -> str:
        if not self.settings.open_buttons:
            return "open buttons are off ([homeassistant] open_buttons = false)"
        if where is None or where not in self.lanes:
            return "no such lane (the hub has seen no passage from it)"
        if payload.strip() != ha.PRESS.encode():
            return f"payload is not {ha.PRESS}"
        if not ha.may_open(self._opened.get(where), self.hub.clock.now(), self.settings.open_cooldown):
            return f"pressed again within {self.settings.open_cooldown.total_seconds():g} s"
        return ""

    def _command(self, device: str, command: wire.Command) -> None:
        self.hub.publish(wire.topic(self.site, device, "cmd"), wire.encode(command))
        self.stats["opened"] += 1
        logger.info("lane %s/%s opened from Home Assistant (command %s)", device, command.lane, command.id)

    # -- event handlers and the tick (writer thread: they only enqueue) ----------------------------

    def on_passage(self, db: Any, event: Any, ctx: Any) -> None:
        key = (ctx.device, event.lane)
        if key not in self.lanes:
            self.lanes.add(key)
            self._queue.put(("announce", self._lane(*key)))
        self._site_due = None  # cars inside changed: recompute the site's figures at the next tick
        state = ha.passage_state(event, lang=self.settings.language)
        self._publish(ha.lane_topic(self.site, ctx.device, event.lane, "passage"), state, retain=True)
        self._queue.put(("publish", ha.lane_topic(self.site, ctx.device, event.lane, "passed"), b"ON", False))

    def on_charging(self, db: Any, event: Any, ctx: Any) -> None:
        key = (ctx.device, event.circuit)
        if key not in self.circuits:
            self.circuits.add(key)
            self._queue.put(("announce", self._circuit(*key)))
        self._publish(ha.circuit_topic(self.site, ctx.device, event.circuit), ha.charging_state(event), retain=True)

    def tick(self, db: Any, site_time: Any) -> None:
        now = self.hub.clock.now()
        if self._site_due is not None and now < self._site_due:
            return
        self._site_due = now + self.settings.site_every
        try:
            state = site_figures(db, spaces=self.hub.config.site.spaces, at=site_time.now)
        except Exception as exc:  # the overnight area's tables or module missing: say so once
            if not self.stats["site_unreadable"]:
                logger.warning("Home Assistant: site figures unavailable: %s", exc)
            self.stats["site_unreadable"] += 1
            return
        if state != self._site_state:
            self._site_state = state
            self._publish(ha.site_topic(self.site), state, retain=True)

    def _publish(self, topic: str, data: dict, *, retain: bool) -> None:
        self._queue.put(("publish", topic, json.dumps(data, ensure_ascii=False).encode(), retain))

    def load(self, db: Any) -> None:
        """The lanes and circuits already in the events table."""
        self.lanes |= {(d, n) for d, n in db.execute(
            "SELECT DISTINCT device, json_extract(body, '$.lane') FROM events WHERE kind = 'passage'") if n}
        self.circuits |= {(d, n) for d, n in db.execute(
            "SELECT DISTINCT device, json_extract(body, '$.circuit') FROM events WHERE kind = 'charging'") if n}


def site_figures(db: Any, *, spaces: int, at: datetime) -> dict[str, Any]:
    """Cars inside and free spaces (hub.occupancy) and open violations, from the overnight area's tables."""
    from hub.overnight import occupancy_snapshot

    figures = occupancy_snapshot(db, spaces=spaces, at=at)
    open_count = db.execute("SELECT count(*) FROM violations WHERE state = 'open'").fetchone()[0]
    return {"inside": figures["inside"], "free": figures["free"], "spaces": spaces, "open_violations": open_count}


def _audit(db: Any, now: datetime, device: str, command: wire.Command) -> None:
    from hub.web import audit

    audit.record(db, now, "homeassistant", "lane_open", target=f"{device}/{command.lane}",
                 detail={"reason": command.reason, "command": command.id})


def _version() -> str:
    from gwcommon.version import package_version

    return package_version()


def attach(hub: "Hub") -> HomeAssistantLink | None:
    """Start the Home Assistant link when ``[homeassistant] enabled``; stops with the hub."""
    if not hub.config.homeassistant.enabled:
        return None
    link = HomeAssistantLink(hub)
    from hub.core.db import open_reader

    reader = open_reader(hub.db_path)
    try:
        link.load(reader)
    finally:
        reader.conn.close()
    hub.on_event("passage", link.on_passage)
    hub.on_event("charging", link.on_charging)
    hub.add_tick(link.tick)
    hub.on_stop(link.stop)
    link.start()
    return link
