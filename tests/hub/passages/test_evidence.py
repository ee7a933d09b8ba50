"""The line the Passages page shows under a passage (hub/passages/evidence.py): the lane's
evidence and a person's open, in the reader's language."""

from __future__ import annotations

from hub.passages.evidence import explain

TAG = "eid:car-1"


def name(tag: str) -> str:
    return {"eid:car-1": "浙A·12345"}.get(tag, tag)


def heard(**over) -> dict:
    return {"tag": TAG, "rssi": -60, "rise_db": 0, "before_s": 300.0, "lane_margin_db": None, "why_not": "parked",
            "elsewhere": False, **over}


def test_an_ambiguous_refusal_asks_the_warden_to_check_and_an_open_only_says_what_was_heard():
    row = {"decision": "deny", "evidence": {"ambiguous": True, "tags": [heard()]}}
    assert explain(row, "zh", name) == ("附近听到标签，但不能确定是这辆车的，道闸没有自动放行（请核实后人工放行）："
                                        "浙A·12345：信号 -60 dBm，上升 +0 dB，车到前 300 秒开始听到（停在闸口附近的车）")
    fire = {**row, "decision": "open"}  # fire mode or a plate camera opened all the same
    assert explain(fire, "zh", name).startswith("附近听到的标签：浙A·12345")
    assert explain(fire, "en", name).startswith("Tags heard near: 浙A·12345: -60 dBm")


def test_an_open_says_依据_only_when_the_lane_opened_on_the_tag_it_names():
    taken = {"ambiguous": False, "tags": [heard(why_not=None, before_s=5.8, lane_margin_db=12)]}
    own = {"decision": "open", "reason": "allowlisted", "tag": TAG, "evidence": taken}
    assert explain(own, "zh", name).startswith("依据：浙A·12345：信号 -60 dBm")
    by_plate = {**own, "tag": "plate:浙B99999"}  # a plate camera let the car in; its tag was not allowed
    assert explain(by_plate, "zh", name).startswith("附近听到的标签：浙A·12345")
    refused = {**own, "decision": "deny", "reason": "unknown_tag"}
    assert explain(refused, "zh", name).startswith("依据：")  # the tag the lane took, and refused


def test_margins_either_way_rounded_times_and_a_code_the_hub_does_not_know():
    other = heard(lane_margin_db=-8, why_not="other_lane", before_s=9.96)
    new = heard(tag="eid:x", why_not="wobbly", before_s=-1.25, lane_margin_db=5)
    row = {"decision": "deny", "evidence": {"ambiguous": True, "tags": [other, new]}}
    text = explain(row, "zh", name)
    assert "车到前 10 秒开始听到，另一车道比本车道强 +8 dB（另一车道也听得到，分不清是哪条车道的）" in text
    assert "eid:x：信号 -60 dBm，上升 +0 dB，车到后 1.2 秒才听到，本车道比另一车道强 +5 dB（wobbly）" in text
    elsewhere = heard(why_not="other_lane", elsewhere=True)
    assert "（这次刚在另一车道附近）" in explain({"decision": "deny", "evidence": {"ambiguous": True, "tags": [elsewhere]}},
                                                 "zh", name)


def test_a_tag_far_weaker_than_at_its_opens_names_its_usual_level():
    weaker = heard(rssi=-71, before_s=4.0, why_not="weaker_than_usual", usual_rssi=-58, near_rssi=-74)
    row = {"decision": "deny", "evidence": {"ambiguous": True, "tags": [weaker]}}
    assert explain(row, "zh", name).endswith(
        "浙A·12345：信号 -71 dBm，上升 +0 dB，车到前 4.0 秒开始听到（它平时在本车道开闸时约 -58 dBm，这次最近时也只稳定在约 -74 dBm，像是后面、旁边或路过的车）")
    assert ("(about -58 dBm at its earlier opens here, steady at about -74 dBm at its nearest this time: the car "
            "behind, beside or passing)") in \
        explain(row, "en", name)
    older = heard(why_not="weaker_than_usual")  # without its usual level: the words alone
    assert explain({"decision": "deny", "evidence": {"ambiguous": True, "tags": [older]}}, "zh", name).endswith(
        "（比它平时在本车道开闸时弱得多，像是后面、旁边或路过的车）")


def test_an_open_by_a_person_names_them_and_their_reason_but_not_the_buttons_own_words():
    assert explain({"decision": "open", "by": "booth", "note": "booth button"}, "zh", name) == "岗亭按钮开闸"
    assert explain({"decision": "open", "by": "homeassistant", "note": "Home Assistant button"}, "zh", name) == \
        "Home Assistant开闸"
    assert explain({"decision": "open", "by": "老王", "note": "送快递"}, "en", name) == "opened by 老王: 送快递"
    assert explain({"decision": "open", "reason": "fire_mode"}, "zh", name) == ""


def test_every_tag_of_a_page_finds_its_car_however_many_tags_the_evidence_adds(tmp_path):
    """A page of 500 passages names up to 2,000 tags (its own and three heard for each); a hostile
    client could fill the evidence with tags that sort first.  Every registered tag still finds
    its plate (the lookup once kept only the first 1,000)."""
    from types import SimpleNamespace

    from sqlite_utils import Database

    from hub.passages.pages import vehicles_of_tags

    db = Database(tmp_path / "hub.db")
    db.execute("CREATE TABLE vehicles (plate TEXT PRIMARY KEY, household TEXT)")
    db.execute("CREATE TABLE tags (tag TEXT PRIMARY KEY, plate TEXT, added_at TEXT)")
    db["vehicles"].insert({"plate": "浙A12345", "household": "1-101"})
    db["tags"].insert({"tag": "mac:ff:ff:ff:ff:ff:ff", "plate": "浙A12345", "added_at": "2026-03-01"})
    junk = [f"eid:{n:06d}" for n in range(1_500)]  # unregistered, and sorting before the real one
    found = vehicles_of_tags(SimpleNamespace(reader=lambda: db), junk + ["mac:ff:ff:ff:ff:ff:ff", "plate:浙A12345"])
    assert found["mac:ff:ff:ff:ff:ff:ff"]["plate"] == "浙A12345"
    assert found["plate:浙A12345"] == {"plate": "浙A12345", "household": "1-101"}
