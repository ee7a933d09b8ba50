"""Faults the edge's own MQTT side raises (自检故障): bad messages from the network, forged acks.

A poison ``cmd`` or ``allowlist``, or an ``ack`` for a seq this device never issued, is refused,
logged and counted — and raised once as a fault event, so the hub's device page and chat show it.
:class:`FaultLatch` decides when a fault event is due: on a change of state (raised ↔ cleared),
and never more often than ``min_interval`` seconds per code, so a flood of bad messages costs one
event, not one per message.  Pure: the caller passes the monotonic time and emits the event.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

BAD_MESSAGE = "bad_message"  # a cmd or allowlist that breaks the wire contract
ACK_AHEAD = "ack_ahead"  # an ack above the newest seq this device has issued (forged or a replaced outbox)


@dataclass
class _Code:
    active: bool = False
    emitted: bool = False  # the state the last fault event said
    last_emit: float | None = None


class FaultLatch:
    """Per-code raised/cleared state with a minimum interval between fault events."""

    def __init__(self, *, min_interval: float = 60.0):
        self.min_interval = min_interval
        self._codes: dict[str, _Code] = {}
        self._lock = threading.Lock()

    def note(self, code: str, active: bool, now: float) -> bool:
        """The state of ``code`` is now ``active``; True when a fault event should be emitted now
        (a change the hub has not been told, and ``min_interval`` since this code's last event)."""
        with self._lock:
            state = self._codes.setdefault(code, _Code())
            state.active = active
            if active == state.emitted:
                return False
            if state.last_emit is not None and now - state.last_emit < self.min_interval:
                return False
            state.emitted, state.last_emit = active, now
            return True

    def active(self, code: str) -> bool:
        with self._lock:
            return self._codes.get(code, _Code()).active
