"""The Calendar page (截止日历): everyone logged in sees the coming days and their deadlines; the
committee sets and removes per-date overrides, audited; bad input changes nothing and is said in
the page's language; the overnight rule decides by the overridden deadline."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from gwcommon.clock import FakeClock
from hub.overnight import calendar
from hub.overnight import calendar_edits
from hub.overnight.calendar import DeadlineRule, Override
from tests.support.hubrun import Publisher, rows, wait_until
from tests.support.webhub import START, add_user, csrf_of, login, web_hub

TZ = ZoneInfo("Asia/Shanghai")
RULE = DeadlineRule(time(20, 0), time(8, 0), time(9, 0), TZ)   # [rules.overnight] of the test hub
XSS = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def site(tmp_path_factory, broker):
    hub = web_hub(tmp_path_factory.mktemp("web-calendar"), broker,
                  overrides={"rules": {"overnight": {"holiday_deadline": "09:00"}}})
    clients = {}
    for role in ("viewer", "warden", "committee"):
        add_user(hub, role, role)
        clients[role] = TestClient(hub.web)
        login(clients[role], role)
    yield hub, clients
    hub.stop()


def post(client, path, **data):
    return client.post(path, data={**data, "csrf": csrf_of(client, "/calendar")}, follow_redirects=False)


def day_row(page: str, day: str) -> str:
    return re.search(rf'<tr data-day="{day}">.*?</tr>', page, re.S).group(0)


def overrides_table(page: str) -> str:
    return re.search(r'<table id="overrides">.*?</table>', page, re.S).group(0)


def test_everyone_sees_the_coming_days_with_kind_and_deadline(site):
    hub, c = site
    page = c["viewer"].get("/calendar")
    assert page.status_code == 200
    days = re.findall(r'<tr data-day="([0-9-]+)">', page.text)
    assert len(days) == 60 and days[0] == "2026-03-03"   # 07:00 on 3 March in Shanghai
    assert "工作日" in day_row(page.text, "2026-03-03") and "08:00" in day_row(page.text, "2026-03-03")
    assert "周末" in day_row(page.text, "2026-03-07") and "09:00" in day_row(page.text, "2026-03-07")
    assert "法定节假日" in day_row(page.text, "2026-04-06") and "清明" in day_row(page.text, "2026-04-06")
    assert 'action="/calendar/overrides"' not in page.text and 'href="/calendar"' not in page.text  # no form, no menu
    assert 'href="/calendar"' in c["committee"].get("/calendar").text
    english = TestClient(hub.web, cookies={**c["viewer"].cookies, "gw_lang": "en"}).get("/calendar").text
    assert "statutory holiday" in day_row(english, "2026-04-06") and "Tomb-sweeping Day" in day_row(english, "2026-04-06")


def test_committee_sets_an_override_audited_escaped_and_used_by_the_deadline_function(site):
    hub, c = site
    assert post(c["warden"], "/calendar/overrides", day="2026-03-20", kind="holiday").status_code == 403
    done = post(c["committee"], "/calendar/overrides", day="2026-03-20", kind="holiday", deadline="10:30", note=XSS)
    assert done.status_code == 303 and done.headers["location"] == "/calendar?saved=2026-03-20"
    page = c["committee"].get(done.headers["location"]).text
    assert "2026-03-20 的调整已保存：那天早上 10:30 截止" in page
    assert "休息日（业委会调整）" in day_row(page, "2026-03-20") and "10:30" in day_row(page, "2026-03-20")
    assert XSS not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in overrides_table(page)
    audit = rows(hub, "SELECT actor, target, detail FROM web_audit WHERE action = 'calendar_override'")
    assert audit == [{"actor": "committee", "target": "2026-03-20",
                      "detail": '{"deadline": "10:30", "kind": "holiday", "note": "%s"}' % XSS.replace('"', '\\"')}]
    overrides = hub.writer.call(calendar.load_overrides)
    assert overrides[date(2026, 3, 20)] == Override(date(2026, 3, 20), "holiday", time(10, 30), XSS)
    assert calendar.deadline_on(date(2026, 3, 20), RULE, overrides) == datetime(2026, 3, 20, 2, 30, tzinfo=timezone.utc)


def test_committee_removes_an_override(site):
    hub, c = site
    assert post(c["committee"], "/calendar/overrides", day="2026-03-21", kind="working").status_code == 303
    assert calendar.deadline_on(date(2026, 3, 21), RULE, hub.writer.call(calendar.load_overrides)).hour == 0  # 08:00
    assert post(c["viewer"], "/calendar/overrides/remove", day="2026-03-21").status_code == 403
    assert post(c["committee"], "/calendar/overrides/remove", day="2026-03-21").status_code == 303
    assert date(2026, 3, 21) not in hub.writer.call(calendar.load_overrides)
    assert "周末" in day_row(c["viewer"].get("/calendar").text, "2026-03-21")
    assert rows(hub, "SELECT target FROM web_audit WHERE action = 'calendar_override_remove'") == [
        {"target": "2026-03-21"}]
    again = post(c["committee"], "/calendar/overrides/remove", day="2026-03-21")
    assert again.status_code == 400 and "2026-03-21 没有可删除的调整" in again.text


BAD = [
    ({"day": "2026-02-28", "kind": "holiday"}, "2026-02-28 已经过去，不能再调整", "2026-02-28 is in the past"),
    ({"day": "", "kind": "holiday"}, "请填写日期", "Please give a date"),
    ({"day": "2026-13-01", "kind": "holiday"}, "日期“2026-13-01”看不懂", "“2026-13-01” is not a date"),
    ({"day": "2026-03-25", "kind": "weekend"}, "类型“weekend”不对", "Unknown kind “weekend”"),
    ({"day": "2026-03-25", "kind": "holiday", "deadline": "25:00"}, "截止时间“25:00”看不懂", "“25:00” is not a time"),
    ({"day": "2026-03-25", "kind": "holiday", "deadline": "8点半"}, "截止时间“8点半”看不懂", "“8点半” is not a time"),
    ({"day": "2026-03-25", "kind": "holiday", "deadline": "21:00"}, "必须早于晚上开始临时停放的时间 20:00",
     "it must be before the evening start, 20:00"),
    ({"day": "2026-03-25", "kind": "holiday", "note": "长" * 201}, "备注太长", "The note is too long"),
    ({"day": "2030-01-01", "kind": "holiday"}, "2030-01-01 太远了", "2030-01-01 is too far ahead"),
    # yesterday's and this morning's deadline when moved before now (07:00): already passed
    ({"day": "2026-03-02", "kind": "holiday"}, "3-02 早上的截止时间（08:00）已经过了", "morning of 2026-03-02 (08:00) has passed"),
    ({"day": "2026-03-03", "kind": "holiday", "deadline": "06:30"}, "截止时间（06:30）已经过了", "(06:30) has passed"),
]


@pytest.mark.parametrize("form,chinese,english", BAD, ids=[b[2][:30] for b in BAD])
def test_bad_input_is_refused_in_the_page_language_and_changes_nothing(site, form, chinese, english):
    hub, c = site
    before = (hub.writer.call(calendar.load_overrides), rows(hub, "SELECT count(*) AS n FROM web_audit"))
    refused = post(c["committee"], "/calendar/overrides", **form)
    assert refused.status_code == 400 and chinese in refused.text
    assert re.search(r'id="calendar-error">[^<]+<', refused.text)
    en = TestClient(hub.web, cookies={**c["committee"].cookies, "gw_lang": "en"})
    assert english in en.post("/calendar/overrides", data={**form, "csrf": csrf_of(en, "/calendar")}).text
    assert (hub.writer.call(calendar.load_overrides), rows(hub, "SELECT count(*) AS n FROM web_audit")) == before


def test_this_mornings_deadline_may_still_move_later_before_it_passes(site):
    hub, c = site
    assert post(c["committee"], "/calendar/overrides", day="2026-03-03", kind="holiday").status_code == 303
    assert "09:00" in day_row(c["viewer"].get("/calendar").text, "2026-03-03")
    assert post(c["committee"], "/calendar/overrides/remove", day="2026-03-03").status_code == 303


@pytest.mark.parametrize("day,expected", [
    (date(2026, 10, 1), ("holiday", "国庆节", "National Day")),
    (date(2026, 10, 10), ("makeup", "国庆节", "National Day")),
    (date(2026, 10, 11), ("weekend", "", "")),
    (date(2026, 10, 12), ("working", "", "")),
    (date(2027, 1, 1), ("working", "", "")),   # New Year's Day of a year the package does not know
])
def test_describe_a_day(day, expected):
    found = calendar_edits.describe(day, RULE)
    assert (found.kind, found.name("zh"), found.name("en")) == expected
    assert found.fallback == (day.year == 2027)


def test_unknown_years_are_marked(tmp_path, broker):
    hub = web_hub(tmp_path, broker, clock=FakeClock(datetime(2026, 12, 1, 0, 0, tzinfo=timezone.utc)))
    try:
        add_user(hub, "viewer", "viewer")
        client = TestClient(hub.web)
        login(client, "viewer")
        page = client.get("/calendar").text
    finally:
        hub.stop()
    assert "还没有 2027 年" in page and "节假日数据未覆盖" in day_row(page, "2027-01-01")
    assert "节假日数据未覆盖" not in day_row(page, "2026-12-31")


def wait_for_tick_rounds(hub, n: int = 3) -> None:
    first = hub.writer.stats.tick_rounds
    wait_until(lambda: hub.writer.stats.tick_rounds >= first + n, timeout=20)


def test_the_overnight_rule_decides_by_the_overridden_deadline(tmp_path, broker):
    clock = FakeClock(START)
    hub = web_hub(tmp_path, broker, clock=clock, overrides={"zones": [{"name": "east-strip", "kind": "night"}]})
    try:
        add_user(hub, "committee", "committee")
        # a gate reports once, then falls silent: the hub's own clock decides (docs/contract.md §2 — a hub
        # that has never heard from a gate or lane device decides nothing)
        with Publisher(broker.port) as pub:
            pub.json(f"gatewarden/{hub.config.site.id}/gate-n/status", {"online": True, "kind": "gate", "version": "t",
                                                                       "ts": START.isoformat()})
            pub.json(f"gatewarden/{hub.config.site.id}/gate-n/heartbeat", {"ts": START.isoformat(), "last_seq": 0,
                                                                          "outbox": 0})
        wait_until(lambda: rows(hub, "SELECT watermark FROM devices WHERE device = 'gate-n'"), timeout=20)
        client = TestClient(hub.web)
        login(client, "committee")
        assert post(client, "/calendar/overrides", day="2026-03-04", kind="holiday", deadline="10:30").status_code == 303
        assert post(client, "/stays", op="register", plate="浙A12345", zone="east-strip").status_code == 303
        clock.set(datetime(2026, 3, 4, 8, 30, tzinfo=TZ))   # the working-day deadline has passed…
        wait_until(lambda: rows(hub, "SELECT day FROM ovn_deadlines"), timeout=20)
        wait_for_tick_rounds(hub)
        assert [r["day"] for r in rows(hub, "SELECT day FROM ovn_deadlines")] == ["2026-03-03"]  # …but not 03-04's
        clock.set(datetime(2026, 3, 4, 10, 31, tzinfo=TZ))
        decided = wait_until(lambda: rows(hub, "SELECT deadline, day_kind, day_source FROM ovn_deadlines "
                                               "WHERE day = '2026-03-04'"), timeout=20)
        assert decided == [{"deadline": "2026-03-04T02:30:00.000+00:00", "day_kind": "holiday", "day_source": "override"}]
        overrides = hub.writer.call(calendar.load_overrides)
        rule = calendar.DeadlineRule.from_config(hub.config.rules.overnight, TZ)
        assert calendar.deadline_on(date(2026, 3, 4), rule, overrides) == datetime(2026, 3, 4, 2, 30, tzinfo=timezone.utc)
        assert rows(hub, "SELECT plate FROM violations WHERE deadline = '2026-03-04T02:30:00.000+00:00'") == [
            {"plate": "浙A12345"}]
        # a decided morning cannot be changed from the page, and a change made behind its back
        # (straight into the table) does not decide that morning a second time
        refused = post(client, "/calendar/overrides", day="2026-03-04", kind="holiday", deadline="11:00")
        assert refused.status_code == 400 and "已经过了或已经判定" in refused.text
        hub.writer.call(lambda db: calendar.set_override(db, date(2026, 3, 4), "holiday", deadline=time(11, 0),
                                                         by="test", at=clock.now()))
        clock.set(datetime(2026, 3, 4, 11, 1, tzinfo=TZ))
        wait_for_tick_rounds(hub)
        assert len(rows(hub, "SELECT deadline FROM ovn_deadlines WHERE day = '2026-03-04'")) == 1
    finally:
        hub.stop()
