"""The edge's MQTT side: sends the outbox to the hub and receives acks, commands and the allowlist.

One :class:`Publisher` per device (paho, MQTT 5, QoS 1, clean start).  What it does:

* On connect: publishes the retained status ``{"online": true, "kind", "version", "ts"}`` (the
  MQTT will, set before connecting, publishes the retained ``{"online": false}`` when the edge
  dies), and subscribes to its retained ``ack``, its ``cmd`` and the site's ``allowlist``.
* Sends outbox rows in seq order with a bounded in-flight window; after every (re)connect or
  restart it sends again everything the hub has not acknowledged (see :mod:`edge.sendwindow`).
* Deletes rows only when the hub's ``ack`` covers them (``Outbox.ack``); a broker PUBACK is not
  delivery.  A publish the broker refuses (MQTT 5 reason code ≥ 0x80) stays in the outbox, is
  logged once with the reason, counted in :attr:`PublisherStats.refused`, and retried with backoff.
* Publishes a heartbeat ``{"ts", "last_seq", "outbox"}`` at QoS 0 every ``heartbeat`` seconds.
* :meth:`stop` publishes the retained ``{"online": false}`` and disconnects cleanly.

Threads: paho's network thread only puts what happened on a queue; one "pump" thread owns every
decision and every outbox read/delete; one "inbox" thread runs command and allowlist handlers, so a
slow handler never holds up acks.  Sensors never wait for the network: they call ``Outbox.emit``,
which returns once the event is on disk.

Example::

    publisher = Publisher(outbox, mqtt=config.mqtt, site="pingan-2", device="gate-north",
                          kind="gate", clock=SystemClock())
    publisher.on_command(lambda cmd: print(cmd.op))
    publisher.start()
    ...
    publisher.stop()
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from edge.inbox import Inbox
from edge.outbox import Outbox, OutboxRow
from edge.selffaults import ACK_AHEAD, BAD_MESSAGE, FaultLatch
from edge.sendwindow import SendWindow
from gwcommon import wire
from gwcommon.clock import Clock
from gwcommon.config import MqttConfig
from gwcommon.exc import InvalidMessage
from gwcommon.mqtt import make_client
from gwcommon.version import package_version

logger = logging.getLogger(__name__)

OFFLINE = b'{"online":false}'
_STOP = ("stop",)


@dataclass
class PublisherStats:
    """Counters for logs, metrics and tests."""

    published: int = 0
    confirmed: int = 0
    refused: int = 0
    rewinds: int = 0
    acks: int = 0
    acks_ignored: int = 0
    heartbeats: int = 0
    connects: int = 0
    snapshots_sent: int = 0
    snapshots_refused: int = 0
    invalid_commands: int = 0
    invalid_allowlists: int = 0
    handler_errors: int = 0
    inbox_errors: int = 0
    faults_raised: int = 0


class Publisher:
    """Sends one device's outbox over MQTT and keeps it in step with the hub's acks.

    ``outbox``: the device's :class:`~edge.outbox.Outbox`.  ``mqtt``: broker settings.
    ``site``/``device``/``kind``: who this is (topics and status).  ``clock``: stamps status and
    heartbeat ``ts`` (timers run on real time).  ``heartbeat``, ``window``, ``ack_timeout``: see
    ``[outbox]`` in docs/configuration.md.  ``settle``: how long after connecting to wait for the
    retained ack before resending.  ``client_id``: defaults to ``gw-<site>-<device>``.
    """

    def __init__(self, outbox: Outbox, *, mqtt: MqttConfig, site: str, device: str, kind: str,
                 clock: Clock, heartbeat: float = 10.0, window: int = 100,
                 ack_timeout: float = 30.0, settle: float = 0.5, version: str | None = None,
                 client_id: str | None = None):
        self.outbox, self.mqtt, self.clock = outbox, mqtt, clock
        self.site, self.device, self.kind = site, device, kind
        self.heartbeat_interval = heartbeat
        self.version = version or package_version()
        self.stats = PublisherStats()
        self.state = SendWindow(window=window, ack_timeout=ack_timeout, settle=settle)
        self._queue: queue.Queue = queue.Queue()
        self._wake_pending = threading.Event()
        self._connected = threading.Event()
        self._snap_inflight: dict[int, str] = {}
        self._snap_retry_at = 0.0
        self._next_heartbeat = 0.0
        self.faults = FaultLatch()
        self.inbox = Inbox(self.topic("cmd"), self.stats, on_problem=self._inbox_problem)
        self._threads: list[threading.Thread] = []
        self._warned: set[str] = set()
        self.client = self._make_client(client_id or f"gw-{site}-{device}")
        outbox.add_listener(self._wake)

    def topic(self, kind: str, event_id: str | None = None) -> str:
        """This device's topic for ``kind`` (``status``, ``ack``, ``passage``…)."""
        return wire.topic(self.site, self.device, kind, event_id)

    # -- public API -----------------------------------------------------------------------

    def start(self) -> "Publisher":
        """Connect in the background (retrying with backoff) and start sending."""
        self.client.connect_async(self.mqtt.host, self.mqtt.port, keepalive=self.mqtt.keepalive,
                                  clean_start=True)
        self.client.loop_start()
        thread = threading.Thread(target=self._pump, name="edge-publisher", daemon=True)
        thread.start()
        self._threads.append(thread)
        self.inbox.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Publish the retained offline status, disconnect cleanly and stop the threads."""
        self._queue.put(_STOP)
        self.inbox.stop(timeout)
        for thread in self._threads:
            thread.join(timeout)
        if self._connected.is_set():
            info = self.client.publish(self.topic("status"), OFFLINE, qos=1, retain=True)
            try:
                info.wait_for_publish(min(timeout, 2.0))
            except (RuntimeError, ValueError) as exc:
                logger.warning("offline status not confirmed before disconnecting: %s", exc)
        self.client.disconnect()
        self.client.loop_stop()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        """Block until connected (for tests and start-up logs); False after ``timeout``."""
        return self._connected.wait(timeout)

    def on_command(self, handler: Callable[[wire.Command], None]) -> None:
        """Call ``handler(command)`` (on the inbox thread) for every valid ``cmd`` to this device.

        Commands sent while the device is offline are not queued for it (clean session): a gate
        must never open on a stale order.  Invalid commands are logged and counted.
        """
        self.inbox.on_command(handler)

    def on_allowlist(self, handler: Callable[[wire.Allowlist], None]) -> None:
        """Call ``handler(allowlist)`` (on the inbox thread) for every valid site allowlist.

        The allowlist is retained: a handler added after it arrived gets the latest one at once.
        """
        self.inbox.on_allowlist(handler)

    # -- paho callbacks: only enqueue -----------------------------------------------------

    def _make_client(self, client_id: str):
        client = make_client(self.mqtt, client_id)
        client.will_set(self.topic("status"), OFFLINE, qos=1, retain=True)
        client.on_connect = lambda c, u, f, rc, p: self._queue.put(("connect", rc.is_failure, str(rc)))
        client.on_disconnect = lambda c, u, f, rc, p: self._queue.put(("disconnect", str(rc)))
        client.on_connect_fail = lambda c, u: self._queue.put(("connect", True, "not reachable"))
        client.on_publish = lambda c, u, mid, rc, p: self._queue.put(("puback", mid, rc.value, str(rc)))
        client.on_message = self._on_message
        return client

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        if message.topic == self.topic("ack"):
            self._queue.put(("ack", message.payload))
        else:
            self.inbox.put(message.topic, message.payload)

    def _wake(self) -> None:
        if not self._wake_pending.is_set():
            self._wake_pending.set()
            self._queue.put(("wake",))

    # -- the pump thread ------------------------------------------------------------------

    def _pump(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self._sleep_time())
            except queue.Empty:
                item = None
            items = [item] if item else []
            while not self._queue.empty() and len(items) < 1000:
                items.append(self._queue.get_nowait())
            if _STOP in items:
                return
            try:
                for entry in items:
                    self._handle(entry)
                self._tick(time.monotonic())
            except Exception:  # the pump must survive anything; the outbox keeps the data
                logger.exception("edge publisher: unexpected error; carrying on")
                time.sleep(0.5)

    def _sleep_time(self) -> float:
        now = time.monotonic()
        moments = [self._next_heartbeat] if self.state.connected else []
        due = self.state.next_deadline(now)
        if due is not None:
            moments.append(due)
        return max(0.01, min([m - now for m in moments] + [1.0]))

    def _handle(self, item: tuple) -> None:
        now = time.monotonic()
        if item[0] == "wake":
            self._wake_pending.clear()
        elif item[0] == "connect":
            self._on_connected(failed=item[1], reason=item[2], now=now)
        elif item[0] == "disconnect":
            self._on_disconnected(item[1])
        elif item[0] == "puback":
            self._on_puback(item[1], item[2], item[3], now)
        elif item[0] == "ack":
            self._on_ack(item[1], now)

    def _on_connected(self, *, failed: bool, reason: str, now: float) -> None:
        if failed:
            self._warn_once(f"connect:{reason}", "cannot connect to the broker %s:%d (%s); retrying "
                            "in the background, events wait in the outbox", self.mqtt.host,
                            self.mqtt.port, reason)
            return
        self.stats.connects += 1
        self._warned = {w for w in self._warned if not w.startswith("connect:")}
        logger.info("connected to %s:%d as %s/%s", self.mqtt.host, self.mqtt.port, self.site, self.device)
        status = wire.Status(online=True, kind=self.kind, version=self.version, ts=self.clock.now())
        self.client.publish(self.topic("status"), wire.encode(status), qos=1, retain=True)
        self.client.subscribe([(self.topic("ack"), 1), (self.topic("cmd"), 1),
                               (wire.topic(self.site, None, "allowlist"), 1)])
        self.state.acked = max(self.state.acked, self.outbox.acked_seq)
        self.state.on_connected(now)
        self._snap_inflight.clear()
        self._next_heartbeat = now
        self._connected.set()

    def _on_disconnected(self, reason: str) -> None:
        if self._connected.is_set():
            logger.warning("disconnected from the broker (%s); %d event(s) wait in the outbox",
                           reason, self.outbox.count())
        self._connected.clear()
        self.state.on_disconnected()
        self._snap_inflight.clear()

    def _on_puback(self, mid: int, code: int, reason: str, now: float) -> None:
        if mid in self._snap_inflight:
            self._on_snapshot_puback(self._snap_inflight.pop(mid), code, reason, now)
            return
        seq, report = self.state.on_puback(mid, code, reason, now)
        if seq is None:
            return
        if code < 0x80:
            self.stats.confirmed += 1
            return
        self.stats.refused += 1
        if report:
            logger.warning("the broker refused event seq %d: %s (reason code 0x%02X); it stays in "
                           "the outbox and is retried with backoff (check the broker's ACL and "
                           "message_size_limit)", seq, reason, code)

    def _on_ack(self, payload: bytes, now: float) -> None:
        if not payload:
            return  # a cleared retained ack (the hub forgot this device): nothing to delete
        try:
            ack = wire.decode_payload("ack", payload)
        except InvalidMessage as exc:
            self.stats.acks_ignored += 1
            self._warn_once("ack-invalid", "ignoring an invalid ack on %s: %s", self.topic("ack"), exc.reason)
            return
        self.stats.acks += 1
        if not self.outbox.numbering_confirmed and self.outbox.follow_hub(ack.seq):
            logger.warning("new outbox: the hub already holds this device's events up to seq %d; "
                           "numbering continues from %d", ack.seq, ack.seq + 1)
        if ack.seq > self.outbox.last_seq:
            self.stats.acks_ignored += 1
            self._warn_once("ack-ahead", "ignoring the hub's ack for seq %d: this device has issued "
                            "only %d (a forged ack, or was the outbox file replaced?)", ack.seq, self.outbox.last_seq)
            self.state.on_ack(self.state.acked, now)
            self._self_fault(ACK_AHEAD, f"ack for seq {ack.seq} refused: this device has issued only "
                             f"{self.outbox.last_seq}")
            return
        self._self_fault(ACK_AHEAD, None)
        if self.state.on_ack(ack.seq, now) or ack.seq > self.outbox.acked_seq:
            deleted = self.outbox.ack(ack.seq)
            logger.debug("hub acknowledged through seq %d: %d row(s) deleted", ack.seq, deleted)

    # -- faults of the MQTT side itself ------------------------------------------------------

    def _inbox_problem(self, reason: str | None) -> None:
        self._self_fault(BAD_MESSAGE, reason)

    def _self_fault(self, code: str, reason: str | None) -> None:
        """Raise (``reason``) or clear (None) a fault about what the network sent us, rate-limited."""
        if not self.faults.note(code, reason is not None, time.monotonic()):
            return
        try:
            self.outbox.emit("fault", {"code": code, "active": reason is not None, "detail": (reason or "")[:1000]})
            self.stats.faults_raised += 1
        except Exception:  # noqa: BLE001 — a full disk must not stop the pump or the inbox
            logger.exception("could not store the %s fault event", code)

    # -- sending --------------------------------------------------------------------------

    def _tick(self, now: float) -> None:
        if not self.state.connected:
            return
        if now >= self._next_heartbeat:
            self._heartbeat(now)
        if self.state.stall_due(now):
            self._check_stall(now)
        self._send_retries(now)
        self._send_rows(now)
        self._send_snapshots(now)

    def _send_rows(self, now: float) -> None:
        while self.state.may_send(now):
            rows = self.outbox.pending(after=self.state.cursor, limit=self.state.free())
            if not rows:
                return
            for row in rows:
                if self.state.skip(row.seq, now):
                    self.state.cursor = row.seq
                elif not self._publish(row):
                    return

    def _send_retries(self, now: float) -> None:
        for seq in self.state.due_retries(now):
            if not self.state.may_send(now):
                return
            row = self.outbox.get(seq)
            if row is None:
                self.state.refused.pop(seq, None)
            elif not self._publish(row):
                return

    def _publish(self, row: OutboxRow) -> bool:
        if not self.outbox.numbering_confirmed:
            self.outbox.confirm_numbering()
        info = self.client.publish(self.topic(row.kind), row.body, qos=1)
        if info.rc != 0:
            logger.debug("publish of seq %d not accepted by the client (rc %s)", row.seq, info.rc)
            return False
        self.state.on_sent(info.mid, row.seq, row.kind)
        self.stats.published += 1
        return True

    def _check_stall(self, now: float) -> None:
        oldest = self.outbox.pending(after=self.state.acked, limit=1)
        if not oldest or oldest[0].seq > self.state.cursor:
            self.state.touch(now)
            return
        waited = now - self.state.last_progress
        self.stats.rewinds += 1
        logger.warning("the hub has not acknowledged seq %d onward for %.0f s although the broker "
                       "took them; sending them again", oldest[0].seq, waited)
        self.state.rewind(now)

    def _heartbeat(self, now: float) -> None:
        beat = wire.Heartbeat(ts=self.clock.now(), last_seq=self.outbox.last_seq,
                              outbox=self.outbox.count())
        self.client.publish(self.topic("heartbeat"), wire.encode(beat), qos=0)
        self.stats.heartbeats += 1
        self._next_heartbeat = now + self.heartbeat_interval

    # -- snapshots (best effort) ----------------------------------------------------------

    def _send_snapshots(self, now: float) -> None:
        if self._snap_inflight or now < self._snap_retry_at or now < self.state.hold_until:
            return
        for snap in self.outbox.snapshots_ready(published_through=self.state.cursor, limit=2):
            info = self.client.publish(self.topic("snapshot", snap.event_id), snap.jpeg, qos=1)
            if info.rc != 0:
                return
            self._snap_inflight[info.mid] = snap.event_id

    def _on_snapshot_puback(self, event_id: str, code: int, reason: str, now: float) -> None:
        if code < 0x80:
            self.outbox.delete_snapshot(event_id)
            self.stats.snapshots_sent += 1
            self._snap_retry_at = 0.0
            return
        self.stats.snapshots_refused += 1
        self._snap_retry_at = now + 30.0
        self._warn_once(f"snapshot:{code}", "the broker refused the picture of event %s: %s "
                        "(reason code 0x%02X); kept and retried every 30 s until the picture "
                        "store's cap drops it", event_id, reason, code)

    def _warn_once(self, key: str, message: str, *args: Any) -> None:
        if key not in self._warned:
            self._warned.add(key)
            logger.warning(message, *args)
