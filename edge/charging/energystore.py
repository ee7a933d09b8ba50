"""The charging device's energy totals (电量累计), kept on disk across a restart of the edge.

:class:`~edge.charging.energy.EnergyCounter` turns a meter's raw counter into a total that never
goes back, but only while the process runs: a fresh process would start every circuit's offset at
0 again, and a Shelly Gen1 (which counts from its own reboot) or a meter reset while the edge was
down would make ``energy_wh`` fall or jump.  So the device keeps each circuit's counter state in
``<storage.dir>/energy-<device>.json``:

* written atomically (temporary file, fsync, rename, fsync of the directory), when a circuit's
  counter changed and at most every 60 s by the device's clock, and once more on close; between
  saves only the meter's own raw counter moves, and the restored counter picks it up from there;
* read on start: the first reading after a restart is compared with the saved raw value by
  :func:`~edge.charging.energy.advance`, so a meter that reset meanwhile carries on from the saved
  total; circuits no longer configured are dropped, new ones start fresh;
* a missing file is normal (first start); an unreadable one is logged once, kept as ``….bad`` and
  every circuit starts afresh — the device never fails to start over it.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from gwcommon.atomicfile import write_atomic
from gwcommon.clock import Clock
from gwcommon.timefmt import format_ts

from .energy import EnergyCounter

logger = logging.getLogger(__name__)

FORMAT = 1
SAVE_EVERY_S = 60.0
Counters = dict[str, EnergyCounter]


def path_in(storage_dir: str | Path, device_id: str) -> Path:
    """``<storage.dir>/energy-<device>.json``."""
    return Path(storage_dir) / f"energy-{device_id}.json"


def encode(counters: Mapping[str, EnergyCounter], saved: datetime) -> bytes:
    body = {"format": FORMAT, "saved": format_ts(saved),
            "circuits": {name: asdict(counter) for name, counter in sorted(counters.items())}}
    return json.dumps(body, indent=1, allow_nan=False).encode("utf-8")


def decode(data: bytes) -> Counters:
    """The counters in a saved file; ValueError (with the reason) when it is not one of ours."""
    body = json.loads(data.decode("utf-8"))
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise ValueError(f"not an energy totals file of format {FORMAT}")
    circuits = body.get("circuits")
    if not isinstance(circuits, dict):
        raise ValueError("no 'circuits' object")
    return {str(name): _counter(name, fields) for name, fields in circuits.items()}


def _counter(name: str, fields: Any) -> EnergyCounter:
    if not isinstance(fields, dict) or set(fields) != {"wrap_wh", "last_raw_wh", "offset_wh", "wraps", "resets"}:
        raise ValueError(f"circuit {name!r}: expected wrap_wh, last_raw_wh, offset_wh, wraps, resets")
    wrap, last, offset = fields["wrap_wh"], fields["last_raw_wh"], fields["offset_wh"]
    if not (_number(offset) and offset >= 0 and (wrap is None or (_number(wrap) and wrap > 0))
            and (last is None or _number(last))):
        raise ValueError(f"circuit {name!r}: bad energy values")
    wraps, resets = fields["wraps"], fields["resets"]
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (wraps, resets)):
        raise ValueError(f"circuit {name!r}: wraps and resets must be counts")
    return EnergyCounter(wrap_wh=wrap, last_raw_wh=last, offset_wh=float(offset), wraps=wraps, resets=resets)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def save(path: Path, counters: Mapping[str, EnergyCounter], saved: datetime) -> None:
    """Write atomically: after a power cut the file is the old one or the new one, never half."""
    write_atomic(path, encode(counters, saved))


def load(path: Path) -> Counters:
    """The saved counters; ``{}`` when there is no file yet or it cannot be read (logged once)."""
    try:
        return decode(path.read_bytes())
    except FileNotFoundError:
        logger.info("no saved energy totals at %s yet: every circuit's total starts from its meter", path)
        return {}
    except (OSError, ValueError) as exc:  # json and unicode errors are ValueErrors too
        kept = path.with_name(path.name + ".bad")
        try:
            os.replace(path, kept)
            where = f"kept it as {kept}"
        except OSError:
            where = "left it in place"
        logger.warning("energy totals file %s unreadable (%s): every circuit's total starts afresh; %s",
                       path, exc, where)
        return {}


def merge(saved: Mapping[str, EnergyCounter], wraps: Mapping[str, float | None]) -> Counters:
    """A counter per configured circuit: the saved one (with the meter's wrap now) or a fresh one."""
    return {circuit: replace(saved[circuit], wrap_wh=wrap) if circuit in saved else EnergyCounter(wrap_wh=wrap)
            for circuit, wrap in wraps.items()}


class EnergyStore:
    """The device's energy file: ``restore()`` once at start, ``save_if_due()`` each poll, ``flush()`` at close."""

    def __init__(self, path: str | Path, *, clock: Clock, every_s: float = SAVE_EVERY_S):
        self.path = Path(path)
        self.clock = clock
        self.every_s = every_s
        self.saves = 0
        self.failures = 0
        self._saved: Counters | None = None  # what the file holds
        self._saved_at: float | None = None  # monotonic time of the last attempt
        self._failing = False

    def restore(self, wraps: Mapping[str, float | None]) -> Counters:
        """Counters for the configured circuits (``wraps``: circuit → its meter's wrap or None)."""
        saved = load(self.path)
        dropped = sorted(set(saved) - set(wraps))
        if dropped:
            logger.info("energy totals of circuit(s) no longer configured dropped: %s", ", ".join(dropped))
        kept = [circuit for circuit in wraps if circuit in saved]
        if kept:
            logger.info("energy totals of %d circuit(s) restored from %s", len(kept), self.path)
        self._saved = merge(saved, wraps)  # nothing new to write until a total moves
        return dict(self._saved)

    def save_if_due(self, counters: Mapping[str, EnergyCounter]) -> bool:
        """Save when a counter changed and the last save is ``every_s`` old; True when written."""
        now = self.clock.monotonic()
        if self._saved_at is not None and now - self._saved_at < self.every_s:
            return False
        return self.flush(counters)

    def flush(self, counters: Mapping[str, EnergyCounter]) -> bool:
        """Save now if anything changed since the last save; True when written."""
        if counters == self._saved:
            return False
        self._saved_at = self.clock.monotonic()
        try:
            save(self.path, counters, self.clock.now())
        except OSError as exc:
            self.failures += 1
            if not self._failing:
                logger.warning("cannot save energy totals to %s (%s): retrying every %.0f s; a restart "
                               "meanwhile goes back to the totals saved last", self.path, exc, self.every_s)
            self._failing = True
            return False
        if self._failing:
            logger.info("energy totals saved to %s again", self.path)
        self._failing = False
        self._saved = dict(counters)
        self.saves += 1
        return True
