"""A warden changes their own password from the phone; an admin resets a forgotten one — no SSH."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.support.hubrun import rows
from tests.support.webhub import add_user, csrf_of, login, web_hub

OLD, NEW = "correct horse 1", "a new one 2026"


@pytest.fixture(scope="module")
def hub(tmp_path_factory, broker):
    running = web_hub(tmp_path_factory.mktemp("password"), broker)
    add_user(running, "wang", "warden")
    add_user(running, "boss", "admin")
    yield running
    running.stop()


def client(hub, name, password=OLD):
    made = TestClient(hub.web)
    assert login(made, name, password).status_code == 303
    return made


def change(c, **form):
    return c.post("/account/password", data={"csrf": csrf_of(c, "/account"), **form}, follow_redirects=False)


def test_a_warden_changes_their_own_password_and_other_logins_end(hub):
    phone, laptop = client(hub, "wang"), client(hub, "wang")
    assert "我的账号" in phone.get("/account").text
    assert "当前密码不对" in change(phone, current="wrong one!", new=NEW, again=NEW).text
    assert "两次输入的新密码不一样" in change(phone, current=OLD, new=NEW, again=NEW + "x").text
    assert "新密码至少 8 位" in change(phone, current=OLD, new="short", again="short").text
    done = change(phone, current=OLD, new=NEW, again=NEW)
    assert done.status_code == 200 and "密码已修改" in done.text
    assert phone.get("/account").status_code == 200  # this login stays
    assert laptop.get("/account", follow_redirects=False).status_code == 303  # the other one ended
    assert login(TestClient(hub.web), "wang", OLD).status_code == 401
    assert login(TestClient(hub.web), "wang", NEW).status_code == 303
    assert rows(hub, "SELECT action, target FROM web_audit WHERE action = 'password_change'") == [
        {"action": "password_change", "target": "wang"}]


def test_an_admin_resets_a_forgotten_password_shown_once(hub):
    admin = client(hub, "boss")
    wang = next(u for u in rows(hub, "SELECT id, name FROM web_users") if u["name"] == "wang")
    page = admin.post(f"/accounts/users/{wang['id']}/reset", data={"csrf": csrf_of(admin, "/accounts")})
    assert page.status_code == 200 and "wang 的临时密码" in page.text
    one_time = re.search(r'id="reset-shown">.*?<code>([a-z0-9]{12})</code>', page.text, re.S).group(1)
    assert one_time not in admin.get("/accounts").text  # shown only that once
    assert login(TestClient(hub.web), "wang", one_time).status_code == 303
    assert rows(hub, "SELECT action, target FROM web_audit WHERE action = 'password_reset'") == [
        {"action": "password_reset", "target": "wang"}]
    warden = client(hub, "wang", one_time)
    assert warden.post(f"/accounts/users/{wang['id']}/reset", data={"csrf": csrf_of(warden, "/account")},
                       follow_redirects=False).status_code == 403
