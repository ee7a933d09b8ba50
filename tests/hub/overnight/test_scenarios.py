"""Every scenario in tests/support/scenarios/ played through a real Mosquitto and a started hub."""

import pytest

from tests.support.scenarios.rig import run_hub
from tests.support.scenarios.runner import all_scenarios, check, load

SCENARIOS = all_scenarios()


def test_there_are_at_least_thirty_scenarios():
    assert len(SCENARIOS) >= 30


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_through_broker_and_hub(path, tmp_path, broker):
    scenario = load(path)
    violations, diary, _ = run_hub(scenario, tmp_path, broker)
    check(scenario, violations, diary)
