"""Untagged vehicles in marked spots (车位占用): compare each spot with a picture of it empty.

A lane device's camera watches marked spots of a zone (the night strip, a fire lane).  OpenCV's
default background subtractor (MOG2) learns a parked car into the background within seconds (the
research measured a car vanishing after ~24 frames), so it cannot tell "a car has stood here all
night".  Instead each spot is compared with a *reference image of the empty spot*:

1. crop the spot, convert to grey, shrink to 48×48 by block averages, blur lightly;
2. normalise brightness and contrast (zero mean, unit spread), so dusk and headlights matter less;
3. the score (0..1) is the larger of the share of pixels that differ by more than
   ``pixel_threshold`` spreads and one minus the patches' correlation (see :func:`score`).
   With several references (day, night under street light) the lowest score counts.

:class:`SpotTracker` adds hysteresis (occupied at ``on`` or above, empty at ``off`` or below) and
dwell times, so a car driving through or a person walking past never counts.

Pure numpy, no OpenCV, no I/O: the lane device reads frames (``edge.camera``), loads reference
images (``cv2.imread``) and turns each change into a presence event with ``tag`` null and
``slot`` = the spot's name (docs/contract.md §1)::

    tracker = SpotTracker([Spot("s1", (40, 300, 220, 160))], {"s1": [cv2.imread("s1-empty.jpg")]})
    for change in tracker.update(camera.frame(), clock.monotonic()):
        sink.emit("presence", {"zone": "east-strip", "tag": None, "slot": change.spot,
                               "present": change.occupied, "rssi": None})
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, Sequence

import numpy as np

SIZE = 48
_SPREAD_FLOOR = 8.0  # grey levels: a plain empty spot must not turn sensor noise into "change"


@dataclass(frozen=True)
class Spot:
    """A marked spot: ``box`` is (x, y, width, height) in pixels of the camera's frame."""

    name: str
    box: tuple[int, int, int, int]


def prepare(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The spot's normalised 48×48 grey patch (see the module text)."""
    x, y, w, h = box
    crop = image[y:y + h, x:x + w]
    if crop.shape[0] < SIZE or crop.shape[1] < SIZE:
        raise ValueError(f"spot box {box} is smaller than {SIZE}x{SIZE} pixels or outside the image")
    grey = _grey(crop.astype(np.float32))
    small = _shrink(grey, SIZE)
    blurred = _blur3(small)
    spread = max(float(blurred.std()), _SPREAD_FLOOR)
    return (blurred - blurred.mean()) / spread


def score(reference: np.ndarray, current: np.ndarray, *, pixel_threshold: float = 0.5) -> float:
    """How unlike the empty reference the spot looks, 0 (same) .. 1.

    The larger of two measures: the share of pixels differing by more than ``pixel_threshold``
    spreads, and — when both patches have texture — one minus their correlation (a car's shape
    replaces the markings and the asphalt's pattern even where its paint is as grey as the road).
    """
    if reference.shape != current.shape:
        raise ValueError(f"patch shapes differ: {reference.shape} vs {current.shape}")
    share = float(np.mean(np.abs(reference - current) > pixel_threshold))
    spread = float(reference.std() * current.std())
    if spread < 0.25:  # a plain patch (e.g. fresh asphalt): correlation means nothing there
        return share
    correlation = float(np.mean(reference * current)) / spread
    return min(1.0, max(share, 1.0 - correlation))


def spot_score(references: Sequence[np.ndarray], current: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """The lowest score of the spot in ``current`` against its empty references (full images)."""
    now = prepare(current, box)
    return min(score(prepare(ref, box), now) for ref in references)


def _grey(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image
    blue, green, red = image[..., 0], image[..., 1], image[..., 2]  # OpenCV frames are BGR
    return 0.114 * blue + 0.587 * green + 0.299 * red


def _shrink(grey: np.ndarray, size: int) -> np.ndarray:
    h, w = grey.shape
    fy, fx = h // size, w // size
    trimmed = grey[:fy * size, :fx * size]
    return trimmed.reshape(size, fy, size, fx).mean(axis=(1, 3))


def _blur3(grey: np.ndarray) -> np.ndarray:
    padded = np.pad(grey, 1, mode="edge")
    total = sum(padded[dy:dy + grey.shape[0], dx:dx + grey.shape[1]] for dy in range(3) for dx in range(3))
    return total / 9.0


# ---- hysteresis and dwell -----------------------------------------------------------------

@dataclass(frozen=True)
class SpotState:
    """One spot's memory: whether it counts as occupied, and since when the other state is seen."""

    occupied: bool = False
    other_since: float | None = None
    score: float = 0.0


@dataclass(frozen=True)
class SpotChange:
    """A spot became occupied or empty."""

    spot: str
    occupied: bool
    score: float


def next_state(state: SpotState, value: float, now: float, *, on: float, off: float,
               dwell: float, clear_dwell: float) -> tuple[SpotState, bool]:
    """Hysteresis + dwell for one spot; returns (new state, changed)."""
    other = value <= off if state.occupied else value >= on
    if not other:
        return replace(state, other_since=None, score=value), False
    since = state.other_since if state.other_since is not None else now
    if now - since >= (clear_dwell if state.occupied else dwell):
        return SpotState(occupied=not state.occupied, other_since=None, score=value), True
    return replace(state, other_since=since, score=value), False


class SpotTracker:
    """Tracks several spots of one camera; ``update`` returns the spots that changed."""

    def __init__(self, spots: Sequence[Spot], references: Mapping[str, Sequence[np.ndarray]], *,
                 on: float = 0.35, off: float = 0.15, dwell: float = 60.0, clear_dwell: float = 30.0):
        if not 0 <= off < on <= 1:
            raise ValueError(f"need 0 <= off < on <= 1 (got off={off}, on={on})")
        missing = [s.name for s in spots if not references.get(s.name)]
        if missing:
            raise ValueError(f"no reference image of the empty spot for: {', '.join(missing)}")
        self.spots = list(spots)
        self._refs = {s.name: [prepare(img, s.box) for img in references[s.name]] for s in spots}
        self._limits = dict(on=on, off=off, dwell=dwell, clear_dwell=clear_dwell)
        self.states = {s.name: SpotState() for s in spots}

    def update(self, frame: np.ndarray, now: float) -> list[SpotChange]:
        changes = []
        for spot in self.spots:
            current = prepare(frame, spot.box)
            value = min(score(ref, current) for ref in self._refs[spot.name])
            self.states[spot.name], changed = next_state(self.states[spot.name], value, now, **self._limits)
            if changed:
                changes.append(SpotChange(spot.name, self.states[spot.name].occupied, value))
        return changes
