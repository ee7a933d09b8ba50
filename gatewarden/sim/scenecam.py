"""A camera for the simulator: draws the scene it would see and hands out JPEG bytes.

It has the shape of the edge's cameras (``start``, ``stop``, ``snapshot`` → JPEG bytes or None),
so the real gate and lane code takes pictures from it as from a real one.
"""

from __future__ import annotations

import zlib
from typing import Callable

import cv2
import numpy as np

from gwcommon.clock import Clock

from .night import TZ


class SceneCamera:
    """Pictures of a lane or a zone, stamped with the simulated time; ``scene()`` says what is there."""

    def __init__(self, name: str, *, clock: Clock, scene: Callable[[], list[str]] = lambda: []):
        self.name, self.clock, self.scene = name, clock, scene

    def start(self) -> None:
        """Nothing to open."""

    def stop(self) -> None:
        """Nothing to close."""

    def snapshot(self) -> bytes | None:
        ok, jpeg = cv2.imencode(".jpg", self.frame(), [cv2.IMWRITE_JPEG_QUALITY, 80])
        return jpeg.tobytes() if ok else None

    def frame(self) -> np.ndarray:
        """The current picture as a BGR array."""
        image = _background().copy()
        for index, label in enumerate(self.scene()[:3]):
            self._car(image, 20 + index * 100, label)
        stamp = self.clock.now().astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")
        cv2.putText(image, f"{self.name}  {stamp}", (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)
        return image

    @staticmethod
    def _car(image: np.ndarray, x: int, label: str) -> None:
        hue = zlib.crc32(label.encode()) % 180
        colour = cv2.cvtColor(np.uint8([[[hue, 160, 200]]]), cv2.COLOR_HSV2BGR)[0][0].tolist()
        cv2.rectangle(image, (x, 120), (x + 85, 175), colour, -1)
        cv2.rectangle(image, (x + 12, 100), (x + 70, 122), colour, -1)
        cv2.circle(image, (x + 18, 178), 10, (20, 20, 20), -1)
        cv2.circle(image, (x + 67, 178), 10, (20, 20, 20), -1)
        ascii_part = label.encode("ascii", "ignore").decode()[-6:] or "car"
        cv2.rectangle(image, (x + 20, 155), (x + 66, 168), (200, 120, 30), -1)
        cv2.putText(image, ascii_part, (x + 22, 166), cv2.FONT_HERSHEY_PLAIN, 0.8, (255, 255, 255), 1)


_BACKGROUND: list[np.ndarray] = []


def _background() -> np.ndarray:
    """The empty scene, drawn once (the simulator asks for thousands of frames a night)."""
    if not _BACKGROUND:
        image = np.full((240, 320, 3), (70, 80, 70), np.uint8)
        cv2.rectangle(image, (0, 150), (320, 240), (90, 90, 90), -1)
        _BACKGROUND.append(image)
    return _BACKGROUND[0]
