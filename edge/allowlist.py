"""The gate's own copy of the site allowlist (白名单), kept on disk so a reboot without network
still admits residents.

The hub publishes the allowlist retained on ``gatewarden/<site>/allowlist`` with a ``version`` that
grows with every change.  :class:`Allowlist` takes a newer version, ignores an older or equal one,
and writes it to ``<storage.dir>/allowlist.json`` atomically (temporary file, fsync, rename,
fsync of the directory): after a power cut the file is either the old list or the new one.
Visitor entries expire by this edge's clock, but never earlier than the hub's time allows: the
allowlist carries the hub's clock when it was published (``ts``), and the edge judges expiry by
``max(own clock, ts + time elapsed since the list was taken)``, so an edge that booted with a stale
clock (no RTC, no network yet) cannot revive an expired pass.
Expiry by the edge's own clock holds only while that clock is trusted: while the
``clock_unsynced`` fault is raised (edge/timesync.py; after a power cut a Pi's clock may be days
off), an expiry is not enforced, so a wrong clock never shuts a resident out; the gate keeps
deciding and the hub judges the passages by their time (docs/contract.md §2).
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Literal

from gwcommon.atomicfile import write_atomic
from gwcommon.clock import Clock
from gwcommon.exc import InvalidMessage
from gwcommon.wire import AllowEntry, PlateEntry, decode_payload, encode
from gwcommon.wire import Allowlist as WireAllowlist

logger = logging.getLogger(__name__)

Status = Literal["allowed", "unknown_tag", "revoked", "expired"]
FILENAME = "allowlist.json"


class Allowlist:
    """Thread-safe lookups over the newest allowlist this edge has seen."""

    def __init__(self, path: str | Path, *, clock: Clock, clock_trusted: Callable[[], bool] | None = None):
        self.path = Path(path)
        self._clock = clock
        self._trusted = clock_trusted or (lambda: True)
        self.expiry_not_enforced = 0  # lookups past an expiry let through while the clock was untrusted
        self._lock = threading.Lock()
        self._current = WireAllowlist(version=0)
        self._by_tag: dict[str, AllowEntry] = {}
        self._have = False  # True once any allowlist (from the hub or the file) is installed
        self._installed_mono = clock.monotonic()
        self.load_problem: str | None = None
        self.ignored_older = 0
        self._load()

    @classmethod
    def in_storage(cls, storage_dir: str | Path, *, clock: Clock,
                   clock_trusted: Callable[[], bool] | None = None) -> "Allowlist":
        return cls(Path(storage_dir) / FILENAME, clock=clock, clock_trusted=clock_trusted)

    @property
    def version(self) -> int:
        return self._current.version

    def __len__(self) -> int:
        return len(self._by_tag)

    def lookup(self, tag: str) -> Status:
        """allowed, unknown_tag, revoked or expired (by :meth:`now`)."""
        entry = self._by_tag.get(tag)
        if entry is None:
            return "unknown_tag"
        if entry.revoked:
            return "revoked"
        if entry.expires is not None and entry.expires <= self.now():
            floor = self.hub_floor()
            if self._trusted() or (floor is not None and entry.expires <= floor):  # the hub's time says so
                return "expired"
            self.expiry_not_enforced += 1
            if self.expiry_not_enforced == 1:
                logger.warning("tag %s expired by this edge's clock, but the clock is not synchronised: "
                               "let through (expiries are not enforced until the clock is synchronised)", tag)
        return "allowed"

    def hub_floor(self) -> datetime | None:
        """The earliest the time can be, by the hub: its ``ts`` plus the time since the list was taken."""
        ts = self._current.ts
        if ts is None:
            return None
        return ts + timedelta(seconds=max(0.0, self._clock.monotonic() - self._installed_mono))

    def now(self) -> datetime:
        """The time visitor passes are judged by: this edge's clock, or the hub's floor if that is later."""
        own, floor = self._clock.now(), self.hub_floor()
        return own if floor is None or floor <= own else floor

    def tags(self) -> list[str]:
        return list(self._by_tag)

    def entry(self, tag: str) -> AllowEntry | PlateEntry | None:
        return self._by_tag.get(tag)

    def vehicle_of(self, tag: str) -> str | None:
        """The registered vehicle (its plate) a tag or a ``plate:`` tag belongs to."""
        entry = self._by_tag.get(tag)
        return entry.vehicle if entry is not None else None

    def update(self, incoming: WireAllowlist) -> bool:
        """Take ``incoming`` if it is newer than what we have; True when it was taken and saved."""
        with self._lock:
            if self._have and incoming.version <= self._current.version:
                if incoming.version < self._current.version:
                    self.ignored_older += 1
                    logger.warning("ignored allowlist version %s: we already have version %s",
                                   incoming.version, self._current.version)
                return False
            self._save(incoming)
            self._install(incoming)
        logger.info("allowlist version %s taken: %s entries", incoming.version, len(incoming.entries))
        return True

    def update_from_payload(self, payload: bytes) -> bool:
        """Validate raw MQTT bytes; a bad payload is refused with a logged reason and changes nothing."""
        try:
            incoming = decode_payload("allowlist", payload)
        except InvalidMessage as exc:
            logger.error("refused an allowlist message: %s", exc.reason)
            return False
        return self.update(incoming)

    def _install(self, allowlist: WireAllowlist) -> None:
        self._by_tag = {entry.tag: entry for entry in allowlist.entries}
        # Registered plates answer as plate:<plate> tags (plate cameras, edge.lpr), never over a real tag.
        self._by_tag.update({f"plate:{p.plate}": p for p in allowlist.plates if f"plate:{p.plate}" not in self._by_tag})
        self._current = allowlist
        self._installed_mono = self._clock.monotonic()
        self._have = True

    def _save(self, allowlist: WireAllowlist) -> None:
        write_atomic(self.path, encode(allowlist))

    def _load(self) -> None:
        if not self.path.exists():
            logger.info("no saved allowlist at %s yet: every tag is unknown until the hub sends one", self.path)
            return
        try:
            self._install(decode_payload("allowlist", self.path.read_bytes()))
        except (InvalidMessage, OSError) as exc:
            self.load_problem = f"{self.path}: {getattr(exc, 'reason', exc)}"
            kept = self.path.with_name(self.path.name + ".bad")
            os.replace(self.path, kept)
            logger.error("saved allowlist unreadable (%s); kept it as %s, waiting for the hub", self.load_problem, kept)
            return
        logger.info("loaded allowlist version %s (%s entries) from %s", self.version, len(self), self.path)

