"""The Phone page (手机访问): QR codes of the hub's address on the compound Wi-Fi and from outside."""

from __future__ import annotations

import re

import pytest
import segno
from fastapi.testclient import TestClient

from tests.support.webhub import add_user, login, web_hub

LAN, PUBLIC = "http://192.168.1.10:8080/", "https://hub.example.cn/"


@pytest.fixture(scope="module")
def hub(tmp_path_factory, broker):
    running = web_hub(tmp_path_factory.mktemp("phone"), broker, web={"lan_url": LAN, "public_url": PUBLIC})
    add_user(running, "viewer", "viewer")
    yield running
    running.stop()


def test_the_phone_page_shows_both_addresses_as_qr_codes(hub):
    client = TestClient(hub.web)
    login(client, "viewer")
    page = client.get("/phone").text
    assert "手机访问" in page and "在小区 Wi-Fi 里" in page and "在外面（经隧道）" in page
    codes = re.findall(r"<svg.*?</svg>", page, re.S)
    assert codes == [segno.make(LAN, error="m").svg_inline(scale=5, dark="#000", light="#fff", border=2),
                     segno.make(PUBLIC, error="m").svg_inline(scale=5, dark="#000", light="#fff", border=2)]
    assert f'href="{LAN}"' in page and f'href="{PUBLIC}"' in page


def test_without_addresses_it_says_what_to_set(tmp_path, broker):
    running = web_hub(tmp_path, broker)
    try:
        add_user(running, "viewer", "viewer")
        client = TestClient(running.web)  # the test client's host is not a private address
        login(client, "viewer")
        page = client.get("/phone").text
        assert "<svg" not in page and "lan_url" in page
        assert TestClient(running.web).get("/phone", follow_redirects=False).status_code == 303  # login first
    finally:
        running.stop()
