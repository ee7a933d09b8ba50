"""Eddystone-TLM battery voltage: decoded from the published layout, tied to a tag only by the
same advertiser address within the window, never to an EID tag, and carried as ``battery_mv``."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from edge.ble.decode import (
    EDDYSTONE_UUID,
    Telemetry,
    decode_tlm,
    eddystone_eid_payload,
    eddystone_tlm_payload,
    eddystone_uid_payload,
    find_tlm,
    ibeacon_payload,
    parse_ad,
)
from edge.ble.eid import EidKey, EidResolver
from edge.ble.model import Advertisement
from edge.ble.pipeline import Pipeline
from edge.ble.tlm import BatteryStamp, TlmBook
from edge.events import ListSink
from gwcommon import wire

H = bytes.fromhex
# An advertisement as received (flags, UUID list AA FE, service data with the 0x11 length the
# specification requires), from the beacontools scanner tests; the trailing E4 is the RSSI byte.
# By the layout in google/eddystone eddystone-tlm/tlm-plain.md: battery 0x0B18 = 2,840 mV,
# temperature 0x1300 = 19.0 °C (8.8), 0x1467 = 5,223 frames sent, 0x2AC4 = 10,948 × 0.1 s.
BEACONTOOLS_TLM = H("020106" "0303aafe" "1116aafe" "2000" "0b18" "1300" "00001467" "00002ac4" "e4")
NS, INST = bytes(range(10)), H("0000000000a1")
UID_TAG = "eddystone:00010203040506070809:0000000000a1"
A, B = "c1:00:00:00:00:01", "c1:00:00:00:00:02"  # static random addresses


def test_published_tlm_frame_decodes():
    _, service = parse_ad(BEACONTOOLS_TLM)
    assert find_tlm(service) == Telemetry(battery_mv=2840, temperature_c=19.0, adv_count=5223, uptime_s=1094.8)


@pytest.mark.parametrize("data,expected", [
    (H("2000" "0bb8" "fe80" "00000001" "00000002"), Telemetry(3000, -1.5, 1, 0.2)),  # negative 8.8
    (H("2000" "0000" "8000" "00000000" "00000000"), Telemetry(0, None, 0, 0.0)),  # nothing measured
    (H("2001") + bytes(16), None),  # version 1: the encrypted eTLM of EID tags
    (H("2000") + bytes(11), None),  # one byte short
    (H("00e7") + bytes(16), None),  # a UID frame
])
def test_tlm_layout(data, expected):
    assert decode_tlm(data) == expected


def test_tlm_round_trip():
    assert decode_tlm(eddystone_tlm_payload(2712, 23.5, 99, 3600.0)) == Telemetry(2712, 23.5, 99, 3600.0)


def adv(address: str, at: float, service: bytes | None = None, apple: bytes | None = None) -> Advertisement:
    return Advertisement(address, -60, manufacturer_data=((0x004C, apple),) if apple else (),
                         service_data=((EDDYSTONE_UUID, service),) if service else (), at=at, address_type="random")


def tlm(mv: int) -> bytes:
    return eddystone_tlm_payload(mv)


def test_tlm_goes_to_the_tag_whose_frame_came_from_the_same_address():
    pipeline = Pipeline("gate-1")
    pipeline.process(adv(A, 10.0, eddystone_uid_payload(NS, INST)), unix=0)
    sightings, _ = pipeline.process(adv(A, 12.0, tlm(2950)), unix=0)
    assert sightings == []  # a TLM frame is no sighting
    assert pipeline.batteries.battery(UID_TAG, 13.0) == 2950
    assert pipeline.counts["tlm_attributed"] == 1 and pipeline.counts["not_a_tag"] == 0
    # TLM first, then the identifying frame (iBeacon here) from the same address: tied afterwards
    pipeline.process(adv(B, 20.0, tlm(2580)), unix=0)
    assert pipeline.counts["tlm_waiting"] == 1
    pipeline.process(adv(B, 25.0, apple=ibeacon_payload("f7826da6-4fa2-4e98-8024-bc5b71e0893e", 1, 7)), unix=0)
    assert pipeline.batteries.battery("ibeacon:f7826da6-4fa2-4e98-8024-bc5b71e0893e:1:7", 26.0) == 2580
    assert pipeline.batteries.battery(UID_TAG, 26.0) == 2950  # A's tag untouched by B's frame


def test_a_static_mac_tag_is_its_own_identifying_frame():
    pipeline = Pipeline("lane-1", mac_tags=[A])
    pipeline.process(adv(A, 5.0, tlm(3010)), unix=0)
    assert pipeline.batteries.battery(f"mac:{A}", 5.0) == 3010


def test_refused_for_another_address_or_outside_the_window():
    pipeline = Pipeline("gate-1")
    pipeline.process(adv(A, 10.0, eddystone_uid_payload(NS, INST)), unix=0)
    pipeline.process(adv(B, 11.0, tlm(2500)), unix=0)  # a different radio's telemetry
    pipeline.process(adv(A, 60.0, tlm(2400)), unix=0)  # 50 s after A's last identifying frame
    assert pipeline.batteries.battery(UID_TAG, 61.0) is None
    pipeline.tick(200.0)
    assert pipeline.counts["tlm_unattributed"] == 2  # counted, never guessed
    pipeline.process(adv(A, 210.0, eddystone_uid_payload(NS, INST)), unix=0)
    assert pipeline.batteries.battery(UID_TAG, 211.0) is None  # the stale waiting TLM is gone


def test_never_for_an_eid_tag():
    key = EidKey("car-1", bytes(range(16)), 10, 0, datetime(1970, 1, 12, 13, 46, 40, tzinfo=timezone.utc))
    pipeline = Pipeline("gate-1", resolver=EidResolver(keys=(key,)))
    eid = key.eid_of_window(key.counter_at(1_000_000) >> 10)
    pipeline.process(adv(A, 10.0, eddystone_eid_payload(eid)), unix=1_000_000)
    pipeline.process(adv(A, 11.0, tlm(2900)), unix=1_000_000)
    # the same radio also sending a UID slot does not make its plain TLM attributable
    pipeline.process(adv(A, 12.0, eddystone_uid_payload(NS, INST)), unix=1_000_000)
    assert pipeline.counts["eid_resolved"] == 1 and pipeline.counts["tlm_eid"] == 1
    assert pipeline.batteries.battery("eid:car-1", 13.0) is None
    assert pipeline.batteries.battery(UID_TAG, 13.0) is None


def test_the_voltage_rides_on_events_naming_the_tag_while_fresh():
    book, now = TlmBook(), [100.0]
    book.identified(A, UID_TAG, 100.0)
    assert book.telemetry(A, Telemetry(2650, 20.0, 1, 1.0), 101.0) == "attributed"
    assert book.telemetry(A, Telemetry(0, None, 1, 1.0), 101.0) == "no_battery"
    sink = BatteryStamp(ListSink(), book, lambda: now[0])
    sink.emit("presence", {"zone": "east", "tag": UID_TAG, "present": True, "rssi": -60})
    sink.emit("presence", {"zone": "east", "tag": "eddystone:00010203040506070809:0000000000ff", "present": True})
    sink.emit("fault", {"code": "x", "active": True, "detail": ""})
    now[0] = 101.0 + book.keep + 1
    sink.emit("passage", {"lane": "in", "tag": UID_TAG})
    assert [f.get("battery_mv") for f in sink.of("presence") + sink.of("passage")] == [2650, None, None]


def test_battery_mv_on_the_wire():
    base = {"id": "e1", "ts": "2026-03-10T07:59:59.120+08:00", "seq": 1, "v": 1, "zone": "east",
            "tag": UID_TAG, "present": True}
    event = wire.Presence.model_validate({**base, "battery_mv": 2710})
    topic = wire.topic("site", "lane-1", "presence")
    assert wire.decode(topic, wire.encode(event))[1].battery_mv == 2710
    assert wire.decode(topic, wire.encode(wire.Presence.model_validate(base)))[1].battery_mv is None  # 1.1 senders
    with pytest.raises(wire.InvalidMessage):
        wire.decode(topic, wire.encode(event)[:-1] + b',"battery_mv":-5}')
    passage = {"id": "e2", "ts": base["ts"], "seq": 2, "v": 1, "lane": "in", "direction": "in", "tag": UID_TAG,
               "decision": "open", "reason": "allowlisted", "passed": True, "battery_mv": 3001}
    assert wire.decode(wire.topic("site", "gate-1", "passage"), wire.encode(wire.Passage.model_validate(passage)))[1] \
        .battery_mv == 3001
