"""The warden's 7 a.m. round on a phone: the cars still off-space come first, each with what it
takes to act — a call to the owner, 已联系, 已驶离 — and the page keeps itself fresh."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from hub.registry import store
from hub.registry.csvfile import VehicleRow
from tests.support.hubrun import rows
from tests.support.webhub import add_user, csrf_of, login, web_hub


@pytest.fixture(scope="module")
def site(tmp_path_factory, broker):
    hub = web_hub(tmp_path_factory.mktemp("today"), broker, overrides={
        "zones": [{"name": "east-strip", "kind": "night", "label": "东侧夜停带"}],
        "gate_lanes": [{"device": "gate-north", "lane": "north-in", "label": "北门入口"}]})
    hub.writer.call(lambda db: store.replace_all(db, [
        VehicleRow(2, "浙A12345", "1-101", "张三", "13800001111;0571-88886666")], at=hub.clock.now()))
    clients = {}
    for role in ("viewer", "warden"):
        add_user(hub, role, role)
        clients[role] = TestClient(hub.web)
        login(clients[role], role)
    yield hub, clients
    hub.stop()


def post(client, path, **data):
    return client.post(path, data={**data, "csrf": csrf_of(client)}, follow_redirects=False)


def test_the_morning_page_opens_with_the_cars_still_off_space(site):
    hub, c = site
    assert post(c["warden"], "/stays", op="register", plate="浙A12345", zone="east-strip").status_code == 303
    page = c["warden"].get("/").text
    assert page.index('id="stays"') < page.index('id="occupancy"')  # 07:00: the cars first, 余位 later
    assert '<meta http-equiv="refresh" content="60">' in page
    stay = page[page.index('id="stays"'):page.index("register-stay")]
    assert '<span class="plate">浙A12345</span>' in stay and "1-101 · 东侧夜停带" in stay
    assert 'href="tel:13800001111"' in stay and 'href="tel:0571-88886666"' in stay
    assert 'action="/stays/contacted"' in stay and "已驶离" in stay
    viewer = c["viewer"].get("/").text
    viewer_stay = viewer[viewer.index('id="stays"'):]
    assert '<span class="plate">浙A·1**45</span>' in viewer_stay and "tel:" not in viewer_stay  # no phone for a viewer
    assert "浙A12345" not in viewer_stay


def test_contacted_goes_into_the_diary_and_the_audit_log(site):
    hub, c = site
    assert post(c["warden"], "/stays/contacted", plate="浙A12345").status_code == 303
    assert rows(hub, "SELECT kind, plate, by, text FROM diary WHERE kind = 'contacted'") == [
        {"kind": "contacted", "plate": "浙A12345", "by": "warden", "text": "已联系车主：浙A12345"}]
    assert rows(hub, "SELECT action, target FROM web_audit WHERE action = 'owner_contacted'") == [
        {"action": "owner_contacted", "target": "浙A12345"}]
    assert post(c["viewer"], "/stays/contacted", plate="浙A12345").status_code == 403
    assert post(c["warden"], "/stays/contacted", plate=" ").status_code == 400


def test_remote_open_offers_the_configured_lanes_on_a_fresh_install(site):
    hub, c = site
    page = c["warden"].get("/").text
    assert re.search(r'<option value="gate-north/north-in">北门入口</option>', page)
    assert post(c["warden"], "/lanes/open", target="gate-north/north-in", reason="救护车").status_code == 303
    assert post(c["warden"], "/lanes/open", target="gate-south/x", reason="test").status_code == 400


def test_an_unregistered_tag_parked_off_space_is_shown_short_and_named_by_zone(site):
    hub, c = site
    tag = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:909"
    hub.writer.call(lambda db: db.execute(
        "INSERT INTO ovn_keys (key, tag, zone, parked, night_since, last_ts) VALUES (?, ?, 'east-strip', 1, ?, ?)",
        [f"tag:{tag}", tag, "2026-03-02T13:00:00.000+00:00", "2026-03-02T13:00:00.000+00:00"]))
    stay = c["warden"].get("/").text
    assert f'<span title="{tag}">蓝牙标签 …1:909</span>' in stay
    # the warden's registration earlier wrote the zone's label into the diary, not its id
    assert rows(hub, "SELECT text FROM diary WHERE kind = 'registration'") == [{"text": "登记夜间临时停放：浙A12345（东侧夜停带）"}]
