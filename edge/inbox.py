"""What the hub sends to an edge device: commands and the site allowlist, handed to handlers.

paho's network thread only queues messages here (:meth:`Inbox.put`); one "edge-inbox" thread
checks them against the wire contract and calls the handlers the sensor code registered, so a
slow handler (a relay pulse, writing the allowlist to disk) never holds up the publisher.  Invalid
messages are logged and counted, never passed on; a failing handler is logged and counted.  The
thread survives any message: whatever a message raises is counted (``inbox_errors``) and the
thread goes on to the next one, so a poison ``cmd`` can never stop the allowlist updates (a
revoked tag must stop opening) or fire-mode commands.  ``on_problem(reason)`` hears each refused
message, ``on_problem(None)`` each valid one (the publisher turns that into a fault event).
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable

from gwcommon import wire
from gwcommon.exc import InvalidMessage

logger = logging.getLogger(__name__)

MAX_ALLOWLIST_BYTES = 8 * 1024 * 1024


class Inbox:
    """Dispatches ``cmd`` messages for ``cmd_topic`` and allowlists; ``stats`` gets the counts.

    ``stats`` needs the counters ``invalid_commands``, ``invalid_allowlists`` and
    ``handler_errors`` (the publisher passes its :class:`~edge.publisher.PublisherStats`).
    """

    def __init__(self, cmd_topic: str, stats: Any, *, on_problem: Callable[[str | None], None] | None = None):
        self.cmd_topic, self.stats = cmd_topic, stats
        self.on_problem = on_problem
        self._queue: queue.Queue = queue.Queue()
        self._command_handlers: list[Callable[[wire.Command], None]] = []
        self._allowlist_handlers: list[Callable[[wire.Allowlist], None]] = []
        self.allowlist: wire.Allowlist | None = None
        self._thread = threading.Thread(target=self._run, name="edge-inbox", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout)

    def put(self, topic: str, payload: bytes) -> None:
        """Queue a message (called from paho's thread; never blocks)."""
        self._queue.put(("message", topic, payload))

    def on_command(self, handler: Callable[[wire.Command], None]) -> None:
        self._command_handlers.append(handler)

    def on_allowlist(self, handler: Callable[[wire.Allowlist], None]) -> None:
        self._allowlist_handlers.append(handler)
        if self.allowlist is not None:
            self._queue.put(("replay", handler, self.allowlist))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                if item[0] == "replay":
                    self._call(item[1], item[2])
                else:
                    self._deliver(item[1], item[2])
            except Exception as exc:  # noqa: BLE001 — the inbox outlives any message
                self.stats.inbox_errors += 1
                logger.exception("the inbox could not handle a message on %s; going on", str(item[1])[:120])
                self._problem(f"{type(exc).__name__}: {str(exc)[:200]}")

    def _problem(self, reason: str | None) -> None:
        if self.on_problem is None:
            return
        try:
            self.on_problem(reason)
        except Exception:  # noqa: BLE001 — reporting must not stop the inbox either
            logger.exception("could not report an inbox problem")

    def _deliver(self, topic: str, payload: bytes) -> None:
        if topic == self.cmd_topic:
            try:
                command = wire.decode(topic, payload)[1]
            except InvalidMessage as exc:
                self.stats.invalid_commands += 1
                logger.warning("ignoring an invalid command on %s: %s", topic, exc.reason)
                self._problem(f"cmd: {exc.reason}")
                return
            self._problem(None)
            for handler in list(self._command_handlers):
                self._call(handler, command)
        elif not payload:
            logger.info("the site allowlist was cleared on the broker; keeping the last one")
        else:
            allowlist = self._decode_allowlist(payload)
            if allowlist is not None:
                self._problem(None)
                self.allowlist = allowlist
                for handler in list(self._allowlist_handlers):
                    self._call(handler, allowlist)

    def _decode_allowlist(self, payload: bytes) -> wire.Allowlist | None:
        # The wire's 16 KiB limit is for events; a compound's allowlist may be larger.
        try:
            if len(payload) > MAX_ALLOWLIST_BYTES:
                raise InvalidMessage(f"allowlist is {len(payload)} bytes (at most {MAX_ALLOWLIST_BYTES})")
            return wire.decode_payload("allowlist", payload)
        except InvalidMessage as exc:
            self.stats.invalid_allowlists += 1
            logger.warning("ignoring an invalid allowlist (keeping the previous one): %s", exc.reason)
            self._problem(f"allowlist: {exc.reason}")
            return None

    def _call(self, handler: Callable[[Any], None], message: Any) -> None:
        try:
            handler(message)
        except Exception:
            self.stats.handler_errors += 1
            logger.exception("a %s handler failed", type(message).__name__)
