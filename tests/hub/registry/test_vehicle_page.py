"""One car at a time from the web view (hub.registry.page_vehicle), visitor passes ended early, tag
health: every change checked by the import's row rules in the page's language, audited, and on the
gates' allowlist within a second; a refusal changes nothing."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from gwcommon.timefmt import stored_ts
from hub.registry import csvfile
from hub.web import i18n
from tests.support.hubrun import Publisher, rows, wait_until
from tests.support.mqttspy import Spy
from tests.support.webhub import add_user, csrf_of, login, web_hub

TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:{}"
AREAS = ("hub.registry.area", "hub.overnight.area", "hub.web.app")


@pytest.fixture(scope="module")
def site(tmp_path_factory, broker):
    hub = web_hub(tmp_path_factory.mktemp("vehicle-page"), broker, areas=AREAS,
                  overrides={"registry": {"tag_silent_after": "14d"}})
    clients = {}
    for role in ("warden", "committee"):
        add_user(hub, role, role)
        clients[role] = TestClient(hub.web)
        login(clients[role], role)
    spy = Spy(broker.port, topics=(f"gatewarden/{hub.config.site.id}/allowlist",)).start()
    yield hub, clients, spy
    spy.stop()
    hub.stop()


def post(client, path, **data):
    return client.post(path, data={**data, "csrf": csrf_of(client, "/registry/vehicle")}, follow_redirects=False)


def problems_of(response) -> list[str]:
    return [html.unescape(t) for t in re.findall(r'<li class="error">([^<]*)</li>', response.text)]


def counts(hub):
    return rows(hub, "SELECT (SELECT count(*) FROM vehicles) AS v, (SELECT count(*) FROM tags) AS t, "
                     "(SELECT count(*) FROM web_audit) AS a")


def allowlisted(spy, tag):
    return spy.wait_for(lambda s: [m for m in s.seen if any(e["tag"] == tag for e in m.json()["entries"])])


def test_the_committee_adds_a_car_as_excel_would_type_it_and_the_gates_learn_it(site):
    hub, c, spy = site
    added = post(c["committee"], "/registry/vehicle", plate="浙a·12345", household="27-2-301", owner="吴美桂",
                 mobile="13800138000.0 / 0571-88886666", note="", tag=TAG.format(1))
    assert added.status_code == 303 and added.headers["location"].startswith(f"/registry/vehicle?plate={quote('浙A12345')}")
    assert rows(hub, "SELECT plate, household, owner, mobile, visitor FROM vehicles") == [
        {"plate": "浙A12345", "household": "27-2-301", "owner": "吴美桂", "mobile": "13800138000;0571-88886666",
         "visitor": 0}]
    assert allowlisted(spy, TAG.format(1))  # republished at once (retained for gates that connect later)
    page = c["committee"].get(added.headers["location"]).text
    assert "已保存" in page and TAG.format(1) in page
    (entry,) = rows(hub, "SELECT actor, action, target, detail FROM web_audit WHERE action = 'vehicle_save'")
    assert entry["actor"] == "committee" and entry["target"] == "浙A12345" and "13800138000" not in entry["detail"]


BAD = {"plate": "浙A1", "household": "", "owner": "", "mobile": "1.38001E+10", "note": "", "tag": "ibeacon:nope"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_bad_form_gets_the_imports_own_reasons_and_changes_nothing(site, lang):
    hub, c, _ = site
    before = counts(hub)
    client = TestClient(hub.web, cookies={**c["committee"].cookies, "gw_lang": lang})
    refused = post(client, "/registry/vehicle", **BAD)
    assert refused.status_code == 400, refused.text[-1500:]
    sheet = "车牌,房号,车主,手机,标签,备注\n浙A1,,,1.38001E+10,ibeacon:nope,\n".encode()
    with pytest.raises(csvfile.RegistryFileError) as err:
        csvfile.read(sheet)
    expected = [p.text(lang) for p in err.value.problems]
    assert len(expected) == 4 and problems_of(refused) == expected
    if lang == "zh":
        assert "Excel 把号码变成了科学计数法" in refused.text and 'value="浙A1"' in refused.text  # typed text kept
    assert counts(hub) == before


def test_a_tag_of_another_car_is_refused_naming_that_car(site):
    hub, c, _ = site
    post(c["committee"], "/registry/vehicle", plate="浙B12345", household="2-202")
    before = counts(hub)
    refused = post(c["committee"], "/registry/vehicle/tag", plate="浙B12345", tag=TAG.format(1))
    assert refused.status_code == 400
    assert problems_of(refused) == [f"标签 {TAG.format(1)} 已经绑定车辆 浙A12345（27-2-301）：一个标签只能给一辆车，"
                                    "请先在那辆车的页面上去掉它"]
    new_car = post(c["committee"], "/registry/vehicle", plate="浙C12345", household="3-303", tag=TAG.format(1))
    assert new_car.status_code == 400 and "浙A12345（27-2-301）" in problems_of(new_car)[0]
    assert counts(hub) == before  # the new car was not half saved


def test_edit_rename_tags_on_and_off_and_remove(site):
    hub, c, spy = site
    post(c["committee"], "/registry/vehicle", plate="浙D12345", household="4-404", tag=TAG.format(4))
    assert post(c["committee"], "/registry/vehicle", original="浙D12345", plate="浙D12346", household="4-404",
                owner="新车主").status_code == 303
    assert rows(hub, "SELECT plate, owner FROM vehicles WHERE household = '4-404'") == [{"plate": "浙D12346", "owner": "新车主"}]
    assert rows(hub, f"SELECT plate FROM tags WHERE tag = '{TAG.format(4)}'") == [{"plate": "浙D12346"}]  # kept
    taken = post(c["committee"], "/registry/vehicle", original="浙D12346", plate="浙A12345", household="4-404")
    assert taken.status_code == 400 and problems_of(taken) == ["车牌 浙A12345 已经登记在 27-2-301：请打开那辆车的页面修改"]
    assert post(c["committee"], "/registry/vehicle/tag", plate="浙D12346", tag="eid:spare-1").status_code == 303
    assert post(c["committee"], "/registry/vehicle/tag/remove", plate="浙D12346", tag=TAG.format(4)).status_code == 303
    spy.wait_for(lambda s: s.seen and TAG.format(4) not in [e["tag"] for e in s.seen[-1].json()["entries"]])
    assert post(c["committee"], "/registry/vehicle/tag", plate="浙B12345", tag=TAG.format(4)).status_code == 303  # free
    unsure = post(c["committee"], "/registry/vehicle/remove", plate="浙D12346")
    assert unsure.status_code == 400 and problems_of(unsure) == ["删除 浙D12346 前请先勾选确认"]
    gone = post(c["committee"], "/registry/vehicle/remove", plate="浙D12346", sure="1")
    assert gone.status_code == 303 and gone.headers["location"] == f"/registry?q={quote('4-404')}"
    assert rows(hub, "SELECT count(*) AS n FROM vehicles WHERE plate = '浙D12346'") == [{"n": 0}]
    assert [r["action"] for r in rows(hub, "SELECT action FROM web_audit WHERE target = '浙D12346' ORDER BY id")] == [
        "vehicle_save", "tag_add", "tag_remove", "vehicle_remove"]
    assert c["committee"].get(f"/registry?q=4-404").status_code == 200


def test_a_warden_sees_a_car_but_edits_nothing_and_ends_a_visitor_pass(site):
    hub, c, _ = site
    page = c["warden"].get(f"/registry/vehicle?plate={quote('浙A12345')}")
    assert page.status_code == 200 and "readonly" in page.text and 'action="/registry/vehicle/remove"' not in page.text
    assert post(c["warden"], "/registry/vehicle", plate="浙E12345", household="5-505").status_code == 403
    assert post(c["warden"], "/registry/visitor", plate="浙F12345", household="2-202", tag="eid:loaner-9",
                hours="8").status_code == 303
    visitors = c["warden"].get("/registry/visitors.csv").content
    assert visitors.startswith("\ufeff车牌,访问房号,标签,发放时间,有效至\r\n".encode()) and "浙F12345,2-202".encode() in visitors
    c["warden"].cookies.set(i18n.COOKIE, "en")
    try:
        english = c["warden"].get("/registry/visitors.csv").content.decode("utf-8-sig")
    finally:
        c["warden"].cookies.delete(i18n.COOKIE)
    assert english.startswith("Plate,Visiting household,Tag,Issued,Valid until\r\n") and "浙F12345" in english
    assert "浙F12345" not in c["warden"].get("/registry/export.csv").content.decode("utf-8-sig")
    renamed = post(c["committee"], "/registry/vehicle", original="浙F12345", plate="浙F12346", household="2-202")
    assert renamed.status_code == 400 and problems_of(renamed)[0].startswith("浙F12345 是访客车，不能在这里改车牌")
    assert post(c["warden"], "/registry/visitor/end", plate="浙F12345").status_code == 303
    assert rows(hub, "SELECT count(*) AS n FROM vehicles WHERE plate = '浙F12345'") == [{"n": 0}]
    assert rows(hub, "SELECT actor, action FROM web_audit WHERE target = '浙F12345' ORDER BY id") == [
        {"actor": "warden", "action": "visitor_pass"}, {"actor": "warden", "action": "visitor_pass_end"}]
    again = post(c["warden"], "/registry/visitor/end", plate="浙F12345")
    assert again.status_code == 400 and "浙F12345 没有访客通行证" in again.text


def test_the_hubs_clock_ends_a_pass_and_the_gates_learn_it_without_anyone_doing_anything(site):
    hub, c, spy = site
    post(c["warden"], "/registry/visitor", plate="浙H11111", household="1-101", tag="eid:loaner-5", hours="1")
    allowlisted(spy, "eid:loaner-5")
    hub.clock.advance(timedelta(minutes=61))
    spy.wait_for(lambda s: "eid:loaner-5" not in [e["tag"] for e in s.seen[-1].json()["entries"]])
    wait_until(lambda: rows(hub, "SELECT ended_by FROM visitor_passes WHERE plate = '浙H11111'") == [  # committed
        {"ended_by": "expired"}])  # just after the publish
    assert rows(hub, "SELECT count(*) AS n FROM vehicles WHERE plate = '浙H11111'") == [{"n": 0}]


def test_passages_name_the_visitor_who_held_the_loaner_tag_then(site):
    hub, c, _ = site
    now = hub.clock.now()
    post(c["warden"], "/registry/visitor", plate="浙G11111", household="1-101", tag="eid:loaner-7", hours="1")
    passage(hub, 1, now + timedelta(minutes=5), "eid:loaner-7")
    hub.clock.advance(timedelta(hours=2))  # the pass expired by the hub's clock: the tag is free again
    assert post(c["warden"], "/registry/visitor", plate="浙G22222", household="3-303", tag="eid:loaner-7",
                hours="1").status_code == 303
    page = c["warden"].get("/passages").text
    shown = "浙G·11111</td>"  # a plate as the Passages page writes it (hub.core.tagtext.short_tag)
    assert shown in page
    assert shown in c["warden"].get(f"/passages?plate={quote('浙G11111')}").text  # found by its plate
    assert shown not in c["warden"].get(f"/passages?plate={quote('浙G22222')}").text  # not the next holder's


def test_a_loaner_tags_passage_outside_every_pass_names_nobody_not_its_next_holder(site):
    hub, c, _ = site
    now = hub.clock.now()
    post(c["warden"], "/registry/visitor", plate="浙G33333", household="1-101", tag="eid:loaner-8", hours="1")
    passage(hub, 2, now - timedelta(minutes=30), "eid:loaner-8", "unknown_tag")  # before any pass
    hub.clock.advance(timedelta(minutes=10))
    assert post(c["warden"], "/registry/visitor/end", plate="浙G33333").status_code == 303
    passage(hub, 3, now + timedelta(minutes=15), "eid:loaner-8", "unknown_tag")  # the visitor left with the tag
    hub.clock.advance(timedelta(minutes=20))
    assert post(c["warden"], "/registry/visitor", plate="浙G44444", household="5-505", tag="eid:loaner-8",
                hours="1").status_code == 303
    passage(hub, 4, now + timedelta(minutes=40), "eid:loaner-8")
    export = c["committee"].get("/passages.csv").content.decode("utf-8-sig")
    shown = [row[3:5] for row in csv.reader(io.StringIO(export)) if "loaner-8" in row[3] or "浙G44444" in row[3]]
    assert shown == [["浙G44444", "5-505"], ["eid:loaner-8", ""], ["eid:loaner-8", ""]]  # newest first
    assert c["warden"].get("/passages").text.count("浙G·44444</td>") == 1


def passage(hub, seq, ts, tag, reason="allowlisted"):
    hub.writer.call(lambda db: db.execute(
        "INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES "
        "(?, 's', 'gate-1', ?, 'passage', ?, '', ?)", [f"pass-{seq}", seq, stored_ts(ts), json.dumps(
            {"lane": "in-1", "direction": "in", "tag": tag, "decision": "open" if reason == "allowlisted" else "deny",
             "reason": reason, "passed": reason == "allowlisted"})]))


def test_tag_health_page_and_the_monthly_report(site):
    hub, c, _ = site
    hub.clock.advance(timedelta(days=20))
    for role in c:  # the sessions ran out meanwhile
        login(c[role], role)
    page = c["committee"].get("/registry/health")
    assert page.status_code == 200 and TAG.format(1) in page.text and "电池电压" in page.text
    assert c["warden"].get("/registry/health").status_code == 403
    month = hub.clock.now().strftime("%Y-%m")
    report = c["committee"].get(f"/report?month={month}").text
    assert 'id="report-tag-health"' in report and TAG.format(1) in report
    assert "标签健康" in c["committee"].get(f"/report.csv?month={month}").content.decode("utf-8-sig")


def test_battery_voltages_from_the_edges_with_the_low_ones_flagged(site, broker):
    """``battery_mv`` of presence and passage events (docs/contract.md, an addition) is kept per tag,
    newest reading wins, shown on Tag health and, when low, in the monthly report."""
    hub, c, _ = site
    for n, plate in ((7, "浙B77777"), (8, "浙B88888")):
        assert post(c["committee"], "/registry/vehicle", plate=plate, household="9-1-101", owner="", mobile="",
                    note="", tag=TAG.format(n)).status_code == 303
    now, site_id = hub.clock.now(), hub.config.site.id
    with Publisher(broker.port) as pub:
        pub.event(site_id, "lane-b", "presence", 1, tag=TAG.format(7), battery_mv=2950, at=now - timedelta(hours=2))
        pub.event(site_id, "lane-b", "presence", 2, tag=TAG.format(7), battery_mv=2450, at=now - timedelta(hours=1))
        pub.event(site_id, "lane-b", "presence", 3, tag=TAG.format(7), battery_mv=3100,  # older, arriving late
                  at=now - timedelta(hours=3))
        pub.event(site_id, "gate-b", "passage", 1, tag=TAG.format(8), battery_mv=2980, at=now - timedelta(hours=1))
    wait_until(lambda: len(rows(hub, "SELECT tag FROM tag_battery")) == 2 and rows(
        hub, "SELECT count(*) AS n FROM events WHERE device = 'lane-b'")[0]["n"] == 3)
    page = c["committee"].get("/registry/health").text
    table = page.split('id="tag-batteries"', 1)[1].split("</table>", 1)[0]
    low, fine = table.split("<tr", 2)[2].split("<tr", 1)[0], table.split("<tr")[3]
    assert TAG.format(7) in low and "2.45 V" in low and "电量低" in low  # lowest first, flagged
    assert TAG.format(8) in fine and "2.98 V" in fine and "电量低" not in fine
    assert "2.60" in page  # the threshold is told
    month = now.strftime("%Y-%m")
    report = c["committee"].get(f"/report?month={month}").text.split('id="report-tag-battery"', 1)[1]
    assert TAG.format(7) in report and TAG.format(8) not in report.split("</section>", 1)[0]
    assert "电池电量低" in c["committee"].get(f"/report.csv?month={month}").content.decode("utf-8-sig")
