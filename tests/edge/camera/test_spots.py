"""Untagged vehicles in marked spots (edge.spots): reference-image scoring, hysteresis, dwell."""

from __future__ import annotations

import functools

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.spots import Spot, SpotState, SpotTracker, next_state, prepare, score, spot_score

BOX = (100, 200, 240, 160)
SPOT = Spot("s1", BOX)


def street(seed: int = 1, brightness: float = 1.0, offset: float = 0.0) -> np.ndarray:
    """An empty strip: asphalt noise, a painted line, a kerb (six noise patterns, cached)."""
    return _street(seed % 6, brightness, offset).copy()


@functools.lru_cache(maxsize=32)
def _street(seed: int, brightness: float, offset: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = rng.normal(90, 12, (480, 640, 3))
    img[:, 320:326] = 220  # painted line
    img[430:, :] = 150  # kerb
    return np.clip(img * brightness + offset, 0, 255).astype(np.uint8)


def with_car(base: np.ndarray, shift: int = 0) -> np.ndarray:
    img = base.copy()
    x, y, w, h = BOX
    cv2.rectangle(img, (x + 10 + shift, y + 15), (x + w - 20 + shift, y + h - 10), (30, 30, 140), -1)
    cv2.rectangle(img, (x + 50 + shift, y + 30), (x + 150 + shift, y + 70), (200, 200, 210), -1)  # windscreen
    return img


REFERENCE = street(0)


@pytest.mark.parametrize("frame,low,high", [
    (street(2), 0.0, 0.1),                       # another moment, other sensor noise: empty
    (street(3, brightness=0.6, offset=20), 0.0, 0.1),  # dusk: darker, flatter
    (street(4, brightness=1.3), 0.0, 0.1),       # bright noon
    (with_car(street(5)), 0.5, 1.0),             # a car
    (with_car(street(6, brightness=0.6)), 0.5, 1.0),
])
def test_spot_score(frame, low, high):
    assert low <= spot_score([REFERENCE], frame, BOX) <= high


def test_lowest_score_over_several_references_counts():
    night_ref = street(7, brightness=0.4)
    night = with_car(street(8, brightness=0.4)) * 0 + street(9, brightness=0.4)
    assert spot_score([REFERENCE, night_ref], night, BOX) <= spot_score([night_ref], night, BOX) + 1e-9


@pytest.mark.parametrize("box", [(0, 0, 20, 20), (630, 470, 100, 100)])
def test_box_too_small_or_outside_is_a_clear_error(box):
    with pytest.raises(ValueError, match="smaller than"):
        prepare(REFERENCE, box)


def test_score_needs_equal_patches():
    with pytest.raises(ValueError, match="shapes differ"):
        score(np.zeros((48, 48)), np.zeros((40, 40)))


def test_tracker_needs_references():
    with pytest.raises(ValueError, match="no reference image"):
        SpotTracker([SPOT], {})
    with pytest.raises(ValueError, match="off < on"):
        SpotTracker([SPOT], {"s1": [REFERENCE]}, on=0.2, off=0.3)


def feed(tracker, frames_and_times):
    return [(t, c.spot, c.occupied) for frame, t in frames_and_times for c in tracker.update(frame, t)]


def test_car_passing_through_never_counts_a_parked_car_does():
    tracker = SpotTracker([SPOT], {"s1": [REFERENCE]}, dwell=60, clear_dwell=30)
    passing = [(with_car(street(t)), float(t)) for t in range(0, 20)]  # 20 s: a car waiting, a person
    empty = [(street(t), float(t)) for t in range(20, 40)]
    assert feed(tracker, passing + empty) == []
    parked = [(with_car(street(t)), float(t)) for t in range(40, 200)]
    assert feed(tracker, parked) == [(100.0, "s1", True)]
    gone = [(street(t), float(t)) for t in range(200, 260)]
    assert feed(tracker, gone) == [(230.0, "s1", False)]


def test_a_parked_car_stays_seen_all_night_where_mog2_forgets_it():
    """The research finding, kept as a test: MOG2 learns the parked car away; the reference does not."""
    mog2 = cv2.createBackgroundSubtractorMOG2(detectShadows=False)
    tracker = SpotTracker([SPOT], {"s1": [REFERENCE]}, dwell=5, clear_dwell=5)
    for t in range(30):
        mog2.apply(street(100 + t))
    x, y, w, h = BOX
    mog_share, occupied = [], []
    for t in range(100):
        frame = with_car(street(200 + t))
        mog_share.append(float(np.mean(mog2.apply(frame)[y:y + h, x:x + w] > 0)))
        tracker.update(frame, float(t))
        occupied.append(tracker.states["s1"].occupied)
    assert mog_share[0] > 0.5 and mog_share[-1] < 0.1  # MOG2: the car has become background
    assert all(occupied[10:])  # ours: still parked, every frame after the dwell


def test_tracker_on_a_generated_video(tmp_path):
    path = tmp_path / "strip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 1.0, (640, 480))
    for t in range(40):
        writer.write(with_car(street(t)) if 10 <= t < 30 else street(t))
    writer.release()
    capture = cv2.VideoCapture(str(path))
    tracker = SpotTracker([SPOT], {"s1": [REFERENCE]}, dwell=5, clear_dwell=5)
    changes, t = [], 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        changes += [(t, c.occupied) for c in tracker.update(frame, float(t))]
        t += 1
    capture.release()
    assert changes == [(15, True), (35, False)]


@given(st.lists(st.floats(0.16, 0.34), max_size=50), st.booleans())
def test_scores_between_the_thresholds_never_flip_a_spot(values, occupied):
    state = SpotState(occupied=occupied)
    for n, value in enumerate(values):
        state, changed = next_state(state, value, float(n * 100), on=0.35, off=0.15, dwell=60, clear_dwell=30)
        assert not changed and state.occupied is occupied


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0.1, 100)), max_size=60))
def test_a_change_needs_the_other_state_for_the_whole_dwell(steps):
    state, now, since = SpotState(), 0.0, None
    for value, dt in steps:
        now += dt
        target = value <= 0.15 if state.occupied else value >= 0.35
        since = (since if since is not None else now) if target else None
        before = state.occupied
        state, changed = next_state(state, value, now, on=0.35, off=0.15, dwell=60, clear_dwell=30)
        if changed:
            assert now - since >= (30 if before else 60)
            since = None
