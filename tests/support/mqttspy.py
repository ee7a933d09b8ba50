"""A plain paho client for tests: records what arrives, publishes what a hub would (acks, cmd)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion


@dataclass(frozen=True)
class Seen:
    topic: str
    payload: bytes
    retain: bool

    def json(self) -> Any:
        return json.loads(self.payload)


class Spy:
    """Subscribes to ``topics`` (default everything under gatewarden/) on a private broker."""

    def __init__(self, port: int, topics: tuple[str, ...] = ("gatewarden/#",), client_id: str = ""):
        self.port, self.topics = port, topics
        self.seen: list[Seen] = []
        self._cond = threading.Condition()
        self._subscribed = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(0.1, 0.5)

    def start(self) -> "Spy":
        self.client.connect_async("127.0.0.1", self.port, keepalive=5)
        self.client.loop_start()
        assert self._subscribed.wait(10), "spy did not subscribe"
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client, userdata, flags, rc, props) -> None:
        client.subscribe([(t, 1) for t in self.topics])

    def _on_message(self, client, userdata, message) -> None:
        with self._cond:
            self.seen.append(Seen(message.topic, message.payload, bool(message.retain)))
            self._cond.notify_all()

    def of(self, suffix: str) -> list[Seen]:
        with self._cond:
            return [m for m in self.seen if m.topic.endswith("/" + suffix)]

    def wait_for(self, predicate: Callable[["Spy"], Any], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not (result := predicate(self)):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"condition not met within {timeout}s; seen {len(self.seen)} messages")
                self._cond.wait(min(left, 0.1))
            return result

    def publish(self, topic: str, payload: bytes | str, *, retain: bool = False, qos: int = 1) -> None:
        self.client.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(5)


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``predicate`` every 20 ms until it is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        time.sleep(0.02)
    return result
