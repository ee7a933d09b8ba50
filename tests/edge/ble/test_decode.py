"""Tag decoders against byte-level frames built from the published layouts, plus round trips."""

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.ble.decode import (
    EDDYSTONE_UUID,
    EidFrame,
    StaticTag,
    address_kind,
    decode_eddystone,
    decode_frames,
    decode_ibeacon,
    decode_mac,
    eddystone_eid_payload,
    eddystone_uid_payload,
    ibeacon_payload,
    parse_ad,
)
from gwcommon.tagid import parse_tag_id

H = bytes.fromhex

# Whole advertising payloads as a tag puts them on air (AD structures: length, type, value).
# iBeacon: Apple "Proximity Beacon Specification": flags, then manufacturer data 4C 00 02 15 ...
IBEACON_AIRLOCATE = H("020106" "1aff4c000215" "e2c56db5dffb48d2b060d0f5a71096e0" "0000" "0000" "c5")
IBEACON_MAJOR_MINOR = H("02011a" "1aff4c000215" "f7826da64fa24e988024bc5b71e0893e" "0001" "002a" "bf")
# Eddystone (google/eddystone protocol-specification): complete 16-bit UUID list AA FE, service data.
UID_PUCK = H("020106" "0303aafe" "1716aafe" "00f8" "e157bd5df90aad1dc2fb" "000000000001" "0000")
UID_NO_RFU = H("020106" "0303aafe" "1516aafe" "00e7" "00112233445566778899" "aabbccddeeff")
EID_FRAME = H("020106" "0303aafe" "0d16aafe" "30e7" "a9b76a71c5f89290")
URL_FRAME = H("020106" "0303aafe" "0e16aafe" "1000" "036d79702e6d653f41")
TLM_FRAME = H("020106" "0303aafe" "1116aafe" "2000" "0bb8" "1000" "00000001" "00000002")


@pytest.mark.parametrize("raw,expected", [
    (IBEACON_AIRLOCATE, StaticTag("ibeacon:e2c56db5-dffb-48d2-b060-d0f5a71096e0:0:0", -59)),
    (IBEACON_MAJOR_MINOR, StaticTag("ibeacon:f7826da6-4fa2-4e98-8024-bc5b71e0893e:1:42", -65)),
    (UID_PUCK, StaticTag("eddystone:e157bd5df90aad1dc2fb:000000000001", -8)),
    (UID_NO_RFU, StaticTag("eddystone:00112233445566778899:aabbccddeeff", -25)),
    (EID_FRAME, EidFrame(H("a9b76a71c5f89290"), -25)),
    (URL_FRAME, None),
    (TLM_FRAME, None),
    (H("020106"), None),
])
def test_published_layouts_decode(raw, expected):
    manufacturer, service = parse_ad(raw)
    assert decode_frames(manufacturer, service) == expected


@pytest.mark.parametrize("data", [
    H("0215") + bytes(20),  # one byte short
    H("0115") + bytes(21),  # wrong type
    H("1005") + bytes(21),  # Apple "nearby" frames are not beacons
    b"",
])
def test_not_an_ibeacon(data):
    assert decode_ibeacon(data) is None


@pytest.mark.parametrize("data", [H("00e7") + bytes(15), H("30e7") + bytes(7), b"", H("40")])
def test_short_or_unknown_eddystone_frames(data):
    assert decode_eddystone(data) is None


def test_eid_frame_wins_over_ibeacon_in_the_same_advertisement():
    frames = decode_frames(((0x004C, ibeacon_payload(str(uuid.uuid4()), 1, 2)),),
                           ((EDDYSTONE_UUID, eddystone_eid_payload(bytes(8))),))
    assert isinstance(frames, EidFrame)


@pytest.mark.parametrize("address,address_type,kind", [
    ("c4:7c:8d:6a:1b:2e", "public", "public"),
    ("00:1a:7d:da:71:13", "public", "public"),
    ("c4:7c:8d:6a:1b:2e", "random", "static"),       # top bits 11
    ("d0:00:00:00:00:01", None, "static"),           # 11 can only be static (or public)
    ("4f:12:34:56:78:9a", "random", "resolvable"),   # top bits 01: rotates, never a tag
    ("3f:12:34:56:78:9a", "random", "non_resolvable"),
    ("8f:12:34:56:78:9a", "random", "unknown"),      # 10 is reserved
    ("4f:12:34:56:78:9a", None, "unknown"),          # could be private: refuse
    ("00:1a:7d:da:71:13", None, "unknown"),
])
def test_address_kinds(address, address_type, kind):
    assert address_kind(address, address_type) == kind


@pytest.mark.parametrize("address,address_type,tag", [
    ("C4:7C:8D:6A:1B:2E", "public", "mac:c4:7c:8d:6a:1b:2e"),
    ("c4:7c:8d:6a:1b:2e", "random", "mac:c4:7c:8d:6a:1b:2e"),
    ("4f:12:34:56:78:9a", "random", None),
    ("00:1a:7d:da:71:13", None, None),
])
def test_mac_tags_only_for_static_addresses(address, address_type, tag):
    decoded = decode_mac(address, address_type)
    assert (decoded.tag if decoded else None) == tag


@given(st.uuids(), st.integers(0, 65535), st.integers(0, 65535), st.integers(-128, 127))
def test_ibeacon_round_trip(proximity, major, minor, tx):
    decoded = decode_ibeacon(ibeacon_payload(str(proximity), major, minor, tx))
    assert decoded == StaticTag(f"ibeacon:{proximity}:{major}:{minor}", tx)
    assert parse_tag_id(decoded.tag).weak


@given(st.binary(min_size=10, max_size=10), st.binary(min_size=6, max_size=6), st.integers(-128, 127), st.booleans())
def test_eddystone_uid_round_trip(namespace, instance, tx, rfu):
    decoded = decode_eddystone(eddystone_uid_payload(namespace, instance, tx, rfu=rfu))
    assert decoded == StaticTag(f"eddystone:{namespace.hex()}:{instance.hex()}", tx)


@given(st.binary(min_size=8, max_size=8), st.integers(-128, 127))
def test_eddystone_eid_round_trip(eid, tx):
    assert decode_eddystone(eddystone_eid_payload(eid, tx)) == EidFrame(eid, tx)


@given(st.binary(max_size=62))
def test_garbage_never_crashes(raw):
    manufacturer, service = parse_ad(raw)
    decoded = decode_frames(manufacturer, service)
    assert decoded is None or isinstance(decoded, (StaticTag, EidFrame))
    if isinstance(decoded, StaticTag):
        assert parse_tag_id(decoded.tag).text == decoded.tag
