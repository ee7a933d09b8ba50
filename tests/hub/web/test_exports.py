"""Printing and exports for the committee: the diary prints every line of its range (streamed) with
the compound's name and the dates; CSV and Excel files of violations, diary, passages and charging
incidents carry headings in the reader's language, labels not ids, and formula-safe cells."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from hub.registry import csvfile, store
from hub.web import i18n
from tests.support.webhub import add_user, login, web_hub

TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:{}"
LINES = 1234  # more than the old printed cap of 1,000 and than two reading batches of 500
EVIL = '=HYPERLINK("http://x.example","点我")'


def ts(day: int, minute: int) -> str:
    return f"2026-03-0{day}T{minute // 60 % 24:02d}:{minute % 60:02d}:00.000+00:00"


def seed(db, now):
    db.conn.executemany("INSERT INTO diary (ts, kind, plate, household, zone, by, text) VALUES (?, 'note', ?, ?, 'east', ?, ?)",
                   [(ts(1 + i % 3, i // 3), "浙A12345" if i == 0 else None, "1-101" if i == 0 else None, "warden",
                     EVIL if i == 0 else f"第 {i} 条") for i in range(LINES)])
    for i, (plate, state) in enumerate((("浙A12345", "open"), (None, "resolved"), ("浙B12345", "excused"))):
        db.execute("INSERT INTO violations (id, key, rule, deadline, plate, household, zone, slot, state, provisional, "
                   "evidence, ts, created_at, updated_at, reason, by) VALUES (?, ?, 'overnight', ?, ?, '1-101', 'east', "
                   "'3', ?, ?, '[]', ?, 'x', 'x', ?, 'warden')",
                   [f"v-{i}", f"k{i}", ts(2, i), plate, state, i == 1, ts(2, i), "-1+1" if i == 2 else ""])
    store.replace_all(db, csvfile.parse(f"车牌,房号,标签\n浙A12345,1-101,{TAG.format(1)}\n".encode()), at=now)
    for i, tag in enumerate((TAG.format(1), TAG.format(9))):
        body = {"lane": "in-1", "direction": "in", "tag": tag, "decision": "open" if i == 0 else "deny",
                "reason": "allowlisted" if i == 0 else "unknown_tag", "passed": i == 0}
        db.execute("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES "
                   "(?, 's', 'gate-1', ?, 'passage', ?, '', ?)", [f"p-{i}", i, ts(2, 60 + i), json.dumps(body)])
    db.execute("INSERT INTO charging_incidents (circuit, rule, level, state, since, opened_at, updated_at, message, "
               "alert_key) VALUES ('shed-a', 'overload', 'alarm', 'closed', ?, ?, ?, '电流 18 A', 'a')",
               [ts(2, 5), ts(2, 5), ts(2, 9)])


@pytest.fixture(scope="module")
def site(tmp_path_factory, broker):
    hub = web_hub(tmp_path_factory.mktemp("exports"), broker,
                  areas=("hub.web.app", "hub.registry.area", "hub.overnight.area", "hub.charging.area"),
                  overrides={"zones": [{"name": "east", "kind": "night", "label": "东侧路边"}],
                             "gate_lanes": [{"device": "gate-1", "lane": "in-1", "label": "北门入口"}],
                             "circuits": [{"name": "shed-a", "label": "充电棚A路"}]})
    hub.writer.call(lambda db: seed(db, hub.clock.now()))
    add_user(hub, "laoli", "committee")
    client = TestClient(hub.web)
    login(client, "laoli")
    yield hub, client
    hub.stop()


def table(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel and WPS read Chinese right
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


RANGE = "from=2026-03-01&to=2026-03-04"


def test_the_printed_diary_has_every_line_the_compound_and_the_dates(site):
    _, client = site
    printed = client.get(f"/diary/print?{RANGE}").text
    assert "测试小区 · 巡查日记" in printed and "2026-03-01 至 2026-03-04" in printed
    assert printed.count("<tr><td>2026-03-") == LINES and f"完。共 {LINES} 条，全部列出。" in printed
    assert "第 1233 条" in printed
    # on the screen, 200 lines a page; the pages together hold every line once
    seen, url = [], f"/diary?{RANGE}"
    while url:
        page = client.get(url).text
        seen += re.findall(r"<td>(第 \d+ 条)</td>", page)
        found = re.search(r'href="([^"]+)" id="diary-next"', page)
        url = found.group(1).replace("&amp;", "&") if found else ""
    assert len(seen) == LINES - 1 == len(set(seen))  # all but the =HYPERLINK line, which has no 第


def test_diary_exports_csv_and_excel_in_the_readers_language(site):
    hub, client = site
    rows = table(client.get(f"/diary.csv?{RANGE}"))
    assert rows[0] == ["时间", "类别", "车牌", "房号", "区域", "详情", "操作人"]
    assert len(rows) == LINES + 1
    assert rows[1][1:6] == [i18n.text("zh", "diary.note"), "浙A12345", "1-101", "东侧路边", "'" + EVIL]  # a formula is shown as text
    assert len(table(client.get("/diary.csv?from=2026-03-02&to=2026-03-02"))) == 1 + LINES // 3
    english = TestClient(hub.web, cookies={**client.cookies, "gw_lang": "en"})
    assert table(english.get(f"/diary.csv?{RANGE}"))[0][:3] == ["Time", "Kind", "Plate"]
    response = client.get(f"/diary.xlsx?{RANGE}")
    assert response.headers["content-disposition"] == 'attachment; filename="diary_2026-03-01_2026-03-04.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "巡查日记" and sheet.max_row == LINES + 1
    first = sheet["F2"]
    assert (first.value, first.data_type) == (EVIL, "s")  # text, never a formula
    assert client.get("/diary.pdf").status_code == 404
    assert client.get("/diary.csv?from=2026-13-01").status_code == 400


def test_violations_passages_and_charging_incidents_with_labels(site):
    _, client = site
    violations = table(client.get(f"/violations.csv?{RANGE}"))
    assert violations[0] == ["截止", "规则", "车牌", "房号", "区域", "车位", "状态", "暂定", "原因", "操作人"]
    by_plate = {r[2]: r for r in violations[1:]}
    untagged = by_plate[i18n.text("zh", "vio.untagged")]
    assert untagged[1] == i18n.text("zh", "rule.overnight") and untagged[4] == "东侧路边"
    assert untagged[6] == i18n.text("zh", "state.resolved") and untagged[7] == "是"
    assert by_plate["浙B12345"][8] == "'-1+1"
    assert len(table(client.get(f"/violations.csv?{RANGE}&state=open"))) == 2
    passages = table(client.get(f"/passages.csv?{RANGE}"))
    assert passages[0] == ["时间", "车道", "方向", "车牌", "房号", "结果", "原因", "详情"]
    assert passages[2][1:] == ["北门入口", "进", "浙A12345", "1-101", i18n.text("zh", "w.open"),
                               i18n.text("zh", "reason.allowlisted"), ""]
    sheet = load_workbook(io.BytesIO(client.get(f"/charging/incidents.xlsx?{RANGE}").content)).active
    assert [c.value for c in sheet[2]][1:5] == ["充电棚A路", "充电过载", "已结束", "电流 18 A"]


def test_the_monthly_report_prints_its_dates(site):
    _, client = site
    assert "2026-03-01 至 2026-03-31" in client.get("/report?month=2026-03").text
