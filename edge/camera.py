"""Cameras on OpenCV (headless): a grabber thread keeps only the newest frame.

RTSP streams buffer stale frames inside FFmpeg and ``CAP_PROP_BUFFERSIZE`` is ignored, so a
thread reads continuously and keeps only the newest frame; a snapshot encodes that frame (scaled
to at most ``max_width`` pixels wide) as JPEG.  Opening and reading have timeouts; a failing
source is reconnected with growing pauses (1 s doubling up to 60 s) and reported once as the fault
``camera_unavailable`` (and once more, cleared, when frames flow again).  A camera never blocks
the gate: ``snapshot()`` returns ``None`` at once when there is no fresh frame.

Sources: ``rtsp://…`` / ``http://…`` URLs, ``usb:0`` (a USB camera by index), or a video file
path (looped, read at its own frame rate: used by the demo and the tests).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable, Protocol

import cv2
import numpy as np

logger = logging.getLogger(__name__)

FaultCallback = Callable[[str, bool, str], None]
CODE = "camera_unavailable"


class Camera(Protocol):
    """What the gate and lane devices need from a camera."""

    name: str

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def snapshot(self) -> bytes | None: ...
    def frame(self) -> np.ndarray | None: ...


def encode_jpeg(frame: np.ndarray, *, max_width: int = 1280, quality: int = 85) -> bytes:
    """JPEG bytes of ``frame``, scaled down (keeping its shape) when wider than ``max_width``."""
    height, width = frame.shape[:2]
    if width > max_width:
        frame = cv2.resize(frame, (max_width, max(1, round(height * max_width / width))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("OpenCV could not encode the frame as JPEG")
    return buf.tobytes()


def describe_source(source: str) -> tuple[str | int, int, bool]:
    """(what to open, OpenCV backend, is a file) for a configured source string."""
    if source.startswith("usb:"):
        index = source[4:]
        if not index.isdigit():
            raise ValueError(f"camera source {source!r}: write usb:<number>, e.g. usb:0")
        return int(index), cv2.CAP_ANY, False
    if "://" in source:
        return source, cv2.CAP_FFMPEG, False
    return str(Path(source)), cv2.CAP_FFMPEG, True


class OpenCVCamera:
    """A camera read by a background thread; the newest frame only."""

    def __init__(self, source: str, *, name: str = "camera", on_fault: FaultCallback | None = None,
                 open_timeout: float = 5.0, read_timeout: float = 5.0, max_width: int = 1280,
                 quality: int = 85, max_age: float = 5.0, backoff: tuple[float, float] = (1.0, 60.0)):
        self.name = name
        self.source = source
        self._target, self._api, self._is_file = describe_source(source)
        self._on_fault = on_fault
        self._timeouts = (int(open_timeout * 1000), int(read_timeout * 1000))
        self._max_width, self._quality, self._max_age = max_width, quality, max_age
        self._backoff = backoff
        self._lock = threading.Lock()
        self._latest: tuple[np.ndarray, float] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False
        self.frames = 0
        self.failures = 0

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"camera-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=max(self._timeouts) / 1000 + 2)

    @property
    def healthy(self) -> bool:
        return not self._failing and self.frame() is not None

    def frame(self) -> np.ndarray | None:
        """The newest frame if it is fresh, else None."""
        with self._lock:
            latest = self._latest
        if latest is None or time.monotonic() - latest[1] > self._max_age:
            return None
        return latest[0]

    def snapshot(self) -> bytes | None:
        """The newest frame as JPEG, or None (never waits for the camera)."""
        frame = self.frame()
        if frame is None:
            return None
        return encode_jpeg(frame, max_width=self._max_width, quality=self._quality)

    # ---- the grabber thread ----------------------------------------------------------------

    def _run(self) -> None:
        pause = self._backoff[0]
        while not self._stop.is_set():
            capture = self._open()
            if capture is None:
                self._failed(f"cannot open {self._safe_source()}")
            else:
                got = self._read_until_failure(capture)
                capture.release()
                if got:
                    pause = self._backoff[0]
                if self._stop.is_set():
                    break
                self._failed(f"{self._safe_source()} stopped giving frames")
            self._stop.wait(pause)
            pause = min(pause * 2, self._backoff[1])

    def _open(self) -> cv2.VideoCapture | None:
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, self._timeouts[0], cv2.CAP_PROP_READ_TIMEOUT_MSEC, self._timeouts[1]]
        if self._is_file and not Path(str(self._target)).is_file():
            return None
        try:
            capture = cv2.VideoCapture(self._target, self._api, params)
        except cv2.error as exc:
            logger.debug("camera %s: open raised %s", self.name, exc)
            return None
        if not capture.isOpened():
            capture.release()
            return None
        return capture

    def _read_until_failure(self, capture: cv2.VideoCapture) -> bool:
        """Read frames until the source fails or we are stopped; True if any frame came."""
        period = 1.0 / (capture.get(cv2.CAP_PROP_FPS) or 10.0) if self._is_file else 0.0
        got = False
        while not self._stop.is_set():
            ok, frame = capture.read()
            if not ok and self._is_file and got:
                capture.set(cv2.CAP_PROP_POS_FRAMES, 0)  # a file loops
                ok, frame = capture.read()
            if not ok or frame is None:
                return got
            with self._lock:
                self._latest = (frame, time.monotonic())
            self.frames += 1
            if not got:
                got = True
                self._recovered()
            if period:
                self._stop.wait(period)
        return got

    def _failed(self, detail: str) -> None:
        self.failures += 1
        if not self._failing:
            self._failing = True
            logger.warning("camera %s unavailable: %s (retrying)", self.name, detail)
            self._report(True, detail)

    def _recovered(self) -> None:
        if self._failing:
            self._failing = False
            logger.info("camera %s gives frames again", self.name)
            self._report(False, f"{self._safe_source()} gives frames again")

    def _report(self, active: bool, detail: str) -> None:
        if self._on_fault is not None:
            self._on_fault(CODE, active, f"camera {self.name}: {detail}")

    def _safe_source(self) -> str:
        """The source without a password (rtsp://user:pass@host → rtsp://user:***@host)."""
        text = self.source
        if "://" in text and "@" in text:
            scheme, rest = text.split("://", 1)
            creds, host = rest.split("@", 1)
            text = f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
        return text
