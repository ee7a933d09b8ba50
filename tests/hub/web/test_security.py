"""Logins, sessions, CSRF, rate limiting, cookies behind a proxy, XSS in every field people type."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from gwcommon.clock import FakeClock
from hub.web.ratelimit import LoginLimiter
from hub.web.sessions import client_address, is_https
from tests.support.hubrun import rows
from tests.support.webhub import START, add_user, csrf_of, login, web_hub

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


@pytest.fixture(scope="module")
def site(tmp_path_factory, broker):
    clock = FakeClock(START)
    hub = web_hub(tmp_path_factory.mktemp("web-sec"), broker, clock=clock,
                  web={"login_max_failures_account": 3, "login_max_failures_address": 6, "login_window": "10m"})
    for role in ("viewer", "warden", "committee", "admin"):
        add_user(hub, role, role)
    yield hub, clock
    hub.stop()


def test_login_sets_a_hardened_cookie_and_logout_ends_the_session(site):
    hub, _ = site
    client = TestClient(hub.web)
    response = login(client, "viewer")
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert client.get("/").status_code == 200
    stolen = client.cookies.get("gw_session")
    client.post("/logout", data={"csrf": csrf_of(client)})
    other = TestClient(hub.web, cookies={"gw_session": stolen})
    assert other.get("/", follow_redirects=False).status_code == 303  # the session is gone, not just the cookie


def test_cookie_is_secure_behind_a_trusted_https_proxy(tmp_path, broker):
    hub = web_hub(tmp_path, broker, web={"trusted_proxies": ["127.0.0.1"]})
    try:
        add_user(hub, "w", "warden")
        proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        client = TestClient(hub.web, client=("127.0.0.1", 5555), headers=proxied)
        page = client.get("/login")
        assert "Secure" in page.headers["set-cookie"]
        pre = page.headers["set-cookie"].split(";")[0].split("=", 1)[1]
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        response = client.post("/login", data={"name": "w", "password": "correct horse 1", "csrf": token},
                               cookies={"gw_pre": pre}, follow_redirects=False)
        assert response.status_code == 303 and "Secure" in response.headers["set-cookie"]
        logins = rows(hub, "SELECT address FROM web_audit WHERE action = ?", ["login"])
        assert logins == [{"address": "203.0.113.9"}]  # the client behind the proxy, not the proxy
    finally:
        hub.stop()


@pytest.mark.parametrize("peer,headers,trusted,address,https", [
    ("10.0.0.5", {"x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https"}, [], "10.0.0.5", False),
    ("127.0.0.1", {"x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https"}, ["127.0.0.1/32"], "1.2.3.4", True),
    ("127.0.0.1", {"x-forwarded-for": "6.6.6.6, 1.2.3.4"}, ["127.0.0.1/32"], "1.2.3.4", False),
    ("127.0.0.1", {}, ["127.0.0.1/32"], "127.0.0.1", False),
    ("not-an-ip", {"x-forwarded-for": "1.2.3.4"}, ["127.0.0.1/32"], "not-an-ip", False),
])
def test_client_address_and_https_believe_only_trusted_proxies(peer, headers, trusted, address, https):
    from ipaddress import ip_network

    nets = [ip_network(t) for t in trusted]
    assert client_address(peer, headers, nets) == address
    assert is_https("http", peer, headers, nets) is https


def test_login_rate_limit_per_account_on_a_fake_clock(site):
    hub, clock = site
    client = TestClient(hub.web)
    for _ in range(3):
        assert login(client, "warden", "wrong password").status_code == 401
    refused = login(client, "warden")  # the right password, but the account is locked for the window
    assert refused.status_code == 429 and "分钟" in refused.text
    clock.advance(timedelta(minutes=10, seconds=1))
    assert login(client, "warden").status_code == 303


def test_login_rate_limit_per_address(site):
    hub, clock = site
    clock.advance(timedelta(minutes=11))
    client = TestClient(hub.web, client=("198.51.100.7", 1234))
    for n in range(6):
        login(client, f"nobody{n}", "wrong password")
    assert login(client, "committee").status_code == 429
    elsewhere = TestClient(hub.web, client=("198.51.100.8", 1234))
    assert login(elsewhere, "committee").status_code == 303


@pytest.mark.parametrize("failures,advance,allowed", [(4, 0, True), (5, 0, False), (5, 29, False), (5, 30, True)])
def test_limiter_slows_an_account_but_never_locks_it(failures, advance, allowed):
    limiter = LoginLimiter(window=900, max_account=5, max_address=100, account_delay=30)
    for i in range(failures):
        limiter.failed("Alice", "1.1.1.1", float(i) * 0)
    assert limiter.check("alice", "2.2.2.2", float(advance)).allowed is allowed


def test_limiter_refuses_the_guessing_address_first():
    limiter = LoginLimiter(window=900, max_account=5, max_address=20, account_delay=30)
    granted = sum(limiter.attempt("warden", "6.6.6.6", t).allowed for t in range(0, 31 * 25, 31))
    assert granted == 20                                                  # then the address is refused
    assert limiter.attempt("warden", "6.6.6.6", 800).reason == "address"
    assert limiter.attempt("warden", "10.0.0.2", 800).allowed          # the warden, elsewhere: not locked out


def test_success_clears_the_account_and_memory_is_bounded():
    limiter = LoginLimiter(window=900, max_account=2, max_address=100, max_keys=10)
    limiter.failed("a", "1.1.1.1", 0)
    limiter.succeeded("a")
    limiter.failed("a", "1.1.1.1", 1)
    assert limiter.check("a", "1.1.1.1", 2).allowed
    for i in range(50):
        limiter.failed(f"user{i}", f"10.0.0.{i}", 3)
    assert len(limiter._fails) <= 10


@pytest.mark.parametrize("token", [None, "", "wrong", "x" * 500])
def test_forms_refuse_a_missing_or_wrong_csrf_token(site, token):
    hub, clock = site
    clock.advance(timedelta(minutes=11))
    client = TestClient(hub.web)
    login(client, "admin")
    data = {"role": "viewer", "name": "t"} | ({} if token is None else {"csrf": token})
    response = client.post("/accounts/tokens", data=data)
    assert response.status_code == 403 and "安全码" in response.text
    other = TestClient(hub.web)
    login(other, "committee")  # another session's token is wrong too
    assert client.post("/diary/notes", data={"text": "x", "csrf": csrf_of(other)}).status_code == 403


def test_login_form_needs_its_own_token(site):
    hub, clock = site
    clock.advance(timedelta(minutes=11))
    client = TestClient(hub.web)
    client.get("/login")
    response = client.post("/login", data={"name": "admin", "password": "correct horse 1", "csrf": "forged"})
    assert response.status_code == 400 and "gw_session" not in client.cookies


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_login_never_redirects_off_site(site, target):
    hub, clock = site
    clock.advance(timedelta(minutes=11))
    client = TestClient(hub.web)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"name": "viewer", "password": "correct horse 1", "csrf": token,
                                            "next": target}, follow_redirects=False)
    assert response.headers["location"] == "/"
    assert client.get(f"/lang?to=en&next={target}", follow_redirects=False).headers["location"] == "/"


def test_xss_in_notes_names_and_filters_is_escaped(site):
    hub, clock = site
    clock.advance(timedelta(minutes=11))
    client = TestClient(hub.web)
    login(client, "admin")
    assert client.post("/diary/notes", data={"text": XSS, "csrf": csrf_of(client)}).status_code == 200
    client.post("/accounts/users", data={"name": "bob", "display_name": XSS, "password": "long enough 1",
                                         "role": "viewer", "csrf": csrf_of(client)})
    pages = [client.get("/diary").text, client.get("/accounts").text, client.get("/audit").text,
             client.get("/violations", params={"plate": XSS, "household": XSS}).text,
             client.get("/passages", params={"lane": XSS}).text, client.get("/registry", params={"q": XSS}).text]
    for text in pages:
        assert "<script>alert(1)" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0]


def test_xss_in_a_plate_and_household_from_the_database_is_escaped(site):
    hub, clock = site
    hub.writer.call(lambda db: db.execute(
        "INSERT INTO violations (id, key, rule, deadline, plate, household, zone, state, provisional, evidence, ts, "
        "created_at, updated_at, reason) VALUES ('v-x', 'k-x', 'overnight', '2026-03-03T00:00:00.000+00:00', ?, ?, ?, "
        "'excused', 0, '[]', '2026-03-03T00:00:00.000+00:00', 'x', 'x', ?)", [XSS, XSS, XSS, XSS]))
    client = TestClient(hub.web)
    login(client, "viewer")
    for text in (client.get("/violations").text, client.get("/violations/v-x").text, client.get("/").text):
        assert "<script>alert(1)" not in text and "&lt;script&gt;" in text


def test_pages_send_a_strict_content_security_policy(site):
    hub, _ = site
    client = TestClient(hub.web)
    login(client, "viewer")
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"


def test_a_disabled_account_loses_its_sessions(site):
    hub, clock = site
    clock.advance(timedelta(minutes=11))
    user_id = add_user(hub, "temp", "warden")
    victim, admin = TestClient(hub.web), TestClient(hub.web)
    login(victim, "temp")
    login(admin, "admin")
    assert admin.post(f"/accounts/users/{user_id}/active", data={"active": "0", "csrf": csrf_of(admin)}).status_code == 200
    assert victim.get("/", follow_redirects=False).status_code == 303
    assert login(victim, "temp").status_code == 401
