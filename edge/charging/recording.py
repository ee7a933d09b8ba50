"""Record a real shed's readings, replay them through the counter, and compare with a walk round.

``gatewarden charging record --config F OUT`` reads the meters the config lists (the same sources
the charging device reads, at its ``poll_interval``) and writes one JSON line per reading to OUT;
``gatewarden charging replay FILE [--truth T]`` runs the counter (:mod:`edge.charging.track`) over
the file and reports the count, against hand-written truth lines when given.  File format:

* line 1, a header: ``{"format": "gatewarden-charging-recording", "v": 1, "device", "timezone",
  "charging": {…the [charging] section…}}``;
* then ``{"ts", "circuit", "power_w", "current_a", "voltage_v", "energy_wh"}`` per reading, or
  ``{"ts", "circuit", "unreadable": "<reason>"}`` when the meter did not answer.

Truth lines (one per change, what a person counted walking round): ``HH:MM:SS chargers=N`` in the
site's local time (or ``YYYY-MM-DD HH:MM:SS chargers=N``), with ``circuit=NAME`` when the recording
has several circuits; ``#`` starts a comment.  A count holds until the next line of its circuit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import IO, Any, Iterable
from zoneinfo import ZoneInfo

from gwcommon.exc import GatewardenError
from gwcommon.timefmt import format_ts, parse_ts

from . import counting, track
from .config import ChargingConfig
from .model import Reading, Unreadable

FORMAT = "gatewarden-charging-recording"


class RecordingError(GatewardenError, ValueError):
    """A recording or truth file that cannot be used (the message says which line and why)."""


COUNTER_KEYS = ("power_delta_w", "step_w", "stable_samples", "median_window", "active_w", "baseline_w",
                "typical_charger_w")


def header(config: Any) -> dict[str, Any]:
    """The first line: what the recording is, and the counter's settings from [charging]."""
    charging = {k: getattr(config.charging, k) for k in COUNTER_KEYS}
    return {"format": FORMAT, "v": 1, "device": config.device.id, "timezone": config.site.timezone,
            "poll_interval_s": config.charging.poll_interval.total_seconds(), "charging": charging}


def line_of(poll: Reading | Unreadable) -> dict[str, Any]:
    if isinstance(poll, Unreadable):
        return {"ts": format_ts(poll.ts), "circuit": poll.circuit, "unreadable": poll.reason}
    return {"ts": format_ts(poll.ts), "circuit": poll.circuit, "power_w": poll.power_w,
            "current_a": poll.current_a, "voltage_v": poll.voltage_v, "energy_wh": poll.energy_wh}


def record(config: Any, out: IO[str], *, sources: list, clock: Any, stop: Any, samples: int | None = None,
           wait=None) -> int:
    """Poll ``sources`` every ``poll_interval`` until ``stop`` is set (or ``samples`` polls); returns lines."""
    out.write(json.dumps(header(config), ensure_ascii=False) + "\n")
    interval = config.charging.poll_interval.total_seconds()
    written, polls = 0, 0
    while not stop.is_set() and (samples is None or polls < samples):
        for source in sources:
            for poll in source.poll():
                out.write(json.dumps(line_of(poll), ensure_ascii=False) + "\n")
                written += 1
        out.flush()
        polls += 1
        (wait or stop.wait)(interval)
    return written


@dataclass
class Recording:
    """A recording read back: its header, readings per circuit, and the lines it could not read."""

    head: dict[str, Any]
    polls: dict[str, list[Reading | Unreadable]] = field(default_factory=dict)
    bad: list[tuple[int, str]] = field(default_factory=list)

    @property
    def tz(self) -> tzinfo:
        try:
            return ZoneInfo(self.head.get("timezone") or "Asia/Shanghai")
        except (KeyError, ValueError):
            return ZoneInfo("Asia/Shanghai")


def load(lines: Iterable[str]) -> Recording:
    """Parse a recording; a bad reading line is kept in ``bad`` (line number, reason), not fatal."""
    it = iter(enumerate(lines, start=1))
    try:
        _, first = next(it)
        head = json.loads(first)
    except (StopIteration, ValueError):
        raise RecordingError("line 1: not a recording (the header line is missing)") from None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        raise RecordingError(f"line 1: not a recording (expected format {FORMAT!r})")
    rec = Recording(head)
    for number, text in it:
        if not text.strip():
            continue
        try:
            poll = _poll(json.loads(text))
        except (ValueError, TypeError, KeyError) as exc:
            rec.bad.append((number, str(exc) or type(exc).__name__))
            continue
        rec.polls.setdefault(poll.circuit, []).append(poll)
    return rec


def _poll(data: dict[str, Any]) -> Reading | Unreadable:
    ts = parse_ts(data["ts"])
    circuit = str(data["circuit"])
    if "unreadable" in data:
        return Unreadable(circuit, ts, str(data["unreadable"]))
    power = data["power_w"]
    if not isinstance(power, (int, float)) or power < 0:
        raise ValueError(f"power_w {power!r} is not a number ≥ 0")
    return Reading(circuit, ts, _num(data.get("voltage_v")), _num(data.get("current_a")), float(power),
                   _num(data.get("energy_wh")))


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


def params_of(rec: Recording) -> tuple[counting.CountingParams, counting.EmitPolicy]:
    from .device import params_from, policy_from

    saved = rec.head.get("charging") or {}
    try:
        config = ChargingConfig.model_validate({k: v for k, v in saved.items() if k in COUNTER_KEYS})
    except ValueError as exc:
        raise RecordingError(f"line 1: the counter settings in the header are not valid: {exc}") from None
    return params_from(config), policy_from(config)


def count(rec: Recording, circuit: str) -> list[tuple[datetime, int]]:
    """The counter's ``loads`` at every reading of ``circuit``, as the device would have counted."""
    params, policy = params_of(rec)
    state = track.new_track(params, wrap_wh=None)
    counts = []
    for poll in rec.polls.get(circuit, []):
        if isinstance(poll, Reading):
            state, _ = track.on_reading(state, poll, params, policy)
            counts.append((poll.ts, state.latest.loads))
    return counts


@dataclass(frozen=True)
class Truth:
    """One hand-written truth line: from ``at``, ``chargers`` were charging on ``circuit``."""

    at: datetime
    chargers: int
    circuit: str | None
    line: int


TRUTH_RE = re.compile(r"^(?:(\d{4}-\d{2}-\d{2})[ T])?(\d{1,2}:\d{2}(?::\d{2})?)\s+(.*)$")


def parse_truth(lines: Iterable[str], *, first_day: date, tz: tzinfo) -> list[Truth]:
    """Truth lines in order; a time earlier than the previous one (no date given) is the next day."""
    found: list[Truth] = []
    day, last = first_day, None
    for number, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        match = TRUTH_RE.match(text)
        if not match:
            raise RecordingError(f"truth line {number}: {raw.strip()!r} is not like '21:30:00 chargers=3'")
        words = dict(w.split("=", 1) for w in match.group(3).split() if "=" in w)
        if "chargers" not in words or not words["chargers"].isdigit():
            raise RecordingError(f"truth line {number}: chargers=N is missing or not a whole number")
        clock = time.fromisoformat(match.group(2) if match.group(2).count(":") == 2 else match.group(2) + ":00")
        if match.group(1):
            day = date.fromisoformat(match.group(1))
        elif last is not None and clock < last.time():
            day += timedelta(days=1)
        at = datetime.combine(day, clock, tz)
        last = at
        found.append(Truth(at, int(words["chargers"]), words.get("circuit"), number))
    return found


GRACE_S = 30.0  # a walk round's times are rough, and the counter needs a few seconds for a step


@dataclass
class Score:
    """How the count compares with the truth over one circuit."""

    circuit: str
    checks: list[tuple[Truth, int | None]]  # each truth line and the count most often shown until the next
    samples: int = 0
    exact: int = 0
    within1: int = 0


def score(counts: list[tuple[datetime, int]], truths: list[Truth], circuit: str,
          grace_s: float = GRACE_S) -> Score:
    """Compare every reading from the first truth line on (but the first ``grace_s`` after each
    line), and name for each line the count the counter showed most often until the next one."""
    result = Score(circuit, [])
    truths = sorted(truths, key=lambda t: t.at)
    seen: list[list[int]] = [[] for _ in truths]
    i = 0
    for ts, loads in counts:
        if not truths or ts < truths[0].at:
            continue
        while i + 1 < len(truths) and truths[i + 1].at <= ts:
            i += 1
        seen[i].append(loads)
        if (ts - truths[i].at).total_seconds() < grace_s:
            continue
        result.samples += 1
        result.exact += loads == truths[i].chargers
        result.within1 += abs(loads - truths[i].chargers) <= 1
    for truth, shown in zip(truths, seen):
        result.checks.append((truth, max(set(shown), key=shown.count) if shown else None))
    return result


def truth_for(rec: Recording, truths: list[Truth]) -> dict[str, list[Truth]]:
    """Truth lines by circuit (a line without ``circuit=`` is for the only circuit)."""
    circuits = sorted(rec.polls)
    by: dict[str, list[Truth]] = {}
    for truth in truths:
        name = truth.circuit or (circuits[0] if len(circuits) == 1 else None)
        if name is None:
            raise RecordingError(f"truth line {truth.line}: the recording has circuits {', '.join(circuits)}: "
                                 "add circuit=NAME")
        if name not in rec.polls:
            raise RecordingError(f"truth line {truth.line}: circuit {name!r} is not in the recording "
                                 f"({', '.join(circuits) or 'none'})")
        by.setdefault(name, []).append(truth)
    return by


def first_day(rec: Recording) -> date:
    times = [p.ts for polls in rec.polls.values() for p in polls[:1]]
    return (min(times) if times else datetime.now(timezone.utc)).astimezone(rec.tz).date()


def open_text(path: str | Path) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise RecordingError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RecordingError(f"{path}: not UTF-8 text") from None
