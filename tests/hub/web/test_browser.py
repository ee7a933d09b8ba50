"""A real browser (Debian's Chromium through Playwright) against a real hub on a loopback port:
log in, filter violations, excuse one, import a CSV, use the site on a phone (390×844): the 7 a.m.
list with tel: links, why the gate did not open, a visitor pass by plate, swapping a shift, changing one's password, importing
the registry with its preview and confirming.  One hub and one Chromium for the module.  Saves the
screenshots docs/web.md and the Chinese manuals show, from the Chinese interface of a compound with
a Chinese name (a CJK font is needed: Debian's fonts-wqy-microhei)."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hub.alerts import roster
from hub.core.db import open_reader
from hub.registry import store

from tests.support.browser import chromium
from tests.support.hubrun import rows
from tests.support.webhub import add_user, web_hub

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "docs/img"
TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:{}"
PASSWORD = "correct horse 1"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}


def seed(db):
    for i in range(12):
        state = "open" if i % 3 else "resolved"
        db.execute("INSERT INTO violations (id, key, rule, deadline, plate, household, zone, state, provisional, "
                   "evidence, ts, created_at, updated_at) VALUES (?, ?, 'overnight', ?, ?, ?, 'east-strip', ?, 0, '[]', "
                   "?, 'x', 'x')", [f"v-{i:02d}", f"k{i}", f"2026-03-0{1 + i % 3}T00:00:00.000+00:00",
                                    f"浙A1234{i % 4}", f"{i % 4 + 1}-10{i % 2 + 1}", state,
                                    f"2026-03-0{1 + i % 3}T00:00:00.000+00:00"])


@pytest.fixture(scope="module")
def hub(tmp_path_factory, broker):
    hub = web_hub(tmp_path_factory.mktemp("browser"), broker, web={"default_lang": "zh"},
                  overrides={"site": {"name": "平安里小区", "spaces": 102},
                             "zones": [{"name": "east-strip", "kind": "night", "label": "东侧临时停车带"}]})
    add_user(hub, "laoli", "committee")
    add_user(hub, "xiaozhang", "warden")
    add_user(hub, "xiaowang", "warden")
    hub.writer.call(seed)
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def log_in(page, base: str, name: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


@contextmanager
def phone(hub, browser, name: str, password: str = PASSWORD):
    """A page on a 390×844 phone, logged in as ``name``."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, f"http://127.0.0.1:{hub.web_port}", name, password)
    try:
        yield page
    finally:
        context.close()


def fits(page) -> bool:
    """No sideways scrolling on the phone."""
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_committee_filters_violations_excuses_one_and_imports_a_csv(hub, browser, tmp_path):
    base = f"http://127.0.0.1:{hub.web_port}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1100, "height": 720})
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, base, "laoli")
    page.click("nav.wide >> text=违规记录")
    page.select_option("select[name=state]", "open")
    page.fill("input[name=plate]", "12341")
    page.click("#violation-filters button")
    page.wait_for_url("**/violations?*state=open*")
    plates = page.locator("#violations tr td:nth-child(2)").all_inner_texts()
    assert plates and set(plates) == {"浙A12341"}
    page.screenshot(path=str(SHOTS / "violations.png"))
    page.locator("#violations tr td a").first.click()
    page.fill("#excuse-form input[name=reason]", "送邻居去医院")
    page.click("#excuse-form button")
    page.wait_for_selector("text=送邻居去医院")
    assert page.locator("h1 .badge").inner_text() == "已豁免"
    page.screenshot(path=str(SHOTS / "violation-excused.png"))

    csv_file = tmp_path / "registry.csv"
    csv_file.write_text(f"车牌,房号,车主,标签\n浙A12340,1-101,王建华,{TAG.format(1)}\n浙A12341,2-102,李秀英,{TAG.format(2)}\n",
                        encoding="utf-8-sig")
    page.goto(f"{base}/registry")
    page.set_input_files("input[type=file]", str(csv_file))
    page.click("form[action='/registry/import'] button")
    page.wait_for_selector("#import-preview")
    assert "+ 浙A12340" in page.inner_text("#import-preview")
    page.screenshot(path=str(SHOTS / "registry-preview.png"))
    page.click("form[action='/registry/import/confirm'] button")
    page.wait_for_selector("#import-summary")
    assert "2 辆车" in page.inner_text("#import-summary")
    assert "蓝牙标签 …1:1" in page.inner_text("table")          # tags short, the full id on hover
    page.screenshot(path=str(SHOTS / "registry-import.png"))
    context.close()
    assert rows(hub, "SELECT state FROM violations WHERE reason = '送邻居去医院'") == [{"state": "excused"}]
    assert rows(hub, "SELECT count(*) AS n FROM vehicles") == [{"n": 2}]


def test_a_warden_on_a_phone(hub, browser):
    base = f"http://127.0.0.1:{hub.web_port}"
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, base, "xiaozhang")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    page.fill("#register-stay input[name=plate]", "浙A12342")
    page.select_option("#register-stay select[name=zone]", "east-strip")
    page.click("#register-stay button")
    page.wait_for_selector("#stays >> text=浙A12342")
    assert "东侧临时停车带" in page.inner_text("#stays")
    page.screenshot(path=str(SHOTS / "phone-today.png"))
    page.click("summary")  # the menu opens on a phone
    page.click(".menu >> text=违规记录")
    page.wait_for_url(f"{base}/violations")
    assert page.evaluate("document.querySelector('.table-wrap').scrollWidth > 0")
    page.click("summary")
    page.screenshot(path=str(SHOTS / "phone-menu.png"))
    context.close()


def test_the_7am_list_on_a_phone_calls_the_owner(hub, browser):
    hub.writer.call(lambda db: store.save_vehicle(db, "浙A55555", household="3-303", mobile="13800005555",
                                                  at=hub.clock.now()))
    with phone(hub, browser, "xiaozhang") as page:  # the hub's clock: 07:00 in Shanghai
        page.fill("#register-stay input[name=plate]", "浙A55555")
        page.select_option("#register-stay select[name=zone]", "east-strip")
        page.click("#register-stay button")
        stay = page.locator("#stays .stay", has_text="浙A55555")
        stay.wait_for()
        assert stay.locator("a[href='tel:13800005555']").is_visible()
        assert stay.locator(".plate").evaluate("e => e.getClientRects().length") == 1  # the plate never wraps
        assert page.evaluate("document.querySelector('#stays').compareDocumentPosition("
                             "document.querySelector('#occupancy')) & Node.DOCUMENT_POSITION_FOLLOWING")
        assert fits(page)


def test_a_warden_on_a_phone_reads_why_the_gate_did_not_open(hub, browser):
    """A resident was refused at 07:02 because the lane could not tell whose tag it heard: the
    Passages page says so in Chinese, names the car by its plate, and fits the phone."""
    tag = TAG.format(606)
    evidence = {"ambiguous": True, "tags": [{"tag": tag, "rssi": -61, "rise_db": 3, "before_s": 240.0,
                                             "lane_margin_db": 10, "why_not": "parked"}]}
    refused = {"id": "p-ev", "ts": "2026-03-03T23:02:00.000+00:00", "seq": 1, "lane": "north-in", "direction": "in",
               "tag": None, "rssi": None, "decision": "deny", "reason": "no_tag", "passed": False, "evidence": evidence}
    opened = {**refused, "id": "p-by", "ts": "2026-03-03T23:03:10.000+00:00", "seq": 2, "decision": "open",
              "reason": "remote", "passed": True, "by": "xiaozhang", "note": "核实是5-505的车", "evidence": None}

    def add(db):
        store.save_vehicle(db, "浙A60606", household="5-505", mobile="13800006060", at=hub.clock.now())
        db.execute("INSERT INTO tags (tag, plate, kind, strength, added_at) VALUES (?, '浙A60606', 'ibeacon', "
                   "'static', '2026-03-01T00:00:00.000+00:00')", [tag])
        for body in (refused, opened):
            db.execute("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES "
                       "(?, 's', 'gate-n', ?, 'passage', ?, '', ?)", [body["id"], 900 + body["seq"], body["ts"],
                                                                     json.dumps(body)])
    hub.writer.call(add)
    with phone(hub, browser, "xiaozhang") as page:
        page.goto(f"http://127.0.0.1:{hub.web_port}/passages")
        why = page.locator(".evidence", has_text="不能确定是这辆车的")
        assert "浙A·60606：信号 -61 dBm" in why.inner_text() and "停在闸口附近的车" in why.inner_text()
        assert "xiaozhang开闸，理由：核实是5-505的车" in page.inner_text("table")
        assert fits(page)
        page.screenshot(path=str(SHOTS / "phone-passages.png"))


def test_a_visitor_pass_by_plate_from_a_phone(hub, browser):
    with phone(hub, browser, "xiaozhang") as page:
        page.click("summary")
        page.click(".menu >> text=住户车辆")
        form = page.locator("form[action='/registry/visitor']")
        form.locator("input[name=plate]").fill("浙C77777")
        form.locator("input[name=household]").fill("2-202")
        form.locator("input[name=hours]").fill("4")
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()
    assert rows(hub, "SELECT tag, expires IS NOT NULL AS expires FROM tags WHERE plate = '浙C77777'") == [
        {"tag": "plate:浙C77777", "expires": 1}]


def test_a_warden_swaps_a_shift_from_a_phone(hub, browser):
    hub.writer.call(lambda db: roster.replace_all(db, [
        roster.Entry("xiaozhang", "13800001111", day="tue", start="20:00", end="08:00"),
        roster.Entry("Li Si", "13900002222", day="thu", start="20:00", end="08:00")]))
    theirs = rows(hub, "SELECT id FROM duty_roster WHERE name = 'Li Si'")[0]["id"]
    with phone(hub, browser, "xiaozhang") as page:
        assert "03-03 周二 20:00–08:00" in page.inner_text("#my-shift")  # on Today: tonight
        page.goto(f"http://127.0.0.1:{hub.web_port}/roster")
        page.select_option("#swap select[name=second]", str(theirs))
        page.click("#swap button")
        page.wait_for_selector("#roster-done")
        assert "03-05 周四 20:00–08:00" in page.inner_text("#my-shift")
        assert "xiaozhang 办理换班：xiaozhang（原 周二 20:00–08:00）" in page.inner_text("#recent-swaps")
        assert fits(page)
        page.screenshot(path=str(SHOTS / "phone-roster.png"), full_page=True)
    db = open_reader(hub.db_path)
    try:  # the escalation mentions whoever the roster names now: tonight that is Li Si
        tonight = datetime(2026, 3, 3, 22, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        assert [e.name for e in roster.audience(roster.load(db), tonight, "warden")] == ["Li Si"]
    finally:
        db.conn.close()


def test_a_warden_changes_their_password_from_a_phone(hub, browser):
    new = "a new one 2026"
    with phone(hub, browser, "xiaowang") as page:
        page.click("summary")
        page.click(".menu >> text=我的账号")
        page.fill("#change-password input[name=current]", PASSWORD)
        page.fill("#change-password input[name=new]", new)
        page.fill("#change-password input[name=again]", new)
        page.click("#change-password button")
        page.wait_for_selector("#pw-done")
    with phone(hub, browser, "xiaowang", new) as page:  # logs in with the new one
        assert page.url.endswith("/")


def test_the_committee_imports_the_registry_from_a_phone(hub, browser, tmp_path):
    """The preview of what changes, ticking the removal box and confirming, all on 390 px."""
    sheet = tmp_path / "住户车辆.csv"
    sheet.write_text("序号,车牌号,房号,车主姓名,标签\n"
                     f"1,浙A12340,1-101,王建华,{TAG.format(1)}\n2,浙A12341,2-102,李秀英,{TAG.format(2)}\n"
                     f"3,浙A66666,6-606,赵六,{TAG.format(6)}\n", encoding="gb18030")
    with phone(hub, browser, "laoli") as page:
        page.goto(f"http://127.0.0.1:{hub.web_port}/registry")
        page.set_input_files("input[type=file]", str(sheet))
        page.click("form[action='/registry/import'] button")
        preview = page.locator("#import-preview")
        preview.wait_for()
        assert "+ 浙A66666" in preview.inner_text() and "浙A55555" in preview.inner_text()  # added, removed
        assert fits(page)
        page.check("input[name=removals]")  # removing a car is asked first
        page.click("form[action='/registry/import/confirm'] button")
        page.wait_for_selector("#import-summary")
        assert fits(page)
    plates = {r["plate"] for r in rows(hub, "SELECT plate FROM vehicles WHERE visitor = 0")}
    assert plates == {"浙A12340", "浙A12341", "浙A66666"}
