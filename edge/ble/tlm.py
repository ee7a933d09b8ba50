"""Tag batteries from Eddystone-TLM frames (标签电池电压).  Pure: time is passed in.

A TLM frame carries no tag id.  The Eddystone specification (``eddystone-tlm/tlm-plain.md``,
"Interleaving Telemetry") leaves it to the receiver to tie it to the tag's identifying frames *by
the sender's address*.  So a TLM frame is attributed to a tag only when the same address sent
that tag's identifying frame — Eddystone-UID, iBeacon, or the address itself for a ``mac:`` tag —
within ``window`` seconds before or after it; otherwise it names nobody and is counted, never
guessed.

Never for EID tags: an address that sent an Eddystone-EID frame within the window is refused.  An
EID tag changes its address with its identifier on purpose, its telemetry is meant to be the
encrypted eTLM (version 0x01, not decoded here), and tying a plain TLM to a resolved EID would link
the rotating identities the tag exists to keep apart.  A TLM whose battery reads 0 ("not
measured", e.g. a tag on mains power) is counted and not carried.

:class:`TlmBook` keeps the latest attributed voltage per tag; :class:`BatteryStamp` wraps an
event sink so the ``passage`` and ``presence`` events that name such a tag carry ``battery_mv``
(docs/contract.md: an optional field older hubs ignore).
"""

from __future__ import annotations

import threading
from typing import Any

from .decode import Telemetry

WINDOW = 30.0  # seconds between a TLM frame and an identifying frame from the same address
KEEP = 6 * 3600.0  # seconds an attributed voltage rides on the tag's events
BATTERY_KINDS = ("passage", "presence")  # the events that name a tag


class TlmBook:
    """Identifying frames and TLM frames per address; the latest voltage per tag (see module doc).

    Verdicts of :meth:`telemetry` (counted by the pipeline as ``tlm_<verdict>``): ``attributed``,
    ``waiting`` (no identifying frame yet: kept for ``window``), ``eid`` (refused), ``no_battery``.
    """

    def __init__(self, window: float = WINDOW, keep: float = KEEP):
        self.window, self.keep = window, keep
        self._ids: dict[str, dict[str, float]] = {}  # address → {static tag: when heard}
        self._eid: dict[str, float] = {}  # address → when it last sent an EID frame
        self._waiting: dict[str, tuple[int, float]] = {}  # address → (mV, when) of a TLM not yet attributed
        self._battery: dict[str, tuple[int, float]] = {}  # tag → (mV, when attributed)
        self._lock = threading.Lock()

    def identified(self, address: str, tag: str, at: float) -> list[str]:
        """``address`` sent ``tag``'s identifying frame; returns the tags a waiting TLM was just given to."""
        with self._lock:
            self._ids.setdefault(address, {})[tag] = at
            waiting = self._waiting.get(address)
            if waiting is None or self._is_eid(address, at) or at - waiting[1] > self.window:
                return []
            del self._waiting[address]
            self._battery[tag] = waiting
            return [tag]

    def eid_heard(self, address: str, at: float) -> None:
        """``address`` sent an Eddystone-EID frame: its TLM frames are never attributed."""
        with self._lock:
            self._eid[address] = at
            self._waiting.pop(address, None)

    def telemetry(self, address: str, frame: Telemetry, at: float) -> str:
        """A TLM frame from ``address``: attribute it, keep it waiting, or refuse it (the verdict)."""
        if frame.battery_mv == 0:
            return "no_battery"
        with self._lock:
            if self._is_eid(address, at):
                return "eid"
            tags = [t for t, when in self._ids.get(address, {}).items() if abs(at - when) <= self.window]
            if not tags:
                self._waiting[address] = (frame.battery_mv, at)
                return "waiting"
            for tag in tags:
                self._battery[tag] = (frame.battery_mv, at)
            return "attributed"

    def battery(self, tag: str, now: float) -> int | None:
        """The tag's latest attributed voltage in mV, if attributed within ``keep``."""
        reading = self._battery.get(tag)
        return reading[0] if reading and now - reading[1] <= self.keep else None

    def prune(self, now: float) -> int:
        """Forget what is too old to matter; returns how many waiting TLM frames found no tag."""
        with self._lock:
            for address in list(self._ids):
                tags = {t: w for t, w in self._ids[address].items() if now - w <= self.window}
                if tags:
                    self._ids[address] = tags
                else:
                    del self._ids[address]
            self._eid = {a: w for a, w in self._eid.items() if now - w <= self.window}
            lost = [a for a, (_, w) in self._waiting.items() if now - w > self.window]
            for address in lost:
                del self._waiting[address]
            self._battery = {t: r for t, r in self._battery.items() if now - r[1] <= self.keep}
            return len(lost)

    def _is_eid(self, address: str, at: float) -> bool:
        when = self._eid.get(address)
        return when is not None and abs(at - when) <= self.window


class BatteryStamp:
    """An event sink that adds ``battery_mv`` to the passage and presence events of tags with a
    fresh voltage in ``book`` (``monotonic``: the clock the advertisements were stamped with)."""

    def __init__(self, sink: Any, book: TlmBook, monotonic: Any):
        self.sink, self.book, self.monotonic = sink, book, monotonic

    def emit(self, kind: str, fields: dict[str, Any]) -> str:
        tag = fields.get("tag")
        if kind in BATTERY_KINDS and tag and "battery_mv" not in fields:
            mv = self.book.battery(tag, self.monotonic())
            if mv is not None:
                fields = {**fields, "battery_mv": mv}
        return self.sink.emit(kind, fields)

    def snapshot(self, event_id: str, jpeg: bytes) -> None:
        self.sink.snapshot(event_id, jpeg)

    def __getattr__(self, name: str) -> Any:  # the rest of the real sink (ListSink.of in tests, …)
        return getattr(self.sink, name)
