"""Message texts: masking, byte limits, every alert kind in Chinese and English."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.alerts.render import (
    RENDERERS,
    Context,
    Message,
    format_markdown,
    format_text,
    mask_mobiles,
    mask_plate,
    render,
    render_escalation,
    truncate_utf8,
    utf8_len,
)

NOW = datetime(2026, 3, 3, 0, 5, tzinfo=timezone.utc)  # 08:05 in Shanghai


@pytest.mark.parametrize("plate,masked", [
    ("浙A12345", "浙A·1**45"),
    ("浙GD12345", "浙G·D***45"),
    ("京N9A7B8", "京N·9**B8"),
    ("沪C123", "沪C·1**"),
    (None, "?"),
])
def test_plates_are_masked(plate, masked):
    assert mask_plate(plate) == masked


def test_masking_can_be_turned_off_per_target():
    assert mask_plate("浙A12345", mask=False) == "浙A·12345"


@pytest.mark.parametrize("text,expected", [
    ("call 13800001111 now", "call 138****1111 now"),
    ("tel:13912345678", "tel:139****5678"),
    ("order 123456789012 stays", "order 123456789012 stays"),   # not a mobile: 12 digits
    ("room 3-2-401", "room 3-2-401"),
])
def test_mobiles_are_masked_as_a_last_line_of_defence(text, expected):
    assert mask_mobiles(text) == expected


@given(st.text(min_size=0, max_size=3000), st.integers(min_value=4, max_value=4096))
def test_truncation_respects_the_byte_limit_and_never_splits_a_character(text, limit):
    cut = truncate_utf8(text, limit)
    assert utf8_len(cut) <= limit
    cut.encode("utf-8").decode("utf-8")
    if utf8_len(text) <= limit:
        assert cut == text
    else:
        assert cut.endswith("…") and text.startswith(cut[:-1])


def test_a_long_chinese_text_fits_wecoms_2048_bytes_not_2048_characters():
    message = Message("违停晨报", tuple(f"{n}. 浙A·1**45（3-2-401）自 22:15 起" for n in range(300)), link="https://x/v")
    text = format_text(message, limit=2048)
    assert utf8_len(text) <= 2048
    assert "另有" in text and text.rstrip().endswith("https://x/v")   # lines dropped, link kept


def test_markdown_layout_fits_4096_bytes_and_links():
    message = Message("违停晨报", tuple("车" * 50 for _ in range(200)), link="https://x/v")
    text = format_markdown(message, limit=4096)
    assert utf8_len(text) <= 4096 and "**违停晨报**" in text and "(https://x/v)" in text


def test_resent_messages_say_so():
    assert format_text(Message("t"), limit=100, resent=True).startswith("[重发] ")
    assert format_text(Message("t"), limit=100, resent=True, lang="en").startswith("[resent] ")


ITEMS = [{"id": "v-1", "plate": "浙A12345", "household": "3-2-401", "since": "2026-03-02T14:15:00.000+00:00",
          "owner": "张建国", "mobile": "13800001111"}]
PAYLOADS = {
    "digest": {"deadline": "2026-03-03T00:00:00.000+00:00", "items": ITEMS, "provisional": True},
    "reminder": {"deadline": "2026-03-03T00:00:00.000+00:00", "items": ITEMS},
    "fire_lane": {"zone": "北侧消防通道", "plate": "浙A12345", "household": "3-2-401",
                  "since": "2026-03-03T00:01:00.000+00:00"},
    "charging": {"circuit": "充电棚A路", "reason": "overload", "power_w": 2300.0, "limit_w": 2000.0},
    "device_offline": {"device": "gate-north", "device_kind": "gate", "since": "2026-03-02T23:50:00.000+00:00"},
    "device_fault": {"device": "lane-east", "device_kind": "lane", "code": "camera_unavailable", "detail": "no frames"},
    "target_fault": {"target": "wecom-1", "code": 93000},
    "notice": {"title": "请更新节假日数据", "lines": ["2027 年的节假日尚未发布"]},
    "resolved": {"original_title": "设备离线：gate-north", "at": "2026-03-03T00:04:00.000+00:00"},
    "retracted": {"plate": "浙A12345", "household": "3-2-401"},
    "device_batch": {"offline": ["gate-north", "lane-east"], "faulty": [], "offline_count": 12, "faulty_count": 0},
}


@pytest.mark.parametrize("kind", sorted(RENDERERS))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_kind_renders_without_private_data(kind, lang):
    message = render(kind, PAYLOADS[kind], Context(lang=lang, now=NOW, base_url="https://hub.example"))
    text = format_text(message, limit=2048, lang=lang)
    assert message.title and "13800001111" not in text and "张建国" not in text
    if "plate" in str(PAYLOADS[kind]):
        assert "浙A12345" not in text and "浙A·1**45" in text


@pytest.mark.parametrize("kind,zh,en", [
    ("digest", "违停晨报：08:00 后仍停在临时车位 1 辆", "still parked off-space after 08:00"),
    ("reminder", "须在 08:00 前驶离", "must leave the night strip before 08:00"),
    ("fire_lane", "占用消防通道：北侧消防通道", "Fire lane blocked"),
    ("charging", "充电过载：充电棚A路", "Charging overload: 充电棚A路"),
    ("device_offline", "设备离线：gate-north（道闸）", "Device offline: gate-north (gate)"),
    ("charging_flying_wire", "疑似飞线充电：3号楼楼道", "Suspected flying-wire charging: 3号楼楼道"),
    ("device_fault", "摄像头不可用", "camera unavailable"),
    ("resolved", "已恢复：设备离线", "Resolved: "),
    ("retracted", "撤回：浙A·1**45（3-2-401）", "Withdrawn: 浙A·1**45 (3-2-401)"),
])
def test_titles_in_both_languages(kind, zh, en):
    payload = PAYLOADS.get(kind, {"circuit": "3号楼楼道", "reason": "flying_wire"})
    kind = kind.split("_")[0] if kind.startswith("charging") else kind
    assert zh in render(kind, payload, Context(lang="zh", now=NOW)).title
    assert en in render(kind, payload, Context(lang="en", now=NOW)).title


def test_times_are_local_and_dated_when_not_today():
    message = render("digest", PAYLOADS["digest"], Context(now=NOW))
    assert "3月2日 22:15" in message.lines[0]          # 14:15 UTC the evening before
    assert message.footer and "待核实" in message.footer   # provisional


def test_escalation_keeps_the_content_and_says_who_is_next():
    original = render("fire_lane", PAYLOADS["fire_lane"], Context(now=NOW))
    louder = render_escalation(original, minutes=15, audience="committee", lang="zh")
    assert louder.title.startswith("15 分钟无人确认，转业委会") and louder.lines == original.lines


CALENDAR = {"title": "2027 年节假日未知，按周末规则判定截止时间", "lines": ["（中文说明）"], "severity": "warning",
            "topic": "calendar_unknown_year", "values": {"year": 2027, "ahead": False}}


@pytest.mark.parametrize("values,lang,title,line", [
    ({"year": 2027, "ahead": False}, "zh", "2027 年节假日未知，按周末规则判定截止时间", "请安装维护人员升级（pip install -U chinesecalendar）"),
    ({"year": 2027, "ahead": True}, "zh", "节假日日历缺少 2027 年数据", "法定节假日和调休不会识别"),
    ({"year": 2027, "ahead": False}, "en", "Holidays of 2027 unknown: deadlines follow weekday rules",
     "installer, please upgrade it (pip install -U chinesecalendar)"),
    ({"year": 2027, "ahead": True}, "en", "Holiday calendar has no data for 2027 yet", "make-up days are not recognised"),
])
def test_the_calendar_maintenance_notice_is_worded_in_the_alerts_language(values, lang, title, line):
    message = render("notice", {**CALENDAR, "values": values}, Context(lang=lang, now=NOW))
    assert message.title == title and line in message.lines[0] and message.severity == "warning"
    text = format_text(message, limit=2048, lang=lang)
    assert (re.search(r"[\u4e00-\u9fff]", text) is None) == (lang == "en")


def test_a_notice_without_a_known_topic_is_sent_as_the_free_text_it_carries():
    for payload in ({**CALENDAR, "topic": "something_else"}, {k: v for k, v in CALENDAR.items() if k != "topic"}):
        message = render("notice", payload, Context(lang="en", now=NOW))
        assert (message.title, message.lines) == (CALENDAR["title"], ("（中文说明）",))


def test_a_charging_alert_is_titled_with_the_circuits_label_when_it_has_one():
    payload = {"circuit": "stair-3", "reason": "flying_wire", "label": "3号楼2单元楼道"}
    assert render("charging", payload, Context(lang="zh", now=NOW)).title == "疑似飞线充电：3号楼2单元楼道"
    assert "stair-3" in render("charging", {**payload, "label": ""}, Context(lang="zh", now=NOW)).title


@pytest.mark.parametrize("lang,title,advice", [
    ("zh", "设备故障：东门道闸（道闸） 安全输入卡住", "只能用岗亭按钮或远程抬杆"),
    ("en", "Device fault: 东门道闸 (gate) safety input stuck", "only the booth button or a remote open"),
])
def test_a_device_fault_names_the_device_by_its_label_and_says_what_to_do(lang, title, advice):
    payload = {"device": "gate-east", "label": "东门道闸", "device_kind": "gate", "code": "safety_input_stuck",
               "detail": "photo_eye of lane east-in active for 120 s"}
    message = render("device_fault", payload, Context(lang=lang, now=NOW))
    assert message.title == title and "gate-east" not in message.title
    assert any(advice in line for line in message.lines)
    assert message.lines[-1] == "photo＿eye of lane east-in active for 120 s"  # the device's own words, last
