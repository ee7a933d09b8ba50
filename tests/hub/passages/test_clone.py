"""Copied Bluetooth tags (hub.passages.clone / hub.passages.area): the pure rule, then passages and
zone arrivals through the real broker and hub — a suspicion on the Devices page and one notice."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from gwcommon.clock import FakeClock
from hub.alerts.render import Context, render_notice
from hub.passages.clone import Sighting, clash, min_travel
from tests.support.hubrun import Publisher, make_hub, rows, wait_until

T0 = datetime(2026, 3, 2, 0, 1, 0, tzinfo=timezone.utc)
TAG = "eid:car-17"
PAIRS = {frozenset(("gate-north", "lane-east")): timedelta(minutes=2)}
GATES = timedelta(seconds=30)


def at(device: str, place: str, seconds: float, kind: str = "passage", tag: str = TAG, way: str = "") -> Sighting:
    return Sighting(tag, device, place, T0 + timedelta(seconds=seconds), kind, f"{device}:{seconds}", way)


@pytest.mark.parametrize("earlier,new,clone", [
    (at("gate-north", "north-in", 0), at("gate-south", "south-in", 10), True),       # two gates, 10 s apart
    (at("gate-north", "north-in", 0), at("gate-south", "south-in", 45), False),      # 45 s: one car can do it
    (at("gate-north", "north-in", 0), at("gate-north", "north-out", 2), False),      # two lanes of one gate
    (at("gate-south", "south-in", 20), at("gate-north", "north-in", 0), True),       # arrived late, out of order
    (at("lane-east", "east-strip", 0, "presence"), at("gate-north", "north-out", 60), True),  # configured: 2 min
    (at("lane-east", "east-strip", 0, "presence"), at("gate-north", "north-out", 150), False),
    (at("lane-west", "west-strip", 0, "presence"), at("gate-north", "north-out", 5), False),  # no pair: a strip may
    (at("gate-north", "n", 0, tag="plate:浙A12345"), at("gate-south", "s", 1, tag="plate:浙A12345"), False),  # plates
    (at("gate-north", "n", 0, tag="eid:other"), at("gate-south", "s", 1), False),
])
def test_the_rule(earlier, new, clone):
    assert (clash(new, [earlier], pairs=PAIRS, between_gates=GATES) == earlier) is clone


def test_in_at_one_gate_pi_and_out_at_another_is_a_car_turning_back_unless_the_pair_is_configured():
    """Review finding 9: a two-Pi entrance (an in-Pi and an out-Pi side by side) must not report a
    resident who enters and turns back within ``between_gates`` as a copied tag by default."""
    entered, left = at("gate-north-in", "in", 0, way="in"), at("gate-north-out", "out", 12, way="out")
    assert clash(left, [entered], pairs={}, between_gates=GATES) is None
    both_in = at("gate-south", "south-in", 12, way="in")
    assert clash(both_in, [entered], pairs={}, between_gates=GATES) == entered  # two entries: still a clone
    far_apart = {frozenset(("gate-north-in", "gate-north-out")): timedelta(seconds=30)}
    assert clash(left, [entered], pairs=far_apart, between_gates=GATES) == entered  # configured: checked


def test_same_device_is_never_a_clash_even_when_configured():
    a, b = at("gate-north", "north-in", 0), at("gate-north", "north-out", 0)
    assert min_travel(a, b, pairs={frozenset(("gate-north",)): timedelta(hours=1)}, between_gates=GATES) is None


def test_the_closest_sighting_is_named():
    near, far = at("gate-south", "south-in", 5), at("gate-west", "west-in", 25)
    assert clash(at("gate-north", "north-in", 0), [far, near], pairs={}, between_gates=GATES) == near


def test_the_notice_in_chinese_and_english():
    values = {"tag": TAG, "seconds": 8.0, "first": {"device": "gate-north", "place": "north-in", "at": "2026-03-02T00:01:00Z"},
              "second": {"device": "gate-south", "place": "south-in", "at": "2026-03-02T00:01:08Z"}}
    payload = {"topic": "ble_possible_clone", "values": values, "severity": "warning", "path": "/devices"}
    values["first"]["label"] = "北门道闸 进"  # the passages area words places by their labels (finding 7)
    for lang, words in (("zh", ("疑似复制的蓝牙标签：蓝牙标签 ", "r-17", "北门道闸 进", "gate-south / south-in", "8.0 秒",
                                "这项检查不拦车")),
                        ("en", ("Possibly copied Bluetooth tag", "北门道闸 进", "8.0 s apart", "stops no car"))):
        message = render_notice(payload, Context(lang=lang, tz=__import__("zoneinfo").ZoneInfo("Asia/Shanghai")))
        text = message.title + "\n" + "\n".join(message.lines)
        assert all(w in text for w in words) and TAG not in text, text
        assert "08:01:08" in text or "08:01" in text


def test_through_the_broker_a_clone_is_a_hub_fault_and_one_notice(tmp_path, broker):
    config = {"clone_check": {"travel": [{"a": "gate-north", "b": "lane-east", "min_travel": "2m"}]}}
    with make_hub(tmp_path, broker, clock=FakeClock(T0 + timedelta(minutes=5)), config_overrides=config,
                  areas=["passages"]) as hub, Publisher(broker.port) as pub:
        site = hub.config.site.id
        pub.event(site, "gate-north", "passage", 1, tag=TAG, lane="north-in", at=T0)
        pub.event(site, "gate-north", "passage", 2, tag=TAG, lane="north-out", at=T0 + timedelta(seconds=3))  # same gate
        pub.event(site, "gate-south", "passage", 1, tag="eid:car-99", lane="south-in", at=T0 + timedelta(seconds=4))
        pub.event(site, "lane-west", "presence", 1, tag=TAG, zone="west-strip", at=T0 + timedelta(seconds=5))  # no pair
        pub.event(site, "gate-south", "passage", 2, tag=TAG, lane="south-in", at=T0 + timedelta(seconds=9))   # clone
        pub.event(site, "lane-east", "presence", 1, tag=TAG, zone="east-strip", present=False,
                  at=T0 + timedelta(seconds=20))  # leaving is no sighting
        wait_until(lambda: rows(hub, "SELECT COUNT(*) AS n FROM events")[0]["n"] == 6)
        wait_until(lambda: rows(hub, "SELECT * FROM passage_clones"))
        (found,) = rows(hub, "SELECT * FROM passage_clones")
        assert (found["tag"], found["first_device"], found["first_place"], found["second_device"],
                found["second_place"]) == (TAG, "gate-north", "north-out", "gate-south", "south-in")
        notices = rows(hub, "SELECT kind, payload FROM alerts WHERE kind = 'notice'")
        assert len(notices) == 1 and "ble_possible_clone" in notices[0]["payload"]
        faults = hub.area("passages").active(hub.db, hub.clock.now())
        assert [(f["device"], f["code"]) for f in faults] == [("hub", "ble_possible_clone")]
        assert "gate-north north-out" in faults[0]["detail"] and "gate-south south-in" in faults[0]["detail"]


def test_the_devices_page_shows_the_suspicion(tmp_path, broker):
    from fastapi.testclient import TestClient

    from tests.support.webhub import add_user, login, web_hub
    labels = {"devices": [{"id": "gate-north", "label": "北门道闸"}]}
    hub = web_hub(tmp_path, broker, clock=FakeClock(T0 + timedelta(minutes=5)), areas=("hub.web.app", "passages"),
                  overrides=labels)
    try:
        site = hub.config.site.id
        with Publisher(broker.port) as pub:
            pub.event(site, "gate-north", "passage", 1, tag=TAG, lane="north-in", at=T0)
            pub.event(site, "gate-south", "passage", 1, tag=TAG, lane="south-in", at=T0 + timedelta(seconds=9))
        wait_until(lambda: rows(hub, "SELECT * FROM passage_clones"))
        add_user(hub, "wang", "viewer")
        client = TestClient(hub.web)
        login(client, "wang")
        page = client.get("/devices").text
        assert "ble_possible_clone" in page and "北门道闸 north-in" in page and "gate-south south-in" in page
        assert "这项检查不拦车" in page and "这次没有放行" not in page  # the hub's check, not the gate's (finding 7)
        assert TAG not in page and "标签 …r-17: 北门道闸 north-in 03-02 08:01:00 ↔ gate-south south-in 03-02 08:01:09" in page
    finally:
        hub.stop()
