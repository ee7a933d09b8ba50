"""The gate device (道闸控制器): tags, loops, barrier, allowlist, camera and the hub's commands.

One thread owns everything that decides: it takes entries off one queue (pin changes, sightings,
commands, camera faults, finished snapshots), steps the pure lane logic (:mod:`edge.gate.lane`),
and carries out the actions — relays first, then events.  Callbacks from gpiozero, the scanner,
the camera and the publisher only enqueue.  Nothing here waits for the network: the allowlist is
local (:mod:`edge.allowlist`) and events go to the durable outbox (:class:`edge.events.EventSink`).

Hub commands (``cmd`` topic) are each recorded as an event with who asked and why:

* ``open`` → a notice (fault event ``remote_command``, ``active`` false, detail "open lane … by …:
  why") and the vehicle's passage with reason ``remote``;
* ``fire_mode_on`` / ``fire_mode_off`` → the fault event ``fire_mode`` raised / cleared, with who
  and why in ``detail`` (a fire-alarm input raises it too);
* ``sync`` → a ``remote_command`` notice; the allowlist itself comes retained from the hub.

Fire mode is reset by a person only: the reset key at the gate or the hub's ``fire_mode_off`` (a
named warden, recorded), and never while the fire-alarm input is still active (R7).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from collections import Counter
from dataclasses import replace
from types import MappingProxyType
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Mapping

from edge.allowlist import Allowlist
from edge.ble.model import Sighting
from edge.events import EventSink
from gwcommon import wire
from gwcommon.atomicfile import write_atomic
from gwcommon.clock import Clock
from gwcommon.exc import GatewardenError

from . import lane as lanelogic
from .associate import LOOP_LEVELS_KEPT, LOOP_TAGS_KEPT, RadioLevels
from .barrier import Contacts, Relays
from .config import GateConfig, LaneConfig, lane_rules
from .decide import judge
from .model import (
    CloseRelayOff,
    Counted,
    EyeTest,
    FireOn,
    FireReset,
    Heard,
    InputChanged,
    OpenCommand,
    OpenRefused,
    PulseClose,
    PulseOpen,
    RaiseFault,
    RecordPassage,
    Retest,
    TakeSnapshot,
    Tick,
)

logger = logging.getLogger(__name__)
_PENDING = b""  # a snapshot is being taken
PASSBACK_FILE = "passback.json"
STATE_FILE_MAX = 8 * 1024 * 1024  # bytes: a state file larger than this is not the gate's own (kept aside)
LOOP_LEVELS_FILE = "loop_levels.json"
LOOP_LEVELS_SAVE_EVERY = 60.0  # seconds: the loop levels learned since are saved at most this often (and at stop)


class GateDevice:
    """All lanes of one gate Pi.  ``start()`` runs its thread; tests call ``pump()`` instead."""

    def __init__(self, config: GateConfig, *, sink: EventSink, allowlist: Allowlist, clock: Clock,
                 pin_factory: Any = None, cameras: Mapping[str, Any] | None = None, tick: float = 0.02,
                 on_sync: Callable[[], None] | None = None, default_radio: str = "hci0",
                 state_dir: str | Path | None = None):
        self.config = config
        self.sink, self.allowlist, self.clock = sink, allowlist, clock
        self._tick, self._on_sync = tick, on_sync
        self.on_allowlist_change: Callable[[], None] | None = None
        self.plate_policy: Callable[[str, Callable[[str], str]], Callable[[str], str]] | None = None  # edge.lpr hook
        self._queue: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self.lanes = {lane.name: lanelogic.Lane(lane_rules(lane, config)) for lane in config.lanes}
        self._lane_cfg = {lane.name: lane for lane in config.lanes}
        self.default_radio = default_radio
        self.radios: dict[str, list[str]] = {}  # radio (adapter) → the lanes its antenna is at
        for lane in config.lanes:
            self.radios.setdefault(lane.radio or default_radio, []).append(lane.name)
        self._levels = RadioLevels(self.radios, window=max(lane.smooth.total_seconds() for lane in config.lanes),
                                   stale=max(lane.tag_window.total_seconds() for lane in config.lanes))
        self._forgotten_at = float("-inf")
        self.counters: Counter[str] = Counter()
        self._passback_path = Path(state_dir) / PASSBACK_FILE if state_dir is not None else None
        self._last_dir: dict[str, str] = self._load_passback()
        self._levels_path = Path(state_dir) / LOOP_LEVELS_FILE if state_dir is not None else None
        self._levels_saved_at, self._levels_dirty = float("-inf"), False
        self._load_loop_levels()
        self._fire = False
        self._jpegs: dict[tuple[str, int], bytes | None] = {}
        self._awaiting: dict[tuple[str, int], str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._shooter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gate-snapshot")
        self._contacts: dict[str, Contacts] = {}
        self._relays: dict[str, Relays] = {}
        self.cameras = dict(cameras) if cameras is not None else self._make_cameras()
        self._open_pins(pin_factory)

    # ---- wiring ------------------------------------------------------------------------

    def _open_pins(self, pin_factory: Any) -> None:
        try:
            for lane in self.config.lanes:
                self._contacts[lane.name] = Contacts(lane.inputs(), pin_factory=pin_factory,
                                                     on_change=self._lane_input(lane.name))
                self._relays[lane.name] = Relays(lane.outputs(), active_high=lane.relay_active_high,
                                                 pin_factory=pin_factory)
            site = {r: p for r, p in (("fire_input", self.config.fire_input),
                                      ("reset_input", self.config.reset_input)) if p is not None}
            self._site = Contacts(site, pin_factory=pin_factory,
                                  on_change=lambda role, active: self._queue.put(("site", role, active)))
        except Exception:
            self.close()
            raise

    def _lane_input(self, name: str) -> Callable[[str, bool], None]:
        return lambda role, active: self._queue.put(
            ("lane", name, InputChanged(role, active, at=self.clock.monotonic())))

    def _make_cameras(self) -> dict[str, Any]:
        from edge.camera import OpenCVCamera

        made: dict[str, Any] = {}
        settings = self.config.camera
        for lane in self.config.lanes:
            if lane.camera:
                made[lane.name] = OpenCVCamera(
                    lane.camera, name=lane.name, on_fault=self.camera_fault,
                    open_timeout=settings.open_timeout.total_seconds(),
                    read_timeout=settings.read_timeout.total_seconds(), max_width=settings.max_width,
                    quality=settings.quality, max_age=settings.max_age.total_seconds())
        return made

    # ---- entry points (any thread: they only enqueue) --------------------------------------

    def sighted(self, sighting: Sighting, lane: str | None = None, *, radio: str | None = None) -> None:
        """A valid tag heard by ``radio`` (None: the [scanner] adapter); ``lane`` forces one lane (tests)."""
        self._queue.put(("lane", lane, Heard(sighting.tag, sighting.rssi, sighting.at)) if lane
                        else ("heard", radio or self.default_radio, sighting))

    def handle_command(self, command: wire.Command) -> None:
        self._queue.put(("cmd", command))

    def handle_allowlist(self, allowlist: wire.Allowlist) -> None:
        """The hub's retained allowlist: saved at once (the lookups read the newest one)."""
        if self.allowlist.update(allowlist) and self.on_allowlist_change is not None:
            self.on_allowlist_change()

    def camera_fault(self, code: str, active: bool, detail: str) -> None:
        self._queue.put(("fault", code, active, detail))

    # ---- running -----------------------------------------------------------------------

    def start(self, *, thread: bool = True) -> "GateDevice":
        """Read every input once (power-up: the barrier is UNKNOWN and nothing closes), start cameras."""
        self._read_inputs()
        for camera in self.cameras.values():
            camera.start()
        if self.allowlist.load_problem:
            self._fault("allowlist_unreadable", True, self.allowlist.load_problem)
        if thread:
            self._thread = threading.Thread(target=self._run, name="gate", daemon=True)
            self._thread.start()
        return self

    def _read_inputs(self) -> None:
        for name, contacts in self._contacts.items():
            for role, active in contacts.read_all().items():
                self._queue.put(("lane", name, InputChanged(role, active)))
        for role, active in self._site.read_all().items():
            if active:
                self._queue.put(("site", role, active))

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for camera in self.cameras.values():
            camera.stop()
        self._shooter.shutdown(wait=True)
        self.pump()
        self._save_loop_levels(force=True)
        self.close()

    def close(self) -> None:
        """Relays off, pins released."""
        for relays in self._relays.values():
            relays.close()
        for contacts in list(self._contacts.values()) + ([self._site] if hasattr(self, "_site") else []):
            contacts.close()

    def _run(self) -> None:
        next_tick = self.clock.monotonic()
        while not self._stop.is_set():
            try:
                item = self._queue.get(timeout=max(0.0, next_tick - self.clock.monotonic()))
                self._process(item)
            except queue.Empty:
                pass
            except Exception:
                self.counters["errors"] += 1
                logger.exception("gate: an entry failed; carrying on")
            if self.clock.monotonic() >= next_tick:
                self._process(("all", Tick()))
                next_tick = self.clock.monotonic() + self._tick

    def pump(self) -> int:
        """Process everything queued, then one tick (tests and shutdown); returns entries processed."""
        done = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            self._process(item)
            done += 1
        self._process(("all", Tick()))
        return done

    # ---- one entry ---------------------------------------------------------------------

    def _process(self, item: tuple) -> None:
        kind = item[0]
        if kind == "lane":
            self._step(item[1], item[2])
        elif kind == "all":
            for name in self.lanes:
                self._step(name, item[1])
        elif kind == "heard":
            self._route(item[1], item[2])
        elif kind == "site":
            self._site_input(item[1], item[2])
        elif kind == "cmd":
            self._command(item[1])
        elif kind == "fault":
            self._fault(item[1], item[2], item[3])
        elif kind == "jpeg":
            self._got_jpeg(item[1], item[2], item[3])

    def _step(self, name: str, event: Any) -> None:
        now = self.clock.monotonic()
        lane = self.lanes[name]
        verdict = self._verdict(lane.rules.direction)
        if self.plate_policy is not None:  # plate cameras (edge.lpr, issue 20): the lane's plate policy
            verdict = self.plate_policy(name, verdict)
        self.lanes[name], actions = lanelogic.step(lane, event, now, verdict)
        relays = self._relays[name]
        for action in actions:
            self._act(name, relays, action, now)
        relays.tick(now)
        if self.lanes[name].traffic.loop_levels is not lane.traffic.loop_levels:
            self._levels_dirty = True
        if self._levels_dirty:  # after the relays: a save never delays an open
            self._save_loop_levels()

    def _route(self, radio: str, sighting: Sighting) -> None:
        """A sighting goes to the lane(s) of the radio that heard it, with its margin over the other
        lanes' radios (:class:`edge.gate.associate.RadioLevels`): the decision needs ``lane_margin``."""
        routed = self._levels.heard(sighting.tag, radio, sighting.rssi, sighting.at)
        if not routed:
            self.counters["sighting_unknown_radio"] += 1
            if self.counters["sighting_unknown_radio"] == 1:
                logger.warning("gate: a tag heard by %s, which no lane names as its radio (counted)", radio)
            return
        for name, margin in routed:
            self._step(name, Heard(sighting.tag, sighting.rssi, sighting.at, margin))
        if sighting.at - self._forgotten_at > 60:
            self._forgotten_at = sighting.at
            self._levels.forget(sighting.at - 60)

    def _verdict(self, direction: str) -> Callable[[str], str]:
        return lambda tag: judge(self.allowlist.lookup(tag), direction, self._last_dir.get(tag))

    def _act(self, name: str, relays: Relays, action: Any, now: float) -> None:
        cfg = self._lane_cfg[name]
        if isinstance(action, PulseOpen):
            if relays.has("close_relay"):
                relays.set("close_relay", False)
            relays.pulse("open_relay", now, cfg.pulse.total_seconds())
        elif isinstance(action, PulseClose):
            relays.pulse("close_relay", now, cfg.pulse.total_seconds())
        elif isinstance(action, CloseRelayOff) and relays.has("close_relay"):
            relays.set("close_relay", False)
        elif isinstance(action, EyeTest) and relays.has("eye_test"):
            relays.set("eye_test", action.on)
        elif isinstance(action, RaiseFault):
            self._fault(action.code, action.active, action.detail)
        elif isinstance(action, TakeSnapshot):
            self._shoot(name, action.key)
        elif isinstance(action, RecordPassage):
            self._passage(cfg, action)
        elif isinstance(action, (Counted, OpenRefused)):
            self._count(name, action)

    # ---- events ------------------------------------------------------------------------

    def _emit(self, kind: str, fields: dict[str, Any]) -> str | None:
        try:
            return self.sink.emit(kind, fields)
        except (GatewardenError, OSError) as exc:  # the gate keeps working; the log keeps the record
            self.counters["emit_failed"] += 1
            logger.error("gate: could not store a %s event %s: %s", kind, fields, exc)
            return None

    def _fault(self, code: str, active: bool, detail: str) -> None:
        log = logger.warning if active else logger.info
        log("gate fault %s %s: %s", code, "raised" if active else "cleared", detail)
        self._emit("fault", {"code": code, "active": active, "detail": detail[:1000]})

    def _passage(self, cfg: LaneConfig, record: RecordPassage) -> None:
        if record.tailgating:
            logger.warning("lane %s: tailgating — a vehicle denied (%s) went through behind another",
                           cfg.name, record.reason)
            self.counters["tailgating"] += 1
        if record.reason == "passback":
            logger.warning("lane %s: tag %s entered again without an exit (let in, flagged)", cfg.name, record.tag)
        if record.passed and record.tag and self._last_dir.get(record.tag) != cfg.direction:
            self._last_dir[record.tag] = cfg.direction
            self._save_passback()
        fields: dict[str, Any] = {
            "lane": cfg.name, "direction": cfg.direction, "tag": record.tag, "rssi": record.rssi,
            "decision": record.decision, "reason": record.reason, "passed": record.passed}
        if record.by:
            fields["by"] = record.by[:64]
        if record.by and record.note:
            fields["note"] = record.note[:500]
        if record.evidence is not None:
            fields["evidence"] = record.evidence.fields()
            if record.evidence.ambiguous and record.decision == "deny":
                logger.info("lane %s: could not tell which car a tag near belonged to: %s", cfg.name, record.evidence)
                self.counters["passage_ambiguous"] += 1
        event_id = self._emit("passage", fields)
        self.counters[f"passage_{record.decision}"] += 1
        jpeg = self._jpegs.pop((cfg.name, record.key), None)
        if event_id is None or jpeg is None:
            return
        if jpeg is _PENDING:
            self._awaiting[(cfg.name, record.key)] = event_id
        else:
            self.sink.snapshot(event_id, jpeg)

    def _count(self, name: str, action: Any) -> None:
        what = action.what if isinstance(action, Counted) else f"open_refused_{action.state}"
        self.counters[what] += 1
        if self.counters[what] == 1:
            logger.info("lane %s: %s (counted from now on)", name, what.replace("_", " "))

    # ---- passback memory (survives a restart) ------------------------------------------

    def _load_passback(self) -> dict[str, str]:
        def check(data: Any) -> dict[str, str]:
            data = data["last_direction"]
            if not isinstance(data, dict) or not all(v in ("in", "out") for v in data.values()):
                raise ValueError("last_direction must map tags to 'in' or 'out'")
            return {str(tag): str(way) for tag, way in data.items()}
        return self._load_state(self._passback_path, "passback", check) or {}

    def _save_passback(self) -> None:
        self._save_state(self._passback_path, "passback", {"last_direction": self._last_dir})

    # ---- loop levels: how near each tag is when its car is on the loop (survive a restart) ----

    def _load_loop_levels(self) -> None:
        """``{"lanes": {lane: [[tag, [dBm, ...]], ...]}}``, each lane's tags in the order they last
        opened it (the oldest first: the first to be forgotten)."""
        def check(data: Any) -> dict[str, dict[str, tuple[int, ...]]]:
            lanes = data["lanes"]
            if not isinstance(lanes, dict):
                raise ValueError("lanes must map lane names to lists of [tag, levels]")
            out = {}
            for name, tags in lanes.items():
                if not isinstance(tags, list) or not all(
                        isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
                        and isinstance(item[1], list) and item[1]
                        and all(type(r) is int and -127 <= r <= 20 for r in item[1]) for item in tags):
                    raise ValueError(f"lane {name}: each tag needs [tag, [levels in dBm, -127 to 20]]")
                out[str(name)] = {tag: tuple(levels[-LOOP_LEVELS_KEPT:]) for tag, levels in tags[-LOOP_TAGS_KEPT:]}
            return out
        for name, levels in (self._load_state(self._levels_path, "loop_levels", check) or {}).items():
            if name in self.lanes:  # a lane since removed from the config is forgotten
                lane = self.lanes[name]
                self.lanes[name] = replace(lane, traffic=replace(lane.traffic, loop_levels=MappingProxyType(levels)))

    def _save_loop_levels(self, *, force: bool = False) -> None:
        """Save the lanes' loop levels if they changed: at most every LOOP_LEVELS_SAVE_EVERY (an SD
        card), and at stop; a crash loses at most that much learning."""
        now = self.clock.monotonic()
        if not self._levels_dirty or (not force and now - self._levels_saved_at < LOOP_LEVELS_SAVE_EVERY):
            return
        self._levels_saved_at = now  # a failed save is tried again a minute later (and at stop)
        self._levels_dirty = not self._save_state(self._levels_path, "loop_levels", {"lanes": {
            name: [[tag, list(v)] for tag, v in lane.traffic.loop_levels.items()] for name, lane in self.lanes.items()}})

    # ---- a small JSON file of state (atomic; an unreadable one is kept aside, never fatal) ----

    def _load_state(self, path: Path | None, what: str, check: Callable[[Any], Any]) -> Any:
        """The checked content of a state file; None (start empty) when there is none, or it is
        unreadable — then it is kept aside as ``*.bad`` and counted; never an error that stops the gate."""
        if path is None:
            return None
        try:
            if not path.exists():
                return None
            if path.stat().st_size > STATE_FILE_MAX:
                raise ValueError(f"larger than {STATE_FILE_MAX} bytes")
            return check(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:  # deep nesting: RecursionError
            self.counters[f"{what}_unreadable"] += 1
            kept = path.with_name(path.name + ".bad")
            try:
                os.replace(path, kept)
            except OSError as moved:
                kept = f"nowhere ({moved})"
            logger.error("gate: %s memory %s unreadable (%s); kept it as %s, starting empty", what, path, exc, kept)
            return None

    def _save_state(self, path: Path | None, what: str, data: Any) -> bool:
        """Write ``data`` to ``path`` atomically; False (counted, logged) when it could not."""
        if path is None:
            return True
        try:
            write_atomic(path, json.dumps(data, sort_keys=True).encode())
            return True
        except OSError as exc:
            self.counters[f"{what}_save_failed"] += 1
            logger.error("gate: could not save the %s memory to %s: %s", what, path, exc)
            return False

    # ---- snapshots -----------------------------------------------------------------------

    def _shoot(self, name: str, key: int) -> None:
        camera = self.cameras.get(name)
        if camera is None:
            return
        self._jpegs[(name, key)] = _PENDING
        self._shooter.submit(self._take, camera, name, key)

    def _take(self, camera: Any, name: str, key: int) -> None:
        try:
            jpeg = camera.snapshot()
        except Exception:
            logger.exception("lane %s: snapshot failed", name)
            jpeg = None
        if jpeg is None:
            self.counters["snapshot_missing"] += 1  # the camera's own fault event says why
        self._queue.put(("jpeg", name, key, jpeg))

    def _got_jpeg(self, name: str, key: int, jpeg: bytes | None) -> None:
        event_id = self._awaiting.pop((name, key), None)
        if event_id is not None:
            if jpeg:
                self.sink.snapshot(event_id, jpeg)
        elif (name, key) in self._jpegs:
            if jpeg:
                self._jpegs[(name, key)] = jpeg
            else:
                del self._jpegs[(name, key)]

    # ---- fire, reset, commands ---------------------------------------------------------

    def _site_input(self, role: str, active: bool) -> None:
        if role == "fire_input" and active:
            self._fire_on("fire-alarm input")
        elif role == "reset_input" and active:
            if self._fire:
                self._fire_reset("reset key at the gate")
            else:
                self._to_all(Retest())

    def _fire_on(self, source: str) -> None:
        self._fault("fire_mode", True, f"fire mode ON: every barrier opened and held ({source})")
        self._fire = True
        self._to_all(FireOn(source))

    def _fire_reset(self, by: str) -> None:
        if "fire_input" in self._site.roles and self._site.read("fire_input"):
            self._fault("fire_mode", True, f"reset by {by} refused: the fire-alarm input is still active")
            return
        self._fire = False
        self._to_all(FireReset(by))
        self._fault("fire_mode", False, f"fire mode reset by {by}; barriers back to normal")

    def _to_all(self, event: Any) -> None:
        for name in self.lanes:
            self._step(name, event)

    def _command(self, cmd: wire.Command) -> None:
        who = f"{cmd.by}" + (f": {cmd.reason}" if cmd.reason else "")
        if cmd.op == "fire_mode_on":
            self._fire_on(f"command {cmd.id} by {who}")
        elif cmd.op == "fire_mode_off":
            self._fire_reset(f"{who} (command {cmd.id})") if self._fire else self._notice(
                f"fire_mode_off by {who}: not in fire mode (command {cmd.id})")
        elif cmd.op == "sync":
            self._notice(f"sync by {who}: allowlist version {self.allowlist.version}, "
                         f"{len(self.allowlist)} entries (command {cmd.id})")
            if self._on_sync is not None:
                self._on_sync()
        elif cmd.op == "open":
            self._remote_open(cmd, who)

    def _remote_open(self, cmd: wire.Command, who: str) -> None:
        lane = cmd.lane or (next(iter(self.lanes)) if len(self.lanes) == 1 else None)
        if lane not in self.lanes:
            self.counters["command_refused"] += 1
            self._notice(f"open by {who} refused: lane {cmd.lane!r} is not one of {', '.join(self.lanes)} "
                         f"(command {cmd.id})")
            return
        self._notice(f"open lane {lane} by {who} (command {cmd.id})")
        self._step(lane, OpenCommand("remote", by=cmd.by, why=cmd.reason))

    def _notice(self, detail: str) -> None:
        logger.info("gate command: %s", detail)
        self._emit("fault", {"code": "remote_command", "active": False, "detail": detail[:1000]})

    # ---- introspection (status page, tests) --------------------------------------------

    def arm_states(self) -> dict[str, str]:
        return {name: lane.barrier.arm.value for name, lane in self.lanes.items()}

    @property
    def fire_mode(self) -> bool:
        return self._fire
