"""Sequence tracking, watermarks and the site clock (水位线与小区时钟), docs/contract.md §2.

A decision module: no I/O, time passed in.  Everything the hub decides about "how far has each
device's record reached" lives here, so it can be tested with plain tables:

- :class:`SeqTrack` — which ``seq`` numbers of one device the hub holds: the lowest one it ever
  stored (the *base*), the highest ``top`` such that every seq from base to top is held (that is
  what the hub acks), and the seqs held above a gap.
- :func:`watermark` — the device's watermark: the ``ts`` of its newest heartbeat or event, provided
  the hub holds every event up to the heartbeat's ``last_seq``; otherwise the ``ts`` of the newest
  event before the first gap.  A watermark never goes back.
- :func:`site_time` — the minimum watermark over the online gate and lane devices whose clocks are
  not ahead of the hub's; when none holds the clock, the hub's wall clock corrected by the skew of
  the device heard last (provisional); provisional whenever one of them is offline or ahead.
- :class:`MonotoneSiteClock` — the site clock never goes backwards (while it is held at a higher
  value than the devices now say, decisions are provisional).

A watermark never runs ahead of the hub's own wall clock by more than ``tolerance``
(:func:`bounded`); a device whose ``ts`` is further ahead is *clock ahead* (``clock_ahead``) and
does not hold the site clock; its events count by their ``ts`` once the hub's clock has caught up.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

CLOCK_KINDS = ("gate", "lane")  # the devices whose watermarks make the site clock
DEFAULT_TOLERANCE = timedelta(minutes=2)  # how far a device's ts may run ahead of the hub's clock


@dataclass(frozen=True)
class SiteTime:
    """The site's event-time clock: ``now`` (aware UTC) and whether decisions are provisional."""

    now: datetime
    provisional: bool
    from_data: bool = True  # False: no gate or lane device has reported yet, ``now`` is the hub's own clock


@dataclass
class SeqTrack:
    """The seqs the hub holds of one device, and how far it can ack.

    ``base`` is the lowest seq ever stored.  It is *confirmed* when it is 1 (the first event a
    device ever sends) or when a heartbeat has shown the device holds nothing older
    (``last_seq - outbox + 1``); until then the hub does not ack, because an ack would let the
    device delete older events the hub has not received yet.  While unconfirmed, an older seq
    (or a heartbeat naming one) lowers the base.
    """

    base: int | None = None
    top: int = 0
    top_ts: datetime | None = None
    confirmed: bool = False
    pending: dict[int, datetime | None] = field(default_factory=dict)
    skipped: int = 0  # seqs the device no longer holds and the hub never received

    def add(self, seq: int, ts: datetime) -> bool:
        """Record a newly stored event; True when ``top`` grew."""
        if self.base is None:
            self.base, self.top, self.top_ts = seq, seq - 1, None
            self.confirmed = self.confirmed or seq == 1
        elif seq < self.base:
            if self.confirmed:
                return False
            self._lower_base(seq)
            self.confirmed = seq == 1
        if seq <= self.top:
            return False
        self.pending[seq] = ts
        return self._advance()

    def hint(self, oldest_held: int, *, stable: bool = False) -> bool:
        """A heartbeat says the device holds no event older than ``oldest_held``; True when top grew.

        When ``stable`` (two heartbeats in a row with the same ``last_seq`` and ``outbox``: an
        idle device, so no event can be in flight), seqs between ``top`` and ``oldest_held`` can
        never arrive: they are counted in ``skipped`` and passed over, so the device's acks and
        watermark do not stall for ever.  That happens only when the device deleted events on an
        ack this hub did not give (an old retained ack after the hub's database was restored
        from a backup).  A single heartbeat is not trusted for this: its two numbers are read
        at slightly different moments and may be off by one.
        """
        oldest = max(1, oldest_held)
        if self.base is None:
            self.base, self.top, self.confirmed = oldest, oldest - 1, True
            return False
        if not self.confirmed:
            self.confirmed = True
            if oldest < self.base:
                self._lower_base(oldest)
                return False
        if oldest <= self.top + 1 or not stable:
            return False
        self.skipped += sum(1 for s in range(self.top + 1, oldest) if s not in self.pending)
        for s in range(self.top + 1, oldest):
            self.pending.setdefault(s, None)
        return self._advance()

    @property
    def ack(self) -> int | None:
        """The seq the hub may ack now (every event base..ack is stored), or None."""
        if self.confirmed and self.base is not None and self.top >= self.base:
            return self.top
        return None

    def _lower_base(self, new_base: int) -> None:
        assert self.base is not None
        for s in range(self.base, self.top):
            self.pending[s] = None
        if self.top >= self.base:
            self.pending[self.top] = self.top_ts
        self.base, self.top, self.top_ts = new_base, new_base - 1, None

    def _advance(self) -> bool:
        grew = False
        while self.top + 1 in self.pending:
            self.top += 1
            ts = self.pending.pop(self.top)
            self.top_ts = ts if ts is not None else self.top_ts
            grew = True
        return grew


def watermark(track: SeqTrack, *, hb_ts: datetime | None, hb_last_seq: int | None,
              previous: datetime | None, limit: datetime | None = None) -> datetime | None:
    """The device's watermark (never earlier than ``previous``, never later than ``limit``: the
    hub's wall clock plus the tolerance); None when nothing is known."""
    candidates = [previous]
    if track.base is not None and track.top >= track.base:
        candidates.append(track.top_ts)
    if hb_ts is not None and hb_last_seq is not None and hb_last_seq <= track.top:
        candidates.append(hb_ts)
    known = [c for c in candidates if c is not None]
    return bounded(max(known), limit) if known else None


def bounded(moment: datetime | None, limit: datetime | None) -> datetime | None:
    """``moment``, but no later than ``limit`` (None: no limit)."""
    if moment is None or limit is None:
        return moment
    return min(moment, limit)


def is_ahead(ts: datetime, received_at: datetime, tolerance: timedelta) -> bool:
    """A device's ``ts`` runs ahead of the hub's wall clock by more than the tolerance."""
    return ts - received_at > tolerance


def is_online(*, status_online: bool | None, last_seen: datetime | None, now: datetime,
              offline_after: timedelta) -> bool:
    """Online unless its status says offline or it has been silent for ``offline_after``."""
    if status_online is False or last_seen is None:
        return False
    return now - last_seen <= offline_after


@dataclass(frozen=True)
class DeviceView:
    """What the site clock needs to know about one device."""

    device: str
    kind: str | None
    status_online: bool | None
    last_seen: datetime | None
    watermark: datetime | None
    clock_ahead: bool = False
    skew: timedelta | None = None  # the device's clock minus the hub's, from its newest heartbeat


def site_time(devices: Iterable[DeviceView], *, now: datetime, offline_after: timedelta) -> SiteTime:
    """The site clock of docs/contract.md §2 at hub wall-clock time ``now``.

    The minimum watermark over the online gate and lane devices whose clock is not ahead.  When
    none of them holds the clock, the hub's wall clock serves (provisional), corrected by the clock
    skew of the gate or lane device heard from last (never ahead of the hub's own clock): so a hub
    whose own clock is wrong, or that is fed a recording, runs on from the devices' time.  Before
    any gate or lane device has reported, ``from_data`` is False (the overnight rule then decides
    nothing).
    """
    marks: list[datetime] = []
    provisional = False
    last: DeviceView | None = None
    for view in devices:
        if view.kind not in CLOCK_KINDS:
            continue
        if view.last_seen is not None and view.watermark is not None and \
                (last is None or last.last_seen is None or view.last_seen > last.last_seen):
            last = view
        online = is_online(status_online=view.status_online, last_seen=view.last_seen,
                           now=now, offline_after=offline_after)
        if not online or view.watermark is None or view.clock_ahead:
            provisional = True
            continue
        marks.append(view.watermark)
    if not marks:
        if last is None or last.last_seen is None or last.watermark is None:
            return SiteTime(now, True, from_data=False)
        skew = last.skew if last.skew is not None else last.watermark - last.last_seen
        return SiteTime(now + min(skew, timedelta(0)), True)
    return SiteTime(min(marks), provisional)


class MonotoneSiteClock:
    """The site clock never goes backwards (docs/contract.md §2).

    When the devices now say an earlier time than the clock already reached (a device back online
    with an older watermark, the hub's wall clock corrected backwards), the clock stays where it
    was and is provisional until the devices catch up: nothing may be confirmed meanwhile.
    Thread-safe: the site clock is read from any thread.
    """

    def __init__(self) -> None:
        self.furthest: datetime | None = None
        self._lock = threading.Lock()

    def advance(self, current: SiteTime) -> SiteTime:
        if not current.from_data:
            return current
        with self._lock:
            if self.furthest is None or current.now >= self.furthest:
                self.furthest = current.now
                return current
            return SiteTime(self.furthest, True)


def unreported(devices: Iterable[DeviceView], moment: datetime, *, now: datetime,
               offline_after: timedelta) -> list[str]:
    """The gate and lane devices that have not reported up to ``moment``: offline, clock ahead, or
    online with a watermark before it (what a morning digest names, docs/contract.md §2)."""
    out = []
    for view in devices:
        if view.kind not in CLOCK_KINDS:
            continue
        online = is_online(status_online=view.status_online, last_seen=view.last_seen, now=now,
                           offline_after=offline_after)
        if not online or view.clock_ahead or view.watermark is None or view.watermark < moment:
            out.append(view.device)
    return sorted(out)
