"""Helpers to run a real hub in tests: against a private Mosquitto, on a temp directory.

    with make_hub(tmp_path, broker, clock=FakeClock()) as hub:
        pub = Publisher(broker.port)
        pub.event(hub, "gate-1", "passage", seq=1, lane="in-1", ...)
        wait_until(lambda: count_events(hub) == 1)

``make_hub`` returns a started hub (stop it, or use it in a ``with`` block).  Each hub gets its own
site id, so hubs of different tests never share a broker session.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from gwcommon.clock import Clock
from gwcommon.config import validate
from gwcommon.timefmt import format_ts
from hub.app import Hub
from hub.config import HubConfig

_SITES = iter(range(1, 1_000_000))


def unique_site() -> str:
    return f"t{uuid.uuid4().hex[:6]}-{next(_SITES)}"


def hub_config(tmp_path: Path, broker_port: int, *, site: str | None = None,
               overrides: dict[str, Any] | None = None) -> HubConfig:
    """A valid hub config for tests: storage in ``tmp_path/hub``, web on a free port."""
    data: dict[str, Any] = {
        "site": {"id": site or unique_site(), "name": "测试小区"},
        "storage": {"dir": str(tmp_path / "hub")},
        "mqtt": {"host": "127.0.0.1", "port": broker_port, "keepalive": 5},
        "web": {"listen": "127.0.0.1:0"},
        "log": {"format": "text"},
    }
    for section, values in (overrides or {}).items():
        if isinstance(values, dict) and isinstance(data.get(section), dict):
            data[section] = {**data[section], **values}
        else:
            data[section] = values
    return validate(data, HubConfig)


def make_hub(tmp_path: Path, broker, clock: Clock | None = None, config_overrides: dict | None = None,
             *, site: str | None = None, areas: Sequence[str] | None = (), connect: bool = True) -> Hub:
    """A started hub (no areas attached unless ``areas`` names them); waits for its MQTT session."""
    config = hub_config(tmp_path, broker.port, site=site, overrides=config_overrides)
    hub = Hub(config, clock=clock, areas=areas).start()
    if connect and not hub.link.connected.wait(10):
        hub.stop()
        raise TimeoutError("the hub did not connect to the test broker")
    return hub


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02,
               message: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy; return it, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout}s: {predicate}")
        time.sleep(interval)


def rows(hub: Hub, sql: str, params: Sequence[Any] = ()) -> list[dict]:
    """Read the hub database through a separate read connection (as the web view does)."""
    from hub.core.db import open_reader

    db = open_reader(hub.db_path)
    try:
        return list(db.query(sql, list(params)))
    finally:
        db.conn.close()


def count(hub: Hub, table: str, where: str = "1", params: Sequence[Any] = ()) -> int:
    return rows(hub, f"SELECT COUNT(*) AS n FROM {table} WHERE {where}", params)[0]["n"]


def ts(moment: datetime | None = None) -> str:
    return format_ts(moment or datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc))


EXAMPLES: dict[str, dict[str, Any]] = {
    "passage": {"lane": "in-1", "direction": "in", "tag": "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:2",
                "rssi": -60, "decision": "open", "reason": "allowlisted", "passed": True},
    "presence": {"zone": "east-strip", "tag": "eid:car-17", "present": True, "rssi": -70},
    "charging": {"circuit": "shed-a", "power_w": 310.5, "current_a": 1.4, "loads": 2},
    "fault": {"code": "ble_adapter_down", "active": True, "detail": "hci0 gone"},
}


def event_payload(kind: str, seq: int, *, id: str | None = None, at: datetime | None = None,
                  device: str = "dev", **fields: Any) -> dict[str, Any]:
    """A valid event payload: envelope + the example fields of ``kind`` (overridable)."""
    body = {"id": id or f"{device}:boot1:{seq}", "ts": ts(at), "seq": seq, "v": 1}
    return {**body, **EXAMPLES[kind], **fields}


class Publisher:
    """A plain paho client (MQTT 5) that publishes at QoS 1 and waits for each PUBACK."""

    def __init__(self, port: int, *, client_id: str | None = None, will: tuple[str, bytes] | None = None):
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id or f"pub-{uuid.uuid4().hex[:8]}",
                                  protocol=paho.MQTTv5)
        if will:
            self.client.will_set(will[0], will[1], qos=1, retain=True)
        connected = threading.Event()
        self.client.on_connect = lambda *a: connected.set()
        self.client.connect("127.0.0.1", port, keepalive=5)
        self.client.loop_start()
        if not connected.wait(10):
            raise TimeoutError("test publisher could not connect")

    def raw(self, topic: str, payload: bytes | str, *, qos: int = 1, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        if qos:
            info.wait_for_publish(10)

    def json(self, topic: str, data: dict, **kw: Any) -> None:
        self.raw(topic, json.dumps(data, ensure_ascii=False).encode(), **kw)

    def event(self, site: str, device: str, kind: str, seq: int, **fields: Any) -> dict[str, Any]:
        payload = event_payload(kind, seq, device=device, **fields)
        self.json(f"gatewarden/{site}/{device}/{kind}", payload)
        return payload

    def status(self, site: str, device: str, *, online: bool = True, kind: str = "gate") -> None:
        body = {"online": online, "kind": kind, "version": "test", "ts": ts()} if online else {"online": False}
        self.json(f"gatewarden/{site}/{device}/status", body, retain=True)

    def heartbeat(self, site: str, device: str, *, last_seq: int, outbox: int = 0,
                  at: datetime | None = None) -> None:
        self.json(f"gatewarden/{site}/{device}/heartbeat", {"ts": ts(at), "last_seq": last_seq, "outbox": outbox})

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> "Publisher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def publish_event(broker, site: str, device: str, kind: str, seq: int, **fields: Any) -> dict[str, Any]:
    """Publish one event with a short-lived client; returns the payload sent."""
    with Publisher(broker.port) as pub:
        return pub.event(site, device, kind, seq, **fields)


def ack_listener(port: int, site: str) -> tuple[paho.Client, dict[str, list[int]]]:
    """Subscribe to every ack of ``site``; returns the client and {device: [acked seqs in order]}."""
    seen: dict[str, list[int]] = {}
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"acks-{uuid.uuid4().hex[:8]}", protocol=paho.MQTTv5)

    def on_message(_c, _u, msg):
        seen.setdefault(msg.topic.split("/")[2], []).append(json.loads(msg.payload)["seq"])

    subscribed = threading.Event()
    client.on_message = on_message
    client.on_connect = lambda c, *a: c.subscribe(f"gatewarden/{site}/+/ack", qos=1)
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect("127.0.0.1", port, keepalive=5)
    client.loop_start()
    if not subscribed.wait(10):
        raise TimeoutError("ack listener could not subscribe")
    return client, seen
