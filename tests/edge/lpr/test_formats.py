"""Vendor push formats → plate reads and the replies the cameras expect (edge.lpr.vzenith/hikvision/generic)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from edge.lpr import generic, hikvision, vzenith
from edge.lpr.model import BadPush, plate_of
from gwcommon.exc import BadTagId
from gwcommon.tagid import format_plate, parse_tag_id

from . import payloads


@pytest.mark.parametrize("raw,plate", [
    ("浙A12345", "浙A12345"), ("浙A·12345", "浙A12345"), ("浙a 12345", "浙A12345"), ("浙ＡＤ１２３４５", "浙AD12345"),
    ("粤Z9065澳", "粤Z9065澳"), ("_无_", None), ("无牌车", None), ("浙A1234", None), ("浙AI2345", None), ("", None),
])
def test_plate_normalisation(raw, plate):
    assert plate_of(raw) == plate


def test_plate_tag_scheme():
    assert parse_tag_id("plate:浙a·12345").text == "plate:浙A12345"
    assert format_plate("浙GD12345") == "plate:浙GD12345"
    assert parse_tag_id("plate:浙A12345").weak
    with pytest.raises(BadTagId, match="not a valid plate"):
        parse_tag_id("plate:ABC")


def test_vzenith_read_from_the_protocol_example():
    picture = payloads.jpeg()
    push = vzenith.parse(payloads.vzenith("粤Z9065澳", confidence=96, color=4, picture=picture), "application/json")
    (read,) = push.reads
    assert (read.plate, read.confidence, read.colour, read.ref, read.offline) == ("粤Z9065澳", 96, "black", "21085", False)
    assert read.tag == "plate:粤Z9065澳" and read.jpeg == picture
    assert read.taken == datetime.fromtimestamp(1686299994, timezone.utc)


@pytest.mark.parametrize("color,plate_type,colour", [(1, 1, "blue"), (2, 3, "yellow"), (5, 19, "green"),
                                                     (6, 19, "yellow_green"), (0, 19, "green"), (0, 1, "unknown")])
def test_vzenith_colours(color, plate_type, colour):
    (read,) = vzenith.parse(payloads.vzenith(color=color, plate_type=plate_type), "application/json").reads
    assert read.colour == colour


def test_vzenith_reply_opens_only_when_decided():
    push = vzenith.parse(payloads.vzenith(), "application/json")
    assert json.loads(vzenith.reply(push, True)[1]) == {
        "Response_AlarmInfoPlate": {"info": "ok", "content": "retransfer_stop", "plateid": 21085}}
    for opened in (False, None):
        assert json.loads(vzenith.reply(push, opened)[1])["Response_AlarmInfoPlate"]["info"] == "no"


def test_vzenith_offline_record_is_answered_to_continue():
    push = vzenith.parse(payloads.vzenith(offline=1, plateid=123), "application/json")
    assert push.reads[0].offline
    assert json.loads(vzenith.reply(push, True)[1]) == {
        "Response_AlarmInfoPlate": {"ContinuePushOffline": {"plateid": 123, "continue": 1}}}


def test_vzenith_no_plate_and_heartbeat():
    (read,) = vzenith.parse(payloads.vzenith("_无_", confidence=0), "application/json").reads
    assert read.plate is None and read.tag is None
    body, kind = payloads.vzenith_heartbeat()
    push = vzenith.parse(body, kind)
    assert push.heartbeat and not push.reads
    assert vzenith.reply(push, None)[1] == b"{}"


@pytest.mark.parametrize("body,match", [
    (b"{not json", "not JSON"), (b"[1, 2]", "JSON object"), (b'{"hello": 1}', "no AlarmInfoPlate"),
    (b'{"AlarmInfoPlate": {"result": []}}', "result must be an object"),
    (b'{"AlarmInfoPlate": {"result": {"PlateResult": {"license": 5}}}}', "license must be a string"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_vzenith_refuses_malformed(body, match):
    with pytest.raises(BadPush, match=match):
        vzenith.parse(body, "application/json")


def test_hikvision_multipart_with_pictures_takes_the_scene():
    scene, crop = payloads.jpeg(320, 120), payloads.jpeg(64, 30)
    body, kind = payloads.hikvision_multipart(scene, crop, plate="浙GD12345", confidence=91, colour="green")
    (read,) = hikvision.parse(body, kind).reads
    assert (read.plate, read.confidence, read.colour, read.offline) == ("浙GD12345", 91, "green", False)
    assert read.jpeg == scene
    assert read.ref == "b6a1c0a2-6ad4-11ee-8000-4419b66c7a01"
    assert read.taken.isoformat() == "2026-03-01T22:41:07+08:00"
    assert hikvision.reply(hikvision.parse(body, kind), True) == ("text/plain; charset=utf-8", b"OK")


def test_hikvision_xml_alone_and_retransmission():
    (read,) = hikvision.parse(payloads.hikvision_xml(resent="true"), "application/xml").reads
    assert read.plate == "浙A12345" and read.offline and read.jpeg is None


def test_hikvision_heartbeat():
    push = hikvision.parse(payloads.HEARTBEAT_XML.encode(), "text/xml")
    assert push.heartbeat and not push.reads


@pytest.mark.parametrize("body,match", [
    (payloads.BILLION_LAUGHS, "DTDs and entities"), (payloads.XXE, "DTDs and entities"),
    (b"<EventNotificationAlert><eventType>ANPR", "not well-formed"), (b"<html></html>", "expected EventNotificationAlert"),
    (b"<EventNotificationAlert><eventType>ANPR</eventType></EventNotificationAlert>", "without its ANPR block"),
])
def test_hikvision_refuses_hostile_xml(body, match):
    with pytest.raises(BadPush, match=match):
        hikvision.parse(body, "application/xml")


def test_generic_webhook():
    picture = payloads.jpeg()
    import base64
    body = json.dumps({"plate": "浙A·12345", "confidence": 88, "color": "Yellow-Green", "time": 1686299994,
                       "picture": base64.b64encode(picture).decode(), "id": 7, "slot": "E-07"}).encode()
    (read,) = generic.parse(body, "application/json").reads
    assert (read.plate, read.confidence, read.colour, read.ref, read.slot) == ("浙A12345", 88, "yellow_green", "7", "E-07")
    assert read.jpeg == picture
    assert json.loads(generic.reply(generic.parse(body, ""), True)[1]) == {"open": True}
    assert generic.parse(b'{"heartbeat": true}', "").heartbeat
    with pytest.raises(BadPush, match="'plate'"):
        generic.parse(b'{"confidence": 90}', "")


@pytest.mark.parametrize("value", ["Infinity", "NaN", "1e400", '"abc"', "[1]", "true"])
def test_odd_numbers_do_not_break_a_read(value):
    body = ('{"AlarmInfoPlate": {"result": {"PlateResult": {"license": "浙A12345", "confidence": %s, '
            '"colorType": %s, "timeStamp": {"Timeval": {"sec": %s}}}}}}' % (value, value, value)).encode()
    (read,) = vzenith.parse(body, "application/json").reads
    assert read.plate == "浙A12345" and read.confidence == 0 and read.colour == "unknown" and read.taken is None


def test_a_picture_that_is_not_a_jpeg_is_dropped_not_the_read():
    import base64
    body = json.dumps({"plate": "浙A12345", "picture": base64.b64encode(b"GIF89a....").decode()}).encode()
    (read,) = generic.parse(body, "").reads
    assert read.plate == "浙A12345" and read.jpeg is None


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                       max_leaves=20)
KEYS = st.sampled_from(["AlarmInfoPlate", "result", "PlateResult", "license", "confidence", "colorType", "imageFile",
                        "timeStamp", "Timeval", "sec", "plateid", "isoffline", "plate", "picture", "time", "slot",
                        "Picture", "Plate", "PlateNumber", "Confidence", "NormalPic", "Content", "IsExist"])


def nested(depth: int = 3):
    leaf = JSONISH
    for _ in range(depth):
        leaf = st.dictionaries(KEYS, leaf, max_size=4) | leaf
    return leaf


@settings(max_examples=300, deadline=None)
@given(nested())
def test_any_json_is_a_push_or_a_bad_push(value):
    import json as _json
    body = _json.dumps(value).encode()
    from edge.lpr import dahua
    for module in (vzenith, dahua, generic):
        try:
            module.parse(body, "application/json")
        except BadPush:
            pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["application/xml", "multipart/form-data; boundary=b", "text/plain"]))
def test_any_bytes_are_a_push_or_a_bad_push(body, kind):
    from edge.lpr import dahua, huaxia
    for module in (vzenith, hikvision, dahua, huaxia, generic):
        try:
            module.parse(body, kind)
        except BadPush:
            pass


def test_dahua_tollgate_read_and_reply():
    from edge.lpr import dahua
    picture = payloads.jpeg()
    (read,) = dahua.parse(payloads.dahua("浙GD12345", confidence=91, colour="Green", picture=picture), "application/json").reads
    assert (read.plate, read.confidence, read.colour, read.offline) == ("浙GD12345", 91, "green", False)
    assert read.jpeg == picture and read.ref == "2026-03-01 22:41:07.520"
    push = dahua.parse(payloads.dahua(), "application/json")
    for opened in (True, False, None):  # the camera needs {"Result": true}; no published reply opens it
        assert dahua.reply(push, opened) == ("application/json", b'{"Result": true}')
    (none,) = dahua.parse(payloads.dahua("", exists=False), "application/json").reads
    assert none.plate is None
    keepalive = dahua.parse(payloads.DAHUA_KEEPALIVE, "application/json")
    assert keepalive.heartbeat and not keepalive.reads


@pytest.mark.parametrize("body,match", [
    (b"{not json", "not JSON"), (b"[1]", "JSON object"), (b'{"Picture": 5}', "Picture must be an object"),
    (b'{"Picture": {"Plate": []}}', "Plate must be an object"),
    (b'{"Picture": {"Plate": {"PlateNumber": 12345}}}', "PlateNumber must be a string"),
])
def test_dahua_refuses_malformed(body, match):
    from edge.lpr import dahua
    with pytest.raises(BadPush, match=match):
        dahua.parse(body, "application/json")


def test_huaxia_form_read_heartbeat_and_reply():
    from edge.lpr import huaxia
    scene, crop = payloads.jpeg(320, 120), payloads.jpeg(64, 30)
    body, kind = payloads.huaxia("沪A·99999", colour="黄色", picture=scene, closeup=crop)
    (read,) = huaxia.parse(body, kind).reads
    assert (read.plate, read.confidence, read.colour, read.offline) == ("沪A99999", 100, "yellow", False)
    assert read.jpeg == scene and read.taken == datetime.fromtimestamp(1772376067, timezone.utc)
    (kept,) = huaxia.parse(*payloads.huaxia(kind="offline", colour="绿色", closeup=crop)).reads
    assert kept.offline and kept.colour == "green" and kept.jpeg == crop  # no scene: the plate crop
    assert huaxia.parse(*payloads.huaxia_heartbeat()).heartbeat
    assert json.loads(huaxia.reply(huaxia.parse(body, kind), True)[1]) == {"error_num": 0, "error_str": ""}


@pytest.mark.parametrize("body,match", [
    (b"", "empty form"), (b"type=online", "without plate_num"), (b"type=delete&plate_num=x", "'type' must be"),
    ("&".join(f"f{i}=1" for i in range(100)).encode(), "not a form"), (b"\xff\xfe\xff", "neither UTF-8"),
])
def test_huaxia_refuses_malformed(body, match):
    from edge.lpr import huaxia
    with pytest.raises(BadPush, match=match):
        huaxia.parse(body, "application/x-www-form-urlencoded")
