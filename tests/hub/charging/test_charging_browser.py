"""The charging page and the bill in a real browser (Debian's Chromium through Playwright): the
pictures are there, named in Chinese by label, fit a phone, and the bill prints without the forms.
Saves docs/img/charging.png from the Chinese interface (a CJK font is needed: fonts-wqy-microhei)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gwcommon.clock import FakeClock
from tests.support.chargingnight import CIRCUITS, DAY, START, night_of_events
from tests.support.browser import chromium
from tests.support.webhub import add_user, web_hub

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "docs/img"


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def started(tmp_path, broker, circuits, lang):
    site = {"name": "Pingan No.2" if lang == "en" else "平安里小区", "spaces": 102}
    hub = web_hub(tmp_path, broker, clock=FakeClock(START + timedelta(hours=20)), web={"default_lang": lang},
                  overrides={"site": site, "circuits": circuits, "rules": {"charging": {"tariff_yuan_per_kwh": 0.55}}},
                  areas=("hub.web.app", "hub.alerts", "hub.charging.area"))
    add_user(hub, "xiaozhang", "warden")
    hub.writer.call(night_of_events)
    return hub


def log_in(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", "xiaozhang")
    page.fill("input[name=password]", "correct horse 1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_the_charging_pictures_in_chinese_on_a_phone(tmp_path, broker, browser):
    hub = started(tmp_path, broker, CIRCUITS, "zh")
    try:
        base = f"http://127.0.0.1:{hub.web_port}"
        context = browser.new_context(viewport={"width": 390, "height": 780}, is_mobile=True, has_touch=True)
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, base)
        page.goto(f"{base}/charging?day={DAY}")
        assert page.locator("svg.chart").count() == 1 + len(CIRCUITS)
        legend = page.locator("svg.chart").first.locator("g.legend text").all_text_contents()
        assert legend == [c["label"] for c in CIRCUITS]
        assert page.locator("svg.chart g.ref").count() == 2 * len(CIRCUITS)
        assert page.locator("svg.chart polyline.steps").count() == len(CIRCUITS)
        headings = page.locator("svg.chart text.heading").all_text_contents()
        assert headings[0] == "充电功率（每 5 分钟最大值）" and headings[-1] == "3号楼楼道（禁止充电）"
        assert page.locator("#cuts form button").inner_text() == "恢复供电"       # a warden may restore
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
        context.close()
    finally:
        hub.stop()


def test_screenshot_and_the_bill_prints(tmp_path, broker, browser):
    hub = started(tmp_path, broker, CIRCUITS, "zh")
    try:
        base = f"http://127.0.0.1:{hub.web_port}"
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, base)
        page.goto(f"{base}/charging?day={DAY}")
        page.wait_for_selector("svg.chart")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "charging.png"), full_page=True)
        page.goto(f"{base}/charging/bill?month=2026-03")
        page.emulate_media(media="print")
        assert not page.locator("form.filters").is_visible() and page.locator("#bill").is_visible()
        context.close()
    finally:
        hub.stop()
