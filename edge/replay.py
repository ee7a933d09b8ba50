"""The replay source (回放): publishes events from a JSONL file through the edge's outbox.

An operator's tool: re-send a recorded night to a test hub, feed the demo, reproduce a complaint.
Each line is one JSON object ``{"kind": "passage"|"presence"|"charging"|"fault", ...fields}`` with
the event's own fields (docs/contract.md §1) and an optional ``"ts"``.  ``id``, ``seq`` and ``v`` in a
line (from an export of stored events) are ignored: the outbox assigns new ones.  Blank lines are
skipped.  Either every line has a ``ts`` (a *recording*) or none does (a *script*).

* A recording keeps its timestamps; lines are spaced as their ``ts`` are, divided by ``speed``
  (0 = as fast as possible).  The edge's clock (status and heartbeat ``ts``) follows the recording,
  so the hub's event-time rules decide as they did live.  With ``loop``, each pass is shifted by the
  recording's length plus one second, so time never goes back.
* A script's lines get the edge's clock as ``ts`` and are sent one second apart (divided by speed).

The whole file is checked before anything is sent: a bad file sends nothing and the error lists
every bad line with its number.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from edge.envelope import make_event
from gwcommon.clock import Clock
from gwcommon.config import Section
from gwcommon.exc import ConfigError, InvalidMessage
from gwcommon.timefmt import parse_ts

logger = logging.getLogger(__name__)

IGNORED_KEYS = ("id", "seq", "v")
MAX_PROBLEMS_SHOWN = 10
LOOP_GAP = timedelta(seconds=1)
BATCH = 500


class ReplayConfig(Section):
    """Publish events from a JSONL file (an operator's tool)."""

    file: Path = Field(description="JSONL file, one event per line; relative to the config file.")
    speed: float = Field(1.0, ge=0, le=1_000_000,
                         description="1 = real time, 60 = one recorded minute per second, 0 = as fast as possible.")
    loop: bool = Field(False, description="Start again at the end (timestamps move on by the recording's length).")

    @model_validator(mode="after")
    def _no_endless_flood(self) -> "ReplayConfig":
        if self.loop and self.speed == 0:
            raise ValueError("loop = true needs a speed above 0 (speed 0 would send without end)")
        return self

    @field_validator("file", mode="after")
    @classmethod
    def _relative(cls, value: Path, info: ValidationInfo) -> Path:
        base = (info.context or {}).get("base_dir")
        return value if value.is_absolute() or base is None else (Path(base) / value).resolve()


class ReplayFileError(ConfigError):
    """A replay file has bad lines; ``problems`` holds (line number, reason) for each."""

    def __init__(self, path: Path, problems: list[tuple[int, str]]):
        shown = "; ".join(f"line {n}: {reason}" for n, reason in problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        super().__init__(f"replay file {path}: {len(problems)} bad line(s), nothing sent: {shown}"
                         + (f"; and {more} more" if more > 0 else ""))
        self.path, self.problems = path, problems


@dataclass(frozen=True)
class ReplayLine:
    """One checked line: ``fields`` without ``kind`` (and without id/seq/v)."""

    number: int
    kind: str
    fields: dict[str, Any]
    ts: datetime | None


def load_recording(path: str | Path) -> list[ReplayLine]:
    """Read and check a whole replay file, or raise :class:`ReplayFileError` listing every bad line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"replay file {path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"replay file {path}: not UTF-8 text") from None
    lines: list[ReplayLine] = []
    problems: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            lines.append(parse_line(number, raw))
        except InvalidMessage as exc:
            problems.append((number, exc.reason))
    problems += check_order(lines)
    if not lines and not problems:
        problems.append((1, "the file holds no events"))
    if problems:
        raise ReplayFileError(path, sorted(problems))
    return lines


def parse_line(number: int, raw: str) -> ReplayLine:
    """Check one line as the outbox would; raises InvalidMessage with the reason."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidMessage(f"not JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise InvalidMessage(f"must be a JSON object, got {type(data).__name__}")
    kind = data.pop("kind", None)
    if kind is None:
        raise InvalidMessage('no "kind" (passage, presence, charging or fault)')
    for key in IGNORED_KEYS:
        data.pop(key, None)
    ts = data.get("ts")
    moment = parse_ts(ts) if ts is not None else None
    make_event(kind, data, seq=1, event_id="replay-check", now=moment or datetime.fromtimestamp(0).astimezone())
    return ReplayLine(number, kind, data, moment)


def check_order(lines: list[ReplayLine]) -> list[tuple[int, str]]:
    """A recording's ``ts`` never go back, and ``ts`` is on every line or on none."""
    problems: list[tuple[int, str]] = []
    with_ts = [line for line in lines if line.ts is not None]
    if with_ts and len(with_ts) != len(lines):
        odd = next(line for line in lines if (line.ts is None) != (lines[0].ts is None))
        problems.append((odd.number, 'give "ts" on every line or on none (line '
                         f'{lines[0].number} {"has" if lines[0].ts else "has no"} "ts")'))
        return problems
    for before, after in zip(with_ts, with_ts[1:]):
        if after.ts < before.ts:
            problems.append((after.number, f"ts goes back in time (before line {before.number}'s)"))
    return problems


class ReplayClock:
    """The edge's clock during a replay: it follows the recording, never passing the next event.

    ``now()`` is the recording's first ``ts`` plus the real time elapsed times ``speed``, but
    never later than 1 ms before the next event still to be sent (with speed 0: the last event
    sent), and never going back.  For a script (no ``ts``) it is the ``base`` clock.
    """

    def __init__(self, lines: list[ReplayLine], *, speed: float, base: Clock):
        self.lines, self.speed, self.base = lines, speed, base
        self.recorded = bool(lines) and lines[0].ts is not None
        self._lock = threading.Lock()
        self._origin = lines[0].ts if self.recorded else None
        self._started: float | None = None
        self._next: datetime | None = self._origin
        self._last: datetime | None = None

    def now(self) -> datetime:
        if not self.recorded:
            return self.base.now()
        with self._lock:
            if self.speed > 0 and self._started is not None:
                moment = self._origin + timedelta(seconds=(self.base.monotonic() - self._started) * self.speed)
            else:
                moment = self._last or self._origin
            if self._next is not None:
                moment = min(moment, self._next - timedelta(milliseconds=1))
            self._last = max(moment, self._last) if self._last else moment
            return self._last

    def monotonic(self) -> float:
        return self.base.monotonic()

    def begin(self, started: float) -> None:
        with self._lock:
            self._started = started

    def advance(self, sent: datetime | None, upcoming: datetime | None) -> None:
        """An event stamped ``sent`` went out; ``upcoming`` is the next one's ``ts`` (None: end)."""
        with self._lock:
            if sent is not None and (self._last is None or sent > self._last):
                self._last = sent
            self._next = upcoming


def edge_clock(config: ReplayConfig, base: Clock) -> ReplayClock:
    """Check the file and make the clock the edge runs on during this replay."""
    return ReplayClock(load_recording(config.file), speed=config.speed, base=base)


class Replay:
    """A running replay: a thread sending the lines through ``sink`` (the outbox)."""

    def __init__(self, config: ReplayConfig, sink: Any, clock: ReplayClock, stop_event: threading.Event):
        self.config, self.sink, self.clock = config, sink, clock
        self.lines = clock.lines
        self.sent = 0
        self.failed = 0
        self.done = threading.Event()
        self._stop = threading.Event()
        self._outer_stop = stop_event
        self._thread = threading.Thread(target=self._run, name="edge-replay", daemon=True)

    def start(self) -> "Replay":
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _stopping(self, wait: float) -> bool:
        if wait > 0:
            self._stop.wait(min(wait, 0.5))
        return self._stop.is_set() or self._outer_stop.is_set()

    def _run(self) -> None:
        started = time.monotonic()
        self.clock.begin(started)
        period = self._period()
        passes = 0
        while True:
            if not self._send_pass(started, passes, period):
                break
            passes += 1
            if not self.config.loop:
                break
        logger.info("replay of %s finished: %d event(s) sent, %d refused", self.config.file,
                    self.sent, self.failed)
        self.done.set()

    def _period(self) -> timedelta:
        if self.clock.recorded:
            return self.lines[-1].ts - self.lines[0].ts + LOOP_GAP
        return LOOP_GAP * len(self.lines)

    def _send_pass(self, started: float, passes: int, period: timedelta) -> bool:
        if self.config.speed == 0 and hasattr(self.sink, "emit_many"):
            return self._send_fast(passes, period)
        origin = self.lines[0].ts
        for index, line in enumerate(self.lines):
            offset = period * passes + (line.ts - origin if line.ts is not None else LOOP_GAP * index)
            if not self._wait_until(started, offset):
                return False
            fields = self._shifted(line, passes, period)
            self._emit(line, fields)
            self.clock.advance(fields.get("ts"), self._upcoming(index, passes, period))
        return True

    def _send_fast(self, passes: int, period: timedelta) -> bool:
        """Speed 0: as fast as the disk allows, in batches of ``BATCH`` (one fsync each)."""
        for first in range(0, len(self.lines), BATCH):
            if self._stopping(0):
                return False
            batch = self.lines[first:first + BATCH]
            events = [(line.kind, self._shifted(line, passes, period)) for line in batch]
            try:
                self.sink.emit_many(events)
                self.sent += len(events)
            except InvalidMessage as exc:
                self.failed += len(events)
                logger.warning("replay lines %d-%d refused by the outbox: %s", batch[0].number,
                               batch[-1].number, exc.reason)
            last = first + len(batch) - 1
            self.clock.advance(events[-1][1].get("ts"), self._upcoming(last, passes, period))
        return True

    def _shifted(self, line: ReplayLine, passes: int, period: timedelta) -> dict[str, Any]:
        fields = dict(line.fields)
        if line.ts is not None:
            fields["ts"] = line.ts + period * passes
        return fields

    def _upcoming(self, index: int, passes: int, period: timedelta) -> datetime | None:
        if not self.clock.recorded:
            return None
        if index + 1 < len(self.lines):
            return self.lines[index + 1].ts + period * passes
        return self.lines[0].ts + period * (passes + 1) if self.config.loop else None

    def _wait_until(self, started: float, offset: timedelta) -> bool:
        if self.config.speed == 0:
            return not self._stopping(0)
        due = started + offset.total_seconds() / self.config.speed
        while (left := due - time.monotonic()) > 0:
            if self._stopping(left):
                return False
        return not self._stopping(0)

    def _emit(self, line: ReplayLine, fields: dict[str, Any]) -> None:
        try:
            self.sink.emit(line.kind, fields)
            self.sent += 1
        except InvalidMessage as exc:
            self.failed += 1
            logger.warning("replay line %d refused by the outbox: %s", line.number, exc.reason)


def start(config: Any, sink: Any, publisher: Any, clock: Clock, stop_event: threading.Event) -> Replay:
    """Source starter (see ``edge.sources``): replay ``config.replay`` through ``sink``."""
    replay_clock = clock if isinstance(clock, ReplayClock) else edge_clock(config.replay, clock)
    logger.info("replaying %d event(s) from %s at speed %g%s", len(replay_clock.lines),
                config.replay.file, config.replay.speed, " (looping)" if config.replay.loop else "")
    return Replay(config.replay, sink, replay_clock, stop_event).start()
