"""The pages do what the warden and the committee need: actions reach the right area, are audited,
show in the site's time zone and language, and bad input changes nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gwcommon import catalogue, wire
from hub.overnight import diary
from hub.web import charts, i18n
from tests.support.hubrun import rows
from tests.support.mqttspy import Spy
from tests.support.webhub import add_user, csrf_of, login, web_hub

TEMPLATES = Path(__file__).resolve().parents[3] / "hub/web/templates"
TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:{}"
GOOD_CSV = f"车牌,房号,车主,手机,标签\n浙A12345,1-101,张三,13800001111,{TAG.format(1)}\n浙B12345,2-202,李四,,{TAG.format(2)}\n"
BAD_CSV = "车牌,房号,标签\n浙A1,1-101,\n浙C12345,,\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory, broker):
    hub = web_hub(tmp_path_factory.mktemp("web-pages"), broker,
                  overrides={"zones": [{"name": "east-strip", "kind": "night", "label": "东侧夜停带"}],
                             "devices": [{"id": "lane-e", "label": "东侧车道扫描"}, {"id": "gate-n", "label": "北门道闸"}],
                             "gate_lanes": [{"device": "gate-n", "lane": "north-in", "label": "北门入口"}],
                             "circuits": [{"name": "shed-a", "label": "1号充电回路"}]})
    for role in ("viewer", "warden", "committee", "admin"):
        add_user(hub, role, role)
    clients = {}
    for role in ("viewer", "warden", "committee", "admin"):
        clients[role] = TestClient(hub.web)
        login(clients[role], role)
    yield hub, clients
    hub.stop()


def post(client, path, **data):
    return client.post(path, data={**data, "csrf": csrf_of(client)}, follow_redirects=False)


def test_registry_import_reports_every_bad_row_and_changes_nothing_then_imports(site):
    hub, c = site
    bad = c["committee"].post("/registry/import", data={"csrf": csrf_of(c["committee"])},
                              files={"file": ("r.csv", BAD_CSV.encode("gb18030"), "text/csv")})
    assert bad.status_code == 400
    problems = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td>", bad.text)
    assert problems == [("2", "车牌“浙A1”有 3 个字符（普通车牌 7 个，新能源车牌 8 个）"), ("3", "房号没有填")]
    english = TestClient(hub.web, cookies={**c["committee"].cookies, "gw_lang": "en"}).post(
        "/registry/import", data={"csrf": csrf_of(c["committee"])},
        files={"file": ("r.csv", BAD_CSV.encode("gb18030"), "text/csv")})
    assert re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td>", english.text) == [
        ("2", "plate &#39;浙A1&#39; has 3 characters (7, or 8 for new-energy plates)"), ("3", "household (房号) is missing")]
    assert rows(hub, "SELECT count(*) AS n FROM vehicles") == [{"n": 0}]
    preview = c["committee"].post("/registry/import", data={"csrf": csrf_of(c["committee"])},
                                  files={"file": ("r.csv", GOOD_CSV.encode("utf-8-sig"), "text/csv")})
    assert preview.status_code == 200 and "导入预览" in preview.text and "+ 浙B12345" in preview.text
    assert rows(hub, "SELECT count(*) AS n FROM vehicles") == [{"n": 0}]  # nothing yet
    token = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)
    assert post(c["warden"], "/registry/import/confirm", token=token).status_code == 403
    good = post(c["committee"], "/registry/import/confirm", token=token)
    assert good.status_code == 200 and "2 辆车" in good.text
    assert post(c["committee"], "/registry/import/confirm", token=token).status_code == 400  # used once
    assert rows(hub, "SELECT action, target FROM web_audit WHERE action = 'registry_import'") == [
        {"action": "registry_import", "target": "r.csv"}]
    export = c["warden"].get("/registry/export.csv")
    assert export.content.startswith("\ufeff车牌".encode()) and "浙B12345" in export.content.decode("utf-8-sig")


def test_a_web_import_that_removes_vehicles_needs_its_own_tick(site):
    hub, c = site
    upload = {"file": ("r.csv", GOOD_CSV.encode("utf-8-sig"), "text/csv")}
    first = c["committee"].post("/registry/import", data={"csrf": csrf_of(c["committee"])}, files=upload)
    token = re.search(r'name="token" value="([^"]+)"', first.text)
    if token:  # the registry may already match (an earlier test imported it)
        post(c["committee"], "/registry/import/confirm", token=token.group(1))
    before = rows(hub, "SELECT count(*) AS n FROM vehicles")[0]["n"]
    header_only = c["committee"].post("/registry/import", data={"csrf": csrf_of(c["committee"])},
                                      files={"file": ("empty.csv", GOOD_CSV.splitlines()[0].encode(), "text/csv")})
    assert header_only.status_code == 200 and f"删除 {before} 辆" in header_only.text
    assert 'name="removals"' in header_only.text
    token = re.search(r'name="token" value="([^"]+)"', header_only.text).group(1)
    refused = post(c["committee"], "/registry/import/confirm", token=token)
    assert refused.status_code == 400 and "请勾选确认" in refused.text
    assert rows(hub, "SELECT count(*) AS n FROM vehicles") == [{"n": before}]


def test_a_warden_cannot_import_but_can_issue_a_visitor_pass_and_revoke(site):
    hub, c = site
    assert c["warden"].post("/registry/import", data={"csrf": csrf_of(c["warden"])},
                            files={"file": ("r.csv", GOOD_CSV.encode(), "text/csv")}).status_code == 403
    assert post(c["warden"], "/registry/visitor", plate="浙D12345", household="1-101", tag=TAG.format(9),
                hours="2").status_code == 303
    expires = rows(hub, "SELECT expires FROM tags WHERE tag = ?", [TAG.format(9)])[0]["expires"]
    assert expires == "2026-03-03T01:00:00.000+00:00"
    assert post(c["warden"], "/registry/tags/revoke", tag=TAG.format(9), revoked="1").status_code == 303
    assert post(c["warden"], "/registry/tags/revoke", tag=TAG.format(9), revoked="0").status_code == 400
    assert post(c["committee"], "/registry/tags/revoke", tag=TAG.format(9), revoked="0").status_code == 303


def test_register_and_clear_an_off_space_car_from_today(site):
    hub, c = site
    assert post(c["warden"], "/stays", op="register", plate="浙a·12345", zone="east-strip").status_code == 303
    today = c["warden"].get("/").text
    assert "浙A12345" in re.search(r'id="stays".*?</section>', today, re.S).group(0)
    assert "浙A·1**45" in re.search(r'id="stays".*?</section>', c["viewer"].get("/").text, re.S).group(0)  # masked
    hub.clock.advance(1)  # the clearance comes after the registration
    assert post(c["warden"], "/stays", op="clear", plate="浙A12345", zone="east-strip").status_code == 303
    assert "浙A12345" not in re.search(r'id="stays".*?</section>', c["warden"].get("/").text, re.S).group(0)
    actions = [r["action"] for r in rows(hub, "SELECT action FROM web_audit WHERE action LIKE 'stay_%' ORDER BY id")]
    assert actions == ["stay_register", "stay_clear"]
    diary_page = c["warden"].get("/diary", params={"kind": "registration"}).text  # the zone by its label
    assert "登记夜间临时停放：浙A12345（东侧夜停带）" in diary_page and "east-strip" not in diary_page.split("<table")[-1]
    english = c["warden"].get("/diary", params={"kind": "registration"}, cookies={"gw_lang": "en"}).text
    assert "东侧夜停带" in english  # a label is a name: it stays as the committee wrote it
    assert post(c["warden"], "/stays", op="register", plate="not a plate").status_code == 400


def insert_violation(hub, vid: str, plate: str | None = "浙A12345"):
    hub.writer.call(lambda db: db.execute(
        "INSERT INTO violations (id, key, rule, deadline, plate, household, zone, state, provisional, evidence, ts, "
        "created_at, updated_at) VALUES (?, ?, 'overnight', '2026-03-03T00:00:00.000+00:00', ?, '1-101', "
        "'east-strip', 'open', 0, '[]', '2026-03-03T00:00:00.000+00:00', 'x', 'x')", [vid, vid, plate]))


def test_excuse_needs_a_reason_and_the_committee_and_lands_in_diary_and_audit(site):
    hub, c = site
    insert_violation(hub, "v-ex")
    assert post(c["warden"], "/violations/v-ex/excuse", reason="急诊").status_code == 403
    assert post(c["committee"], "/violations/v-ex/excuse", reason="  ").status_code == 400
    assert post(c["committee"], "/violations/v-ex/excuse", reason="送急诊").status_code == 303
    page = c["viewer"].get("/violations/v-ex").text
    assert "已豁免" in page and "送急诊" in page
    assert rows(hub, "SELECT state, reason, by FROM violations WHERE id = 'v-ex'") == [
        {"state": "excused", "reason": "送急诊", "by": "committee"}]
    assert rows(hub, "SELECT actor, detail FROM web_audit WHERE action = 'violation_excuse'") == [
        {"actor": "committee", "detail": '{"reason": "送急诊"}'}]
    again = post(c["committee"], "/violations/v-ex/excuse", reason="again")  # no longer open: said in Chinese
    assert again.status_code == 400 and "违规记录 v-ex 是“已豁免”，不是未处理" in again.text
    english = TestClient(hub.web, cookies={**c["committee"].cookies, "gw_lang": "en"})
    assert "violation v-ex is excused, not open" in post(english, "/violations/v-ex/excuse", reason="again").text


def test_resolve_and_identify(site):
    hub, c = site
    insert_violation(hub, "v-untagged", plate=None)
    assert post(c["warden"], "/violations/v-untagged/identify", plate="浙B·12345").status_code == 303
    assert post(c["warden"], "/violations/v-untagged/resolve", reason="已挪车").status_code == 303
    assert rows(hub, "SELECT plate, state FROM violations WHERE id = 'v-untagged'") == [
        {"plate": "浙B12345", "state": "resolved"}]
    filtered = c["viewer"].get("/violations", params={"state": "resolved", "plate": "B123"}).text
    assert "v-untagged" in filtered and "v-ex" not in filtered


def test_open_a_lane_remotely_publishes_a_command_and_audits_it(site, broker):
    hub, c = site
    hub.writer.call(lambda db: (
        db.execute("INSERT INTO devices (device, kind) VALUES ('gate-n', 'gate')"),
        db.execute("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES "
                   "('pp-1', 's', 'gate-n', 1, 'passage', '2026-03-02T22:00:00.000+00:00', '', ?)",
                   [json.dumps({"lane": "in-1", "direction": "in", "tag": None, "decision": "deny",
                                "reason": "no_tag", "passed": False})])))
    spy = Spy(broker.port, topics=(f"gatewarden/{hub.config.site.id}/gate-n/cmd",)).start()
    try:
        assert post(c["warden"], "/lanes/open", target="gate-n/in-1", reason="").status_code == 400
        assert post(c["warden"], "/lanes/open", target="gate-x/in-1", reason="救护车").status_code == 400
        assert post(c["warden"], "/lanes/open", target="gate-n/in-1", reason="救护车").status_code == 303
        seen = spy.wait_for(lambda s: s.seen)
    finally:
        spy.stop()
    command = wire.decode_payload("cmd", seen[0].payload)
    assert (command.op, command.lane, command.by, command.reason) == ("open", "in-1", "warden", "救护车")
    assert rows(hub, "SELECT target FROM web_audit WHERE action = 'lane_open'") == [{"target": "gate-n/in-1"}]
    assert post(c["warden"], "/lanes/open", target="gate-n/north-in", reason="救护车").status_code == 303
    audit = c["admin"].get("/audit").text
    assert '<span title="gate-n/north-in">北门入口</span>' in audit  # the lane by its label


def test_acknowledge_an_alert(site):
    hub, c = site
    alert_id = hub.writer.call(lambda db: db.execute(
        "INSERT INTO alerts (dedup_key, kind, severity, subject, created_at, state) VALUES "
        "('fl-1', 'fire_lane', 'safety', '消防通道', '2026-03-02T22:50:00.000+00:00', 'sent')").lastrowid)
    assert "占用消防通道" in c["viewer"].get("/").text
    assert f"/alerts/{alert_id}/ack" in c["warden"].get("/").text
    assert post(c["warden"], f"/alerts/{alert_id}/ack").status_code == 303
    assert rows(hub, "SELECT acked_by FROM alerts WHERE id = ?", [alert_id]) == [{"acked_by": "warden"}]
    assert f"/alerts/{alert_id}/ack" not in c["warden"].get("/").text
    assert post(c["warden"], "/alerts/99999/ack").status_code == 400


def test_snapshots_only_behind_a_login_and_only_inside_the_snapshot_dir(site, tmp_path):
    hub, c = site
    hub.snapshots_dir.joinpath("s-1.jpg").write_bytes(b"\xff\xd8jpeg\xff\xd9")
    hub.writer.call(lambda db: db.conn.executemany(
        "INSERT INTO snapshots (event_id, device, path, bytes, received_at) VALUES (?, 'gate-n', ?, 8, '')",
        [("s-1", "s-1.jpg"), ("s-evil", "../hub.db")]))
    assert c["viewer"].get("/snapshots/s-1").content.startswith(b"\xff\xd8")
    assert TestClient(hub.web).get("/snapshots/s-1", follow_redirects=False).status_code == 303
    assert c["viewer"].get("/snapshots/s-evil").status_code == 400
    assert c["viewer"].get("/snapshots/nothing").status_code == 404


def test_english_is_selectable_and_times_are_in_the_site_zone(site):
    hub, _ = site
    client = TestClient(hub.web)
    login(client, "viewer")
    assert "今日" in client.get("/").text and "03-03 07:00" in client.get("/").text  # 23:00 UTC = 07:00 Shanghai
    client.get("/lang?to=en")
    page = client.get("/").text
    assert "Today" in page and "今日" not in page.split("<main>")[1]


def test_monthly_report_counts_and_csv(site):
    hub, c = site
    page = c["committee"].get("/report", params={"month": "2026-03"}).text
    assert "<svg" in page and "浙A12345" not in page.split("多次违规车辆")[0][-10:]
    assert c["committee"].get("/report", params={"month": "2026-13"}).status_code == 400
    data = c["committee"].get("/report.csv", params={"month": "2026-03"}).content.decode("utf-8-sig")
    assert data.splitlines()[0] == "部分,项目,数量" and "每周违规（成立）" in data and "violations_per_week" not in data
    chinese = data
    english = TestClient(hub.web, cookies={**c["committee"].cookies, "gw_lang": "en"})
    data = english.get("/report.csv", params={"month": "2026-03"}).content.decode("utf-8-sig")
    assert data.splitlines()[0] == "Section,Item,Count" and "Violations per week (excused)" in data
    # month to month over the last 12 months, ending with the chosen month
    assert "每月违规（2025-04 至 2026-03）" in page and "充电棚每月用电量" in page and ">3月<" in page
    assert "每月违规（成立）,2026-03," in chinese and "充电棚每月用电量（kWh）,2025-04," in chinese


def test_devices_page_shows_skew_backlog_faults_and_chat_targets(site):
    hub, c = site
    hub.writer.call(lambda db: (
        db.execute("INSERT INTO devices (device, kind, status_online, last_seen, skew_ms, hb_outbox) VALUES "
                   "('lane-e', 'lane', 1, '2026-03-02T22:59:30.000+00:00', 3500, 12)"),
        db.execute("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES "
                   "('f-1', 's', 'lane-e', 5, 'fault', '2026-03-02T22:00:00.000+00:00', '', ?)",
                   [json.dumps({"code": "camera_unavailable", "active": True, "detail": "no /dev/video0"})]),
        db.execute("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES "
                   "('f-2', 's', 'shed', 5, 'fault', '2026-03-02T22:00:00.000+00:00', '', ?)",
                   [json.dumps({"code": "relay_fault", "active": True, "circuit": "shed-a", "detail": "shed-a: off: timeout"})]),
        db.execute("INSERT INTO alert_target_faults (target, code, detail, since, active) VALUES "
                   "('wecom-1', '93000', 'invalid webhook url', '2026-03-02T20:00:00.000+00:00', 1)")))
    page = c["viewer"].get("/devices").text
    for text in ("3.5 s", "12", "wecom-1", "invalid webhook url", "no /dev/video0"):
        assert text in page
    # the device by its label (the id beside it), the fault as a sentence that says what to do
    assert "东侧车道扫描" in page and 'title="lane-e"' in page
    assert "摄像头不可用" in page and "请安装维护人员检查摄像头的电源" in page
    assert ">camera_unavailable<" not in page
    assert "1号充电回路：继电器故障" in page and "请值班人员到充电棚看看" in page  # a charging fault: its circuit, its own advice
    english = c["viewer"].get("/devices", cookies={"gw_lang": "en"}).text
    assert "camera unavailable" in english and "Installer: check the camera" in english
    today = c["viewer"].get("/").text
    assert "东侧车道扫描：摄像头不可用" in today


def test_passages_show_lanes_by_label_and_tags_short_with_the_full_id_on_hover(site):
    hub, c = site
    body = {"lane": "north-in", "direction": "in", "decision": "open", "reason": "allowlisted", "tag": TAG.format(7)}
    plate = {**body, "tag": "plate:浙A77777"}
    hub.writer.call(lambda db: [db.execute(
        "INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES "
        "(?, 's', 'gate-n', ?, 'passage', '2026-03-02T21:00:00.000+00:00', '', ?)", [f"p-{n}", 100 + n, json.dumps(b)])
        for n, b in enumerate((body, plate))])
    page = c["viewer"].get("/passages?from=2026-03-02&to=2026-03-03").text
    assert "北门入口" in page and "蓝牙标签 …1:7" in page and f'title="{TAG.format(7)}"' in page
    assert "浙A·7**77" in page and "浙A77777" not in page      # a viewer reads plates masked
    assert "浙A·77777" in c["warden"].get("/passages?from=2026-03-02&to=2026-03-03").text


def test_passages_say_why_the_gate_did_not_open_and_who_opened_by_hand(site):
    """The lane's evidence (an ambiguous refusal, an open) and a person's open, in the reader's
    language, a nearby tag named by its car's plate (masked for a viewer), and in the export."""
    hub, c = site
    heard = TAG.format(81)
    hub.writer.call(lambda db: [
        db.execute("INSERT OR IGNORE INTO households (name, created_at) VALUES ('8-801', '2026-03-01T00:00:00.000+00:00')"),
        db.execute("INSERT INTO vehicles (plate, household, created_at, updated_at) VALUES "
                   "('浙A88881', '8-801', '2026-03-01T00:00:00.000+00:00', '2026-03-01T00:00:00.000+00:00')"),
        db.execute("INSERT INTO tags (tag, plate, kind, strength, added_at) VALUES "
                   "(?, '浙A88881', 'ibeacon', 'static', '2026-03-01T00:00:00.000+00:00')", [heard])])
    refused = {"lane": "north-in", "direction": "in", "decision": "deny", "reason": "no_tag", "tag": None,
               "passed": False, "evidence": {"ambiguous": True, "tags": [
                   {"tag": heard, "rssi": -60, "rise_db": 0, "before_s": 300.0, "why_not": "parked"},
                   {"tag": TAG.format(82), "rssi": -62, "rise_db": 11, "before_s": -2.5, "lane_margin_db": 9,
                    "why_not": "late"}]}}
    opened = {"lane": "north-in", "direction": "in", "decision": "open", "reason": "allowlisted", "tag": heard,
              "passed": True, "evidence": {"tags": [{"tag": heard, "rssi": -56, "rise_db": 24, "before_s": 5.8,
                                                      "lane_margin_db": 12}]}}
    by_hand = {"lane": "north-in", "direction": "in", "decision": "open", "reason": "manual", "tag": None,
               "passed": True, "by": "booth", "note": "送货车"}
    for n, body in enumerate((refused, opened, by_hand)):
        wire.decode_payload("passage", json.dumps({"id": f"e-{n}", "ts": "2026-03-04T21:00:00.000+00:00", "seq": 1,
                                                   **body}))  # what the gate sends is valid
    hub.writer.call(lambda db: [db.execute(
        "INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES "
        f"(?, 's', 'gate-n', ?, 'passage', '2026-03-04T21:00:0{n}.000+00:00', '', ?)", [f"ev-{n}", 200 + n, json.dumps(b)])
        for n, b in enumerate((refused, opened, by_hand))])
    window = "/passages?from=2026-03-04&to=2026-03-05"
    page = c["warden"].get(window).text
    assert ("附近听到标签，但不能确定是这辆车的，道闸没有自动放行（请核实后人工放行）："
            "浙A·88881：信号 -60 dBm，上升 +0 dB，车到前 300 秒开始听到（停在闸口附近的车）；"
            "蓝牙标签 …1:82：信号 -62 dBm，上升 +11 dB，车到后 2.5 秒才听到，本车道比另一车道强 +9 dB（车到后才听到）") in page
    assert "依据：浙A·88881：信号 -56 dBm，上升 +24 dB，车到前 5.8 秒开始听到，本车道比另一车道强 +12 dB" in page
    assert "岗亭按钮开闸，理由：送货车" in page
    viewer = c["viewer"].get(window).text
    assert "浙A·8**81：信号 -60 dBm" in viewer and "浙A88881" not in viewer and "浙A·88881" not in viewer
    english = c["warden"].get(window, cookies={"gw_lang": "en"}).text
    assert "could not tell it was this car&#39;s" in english and "(a car parked near the gate)" in english
    assert "opened by the booth button: 送货车" in english
    export = c["committee"].get(window.replace("/passages", "/passages.csv")).content.decode("utf-8-sig")
    assert export.splitlines()[0].endswith(",原因,详情") and "岗亭按钮开闸，理由：送货车" in export
    assert "浙A·88881：信号 -60 dBm" in export


def test_a_viewer_reads_plates_masked_in_a_persons_reason_on_the_page_and_in_the_api(site):
    """A plate typed into the reason of a remote open: masked for a viewer on the Passages page and
    in /api/passages alike (the same session), as typed for a warden and in the committee's export."""
    hub, c = site
    body = {"lane": "north-in", "direction": "in", "decision": "open", "reason": "remote", "tag": "plate:浙A66661",
            "passed": True, "by": "老李", "note": "浙a·66662 是访客，跟着苏E D12345 进来"}
    wire.decode_payload("passage", json.dumps({"id": "e-r", "ts": "2026-03-06T21:00:00.000+00:00", "seq": 1, **body}))
    hub.writer.call(lambda db: db.execute(
        "INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES "
        "('ev-r', 's', 'gate-n', 300, 'passage', '2026-03-06T21:00:00.000+00:00', '', ?)", [json.dumps(body)]))
    window = "?from=2026-03-06&to=2026-03-07"
    said = "老李开闸，理由：浙A·6**62 是访客，跟着苏E·D***45 进来"
    viewer = c["viewer"].get("/passages" + window).text
    assert said in viewer and "浙A·6**61" in viewer
    assert not re.search(r"66661|66662|D12345", viewer)
    item, = c["viewer"].get("/api/passages" + window).json()["items"]
    assert (item["plate"], item["tag"], item["by"]) == ("浙A·6**61", "plate:浙A·6**61", "老李")
    assert "理由：" + item["note"] in said
    typed = "老李开闸，理由：浙a·66662 是访客，跟着苏E D12345 进来"
    assert typed in c["warden"].get("/passages" + window).text
    assert c["warden"].get("/api/passages" + window).json()["items"][0]["note"] == body["note"]
    assert typed in c["committee"].get("/passages.csv" + window).content.decode("utf-8-sig")


def test_every_word_the_templates_use_is_in_both_languages():
    keys = set()
    for path in TEMPLATES.glob("*.html"):
        keys |= set(re.findall(r'_\("([a-z_]+\.[a-z_0-9]+)"', path.read_text(encoding="utf-8")))
    dynamic = {"state": ("open", "resolved", "retracted", "excused"), "rule": ("overnight", "fire_lane"),
               "role": ("viewer", "warden", "committee", "admin"), "kind": ("gate", "lane", "charging"),
               "reason": wire.Passage.model_fields["reason"].annotation.__args__,
               "w": ("in", "out", "open", "deny"), "error": ("400", "401", "403", "404", "429", "503"),
               "diary": diary.KINDS, "al": __import__("hub.alerts.outbox", fromlist=["KINDS"]).KINDS,
               "calkind": ("working", "weekend", "holiday", "makeup", "override_working", "override_holiday"),
                "wd": tuple("0123456"), "ros.done": ("added", "saved", "removed", "swapped"),
                "act": __import__("hub.web.audit", fromlist=["ACTIONS"]).ACTIONS}
    keys |= {f"{prefix}.{value}" for prefix, values in dynamic.items() for value in values}
    missing = sorted(k for k in keys if not catalogue.has(k))
    assert missing == []
    assert all(zh and en for zh, en in i18n.MESSAGES.values())


@pytest.mark.parametrize("value,expected", [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (120, 200), (501, 1000)])
def test_chart_axis_is_round(value, expected):
    assert charts.nice_max(value) == expected


def test_chart_escapes_labels():
    svg = charts.stacked_bars(["<b>", "w2"], [("<script>", [1, 2]), ("ok", [0, 3])], title="<i>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "<b>" not in svg
    assert svg.count("<rect") == 4 + 2  # bars + legend


def test_free_spaces_and_a_warden_count(site):
    hub, c = site
    bad = post(c["warden"], "/occupancy", inside="-3")
    assert bad.status_code == 400 and "inside：应不小于 0" in bad.text  # the page's language (Chinese)
    assert post(c["warden"], "/occupancy", inside="80").status_code == 303
    block = re.search(r'id="occupancy".*?</section>', c["viewer"].get("/").text, re.S).group(0)
    assert "22" in block and "/ 102" in block  # 102 spaces - 80 inside (none off-space)
    assert rows(hub, "SELECT inside, by FROM occupancy_counts") == [{"inside": 80, "by": "warden"}]


def test_charging_now_chart_and_incidents(site):
    hub, c = site
    hub.writer.call(lambda db: (
        db.execute("INSERT INTO charging_circuits (circuit, device, ts, received_at, power_w, current_a, loads) "
                   "VALUES ('shed-a', 'shed-1', '2026-03-02T22:59:00.000+00:00', '', 812.0, 3.7, 4)"),
        db.conn.executemany(
            "INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES (?, 's', 'shed-1', ?, "
            "'charging', ?, '', ?)",
            [(f"c-{i}", i + 1, f"2026-03-02T{12 + i}:00:00.000+00:00",
              json.dumps({"circuit": "shed-a", "power_w": 100.0 * i, "current_a": 0.5 * i, "loads": i}))
             for i in range(10)]),
        db.execute("INSERT INTO charging_incidents (circuit, rule, level, state, since, opened_at, updated_at, "
                   "message, alert_key) VALUES ('shed-a', 'overload', 'alarm', 'open', "
                   "'2026-03-02T21:00:00.000+00:00', '', '', '电流过大', 'k')")))
    page = c["viewer"].get("/charging").text
    assert "1号充电回路" in page and "812 W" in page and "<polyline" in page and "电流过大" in page
    assert c["viewer"].get("/charging", params={"day": "2026-03-02"}).status_code == 200
    assert c["viewer"].get("/charging", params={"day": "yesterday"}).status_code == 400
    state = c["viewer"].get("/api/charging").json()
    assert state["circuits"][0]["circuit"] == "shed-a" and state["open_incidents"] == 1
    report = c["committee"].get("/report", params={"month": "2026-03"}).text
    assert "充电异常" in report


def error_of(response) -> str:
    return re.search(r'<p class="error" role="alert">([^<]*)</p>', response.text).group(1)


@pytest.mark.parametrize("form,chinese,english", [
    ({"plate": "浙D1", "household": "1-101", "tag": TAG.format(20)},
     "车牌“浙D1”有 3 个字符（普通车牌 7 个，新能源车牌 8 个）", "plate &#39;浙D1&#39; has 3 characters"),
    ({"plate": "浙D12346", "household": " ", "tag": TAG.format(20)}, "房号没有填", "household (房号) is missing"),
    ({"plate": "浙D12346", "household": "1-101", "tag": "ibeacon:nope"},
     "标签“ibeacon:nope”不是有效的 iBeacon 编号", "tag id &#39;ibeacon:nope&#39; is not a valid ibeacon id"),
    ({"plate": "浙D12346", "household": "1-101", "tag": TAG.format(1)},
     f"标签 {TAG.format(1)} 已经绑定车辆 浙A12345", f"tag {TAG.format(1)} is already bound to vehicle 浙A12345"),
    ({"plate": "浙D12346", "household": "1-101", "tag": TAG.format(20), "hours": "0"},
     "有效小时数“0”不对：应是 1 到 744 的整数", "Valid for (hours) “0” must be a whole number from 1 to 744"),
])
def test_visitor_pass_refusals_in_the_page_language_change_nothing(site, form, chinese, english):
    hub, c = site
    before = rows(hub, "SELECT count(*) AS n FROM tags"), rows(hub, "SELECT count(*) AS n FROM vehicles")
    refused = post(c["warden"], "/registry/visitor", **form)
    assert refused.status_code == 400 and chinese in error_of(refused)
    en = TestClient(hub.web, cookies={**c["warden"].cookies, "gw_lang": "en"})
    assert english in error_of(post(en, "/registry/visitor", **form))
    assert (rows(hub, "SELECT count(*) AS n FROM tags"), rows(hub, "SELECT count(*) AS n FROM vehicles")) == before


def test_revoke_refusals_and_the_size_limit_in_chinese(site):
    hub, c = site
    unknown = post(c["warden"], "/registry/tags/revoke", tag=TAG.format(77), revoked="1")
    assert unknown.status_code == 400 and error_of(unknown) == f"标签 {TAG.format(77)} 没有登记"
    assert error_of(post(c["warden"], "/registry/tags/revoke", tag="wifi:1", revoked="1")).startswith(
        "标签“wifi:1”应以 ibeacon:、eddystone:、eid: 或 mac: 开头")
    big = c["committee"].post("/registry/import", data={"csrf": csrf_of(c["committee"])},
                              files={"file": ("r.csv", b"x" * (2 * 1024 * 1024 + 1), "text/csv")})
    assert big.status_code == 400 and error_of(big) == "文件超过 2 MB，这真的是登记表吗？"


def test_roster_import_problems_in_the_page_language(site):
    hub, c = site
    data = "姓名,手机,角色\n王五,1380000111,值班\n赵六,13900002222,队长\n".encode("gb18030")
    bad = c["committee"].post("/roster/import", data={"csrf": csrf_of(c["committee"])},
                              files={"file": ("roster.csv", data, "text/csv")})
    assert bad.status_code == 400
    assert re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td>", bad.text) == [
        ("2", "手机号 138… 不是 11 位的大陆手机号"), ("3", "角色“队长”不对：应是 值班 或 委员")]
    english = TestClient(hub.web, cookies={**c["committee"].cookies, "gw_lang": "en"}).post(
        "/roster/import", data={"csrf": csrf_of(c["committee"])}, files={"file": ("roster.csv", data, "text/csv")})
    assert re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td>", english.text)[1] == (
        "3", "角色/role &#39;队长&#39; is not 值班/warden or 委员/committee")
    assert rows(hub, "SELECT count(*) AS n FROM web_audit WHERE action = 'roster_import'") == [{"n": 0}]


def test_warden_action_refusals_in_chinese(site):
    _, c = site
    unnamed = post(c["warden"], "/stays", op="register")
    assert unnamed.status_code == 400 and error_of(unnamed) == "请写车牌，或者写区域和车位号"
    assert error_of(post(c["warden"], "/stays", op="register", plate="浙A12345", zone="west")) == \
        "区域“west”不是配置的区域（已配置：east-strip）"
    assert error_of(post(c["warden"], "/stays", op="park", plate="浙A12345")) == "操作只能是登记或已驶离。"
    assert error_of(post(c["warden"], "/violations/v-none/resolve", reason="x")) == "没有编号为 v-none 的违规记录"
    assert error_of(post(c["warden"], "/diary/notes", text="   ")) == "记录是空的"


def test_every_charging_rule_and_incident_state_has_words_in_both_languages():
    from hub.charging.rules import RULES

    for rule in RULES:
        assert catalogue.has(f"chg.rule.{rule}"), rule
    assert {"chg.state.open", "chg.state.closed"} <= set(catalogue.keys())


def test_a_bad_filter_or_form_value_is_refused_in_the_pages_language(site):
    hub, c = site
    page = c["warden"].get("/violations?from=2026-02-30")
    assert page.status_code == 400 and "不是一个真实的日期" in page.text
    english = TestClient(hub.web, cookies={**c["warden"].cookies, "gw_lang": "en"})
    assert "is not a real date" in english.get("/violations?from=2026-02-30").text
    assert "不是日期" in c["warden"].get("/diary?from=yesterday").text
    assert "is not a real date" in c["warden"].get("/api/violations?from=2026-02-30").json()["error"]  # scripts: English
