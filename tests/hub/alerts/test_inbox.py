"""The local chat inbox: the webhook chat target's messages land on the Inbox page."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest

from hub.alerts import inbox
from tests.support.webhub import add_user, login, web_hub

JPEG = b"\xff\xd8\xff\xe0fake\xff\xd9"


@pytest.fixture(scope="module")
def site(tmp_path_factory, broker):
    hub = web_hub(tmp_path_factory.mktemp("inbox"), broker, web={"inbox_key": "k3y-demo"})
    add_user(hub, "viewer", "viewer")
    yield hub, f"http://127.0.0.1:{hub.server.port}"
    hub.stop()


def test_a_webhook_message_shows_on_the_inbox_page(site):
    hub, base = site
    image = {"base64": base64.b64encode(JPEG).decode(), "md5": hashlib.md5(JPEG).hexdigest()}
    with httpx.Client(base_url=base) as client:
        assert client.post("/inbox/hook/k3y-demo", json={"type": "text", "title": "违停晨报", "text": "浙A·1**45 <b>",
                                                           "mention_mobiles": ["13800001111"]}).json()["errcode"] == 0
        assert client.post("/inbox/hook/k3y-demo", json={"type": "image", "title": "t", "image": image}).status_code == 200
        login(client, "viewer")
        page = client.get("/inbox").text
        assert "违停晨报" in page and "浙A·1**45 &lt;b&gt;" in page  # escaped, never raw HTML
        newest = inbox.latest(hub.writer.call(lambda db: db))[0]
        assert client.get(f"/inbox/{newest['id']}.jpg").content == JPEG


@pytest.mark.parametrize("path,body,status", [
    ("/inbox/hook/wrong-key", {"type": "text", "text": "x"}, 404),
    ("/inbox/hook/k3y-demo", {"type": "video", "text": "x"}, 400),
    ("/inbox/hook/k3y-demo", {"type": "image", "image": {"base64": "!!"}}, 400),
    ("/inbox/hook/k3y-demo", ["not", "an", "object"], 400),
])
def test_bad_or_foreign_messages_are_refused_and_kept_out(site, path, body, status):
    hub, base = site
    before = len(inbox.latest(hub.writer.call(lambda db: db)))
    assert httpx.post(base + path, json=body).status_code == status
    assert len(inbox.latest(hub.writer.call(lambda db: db))) == before


def test_the_inbox_page_needs_a_login(site):
    _, base = site
    assert httpx.get(base + "/inbox", follow_redirects=False).status_code == 303
