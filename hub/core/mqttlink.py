"""The hub's MQTT session: a persistent MQTT 5 session that hands every message to the writer.

- ``clean_start=False`` with a session expiry (``[mqtt] session_expiry``): while the hub is away
  the broker keeps its subscriptions and queues QoS 1 messages for it (up to the broker's
  ``max_queued_messages``; beyond that the edges' outboxes keep what the hub has not acked).
- Manual acknowledgement: the hub PUBACKs a message to the broker only after the transaction
  holding it has committed, so a hub killed mid-batch gets the message again on reconnect.
- Callbacks only enqueue (they run on paho's network thread).
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

from paho.mqtt.client import MQTT_ERR_NO_CONN, MQTT_ERR_SUCCESS, Client, MQTTMessage, MQTTMessageInfo
from paho.mqtt.subscribeoptions import SubscribeOptions

from gwcommon.clock import Clock
from gwcommon.config import MqttConfig
from gwcommon.mqtt import connect_properties, make_client
from hub.core.ingest import RawMessage

logger = logging.getLogger(__name__)

RECEIVE_MAXIMUM = 1000  # messages the broker may have in flight to the hub before it waits for acks


class HubLink:
    """One paho client for the hub: subscribe, deliver, ack after commit, publish."""

    def __init__(self, config: MqttConfig, site: str, *, clock: Clock,
                 deliver: Callable[[RawMessage, Callable[[], None]], None]):
        self.config = config
        self.site = site
        self.clock = clock
        self.deliver = deliver
        self.client: Client = make_client(config, client_id=f"gatewarden-hub-{site}")
        self.client.manual_ack_set(True)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self._subscribe_mid: int | None = None
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.connected = threading.Event()
        self.intake = True
        self._stopping = False
        self._generation = 0
        self._lock = threading.Lock()
        self._last_publish: MQTTMessageInfo | None = None
        self._acks: queue.SimpleQueue = queue.SimpleQueue()
        self._acker: threading.Thread | None = None
        # Everything under the site, not only the contract's patterns: a message on a mistyped
        # topic (an extra level, a trailing '/') lands in the quarantine instead of nowhere.
        self.topics = [f"gatewarden/{site}/#"]

    def start(self) -> None:
        """Connect in the background (retrying with backoff while the broker is down)."""
        props = connect_properties(self.config.session_expiry)
        props.ReceiveMaximum = RECEIVE_MAXIMUM
        self.client.connect_async(self.config.host, self.config.port, keepalive=self.config.keepalive,
                                  clean_start=False, properties=props)
        self.client.loop_start()
        self._acker = threading.Thread(target=self._run_acker, name="hub-mqtt-acks", daemon=True)
        self._acker.start()

    def stop_intake(self) -> None:
        """Stop handing messages on; those not yet acked come again in the next session."""
        self.intake = False

    def stop(self, timeout: float = 3.0) -> None:
        """Let the last publishes leave, then disconnect (the session stays on the broker)."""
        if self._acker is not None:
            self._acks.put(None)
            self._acker.join(timeout)
        info = self._last_publish
        if info is not None and self.connected.is_set():
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """QoS 1; while disconnected paho keeps the message in memory and sends it on reconnect."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        if info.rc not in (MQTT_ERR_SUCCESS, MQTT_ERR_NO_CONN):
            logger.error("could not queue publish to %s: %s", topic, info.rc)
        self._last_publish = info

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            logger.error("broker %s:%s refused the hub: %s", self.config.host, self.config.port, reason_code)
            return
        logger.info("connected to broker %s:%s (session %s)", self.config.host, self.config.port,
                    "resumed" if flags.session_present else "new")
        options = SubscribeOptions(qos=1, noLocal=True)
        _, self._subscribe_mid = client.subscribe([(t, options) for t in self.topics])

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        """``connected`` means ready to receive: set only once the broker has granted the topics,
        so nothing published in between is missed by a new session."""
        if mid != self._subscribe_mid:
            return
        refused = [code for code in reason_codes if code.is_failure]
        if refused:
            logger.error("broker %s:%s refused the hub's subscriptions: %s", self.config.host, self.config.port,
                         ", ".join(str(code) for code in refused))
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        with self._lock:
            self._generation += 1
        if self.connected.is_set() and not self._stopping:
            logger.warning("lost the broker %s:%s (%s); reconnecting", self.config.host, self.config.port, reason_code)
        self.connected.clear()

    def _on_message(self, client, userdata, msg: MQTTMessage) -> None:
        try:
            if not self.intake:
                return
            try:
                topic = msg.topic
            except UnicodeDecodeError:
                topic = repr(msg._topic)[:200]
            raw = RawMessage(topic, bytes(msg.payload), self.clock.now(), retain=bool(msg.retain))
            generation, mid, qos = self._generation, msg.mid, msg.qos
            self.deliver(raw, lambda: self._ack(generation, mid, qos))
        except Exception:  # never let an exception stop paho's network thread
            logger.exception("could not queue an MQTT message for storage")

    def _ack(self, generation: int, mid: int, qos: int) -> None:
        """PUBACK once stored (called after commit); sent from the acker thread, off the writer's path."""
        if qos:
            self._acks.put((generation, mid, qos))

    def _run_acker(self) -> None:
        while (item := self._acks.get()) is not None:
            generation, mid, qos = item
            with self._lock:  # a message of a connection that is gone is resent by the broker
                if generation == self._generation:
                    self.client.ack(mid, qos)
