"""The roster edited on the web view: the committee adds, edits and removes a shift; a warden swaps
their own shift with another warden's (audited; both see it); the escalation follows at once;
the warden sees their next shift."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from hub.alerts import roster, roster_edit
from hub.alerts.render import Context, render
from hub.core.db import open_reader
from tests.support.hubrun import rows
from tests.support.webhub import add_user, csrf_of, logged_in, web_hub

SH = ZoneInfo("Asia/Shanghai")
ERROR = re.compile(r'id="roster-error">([^<]*)<')


def entry(name, day="", start="20:00", end="08:00", **more):
    return roster.Entry(name=name, mobile="13800001111", day=day, start=start, end=end, **more)


# --- pure --------------------------------------------------------------------------------------

def test_next_shift_finds_the_first_that_has_not_ended():
    entries = [entry("王五", "wed"), entry("李四", "thu"), entry("王五", "2026-03-06", "08:00", "12:00")]
    tuesday_noon = datetime(2026, 3, 3, 12, 0, tzinfo=SH)
    found = roster_edit.next_shift(entries, ["wangwu", " 王五 "], tuesday_noon)
    assert (found["start"], found["end"], found["now"]) == (datetime(2026, 3, 4, 20, 0, tzinfo=SH),
                                                           datetime(2026, 3, 5, 8, 0, tzinfo=SH), False)
    thursday_early = datetime(2026, 3, 5, 6, 0, tzinfo=SH)  # still on Wednesday's night shift
    assert roster_edit.next_shift(entries, ["王五"], thursday_early)["now"] is True
    after = roster_edit.next_shift(entries, ["王五"], datetime(2026, 3, 5, 9, 0, tzinfo=SH))
    assert after["start"] == datetime(2026, 3, 6, 8, 0, tzinfo=SH)  # the dated row
    assert roster_edit.next_shift(entries, ["赵六"], tuesday_noon) is None
    all_day = roster_edit.next_shift([entry("赵六", "", "", "")], ["赵六"], tuesday_noon)
    assert all_day["now"] and all_day["end"] == datetime(2026, 3, 4, 0, 0, tzinfo=SH)


# --- through the web view ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory, broker):
    hub = web_hub(tmp_path_factory.mktemp("roster-edit"), broker)
    add_user(hub, "wangwu", "warden", display_name="王五")  # the roster knows them by display name
    add_user(hub, "lisi", "warden", display_name="李四")
    add_user(hub, "laoli", "committee")
    yield hub, logged_in(hub, ("wangwu", "lisi", "laoli"))
    hub.stop()


def post(client, path, **data):
    return client.post(path, data={**data, "csrf": csrf_of(client, "/roster")}, follow_redirects=False)


def ids(hub):
    return {r["name"] + "@" + r["day"]: r["id"] for r in rows(hub, "SELECT id, name, day FROM duty_roster")}


def on_duty(hub, local):
    db = open_reader(hub.db_path)
    try:
        return [e.name for e in roster.audience(roster.load(db), local, "warden")]
    finally:
        db.conn.close()


def test_committee_edits_a_warden_swaps_and_the_escalation_follows(site):
    hub, c = site
    assert post(c["wangwu"], "/roster/shifts", name="王五", mobile="13800001111", day="周二", start="20:00",
                end="08:00").status_code == 403  # only the committee edits
    for name, day, mobile in (("王五", "周二", "13800001111"), ("李四", "wed", "13900002222"),
                              ("赵六", "thu", "13700003333")):
        done = post(c["laoli"], "/roster/shifts", name=name, mobile=mobile, day=day, start="20:00", end="08:00")
        assert done.status_code == 303 and done.headers["location"] == "/roster?done=added"
    bad = post(c["laoli"], "/roster/shifts", name="钱七", mobile="1380000", day="fri", start="25:00")
    assert bad.status_code == 400 and ERROR.search(bad.text).group(1) == "手机号 138… 不是 11 位的大陆手机号"
    english = TestClient(hub.web, cookies={**c["laoli"].cookies, "gw_lang": "en"})
    bad = post(english, "/roster/shifts", name="钱七", mobile="13800001111", start="25:00")
    assert ERROR.search(bad.text).group(1) == "开始/start &#39;25:00&#39; is not a time like 08:00"
    shift = ids(hub)
    assert post(c["laoli"], f"/roster/shifts/{shift['赵六@thu']}", name="赵六", mobile="13700003333", day="thu",
                start="19:00", end="07:00", position="2").status_code == 303
    assert rows(hub, "SELECT start, position FROM duty_roster WHERE name = '赵六'") == [{"start": "19:00", "position": 2}]
    assert post(c["laoli"], f"/roster/shifts/{shift['赵六@thu']}/remove").status_code == 303
    gone = post(c["laoli"], f"/roster/shifts/{shift['赵六@thu']}/remove")
    assert gone.status_code == 400 and "已经不在值班表里了" in ERROR.search(gone.text).group(1)

    tuesday_night = datetime(2026, 3, 3, 22, 0, tzinfo=SH)
    assert on_duty(hub, tuesday_night) == ["王五"]
    assert "我的下一班" in (page := c["wangwu"].get("/account").text) and '03-03 周二</span> <span class="nowrap">20:00–08:00' in page
    # 李四 cannot swap two shifts that are not his; 王五 swaps his own with 李四's
    refused = post(c["lisi"], "/roster/swap", first=shift["王五@tue"], second=shift["王五@tue"])
    assert ERROR.search(refused.text).group(1) == "请选两个不同的班次来换"
    done = post(c["wangwu"], "/roster/swap", first=shift["王五@tue"], second=shift["李四@wed"])
    assert done.headers["location"] == "/roster?done=swapped"
    assert on_duty(hub, tuesday_night) == ["李四"]  # the escalation reads the edited roster at once
    assert rows(hub, "SELECT name, day, mobile FROM duty_roster ORDER BY day") == [
        {"name": "李四", "day": "tue", "mobile": "13900002222"}, {"name": "王五", "day": "wed", "mobile": "13800001111"}]
    actions = rows(hub, "SELECT actor, action, detail FROM web_audit WHERE action LIKE 'roster_%' ORDER BY id")
    assert [a["action"] for a in actions] == ["roster_shift_add"] * 3 + ["roster_shift_edit", "roster_shift_remove",
                                                                        "roster_swap"]
    swap = json.loads(actions[-1]["detail"])
    assert actions[-1]["actor"] == "wangwu" and (swap["first"]["name"], swap["second"]["name"]) == ("王五", "李四")
    for who in ("wangwu", "lisi"):  # both wardens see it
        page = c[who].get("/account").text
        assert "wangwu 办理换班：王五（原 周二 20:00–08:00）⇄ 李四（原 周三 20:00–08:00）" in page, page[page.find("<main>"):]
    # now neither shift is 李四's other one: a warden may not swap two shifts of others
    post(c["laoli"], "/roster/shifts", name="赵六", mobile="13700003333", day="fri", start="20:00", end="08:00")
    shift = ids(hub)
    refused = post(c["lisi"], "/roster/swap", first=shift["王五@wed"], second=shift["赵六@fri"])
    assert refused.status_code == 400 and "只能拿自己的班去换" in ERROR.search(refused.text).group(1)
    assert post(c["laoli"], "/roster/swap", first=shift["王五@wed"], second=shift["赵六@fri"]).status_code == 303
    # every swap, and only a swap that happened, is told in the chat: an info notice through the outbox
    told = rows(hub, "SELECT kind, severity, payload FROM alerts WHERE dedup_key LIKE 'roster_swap:%' ORDER BY id")
    assert [(t["kind"], t["severity"]) for t in told] == [("notice", "info")] * 2
    first = render("notice", json.loads(told[0]["payload"]), Context(lang="zh"))
    assert first.title == "换班：王五 ⇄ 李四" and first.lines == ("王五 改值 周三 20:00–08:00，李四 改值 周二 20:00–08:00（wangwu 办理）。",)
    second = render("notice", json.loads(told[1]["payload"]), Context(lang="en", base_url="https://hub.example"))
    assert second.title == "Shift swap: 王五 ⇄ 赵六" and second.link == "https://hub.example/roster"
    assert second.lines == ("王五 now takes Fri 20:00–08:00, 赵六 takes Wed 20:00–08:00 (swapped by laoli).",)
    assert not any(m in t["payload"] for t in told for m in ("13800001111", "13900002222", "13700003333"))  # no mobiles
