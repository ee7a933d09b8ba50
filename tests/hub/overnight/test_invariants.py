"""Invariant (docs/contract.md §2): for the same events and heartbeats, the final violations do not
depend on arrival order, duplicates or replay speed.

Each example replays a scenario's deliveries through the hub's real ingest, device book, site
clock and overnight area (tests/support/scenarios/rig.py) in a shuffled order, with some messages
delivered twice and the area ticking after a random subset of deliveries (fast or slow replay),
then lets every device report once more, and compares what stands with the scenario as written.
"""

import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.scenarios.rig import Rig
from tests.support.scenarios.runner import HERE, load

NAMES = ["s08_gate_offline_exit_late", "s12_duplicates", "s15_reentry_during_night", "s26_fire_lane_late_exit",
         "s32_all_offline", "s05_flicker_after_deadline", "s10_lane_offline_gate_saw_exit", "s36_warden_spot_register_clear"]


def standing(rig: Rig) -> dict:
    """Violations that stand at the end (retracted ones are as if they never were)."""
    return {(r["key"], r["rule"], r["deadline"]): r["state"] for r in rig.violations() if r["state"] != "retracted"}


def play(scenario, order, dupes, ticks) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        rig = Rig(scenario, Path(tmp))
        try:
            from tests.support.scenarios.runner import initial
            rig.play(initial(scenario))
            deliveries = [scenario.deliveries[i] for i in order]
            for i in dupes:
                deliveries.insert(i % (len(deliveries) + 1), scenario.deliveries[i % len(scenario.deliveries)])
            rig.play(deliveries, tick_after=ticks)
            rig.finish()
            return standing(rig)
        finally:
            rig.close()


def baseline(scenario) -> dict:
    return play(scenario, range(len(scenario.deliveries)), [], None)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", NAMES)
def test_final_violations_do_not_depend_on_order_duplicates_or_speed(name):
    scenario = load(HERE / f"{name}.toml")
    expected = baseline(scenario)
    n = len(scenario.deliveries)

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(order=st.permutations(range(n)), dupes=st.lists(st.integers(0, 10 * n), max_size=4),
           ticks=st.lists(st.booleans(), min_size=n + 4, max_size=n + 4))
    def check(order, dupes, ticks):
        assert play(scenario, order, dupes, ticks) == expected

    check()


def test_the_baselines_are_not_empty():
    """The invariant would hold trivially if no scenario above had a standing violation."""
    assert any(baseline(load(HERE / f"{name}.toml")) for name in NAMES)


class _SkewedRig(Rig):
    """The hub's wall clock at each delivery is the message's time plus an offset: the devices'
    clocks up to the tolerance (2 min) ahead of the hub's, or the hub any amount ahead."""

    offsets: list[int] = []
    _n = 0

    def deliver(self, d):
        if d.kind != "warden":  # a warden's action keeps its own time
            offset = self.offsets[self._n % len(self.offsets)] if self.offsets else 0
            self._n += 1
            wall = d.at + timedelta(seconds=offset)
            if wall > self.clock.now():
                self.clock.set(wall)
            d = replace(d, at=min(d.at, self.clock.now()))  # Rig.deliver moves the clock no further
        Rig.deliver(self, d)


def play_skewed(scenario, order, offsets, ticks) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        rig = _SkewedRig(scenario, Path(tmp))
        rig.offsets = offsets
        try:
            from tests.support.scenarios.runner import initial
            rig.play(initial(scenario))
            rig.play([scenario.deliveries[i] for i in order], tick_after=ticks)
            rig.finish()
            return standing(rig)
        finally:
            rig.close()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ["s08_gate_offline_exit_late", "s15_reentry_during_night", "s26_fire_lane_late_exit"])
def test_final_violations_do_not_depend_on_the_hubs_clock_within_tolerance(name):
    """docs/contract.md §2: any interleaving of events and heartbeats, any hub wall-clock times with no
    device more than the tolerance ahead — the same final violations as the events alone give."""
    scenario = load(HERE / f"{name}.toml")
    expected = baseline(scenario)
    n = len(scenario.deliveries)

    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(order=st.permutations(range(n)),
           offsets=st.lists(st.integers(-110, 6 * 3600), min_size=1, max_size=n + 4),
           ticks=st.lists(st.booleans(), min_size=n + 4, max_size=n + 4))
    def check(order, offsets, ticks):
        assert play_skewed(scenario, order, offsets, ticks) == expected

    check()
