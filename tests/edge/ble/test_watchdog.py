"""The recovery ladder (pure) and the pipeline's address and EID rules, as tables."""

from datetime import datetime, timezone

import pytest

from edge.ble import watchdog as wd
from edge.ble.decode import eddystone_eid_payload, ibeacon_payload
from edge.ble.eid import EidKey, EidResolver, compute_eid
from edge.ble.model import Advertisement
from edge.ble.pipeline import Pipeline

S = 60.0


def ladder(script):
    """script: ("tick", now, last_heard) | ("fail", now) → flat list of actions."""
    state, out = wd.LadderState(step_at=0.0), []
    for step in script:
        if step[0] == "tick":
            state, actions = wd.on_tick(state, now=step[1], last_heard=step[2], silence=S, adapter="hci0")
        else:
            state, actions = wd.start_failed(state, now=step[1], error="NotReady", adapter="hci0")
        out += [a.step if isinstance(a, wd.StepAction) else (a.code, a.active) for a in actions]
    return out


NOADV, DOWN = wd.NO_ADVERTISEMENTS, wd.ADAPTER_DOWN


@pytest.mark.parametrize("name,script,expected", [
    ("adverts flowing: nothing", [("tick", t, t - 1) for t in range(1, 200, 10)], []),
    ("quiet just under the limit", [("tick", 59.9, 0)], []),
    ("first rung: restart",
     [("tick", 60, 0)], [(NOADV, True), wd.RESTART]),
    ("second rung one more silence later",
     [("tick", 60, 0), ("tick", 119, 0), ("tick", 120, 0)], [(NOADV, True), wd.RESTART, (DOWN, True), wd.POWER_CYCLE]),
    ("third rung: exit, and nothing after",
     [("tick", 60, 0), ("tick", 120, 0), ("tick", 180, 0), ("tick", 999, 0)],
     [(NOADV, True), wd.RESTART, (DOWN, True), wd.POWER_CYCLE, (DOWN, True), wd.GIVE_UP]),
    ("restart heals: cleared",
     [("tick", 60, 0), ("tick", 61, 60.5)], [(NOADV, True), wd.RESTART, (NOADV, False)]),
    ("power cycle heals: both cleared",
     [("tick", 60, 0), ("tick", 120, 0), ("tick", 125, 121)],
     [(NOADV, True), wd.RESTART, (DOWN, True), wd.POWER_CYCLE, (DOWN, False), (NOADV, False)]),
    ("cannot start: fault at once, cleared by the first advert",
     [("fail", 0), ("tick", 5, 4)], [(DOWN, True), (DOWN, False)]),
    ("quiet again after healing starts from the ground",
     [("tick", 60, 0), ("tick", 61, 60.5), ("tick", 120, 60.5), ("tick", 121, 60.5)],
     [(NOADV, True), wd.RESTART, (NOADV, False), (NOADV, True), wd.RESTART]),
])
def test_ladder(name, script, expected):
    assert ladder(script) == expected


UUID = "f7826da6-4fa2-4e98-8024-bc5b71e0893e"


def adv(address="4f:00:00:00:00:01", address_type="random", mfr=(), svc=(), at=0.0):
    return Advertisement(address=address, rssi=-60, manufacturer_data=mfr, service_data=svc, at=at,
                         address_type=address_type)


@pytest.mark.parametrize("kwargs,macs,any_static,tags,count", [
    ({"address": "c4:7c:8d:6a:1b:2e", "address_type": "public"}, ["c4:7c:8d:6a:1b:2e"], False,
     ["mac:c4:7c:8d:6a:1b:2e"], None),
    ({"address": "c4:7c:8d:6a:1b:2e", "address_type": "public"}, [], False, [], "not_a_tag"),
    ({"address": "c4:7c:8d:6a:1b:2e", "address_type": "public"}, [], True, ["mac:c4:7c:8d:6a:1b:2e"], None),
    ({"address": "4f:7c:8d:6a:1b:2e", "address_type": "random"}, ["4f:7c:8d:6a:1b:2e"], False, [], "private_address"),
    ({"address": "4f:7c:8d:6a:1b:2e", "address_type": "random"}, [], True, [], "private_address"),
    ({"address": "c4:7c:8d:6a:1b:2e", "address_type": "random", "mfr": ((0x004C, ibeacon_payload(UUID, 1, 2)),)},
     ["c4:7c:8d:6a:1b:2e"], False, [f"ibeacon:{UUID}:1:2", "mac:c4:7c:8d:6a:1b:2e"], None),
])
def test_pipeline_address_rules(kwargs, macs, any_static, tags, count):
    pipeline = Pipeline("gate", mac_tags=macs, any_static_mac=any_static)
    sightings, fault = pipeline.process(adv(**kwargs), unix=0)
    assert [s.tag for s in sightings] == tags and fault is None
    if count:
        assert pipeline.counts[count] == 1


def test_allowlist_macs_can_be_watched_at_run_time():
    pipeline = Pipeline("gate")
    pipeline.watch_macs(["mac:C4:7C:8D:6A:1B:2E"])
    sightings, _ = pipeline.process(adv(address="c4:7c:8d:6a:1b:2e", address_type="public"), unix=0)
    assert [s.tag for s in sightings] == ["mac:c4:7c:8d:6a:1b:2e"]


def test_clone_fault_is_reported_once_per_hold_and_cleared():
    ik = bytes(range(16))
    key = EidKey("car-1", ik, 10, 0, datetime(2026, 1, 1, tzinfo=timezone.utc))
    unix = key.clock_at.timestamp() + 100
    resolver = EidResolver(keys=(key,), clone_window=5, clone_hold=60)
    gate, strip = Pipeline("gate", resolver=resolver), Pipeline("strip", resolver=resolver)
    frame = ((("0000feaa-0000-1000-8000-00805f9b34fb", eddystone_eid_payload(compute_eid(ik, 10, 100))),))
    assert gate.process(adv(svc=frame, at=0), unix=unix)[0][0].tag == "eid:car-1"
    sightings, fault = strip.process(adv(svc=frame, at=1), unix=unix + 1)
    assert sightings == [] and fault.active and "gate and strip" in fault.detail
    assert strip.process(adv(svc=frame, at=2), unix=unix + 2) == ([], None)  # held, not re-reported
    assert strip.tick(30) is None
    assert strip.tick(62).active is False
    assert strip.tick(63) is None
