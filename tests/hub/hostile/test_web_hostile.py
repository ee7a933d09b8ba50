"""The web view under attack (issue 15): login floods, spoofed proxy headers, oversize bodies,
security headers on every answer, /metrics behind a tunnel, acknowledgements by link.

A real hub with uvicorn on a free port; parallel clients are threads with their own connections.
"""

from __future__ import annotations

import re
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest

from hub.alerts import ack
from hub.alerts.outbox import queue_alert
from tests.support.hubrun import rows
from tests.support.webhub import CSRF, add_user, web_hub

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def site(tmp_path_factory, broker):
    hub = web_hub(tmp_path_factory.mktemp("hostile-web"), broker,
                  areas=("hub.overnight.area", "hub.web.app", "hub.alerts", "hub.integrations.metrics"))
    add_user(hub, "warden", "warden")
    add_user(hub, "committee", "committee")
    yield hub, f"http://127.0.0.1:{hub.server.port}"
    hub.stop()


def _try_login(base: str, name: str, password: str, headers: dict | None = None) -> int:
    with httpx.Client(base_url=base, headers=headers or {}, timeout=60) as client:
        token = CSRF.search(client.get("/login").text).group(1)
        return client.post("/login", data={"name": name, "password": password, "csrf": token}).status_code


def test_a_parallel_flood_of_wrong_passwords_checks_at_most_the_limit_a_few_at_a_time(site):
    hub, base = site
    web = hub.area("web")
    before, rss_before = web.verify_pool.checks, _rss_mib()
    with ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(lambda n: _try_login(base, "committee", f"wrong password {n}"), range(30)))
    assert set(statuses) <= {401, 429} and statuses.count(401) <= hub.config.web.login_max_failures_account
    assert web.verify_pool.checks - before <= hub.config.web.login_max_failures_account
    assert web.verify_pool.peak <= web.verify_pool.slots
    # memory stays flat: argon2 takes 64 MiB a check, two at a time (30 at once grew the hub by 1 GiB)
    assert _rss_mib() - rss_before < 64 * web.verify_pool.slots + 96


def _rss_mib() -> float:
    """This process's resident memory (the hub under test runs in it), from /proc."""
    for line in open("/proc/self/status", encoding="ascii"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def test_forwarded_headers_from_an_untrusted_proxy_are_ignored(site):
    hub, base = site
    limit = hub.config.web.login_max_failures_address
    statuses = [_try_login(base, f"nobody{n}", "wrong password",
                           {"X-Forwarded-For": f"203.0.113.{n}", "X-Forwarded-Proto": "https"})
                for n in range(limit + 2)]
    assert statuses[-1] == 429  # one address (the real peer), whatever the header says
    addresses = {r["address"] for r in rows(hub, "SELECT address FROM web_audit WHERE actor LIKE 'nobody%'")}
    assert addresses == {"127.0.0.1"}
    hub.area("web").limiter._fails.clear()  # let the other tests log in


def test_an_oversize_body_is_refused_before_it_is_read(site):
    _, base = site
    with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=10) as raw:
        raw.sendall(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: 1000000000\r\n\r\nname=")
        answer = raw.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")  # answered without the gigabyte being sent


def test_a_chunked_body_is_cut_off_at_the_limit(site):
    _, base = site

    def chunks():
        for _ in range(100):
            yield b"x" * 10_000

    response = httpx.post(base + "/login", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413 and "KiB" in response.text
    upload = httpx.post(base + "/registry/import", files={"file": ("r.csv", b"x" * (3 * 1024 * 1024))})
    assert upload.status_code == 413


@pytest.mark.parametrize("path", ["/ack/1.2.3", "/healthz", "/api/violations", "/login", "/metrics", "/nope"])
def test_every_answer_carries_the_security_headers(site, path):
    _, base = site
    headers = httpx.get(base + path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"


def test_metrics_need_a_token_on_a_loopback_listen_without_public_url(site):
    _, base = site
    assert httpx.get(base + "/metrics").status_code == 401


def test_an_acknowledgement_by_link_is_audited(site):
    hub, base = site
    now = hub.clock.now()
    alert_id = hub.writer.call(lambda db: queue_alert(db, kind="fire_lane", severity="safety", dedup_key="fl:test",
                                                      now=now, payload={"zone": "z"}, subject="x"))
    token = ack.sign(hub.area("alerts").secret, alert_id, now + timedelta(hours=1))
    page = httpx.post(f"{base}/ack/{token}")
    assert page.status_code == 200 and page.headers["x-content-type-options"] == "nosniff"
    (entry,) = rows(hub, "SELECT * FROM web_audit WHERE action = 'alert_ack'")
    assert entry["actor"] == "chat link" and re.search(r'"by": "link"', entry["detail"])
    assert entry["address"] == "127.0.0.1"
