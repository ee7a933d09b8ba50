"""Device-supplied text in chat messages (issue 15): links stripped, markup made inert, length bound."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from hub.alerts.devicetext import clean
from hub.alerts.render import Context, format_markdown, format_text, render

EVIL = ("请扫码 https://evil.example.cn/pay?x=1 或 www.evil.top 或 evil.xyz/a **加粗** [点我](http://x.cn) "
        "<font color=\"warning\">假</font> <@all> @all\n第二行\x07" + "长" * 500)


@pytest.mark.parametrize("text,expected", [
    ("hci0 gone", "hci0 gone"),
    ("see http://a.cn/x now", "see 〔链接已删除〕 now"),
    ("**x** [a](b) <b>", "＊＊x＊＊ ［a］（b） ＜b＞"),
    ("a\n\tb\x00c", "a b c"),
    ("@all", "＠all"),
])
def test_clean(text, expected):
    assert clean(text) == expected


def test_clean_limits_the_length():
    assert len(clean("长" * 500)) == 120 and clean("长" * 500).endswith("…")


@pytest.mark.parametrize("kind,payload", [
    ("device_fault", {"device": "gate-1", "code": "relay_fault", "detail": EVIL}),
    ("charging", {"circuit": EVIL, "reason": "overload", "detail": EVIL}),
    ("fire_lane", {"zone": EVIL}),
    ("device_offline", {"device": "gate-1", "label": EVIL}),
])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_link_or_markup_from_a_device_reaches_the_chat(kind, payload, lang):
    ctx = Context(lang=lang, now=datetime(2026, 3, 2, tzinfo=timezone.utc))
    message = render(kind, payload, ctx)
    for text in (format_text(message, limit=2048, lang=lang), format_markdown(message, limit=4096, lang=lang)):
        for bad in ("evil", "http://x.cn", "<font", "<@all>", "[点我]", "**加粗**", "\x07", "@all"):
            assert bad not in text
        assert text.count("长") <= 2 * 120
