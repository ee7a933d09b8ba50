"""Presence with hysteresis: tables of sightings and ticks → transitions, and invariants."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.ble.model import Sighting
from edge.ble.presence import PresenceParams, PresenceTracker, TagTrack, away_after, interval

TAG = "ibeacon:f7826da6-4fa2-4e98-8024-bc5b71e0893e:1:42"
P = PresenceParams(threshold=-75, leave_margin=8, missed=5, default_interval=2.0, min_away=15, max_away=300)


def run(script, params=P):
    """script: ("s", at, rssi) sighting or ("t", at) tick → list of (at, present) transitions."""
    tracker, out = PresenceTracker(params), []
    for step in script:
        if step[0] == "s":
            change = tracker.observe(Sighting(TAG, step[2], step[1], True))
            changes = [change] if change else []
        else:
            changes = tracker.expire(step[1])
        out += [(c.at, c.present) for c in changes]
    return out


def steady(start, end, every, rssi):
    return [("s", start + i * every, rssi) for i in range(int((end - start) / every))]


@pytest.mark.parametrize("name,script,expected", [
    ("first strong sighting makes present at once",
     [("s", 0.0, -60)], [(0.0, True)]),
    ("weak sightings never make present",
     steady(0, 60, 1, -80) + [("t", 61)], []),
    ("exactly the threshold counts",
     [("s", 0.0, -75)], [(0.0, True)]),
    ("steady tag stays present",
     steady(0, 600, 1, -60) + [("t", 600)], [(0.0, True)]),
    ("gone: away after the floor (5 x 1 s learned < 15 s floor)",
     steady(0, 10, 1, -60) + [("t", 20), ("t", 23.9), ("t", 24)], [(0.0, True), (24, False)]),
    ("fades to just below threshold: still kept (margin)",
     steady(0, 5, 1, -60) + steady(5, 100, 1, -80) + [("t", 100)], [(0.0, True)]),
    ("fades far below: away although still heard",
     steady(0, 5, 1, -60) + steady(5, 40, 1, -95) + [("t", 40)], [(0.0, True), (40, False)]),
    ("slow tag: interval learned 10 s → away after 50 s, not 15",
     steady(0, 100, 10, -60) + [("t", 130), ("t", 139), ("t", 140)], [(0.0, True), (140, False)]),
    ("back after away: present again",
     steady(0, 5, 1, -60) + [("t", 30), ("s", 31, -60)], [(0.0, True), (30, False), (31, True)]),
])
def test_hysteresis(name, script, expected):
    assert run(script) == expected


@pytest.mark.parametrize("gaps,expected", [
    ((), 2.0),                  # default until min_gaps
    ((1.0, 1.0), 2.0),
    ((1.0, 1.0, 1.1), 1.0),
    ((0.1, 0.1, 9.0), 0.1),     # median ignores one long gap
    ((30.0, 30.0, 30.0), 30.0),
])
def test_learned_interval(gaps, expected):
    assert interval(TagTrack(gaps=gaps), P) == expected


@pytest.mark.parametrize("gaps,expected", [((0.1, 0.1, 0.1), 15.0), ((10.0,) * 3, 50.0), ((30.0,) * 3, 150.0)])
def test_away_after_is_bounded(gaps, expected):
    assert away_after(TagTrack(gaps=gaps), P) == expected


def test_gaps_longer_than_max_interval_are_not_learned():
    tracker = PresenceTracker(P)
    for at in (0, 1, 2, 3, 100):
        tracker.observe(Sighting(TAG, -60, at, True))
    assert tracker.tracks[TAG].gaps == (1, 1, 1)


def test_forgets_tags_long_away():
    tracker = PresenceTracker(P)
    tracker.observe(Sighting(TAG, -90, 0.0, True))
    tracker.expire(700.0)
    assert tracker.tracks == {}


@given(st.lists(st.tuples(st.floats(0.05, 40), st.integers(-100, -30), st.booleans()), max_size=60))
def test_transitions_alternate_and_away_never_early(steps):
    """Whatever arrives: present/away alternate, start with present, and an away comes only after
    at least min_away seconds without a keeping sighting."""
    tracker, at, last_strong, changes = PresenceTracker(P), 0.0, None, []
    for gap, rssi, tick in steps:
        at += gap
        if tick:
            for change in tracker.expire(at):
                assert last_strong is None or at - last_strong >= P.min_away
                changes.append(change.present)
        else:
            change = tracker.observe(Sighting(TAG, rssi, at, True))
            if change:
                changes.append(change.present)
            track = tracker.tracks[TAG]
            if track.present and track.last_kept == at:
                last_strong = at
    assert changes == [i % 2 == 0 for i in range(len(changes))]
