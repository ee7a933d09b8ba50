"""What the publisher sends next: the in-flight window, refusals and resends (a decision module).

Pure bookkeeping, no I/O: :class:`edge.publisher.Publisher` feeds it what happened (connected,
PUBACK, the hub's ack) with the current monotonic time and asks what to do.  The rules:

* Rows go out in seq order from ``cursor`` (the last seq handed to the broker on this
  connection), with at most ``window`` publishes waiting for their PUBACK.
* After a (re)connect everything unacknowledged is sent again from the hub's ``ack`` on, but only
  after a short settle time or once the retained ack arrived, so rows the hub already holds are
  not resent needlessly.
* A PUBACK with an MQTT 5 reason code ≥ 0x80 (refused: not authorized, too large…) keeps the row;
  it is retried after a backoff (1 s, 2 s, 4 s … ``max_backoff``), out of order.
* A PUBACK is not delivery (a broker killed hard, or over its queue limit, forgets messages): when
  rows were handed over but the hub's ack has not moved for ``ack_timeout``, the cursor goes back
  to the ack and they are sent again; the wait doubles on each such resend up to
  ``max_stall_wait`` (10 minutes) and resets when the ack moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

REFUSED = 0x80  # MQTT 5: reason codes from 0x80 on are failures


@dataclass
class Retry:
    """A refused row or picture: how often, and when to try again."""

    attempts: int
    due: float
    reason: str


@dataclass
class SendWindow:
    """In-flight and retry state of one publisher connection (times are monotonic seconds)."""

    window: int = 100
    settle: float = 0.5
    ack_timeout: float = 30.0
    max_backoff: float = 300.0
    max_stall_wait: float = 600.0
    connected: bool = False
    hold_until: float = 0.0
    cursor: int = 0
    acked: int = 0
    inflight: dict[int, int] = field(default_factory=dict)  # mid -> seq
    refused: dict[int, Retry] = field(default_factory=dict)  # seq -> retry
    last_progress: float = 0.0
    stall_wait: float = 0.0
    kinds: dict[int, str] = field(default_factory=dict)  # mid -> event kind
    reported: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.stall_wait = self.ack_timeout

    # -- what happened --------------------------------------------------------------------

    def on_connected(self, now: float) -> None:
        """A new connection: forget what was in flight, resend from the ack after settling."""
        self.connected = True
        self.inflight.clear()
        self.kinds.clear()
        self.cursor = self.acked
        self.hold_until = now + self.settle
        self.last_progress = now
        self.stall_wait = self.ack_timeout

    def on_disconnected(self) -> None:
        self.connected = False
        self.inflight.clear()
        self.kinds.clear()

    def on_ack(self, seq: int, now: float) -> bool:
        """The hub's ack says ``seq``; returns True when it moved forward."""
        self.hold_until = 0.0
        if seq <= self.acked:
            return False
        self.acked = seq
        self.cursor = max(self.cursor, seq)
        self.refused = {s: r for s, r in self.refused.items() if s > seq}
        self.last_progress = now
        self.stall_wait = self.ack_timeout
        return True

    def on_sent(self, mid: int, seq: int, kind: str = "") -> None:
        """Row ``seq`` (an event of ``kind``) was handed to the client as message ``mid``."""
        self.inflight[mid] = seq
        self.kinds[mid] = kind
        self.cursor = max(self.cursor, seq)

    def on_puback(self, mid: int, code: int, reason: str, now: float) -> tuple[int | None, bool]:
        """A PUBACK for ``mid``; returns (its seq or None if unknown, whether to log the refusal).

        A refusal is reported once per (event kind, reason) until an event of that kind is
        accepted again: a broker ACL that denies one topic gives one log line, not one per row.
        """
        seq = self.inflight.pop(mid, None)
        kind = self.kinds.pop(mid, "")
        if seq is None:
            return None, False
        if code < REFUSED:
            self.refused.pop(seq, None)
            self.reported = {key for key in self.reported if key[0] != kind}
            return seq, False
        self.refused[seq] = self.backoff(self.refused.get(seq), reason, now)
        first = (kind, reason) not in self.reported
        self.reported.add((kind, reason))
        return seq, first

    def backoff(self, previous: Retry | None, reason: str, now: float) -> Retry:
        """The next retry after a refusal: 1 s, 2 s, 4 s … up to ``max_backoff``."""
        attempts = (previous.attempts if previous else 0) + 1
        return Retry(attempts, now + min(2.0 ** (attempts - 1), self.max_backoff), reason)

    # -- what to do -----------------------------------------------------------------------

    def may_send(self, now: float) -> bool:
        """Connected, past the settle time, and room in the window."""
        return self.connected and now >= self.hold_until and self.free() > 0

    def free(self) -> int:
        return self.window - len(self.inflight)

    def skip(self, seq: int, now: float) -> bool:
        """Whether row ``seq`` is waiting out a refusal backoff (then it is not sent now)."""
        retry = self.refused.get(seq)
        return retry is not None and retry.due > now

    def due_retries(self, now: float) -> list[int]:
        """Refused rows at or behind the cursor whose backoff is over, oldest first."""
        busy = set(self.inflight.values())
        return sorted(s for s, r in self.refused.items()
                      if r.due <= now and s <= self.cursor and s not in busy)

    def stall_due(self, now: float) -> bool:
        """Has the ack stood still for long enough to suspect the broker lost what it took?"""
        return self.connected and now - self.last_progress >= self.stall_wait

    def rewind(self, now: float) -> None:
        """Send everything after the ack again; wait twice as long before the next rewind."""
        self.cursor = self.acked
        self.inflight.clear()
        self.kinds.clear()
        self.last_progress = now
        self.stall_wait = min(self.stall_wait * 2, max(self.max_stall_wait, self.ack_timeout))

    def touch(self, now: float) -> None:
        """Nothing is waiting for the hub: restart the stall timer."""
        self.last_progress = now
        self.stall_wait = self.ack_timeout

    def next_deadline(self, now: float) -> float | None:
        """The next moment something is due (a retry, the end of the settle, a stall check)."""
        moments = [r.due for r in self.refused.values()]
        if self.connected:
            moments.append(self.last_progress + self.stall_wait)
            if self.hold_until > now:
                moments.append(self.hold_until)
        return min(moments) if moments else None
