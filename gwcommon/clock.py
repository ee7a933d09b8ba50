"""The clock, injected everywhere: rules never call ``datetime.now()`` themselves."""

from __future__ import annotations

import threading
import time as _time
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    """What a component may ask of time."""

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary start, never going back (for timeouts and rates)."""


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return _time.monotonic()


class FakeClock:
    """A clock that moves only when told to; for tests, replays and the simulator."""

    def __init__(self, start: datetime | None = None):
        self._now = start or datetime(2026, 1, 1, tzinfo=timezone.utc)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs an aware start time")
        self._mono = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        with self._lock:
            return self._mono

    def advance(self, span: timedelta | float) -> datetime:
        """Move forward by ``span`` (a timedelta or seconds) and return the new now."""
        seconds = span.total_seconds() if isinstance(span, timedelta) else float(span)
        if seconds < 0:
            raise ValueError("a FakeClock never goes back")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            self._mono += seconds
            return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (forward only)."""
        self.advance(moment - self.now())


class ScaledClock:
    """Simulated time running ``speed`` times faster than the machine's, from ``sim_start``.

    Every process of ``gatewarden demo`` builds the same one from the ``GATEWARDEN_CLOCK``
    environment variable, so the hub and the simulated devices agree on the time of night.
    """

    def __init__(self, sim_start: datetime, *, real_start: float, speed: float,
                 skips: tuple[tuple[datetime, datetime], ...] = ()):
        if sim_start.tzinfo is None or speed <= 0:
            raise ValueError("ScaledClock needs an aware start and a positive speed")
        if any(end <= start for start, end in skips):
            raise ValueError("ScaledClock skips must each end after they start")
        self.sim_start = sim_start
        self.real_start = real_start
        self.speed = speed
        self.skips = tuple(sorted(skips))  # (from, to): simulated spans jumped over (``simulate``'s daytime)

    def now(self) -> datetime:
        moment = self.sim_start + timedelta(seconds=(_time.time() - self.real_start) * self.speed)
        for start, end in self.skips:
            if moment >= start:
                moment += end - start
        return moment

    def monotonic(self) -> float:
        return (self.now() - self.sim_start).total_seconds()

    def to_env(self) -> str:
        skips = "".join(f",{a.isoformat()}/{b.isoformat()}" for a, b in self.skips)
        return f"scaled,{self.sim_start.isoformat()},{self.real_start!r},{self.speed!r}{skips}"


def clock_from_env(environ: dict[str, str] | None = None) -> Clock:
    """The clock a process should use: the system's, or the demo's ``GATEWARDEN_CLOCK``."""
    import os

    spec = (environ if environ is not None else os.environ).get("GATEWARDEN_CLOCK", "")
    if not spec:
        return SystemClock()
    kind, start, real_start, speed, *skips = spec.split(",")
    if kind != "scaled":
        raise ValueError(f"GATEWARDEN_CLOCK: unknown clock kind {kind!r}")
    spans = tuple(tuple(datetime.fromisoformat(t) for t in skip.split("/")) for skip in skips)
    return ScaledClock(datetime.fromisoformat(start), real_start=float(real_start), speed=float(speed),
                       skips=spans)  # type: ignore[arg-type]
