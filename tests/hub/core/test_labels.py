"""Names people read instead of ids (hub/core/labels.py)."""

from types import SimpleNamespace as NS

import pytest
from pydantic import ValidationError

from gwcommon.config import validate
from gwcommon.exc import ConfigError
from hub.config import HubConfig
from hub.core import labels


def test_labels_from_the_config_and_ids_where_there_is_none():
    config = NS(devices=[NS(id="gate-n", label="北门道闸")],
                gate_lanes=[NS(device="gate-n", lane="north-in", label="北门入口"),
                            NS(device="gate-s", lane="in", label="南门入口"), NS(device="gate-e", lane="in", label="东门入口"),
                            NS(device="gate-w", lane="west-in", label="")],
                circuits=[NS(name="shed-1", label="1号充电回路"), NS(name="shed-2", label="")],
                zones=[NS(name="east-strip", label="东侧临时停车带")])
    named = labels.from_config(config)
    assert named.device("gate-n") == "北门道闸" and named.device("lane-x") == "lane-x" and named.device(None) == ""
    assert named.lane("north-in", "gate-n") == "北门入口"
    assert named.lane("north-in") == "北门入口"          # one lane of that name: found without its device
    assert named.lane("in") == "in"                      # two gates have a lane "in": the device is needed
    assert named.lane("in", "gate-e") == "东门入口" and named.lane("west-in", "gate-w") == "west-in"
    assert named.circuit("shed-1") == "1号充电回路" and named.circuit("shed-2") == "shed-2"
    assert named.zone("east-strip") == "东侧临时停车带" and named.zone("fire") == "fire"


def test_a_device_named_twice_or_by_a_bad_id_is_refused():
    site = {"site": {"id": "pingan-2"}}
    with pytest.raises(ConfigError, match="repeated: gate-n") as refused:
        validate({**site, "devices": [{"id": "gate-n", "label": "北门"}, {"id": "gate-n", "label": "北门2"}]}, HubConfig)
    assert "设备代号重复：gate-n" in refused.value.text("zh")
    with pytest.raises(ValidationError):
        HubConfig.model_validate({**site, "devices": [{"id": "Gate N", "label": "北门"}]})
    assert HubConfig.model_validate({**site, "devices": [{"id": "gate-n", "label": "北门道闸"}]}).devices[0].label == "北门道闸"
