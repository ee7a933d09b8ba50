"""One push in, one reply out: parse it as its camera's vendor format, route each read, answer.

* a gate camera with ``opens = 'pi'`` hands the read to its lane (:mod:`edge.lpr.gatelink`);
* a gate camera with ``opens = 'camera'`` is decided here, at once, by the lane's plate policy
  (:func:`edge.gate.plates.camera_decides`); the reply tells the camera to open its relay, and the
  passage (tag ``plate:<plate>``, ``passed`` as decided — the camera has no loop to say otherwise)
  goes to the outbox with the camera's picture.  The same plate again within ``repeat`` is the same
  car: answered alike, recorded once.  A record the camera kept while offline (断线重传) is
  counted and logged, never decided again;
* a zone camera reports the car present in its zone (:mod:`edge.lpr.strip`).

A bad push (malformed, not the vendor's format) is answered 4xx with the reason and changes nothing;
a camera silent for its ``silent_after`` raises ``plate_camera_unavailable`` (:mod:`edge.lpr.health`).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from typing import Any

from edge.gate.plates import camera_decides
from gwcommon.clock import Clock
from gwcommon.exc import GatewardenError

from . import health
from .config import LprConfig, PlateCamera
from .formats import vendor
from .model import BadPush, PlateRead, Push

logger = logging.getLogger(__name__)


class Receiver:
    """Routes the cameras' pushes; thread-safe (the HTTP server calls it from several threads)."""

    def __init__(self, config: LprConfig, *, sink: Any, clock: Clock, gate: Any = None, strip: Any = None,
                 allowlist: Any = None):
        self.sink, self.clock, self.gate, self.strip, self.allowlist = sink, clock, gate, strip, allowlist
        self.cameras = {c.id: c for c in config.cameras}
        self.counters: Counter[str] = Counter()
        self.health = health.Health({c.id: c.silent_after.total_seconds() for c in config.cameras},
                                    started=clock.monotonic(), names={c.id: c.label for c in config.cameras if c.label})
        self._lock = threading.Lock()
        self._recent: dict[tuple[str, str], tuple[float, bool]] = {}
        self._logged: set[str] = set()

    def handle(self, camera_id: str, body: bytes, content_type: str) -> tuple[int, str, bytes]:
        camera = self.cameras[camera_id]
        module = vendor(camera.vendor)
        try:
            push = module.parse(body, content_type)
        except BadPush as exc:
            return self._bad(camera, exc.status, exc.reason)
        except Exception as exc:  # a parser tripped on odd input: refused, never a crash  # noqa: BLE001
            return self._bad(camera, 400, f"{camera.vendor}: malformed push ({type(exc).__name__})")
        with self._lock:
            self._fault(self.health.seen(camera.id, self.clock.monotonic()))
            opened = self._route_all(camera, push)
        kind, data = module.reply(push, opened)
        return 200, kind, data

    def tick(self) -> None:
        """Check for silent cameras (called about once a second)."""
        with self._lock:
            self._fault(self.health.check(self.clock.monotonic()))
        if self.strip is not None:
            self.strip.tick()

    # ---- inside the lock ----------------------------------------------------------------------

    def _route_all(self, camera: PlateCamera, push: Push) -> bool | None:
        opened: bool | None = None
        self.counters["heartbeats" if push.heartbeat else "pushes"] += 1
        for read in push.reads:
            self.counters["reads"] += 1
            if read.plate is None:
                self._once("unreadable", f"camera {camera.id}: a read with no valid plate ({read.raw!r}); counted")
                self.counters["unreadable"] += 1
            result = self._route(camera, read)
            opened = result if opened is None else opened or bool(result)
        return opened

    def _route(self, camera: PlateCamera, read: PlateRead) -> bool | None:
        if camera.zone is not None:
            before = getattr(self.strip, "attributed", 0)
            if self.strip is None or not self.strip.take(camera, read):
                self.counters["not_used"] += 1  # low confidence or unreadable: the spot camera still sees the car
            self.counters["ocr_attributed"] += getattr(self.strip, "attributed", 0) - before  # edge.lpr.ocrmatch
            return None
        if camera.opens == "camera":
            return self._camera_decides(camera, read)
        if self.gate is not None and not self.gate.take(camera, read) and read.plate is not None:
            self.counters["not_used"] += 1  # low confidence, offline, or a lane with plate_policy off
        return None

    def _camera_decides(self, camera: PlateCamera, read: PlateRead) -> bool:
        if read.offline:
            self.counters["offline_records"] += 1
            self._once(f"offline:{camera.id}", f"camera {camera.id}: records it kept while offline are counted, "
                                                "not decided again (it handled those cars itself)")
            return False
        now = self.clock.monotonic()
        key = (camera.id, read.plate or "")
        recent = self._recent.get(key)
        if recent is not None and read.plate and now - recent[0] <= camera.repeat.total_seconds():
            self.counters["repeats"] += 1
            return recent[1]
        tag = read.tag
        status = self.allowlist.lookup(tag) if (tag and self.allowlist is not None) else "unknown_tag"
        kind = getattr(self.allowlist.entry(tag), "kind", None) if (tag and self.allowlist is not None) else None
        decision, reason = camera_decides(camera.plate_policy, status, kind, confidence=read.confidence,
                                          min_confidence=camera.min_confidence, readable=tag is not None)
        self._recent = {k: v for k, v in self._recent.items() if now - v[0] <= 600}
        self._recent[key] = (now, decision == "open")
        self._passage(camera, read, decision, reason)
        return decision == "open"

    def _passage(self, camera: PlateCamera, read: PlateRead, decision: str, reason: str) -> None:
        try:
            event_id = self.sink.emit("passage", {"lane": camera.lane, "direction": camera.direction, "tag": read.tag,
                                                  "rssi": None, "decision": decision, "reason": reason,
                                                  "passed": decision == "open"})
        except (GatewardenError, OSError) as exc:
            self.counters["emit_failed"] += 1
            logger.error("plate camera %s: could not store the passage of %s: %s", camera.id, read.tag, exc)
            return
        self.counters[f"passage_{decision}"] += 1
        if read.jpeg:
            self.sink.snapshot(event_id, read.jpeg)

    def _fault(self, change: health.FaultChange | None) -> None:
        if change is None:
            return
        (logger.warning if change.active else logger.info)("%s: %s", health.CODE, change.detail)
        try:
            self.sink.emit("fault", {"code": health.CODE, "active": change.active, "detail": change.detail[:1000]})
        except (GatewardenError, OSError) as exc:
            logger.error("could not store the fault %s: %s", health.CODE, exc)

    def _bad(self, camera: PlateCamera, status: int, reason: str) -> tuple[int, str, bytes]:
        with self._lock:
            self.counters["bad_pushes"] += 1
            self._once(f"bad:{camera.id}:{reason[:40]}", f"plate camera {camera.id}: push refused ({status}): {reason}")
        return status, "application/json", json.dumps({"error": reason}, ensure_ascii=False).encode()

    def _once(self, key: str, text: str) -> None:
        if key not in self._logged and len(self._logged) < 1000:
            self._logged.add(key)
            logger.warning("%s (further ones counted, not logged)", text)
