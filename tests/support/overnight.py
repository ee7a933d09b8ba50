"""Shared by the tests of tests/hub/overnight/ (moved out of test_area.py, so no test module imports another)."""

from datetime import datetime, timezone
from pathlib import Path

from tests.support.scenarios.rig import Rig
from tests.support.scenarios.runner import DEFAULT_CONFIG, Scenario, initial

EVENING = datetime(2026, 3, 9, 11, 0, tzinfo=timezone.utc)   # 19:00 local
REGISTRY = [{"plate": "浙A12345", "household": "1-101", "tag": "eid:car-1"},
            {"plate": "浙A54321", "household": "1-101", "tag": "eid:car-3"},
            {"plate": "浙GD12345", "household": "2-202", "tag": "eid:car-2"}]

DEVICES = [{"id": "gate-n", "kind": "gate"}, {"id": "lane-e", "kind": "lane"}]


def make_rig(tmp_path: Path, start=EVENING, config=None) -> Rig:
    scenario = Scenario(Path("inline"), "inline", start, {**DEFAULT_CONFIG, **(config or {})}, REGISTRY, DEVICES, [], [])
    rig = Rig(scenario, tmp_path)
    rig.play(initial(scenario))
    return rig
