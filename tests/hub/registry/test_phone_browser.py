"""On a phone (390×844, Debian's Chromium through Playwright): the committee adds a car through the
form, a warden issues a visitor pass by loaner tag and ends it early, then issues the same loaner
tag to the next visitor.  Words as a user sees them (Chinese, the default)."""

from __future__ import annotations

import pytest

from tests.support.browser import PHONE, chromium, log_in
from tests.support.hubrun import rows
from tests.support.webhub import add_user, web_hub

TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:7"


@pytest.fixture(scope="module")
def hub(tmp_path_factory, broker):
    hub = web_hub(tmp_path_factory.mktemp("phone-registry"), broker,
                  areas=("hub.registry.area", "hub.overnight.area", "hub.web.app"))
    add_user(hub, "laoli", "committee")
    add_user(hub, "xiaozhang", "warden")
    yield hub
    hub.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def phone(hub, browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def fits(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def test_the_committee_adds_a_car_from_a_phone(hub, phone):
    base = f"http://127.0.0.1:{hub.web_port}"
    log_in(phone, base, "laoli")
    phone.goto(f"{base}/registry")
    phone.click("#add-vehicle")
    phone.wait_for_selector("#vehicle-form")
    assert fits(phone)
    phone.fill("#vehicle-form input[name=plate]", "浙A1234")  # one character short
    phone.fill("#vehicle-form input[name=household]", "27-2-301")
    phone.fill("#vehicle-form input[name=owner]", "吴美桂")
    phone.fill("#vehicle-form input[name=mobile]", "13800138000")
    phone.fill("#vehicle-form input[name=tag]", TAG)
    phone.click("#vehicle-form button")
    assert "有 6 个字符" in phone.inner_text("#vehicle-problems")  # the import's words; nothing saved
    assert phone.input_value("#vehicle-form input[name=owner]") == "吴美桂"  # what was typed stays
    phone.fill("#vehicle-form input[name=plate]", "浙A12345")
    phone.click("#vehicle-form button")
    phone.wait_for_selector("#vehicle-saved")
    assert TAG in phone.inner_text("#vehicle-tags") and fits(phone)
    assert rows(hub, "SELECT plate, household, owner FROM vehicles") == [
        {"plate": "浙A12345", "household": "27-2-301", "owner": "吴美桂"}]
    assert rows(hub, "SELECT plate FROM tags") == [{"plate": "浙A12345"}]


def test_a_warden_issues_a_loaner_tag_pass_ends_it_and_issues_the_tag_again(hub, phone):
    base = f"http://127.0.0.1:{hub.web_port}"
    log_in(phone, base, "xiaozhang")
    phone.goto(f"{base}/registry")
    visitor = "#visitor-form"
    phone.fill(f"{visitor} input[name=plate]", "苏E54321")
    phone.fill(f"{visitor} input[name=household]", "3-1-101")
    phone.fill(f"{visitor} input[name=tag]", "eid:loaner-1")
    phone.fill(f"{visitor} input[name=hours]", "4")
    phone.click(f"{visitor} button")
    row = phone.locator("#current-visitors .visitor-row", has_text="苏E54321")  # right under the form
    row.wait_for()
    assert "eid:loaner-1" in row.inner_text() and fits(phone)
    row.locator("form.end-pass button").click()
    phone.wait_for_load_state()
    phone.locator("#current-visitors .visitor-row", has_text="苏E54321").wait_for(state="detached")
    assert phone.locator("tr", has_text="苏E54321").count() == 0  # gone from the registry too
    assert rows(hub, "SELECT actor, action FROM web_audit WHERE target = '苏E54321' ORDER BY id") == [
        {"actor": "xiaozhang", "action": "visitor_pass"}, {"actor": "xiaozhang", "action": "visitor_pass_end"}]
    phone.fill(f"{visitor} input[name=plate]", "沪B67890")  # the loaner tag is free for the next visitor
    phone.fill(f"{visitor} input[name=household]", "5-2-202")
    phone.fill(f"{visitor} input[name=tag]", "eid:loaner-1")
    phone.click(f"{visitor} button")
    phone.locator("tr", has_text="沪B67890").wait_for()
    assert rows(hub, "SELECT plate FROM tags WHERE tag = 'eid:loaner-1'") == [{"plate": "沪B67890"}]
