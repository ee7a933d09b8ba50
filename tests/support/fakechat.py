"""Local stand-ins for the chat services (WeCom, DingTalk, Feishu, plain webhook) and a test rig.

:class:`FakeChat` is a threaded ``http.server`` on 127.0.0.1 (random port) that checks each
request's exact shape and signature as the real service documents it (alert_anchors.md §1),
records it (with the injected clock's time) and answers from a script: success by default, or
any documented error code (``answer(45009)``), or an HTTP status (``answer_http(500)``).

Every message any FakeChat received is kept in :data:`RECEIVED`; the ``fakechat`` fixture fails a
test whose messages carry a full mobile number or an owner name outside the mention fields.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gwcommon.clock import FakeClock
from gwcommon.config import validate
from hub.alerts import area as alerts_area
from hub.alerts.sender import Sender
from hub.config import HubConfig
from hub.core.db import Writer, open_db, open_reader
from hub.schema import all_sets

KEY = "0b4c7a6e-robot-key"
TOKEN = "dt-access-token-1"
OWNER_NAMES = ("张建国", "李秀英", "王美华")     # owners in the tests' registry data: never in a message
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
RECEIVED: list["Received"] = []
MENTION_FIELDS = ("mentioned_mobile_list", "atMobiles", "mention_mobiles")
PATHS = {"wecom": f"/cgi-bin/webhook/send?key={KEY}", "dingtalk": f"/robot/send?access_token={TOKEN}",
         "feishu": "/open-apis/bot/v2/hook/feishu-token-1", "webhook": "/gatewarden/hook"}


@dataclass
class Received:
    kind: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw: bytes
    body: Any
    at: datetime
    problems: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The message text as people would read it."""
        b = self.body if isinstance(self.body, dict) else {}
        if self.kind == "feishu":
            return b.get("content", {}).get("text", "")
        if self.kind == "webhook":
            return b.get("text", "")
        inner = b.get(b.get("msgtype", ""), {})
        return inner.get("content") or inner.get("text") or ""

    @property
    def msgtype(self) -> str:
        b = self.body if isinstance(self.body, dict) else {}
        return b.get("msgtype") or b.get("msg_type") or b.get("type") or ""

    def mobiles(self) -> list[str]:
        b = self.body
        if self.kind == "wecom":
            return b.get("text", {}).get("mentioned_mobile_list", [])
        if self.kind == "dingtalk":
            return b.get("at", {}).get("atMobiles", [])
        return b.get("mention_mobiles", []) if self.kind == "webhook" else []


def _strip_mentions(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_mentions(v) for k, v in value.items() if k not in MENTION_FIELDS}
    if isinstance(value, list):
        return [_strip_mentions(v) for v in value]
    return value


def privacy_problems(received: list[Received]) -> list[str]:
    """Full mobiles or owner names anywhere in a message except the mention fields."""
    found = []
    for r in received:
        visible = json.dumps(_strip_mentions(r.body), ensure_ascii=False)
        if r.msgtype == "image":
            visible = json.dumps(_strip_mentions({k: v for k, v in r.body.items() if k != "image"}), ensure_ascii=False)
        for number in MOBILE.findall(visible):
            found.append(f"{r.kind}: full mobile {number} in {r.text[:60]!r}")
        for name in OWNER_NAMES:
            if name in visible:
                found.append(f"{r.kind}: owner name {name} in {r.text[:60]!r}")
    return found


class FakeChat:
    """One fake chat service of ``kind`` (wecom, dingtalk, feishu, webhook)."""

    def __init__(self, kind: str, *, secret: str | None = None, clock: FakeClock | None = None):
        self.kind = kind
        self.secret = secret
        self.clock = clock
        self.received: list[Received] = []
        self.script: deque[tuple[int, dict[str, Any]]] = deque()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), name=f"fake-{kind}",
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{PATHS[self.kind]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- scripting -----------------------------------------------------------------------------

    def answer(self, *codes: int) -> None:
        """The next answers carry these service result codes (HTTP 200, as the services do)."""
        for code in codes:
            body = {"code": code, "msg": f"code {code}"} if self.kind == "feishu" else {"errcode": code, "errmsg": f"code {code}"}
            self.script.append((200, body))

    def answer_http(self, *statuses: int) -> None:
        for status in statuses:
            self.script.append((status, {"error": status}))

    def _next_answer(self) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self.script:
                return self.script.popleft()
        return (200, {"code": 0, "msg": "success", "data": {}}) if self.kind == "feishu" else (200, {"errcode": 0, "errmsg": "ok"})

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.received if r.msgtype != "image"]

    @property
    def images(self) -> list[Received]:
        return [r for r in self.received if r.msgtype == "image"]

    def problems(self) -> list[str]:
        return [p for r in self.received for p in r.problems]

    # --- the server ----------------------------------------------------------------------------

    def _handler(self):
        chat = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                parsed = urllib.parse.urlsplit(self.path)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                now = chat.clock.now() if chat.clock else datetime.now(timezone.utc)
                rec = Received(chat.kind, parsed.path, urllib.parse.parse_qs(parsed.query),
                               {k.lower(): v for k, v in self.headers.items()}, raw, body, now)
                rec.problems = check(chat, rec)
                with chat._lock:
                    chat.received.append(rec)
                    RECEIVED.append(rec)
                status, answer = chat._next_answer()
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler


# --- request shape checks, per service ----------------------------------------------------------

def check(chat: FakeChat, r: Received) -> list[str]:
    if not isinstance(r.body, dict):
        return ["body is not a JSON object"]
    if "application/json" not in r.headers.get("content-type", ""):
        return ["Content-Type is not application/json"]
    return {"wecom": _wecom, "dingtalk": _dingtalk, "feishu": _feishu, "webhook": _webhook}[chat.kind](chat, r)


def _size(text: str, limit: int, what: str) -> list[str]:
    n = len(text.encode("utf-8"))
    return [f"{what} is {n} bytes (limit {limit})"] if n > limit else []


def _wecom(chat: FakeChat, r: Received) -> list[str]:
    p = [] if r.query.get("key") == [KEY] and r.path == "/cgi-bin/webhook/send" else ["wrong path or key"]
    kind = r.body.get("msgtype")
    if set(r.body) != {"msgtype", kind}:
        p.append(f"unexpected top-level keys {sorted(r.body)}")
    if kind == "text":
        t = r.body["text"]
        p += _size(t.get("content", ""), 2048, "text.content")
        if set(t) - {"content", "mentioned_list", "mentioned_mobile_list"}:
            p.append(f"unexpected text keys {sorted(t)}")
        p += [f"bad mobile {m!r}" for m in t.get("mentioned_mobile_list", []) if not re.fullmatch(r"1\d{10}", m)]
    elif kind == "markdown":
        p += _size(r.body["markdown"].get("content", ""), 4096, "markdown.content")
    elif kind == "image":
        raw = base64.b64decode(r.body["image"]["base64"])
        if hashlib.md5(raw).hexdigest() != r.body["image"]["md5"]:
            p.append("image md5 does not match the raw bytes")
        if len(raw) > 2 * 1024 * 1024 or not raw.startswith(b"\xff\xd8"):
            p.append("image is not a JPEG under 2 MB")
    else:
        p.append(f"unknown msgtype {kind!r}")
    return p


def _dingtalk(chat: FakeChat, r: Received) -> list[str]:
    p = [] if r.query.get("access_token") == [TOKEN] and r.path == "/robot/send" else ["wrong path or token"]
    if chat.secret:
        stamps, signs = r.query.get("timestamp", []), r.query.get("sign", [])
        if len(stamps) != 1 or len(signs) != 1:
            p.append(f"expected exactly one timestamp and sign, got {len(stamps)} and {len(signs)}")
        else:
            ts_ms = int(stamps[0])
            if abs(ts_ms - r.at.timestamp() * 1000) > 3600_000:
                p.append("timestamp more than 1 h from now")
            digest = hmac.new(chat.secret.encode(), f"{ts_ms}\n{chat.secret}".encode(), hashlib.sha256).digest()
            if signs[0] != base64.b64encode(digest).decode():
                p.append("bad DingTalk signature")
    if r.body.get("msgtype") != "text" or not isinstance(r.body.get("text", {}).get("content"), str):
        p.append("not a DingTalk text message")
    at = r.body.get("at", {})
    if at.get("isAtAll") is not False or not isinstance(at.get("atMobiles"), list):
        p.append("bad at block")
    return p + _size(r.raw.decode(), 20000, "body")


def _feishu(chat: FakeChat, r: Received) -> list[str]:
    p = [] if r.path == "/open-apis/bot/v2/hook/feishu-token-1" else ["wrong path"]
    if chat.secret:
        ts_s = r.body.get("timestamp")
        if not isinstance(ts_s, str) or abs(int(ts_s) - r.at.timestamp()) > 3600:
            p.append("timestamp missing, not a string or more than 1 h from now")
        else:
            digest = hmac.new(f"{ts_s}\n{chat.secret}".encode(), b"", hashlib.sha256).digest()
            if r.body.get("sign") != base64.b64encode(digest).decode():
                p.append("bad Feishu signature")
    if r.body.get("msg_type") != "text" or not isinstance(r.body.get("content", {}).get("text"), str):
        p.append("not a Feishu text message")
    return p + _size(r.raw.decode(), 20000, "body")


def _webhook(chat: FakeChat, r: Received) -> list[str]:
    p = []
    if chat.secret:
        stamp = r.headers.get("x-gatewarden-timestamp", "")
        expected = hmac.new(chat.secret.encode(), f"{stamp}.".encode() + r.raw, hashlib.sha256).hexdigest()
        if r.headers.get("x-gatewarden-signature") != expected:
            p.append("bad webhook signature")
    for key in ("type", "text", "title", "kind", "severity", "alert_id", "resent"):
        if key not in r.body:
            p.append(f"webhook body lacks {key}")
    return p


@pytest.fixture
def fakechat():
    """Make fake chat services; at the end, fail on shape problems or private data in any message."""
    made: list[FakeChat] = []

    def make(kind: str, **kw: Any) -> FakeChat:
        chat = FakeChat(kind, **kw)
        made.append(chat)
        return chat

    yield make
    for chat in made:
        chat.close()
    received = [r for chat in made for r in chat.received]
    assert [p for chat in made for p in chat.problems()] == []
    assert privacy_problems(received) == []


# --- a rig: the alerts area on a real database and writer, without MQTT ---------------------------

START = datetime(2026, 3, 2, 23, 30, tzinfo=timezone.utc)   # 07:30 on 3 March (a Tuesday) in Shanghai


class FakeHub:
    """The parts of ``hub.app.Hub`` the alerts area uses (no MQTT, no HTTP server)."""

    def __init__(self, tmp_path: Path, config: HubConfig, clock: FakeClock):
        from fastapi import FastAPI

        self.config, self.clock = config, clock
        self.db_path = Path(config.storage.dir) / "hub.db"
        self.snapshots_dir = Path(config.storage.dir) / "snapshots"
        self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        self.writer = Writer(open_db(self.db_path, migrations=all_sets())).start()
        self.web = FastAPI()
        self.handlers: dict[str, list] = {}
        self.ticks: list = []
        self.stoppers: list = []

    def on_event(self, kind: str, handler) -> None:
        self.handlers.setdefault(kind, []).append(handler)

    def on_stop(self, fn) -> None:
        self.stoppers.append(fn)

    def add_tick(self, fn) -> None:
        self.ticks.append(fn)


class Rig:
    """The alerts area attached to a :class:`FakeHub`; sending is driven by hand (``pump``)."""

    def __init__(self, tmp_path: Path, chats: list[FakeChat | dict], *, clock: FakeClock | None = None,
                 alerts: dict | None = None, extra: dict | None = None):
        self.clock = clock or FakeClock(START)
        chat = [c if isinstance(c, dict) else {"kind": c.kind, "url": c.url, **({"secret": c.secret} if c.secret else {})}
                for c in chats]
        data = {"site": {"id": "test", "name": "测试小区"}, "storage": {"dir": str(tmp_path / "hub")},
                "chat": chat, "alerts": alerts or {}, "web": {"public_url": "https://hub.example"}, **(extra or {})}
        (tmp_path / "hub").mkdir(exist_ok=True)
        self.config = validate(data, HubConfig)
        self.hub = FakeHub(tmp_path, self.config, self.clock)
        self.area = alerts_area.attach(self.hub)
        self.area.sender = Sender(self.hub.writer, self.area.read, self.area.sender_targets, clock=self.clock,
                                  snapshots_dir=self.hub.snapshots_dir, policy=alerts_area.retry_policy(self.config),
                                  lang=self.area.settings.lang)
        self.recovered = self.area.sender.recover()

    @property
    def sender(self) -> Sender:
        return self.area.sender

    def call(self, job):
        return self.hub.writer.call(job)

    def tick(self) -> None:
        self.call(lambda db: self.area.tick(db, None))

    def pump(self, rounds: int = 1) -> None:
        for _ in range(rounds):
            self.tick()
            self.sender.run_once()

    def rows(self, sql: str, params: list | tuple = ()) -> list[dict]:
        db = open_reader(self.hub.db_path)
        try:
            return list(db.query(sql, list(params)))
        finally:
            db.conn.close()

    def close(self) -> None:
        self.area.stop()
        self.hub.writer.stop()
        self.hub.writer.db.conn.close()
