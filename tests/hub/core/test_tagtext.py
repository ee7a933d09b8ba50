"""Tag ids shown short (hub/core/tagtext.py)."""

from hub.core.tagtext import masked_id, short_tag


def test_each_scheme_is_short_and_still_tells_tags_apart():
    assert short_tag("ibeacon:f7826da6-4fa2-4e98-8024-bc5b71e0893e:1:101") == "蓝牙标签 …1:101"
    assert short_tag("ibeacon:f7826da6-4fa2-4e98-8024-bc5b71e0893e:1:101", lang="en") == "Bluetooth tag …1:101"
    assert short_tag("eid:car-0042") == "蓝牙标签 …0042"
    assert short_tag("eid:ab") == "蓝牙标签 ab"
    assert short_tag("eddystone:00112233445566778899:aabbccddeeff") == "蓝牙标签 …eeff"
    assert short_tag("mac:c4:7c:8d:6a:1b:2e") == "蓝牙标签 …1b:2e"


def test_a_plate_is_masked_unless_the_reader_may_see_plates():
    assert short_tag("plate:浙A12345") == "浙A·1**45"
    assert short_tag("plate:浙A12345", mask=False) == "浙A·12345"


def test_nothing_and_the_unknown():
    assert short_tag(None) == "" and short_tag("") == ""
    assert short_tag("odd") == "odd"
    assert short_tag("future:" + "x" * 40) == "future:xxxxx…xxxx"


def test_a_tag_id_with_its_plate_masked_for_a_reader_who_may_not_see_plates():
    assert masked_id("plate:浙A12345") == "plate:浙A·1**45"
    assert masked_id("plate:浙A12345", mask=False) == "plate:浙A12345"
    tag = "ibeacon:f7826da6-4fa2-4e98-8024-bc5b71e0893e:1:101"
    assert masked_id(tag) == tag and masked_id(None) is None and masked_id("") == ""
