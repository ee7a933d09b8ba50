"""EID over time (issue 17): the counter's wrap, beacon clock drift, the edge's clock stepping."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from edge.ble.eid import COUNTER_MOD, EidKey, EidResolver, Refused, Resolved, compute_eid

IK = bytes.fromhex("0102030405060708090a111213141516")
T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
DAY = 86400.0


def key(clock_value: int = 5000, k: int = 10) -> EidKey:
    return EidKey("car-1", IK, k, clock_value, T0)


def at(seconds: float) -> float:
    return (T0 + timedelta(seconds=seconds)).timestamp()


def beacon(k: EidKey, true_seconds: float, ppm: float = 0.0) -> bytes:
    """What the tag sends ``true_seconds`` after registration with its clock ``ppm`` off."""
    counter = int(k.clock_value + true_seconds * (1 + ppm * 1e-6)) % COUNTER_MOD
    return compute_eid(IK, k.exponent, counter)


def test_counter_wrap_neighbour_resolves_and_window_zero_is_not_a_replay():
    k = key(clock_value=COUNTER_MOD - 1500)  # wraps 1500 s after registration
    resolver = EidResolver(keys=(k,))
    assert isinstance(resolver.resolve(beacon(k, 0), source="g", at=0, unix=at(0)), Resolved)
    # 1000 s later the edge expects the last window; the tag (a little fast) already wrapped to 0.
    early = resolver.resolve(compute_eid(IK, 10, 0), source="g", at=1000, unix=at(1000))
    assert isinstance(early, Resolved) and early.window == COUNTER_MOD >> 10
    for seconds in (1600, 2000, 5000, 90_000):  # and on after the wrap, never "replay"
        verdict = resolver.resolve(beacon(k, seconds), source="g", at=seconds, unix=at(seconds))
        assert isinstance(verdict, Resolved), (seconds, verdict)
    old = resolver.resolve(beacon(k, 0), source="g", at=90_001, unix=at(90_001))
    assert isinstance(old, Refused)  # the window before the wrap is no longer in the table


@pytest.mark.parametrize("ppm", [150.0, -150.0])
def test_k10_tag_150_ppm_off_stays_resolvable_for_years(ppm):
    k = key()
    resolver = EidResolver(keys=(k,))
    for week in range(3 * 52):  # heard once a week (a resident away a lot) for three years
        seconds = week * 7 * DAY + 3600
        verdict = resolver.resolve(beacon(k, seconds, ppm), source="g", at=seconds, unix=at(seconds))
        assert isinstance(verdict, Resolved), (week, verdict)
    assert resolver.offset("car-1") == pytest.approx(3 * 52 * 7 * DAY * ppm * 1e-6, abs=1100)


def test_tag_unheard_for_half_a_year_is_still_found():
    k = key()
    resolver = EidResolver(keys=(k,))
    seconds = 180 * DAY  # 150 ppm: 2333 s off, more than two 1024-s windows
    verdict = resolver.resolve(beacon(k, seconds, 150.0), source="g", at=0, unix=at(seconds))
    assert isinstance(verdict, Resolved)


def test_recently_resolved_tag_searches_only_its_neighbours():
    k = key(k=4)
    resolver = EidResolver(keys=(k,))
    assert isinstance(resolver.resolve(beacon(k, 100), source="g", at=0, unix=at(100)), Resolved)
    far = compute_eid(IK, 4, k.clock_value + 101 + 48)  # three 16-s windows ahead
    assert resolver.resolve(far, source="g", at=1, unix=at(101)) == Refused("unknown")


def test_edge_clock_stepped_back_resolves_at_once():
    k = key()
    resolver = EidResolver(keys=(k,))
    # The edge booted with its clock an hour fast; NTP steps it back an hour.
    resolver.resolve(bytes(8), source="g", at=0, unix=at(10 * DAY + 3600))
    verdict = resolver.resolve(beacon(k, 10 * DAY + 5), source="g", at=1, unix=at(10 * DAY + 5))
    assert isinstance(verdict, Resolved)


def test_edge_clock_stepped_forward_resolves_at_once():
    k = key()
    resolver = EidResolver(keys=(k,))
    resolver.resolve(bytes(8), source="g", at=0, unix=at(10 * DAY - 3600))  # an hour slow
    verdict = resolver.resolve(beacon(k, 10 * DAY + 5), source="g", at=1, unix=at(10 * DAY + 5))
    assert isinstance(verdict, Resolved)
