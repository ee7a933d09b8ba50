"""A real browser (Debian's Chromium through Playwright) against a real hub on a loopback port:
log in, filter violations, excuse one, import a CSV, use the site on a phone.  Saves the
screenshots docs/web.md and the Chinese manuals show, from the Chinese interface of a compound
with a Chinese name (a CJK font is needed: Debian's fonts-wqy-microhei)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import chromium
from tests.support.hubrun import rows
from tests.support.webhub import add_user, web_hub

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "docs/img"
TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:{}"


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
    hub.writer.call(seed)
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", "correct horse 1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


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
    context = browser.new_context(viewport={"width": 390, "height": 780}, device_scale_factor=1, is_mobile=True,
                                  has_touch=True)
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
