"""The charging page, the bill and the monthly report's trends in a real browser (Debian's Chromium
through Playwright): the pictures are there, named in Chinese by label, fit a phone, and the bill
and the report print without the forms.  Saves docs/img/charging.png from the Chinese interface (a
CJK font is needed: fonts-wqy-microhei) and docs/img/report-trends.png."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from gwcommon.clock import FakeClock
from tests.support.chargingnight import CIRCUITS, DAY, START, a_year_of_months, night_of_events
from tests.support.browser import chromium
from tests.support.webhub import add_user, web_hub

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "docs/img"


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def started(tmp_path, broker, circuits, lang):
    site = {"name": "平安里小区", "spaces": 102}
    hub = web_hub(tmp_path, broker, clock=FakeClock(START + timedelta(hours=20)), web={"default_lang": lang},
                  overrides={"site": site, "circuits": circuits, "rules": {"charging": {"tariff_yuan_per_kwh": 0.55}}},
                  areas=("hub.web.app", "hub.alerts", "hub.charging.area"))
    add_user(hub, "xiaozhang", "warden")
    add_user(hub, "laoli", "committee")
    hub.writer.call(night_of_events)
    return hub


PHONE = {"viewport": {"width": 390, "height": 780}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1100, "height": 900}}


def opened(browser, base: str, screen: dict, name: str = "xiaozhang"):
    """A new browser context of that screen, logged in as ``name``: (context, page)."""
    context = browser.new_context(**screen)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, base, name)
    return context, page


@contextmanager
def shown(tmp_path, broker, browser, circuits, lang: str, screen: dict, name: str = "xiaozhang"):
    """A hub with the night's events, and a browser page on it logged in as ``name``: (hub, base, page)."""
    hub = started(tmp_path, broker, circuits, lang)
    try:
        base = f"http://127.0.0.1:{hub.web_port}"
        context, page = opened(browser, base, screen, name)
        try:
            yield hub, base, page
        finally:
            context.close()
    finally:
        hub.stop()


def log_in(page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", "correct horse 1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_the_charging_pictures_in_chinese_on_a_phone(tmp_path, broker, browser):
    with shown(tmp_path, broker, browser, CIRCUITS, "zh", PHONE) as (_, base, page):
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


def test_screenshot_and_the_bill_prints(tmp_path, broker, browser):
    """docs/img/charging.png and docs/img/report-trends.png from the Chinese interface of 平安里小区."""
    with shown(tmp_path, broker, browser, CIRCUITS, "zh", DESKTOP) as (hub, base, page):
        page.goto(f"{base}/charging?day={DAY}")
        page.wait_for_selector("svg.chart")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "charging.png"), full_page=True)
        page.goto(f"{base}/charging/bill?month=2026-03")
        page.emulate_media(media="print")
        assert not page.locator("form.filters").is_visible() and page.locator("#bill").is_visible()
        hub.writer.call(a_year_of_months)
        context, page = opened(browser, base, DESKTOP, "laoli")
        page.goto(f"{base}/report?month=2026-03")
        page.locator("div.trends").screenshot(path=str(SHOTS / "report-trends.png"))
        page.emulate_media(media="print")
        assert not page.locator("form.filters").is_visible() and page.locator("div.trends svg.chart").nth(1).is_visible()
        context.close()


def test_the_month_to_month_trends_in_chinese_on_a_phone(tmp_path, broker, browser):
    with shown(tmp_path, broker, browser, CIRCUITS, "zh", PHONE, "laoli") as (hub, base, page):
        hub.writer.call(a_year_of_months)
        page.goto(f"{base}/report?month=2026-03")
        violations, kwh = page.locator("div.trends svg.chart").all()
        assert violations.get_attribute("aria-label") == "每月违规（2025-04 至 2026-03）"
        assert kwh.get_attribute("aria-label") == "充电棚每月用电量（kWh，2025-04 至 2026-03）"
        months = [f"{m}月" for m in (*range(4, 13), 1, 2, 3)]
        for chart in (violations, kwh):
            labels = chart.locator("text[text-anchor=middle]").all_text_contents()
            assert [t for t in labels if t.endswith("月")] == months
        assert violations.locator("rect[width='10']").count() == 3       # the legend
        assert violations.locator("text").all_text_contents()[-3:] == ["成立", "已豁免", "已撤回"]
        ticks = violations.locator("text[text-anchor=end]").all_text_contents()
        assert len(ticks) >= 2 and all(t.isdigit() for t in ticks)    # counts: whole-number ticks
        assert int(ticks[-1]) >= 4 and kwh.locator("rect").count() >= 12
        assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
