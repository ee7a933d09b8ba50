"""Helpers for the web view's tests: a real hub with the web area, accounts, logging in."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from gwcommon.clock import FakeClock
from tests.support.hubrun import make_hub

START = datetime(2026, 3, 2, 23, 0, tzinfo=timezone.utc)  # 07:00 on 3 March in Shanghai
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def web_hub(tmp_path: Path, broker, *, clock: FakeClock | None = None, web: dict | None = None,
            overrides: dict | None = None, areas=("hub.overnight.area", "hub.web.app")):
    """A started hub (real MQTT, SQLite, uvicorn on a free port) with the web view attached."""
    config = {"site": {"name": "测试小区", "spaces": 102}, "web": {"listen": "127.0.0.1:0", **(web or {})},
              **(overrides or {})}
    return make_hub(tmp_path, broker, clock=clock or FakeClock(START), config_overrides=config, areas=areas)


def add_user(hub, name: str, role: str, password: str = "correct horse 1", display_name: str = "") -> int:
    from hub.web.auth import add_user_job

    return hub.writer.call(add_user_job(name, password, role, hub.clock.now(), display_name=display_name))


def logged_in(hub, names) -> dict:
    """{name: a TestClient logged in as that (existing) user}."""
    from fastapi.testclient import TestClient

    clients = {}
    for name in names:
        clients[name] = TestClient(hub.web)
        login(clients[name], name)
    return clients


def login(client, name: str, password: str = "correct horse 1"):
    """Log ``client`` (a TestClient or httpx client) in through the form; returns the response."""
    token = CSRF.search(client.get("/login").text).group(1)
    return client.post("/login", data={"name": name, "password": password, "csrf": token, "next": "/"},
                       follow_redirects=False)


def csrf_of(client, path: str = "/") -> str:
    """The CSRF token on a page the logged-in client can see."""
    return CSRF.search(client.get(path).text).group(1)
