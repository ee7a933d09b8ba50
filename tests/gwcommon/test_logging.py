"""Logs: one line per thing, JSON when not on a terminal, on stderr, and never a secret or a full
mobile number — checked on the captured log of a real hub + edge run."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import httpx
import pytest

from gwcommon.config import LogConfig, validate
from gwcommon.logsetup import setup_logging
from gwcommon.redact import forget_secrets, mask_mobile, redact, register_secret
from tests.support.hubrun import Publisher, count, make_hub, wait_until

pytestmark = pytest.mark.timeout(60)
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
PASSWORD = "edge-Pa55word-9"
WEBHOOK_KEY = "0b4c7a6e-robot-key-77"


@pytest.mark.parametrize("text,expected", [
    ("call 13812345678 now", "call 138****5678 now"),
    ("+8613912345678", "139****5678"),
    ("ts 1772434800000 seq 12345678901", "ts 1772434800000 seq 12345678901"),
    ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"),
    ("https://oapi.dingtalk.com/robot/send?access_token=tok&timestamp=1&sign=xyz",
     "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1&sign=***"),
    ("https://open.feishu.cn/open-apis/bot/v2/hook/9f8e-7d6c", "https://open.feishu.cn/open-apis/bot/v2/hook/***"),
    ("rtsp://admin:cam-pass@10.0.0.9/stream", "rtsp://admin:***@10.0.0.9/stream"),
    ('{"password": "x1y2"} secret=abc token: t0k', '{"password": "***"} secret=*** token: ***'),
    ("Authorization: Bearer gw_abc.def", "Authorization: Bearer ***"),
    ("plate 浙A12345 household 3-2-501", "plate 浙A12345 household 3-2-501"),
])
def test_redact(text, expected):
    assert redact(text) == expected


def test_registered_secrets_are_masked_anywhere():
    register_secret("s3cr3t-value")
    register_secret("ab")  # too short to mask safely: ignored
    try:
        assert redact("login with s3cr3t-value failed; ab") == "login with *** failed; ab"
    finally:
        forget_secrets()


def test_mask_mobile_keeps_what_a_warden_recognises():
    assert mask_mobile("13812345678,13987654321") == "138****5678,139****4321"


def test_json_lines_on_stderr_when_not_a_terminal():
    script = ("import logging; from gwcommon.config import LogConfig; from gwcommon.logsetup import setup_logging; "
              "setup_logging(LogConfig()); logging.getLogger('t').warning('owner 13812345678 line\\ntwo')")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1  # one line per thing, even with a newline in the message
    record = json.loads(lines[0])
    assert record["level"] == "warning" and record["logger"] == "t" and record["msg"] == "owner 138****5678 line\ntwo"


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def captured():
    """The root logger writing JSON lines to a buffer through setup_logging (restored after)."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    buffer = io.StringIO()
    setup_logging(LogConfig(level="debug", format="json"), stream=buffer)
    logging.getLogger("httpx").setLevel(logging.INFO)
    yield buffer
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    forget_secrets()


def test_hub_and_edge_run_logs_no_secret_and_no_full_mobile(tmp_path, broker, captured):
    from edge.config import EdgeConfig
    from edge.daemon import EdgeDaemon

    (tmp_path / "pw").write_text(PASSWORD + "\n", encoding="utf-8")
    hub = make_hub(tmp_path, broker, areas=["hub.integrations.metrics"])
    site = hub.config.site.id
    edge_cfg = validate({"site": {"id": site}, "storage": {"dir": str(tmp_path / "edge")},
                         "mqtt": {"port": broker.port, "username": "lane", "password_file": str(tmp_path / "pw"),
                                  "keepalive": 5},
                         "device": {"id": "lane-east", "kind": "lane"}}, EdgeConfig)
    edge = EdgeDaemon(edge_cfg, clock_check=lambda: True).start()
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    Thread(target=hook.serve_forever, daemon=True).start()
    try:
        edge.outbox.emit("fault", {"code": "test", "active": True, "detail": "resident 13812345678 called"})
        wait_until(lambda: count(hub, "events") == 1)
        with Publisher(broker.port) as pub:  # a device named like a phone number sends garbage
            pub.raw(f"gatewarden/{site}/13912345678/passage", b"{bad")
        wait_until(lambda: count(hub, "quarantine") == 1)
        # httpx logs every request's full URL at INFO, as the chat sender's webhook calls would be
        httpx.post(f"http://127.0.0.1:{hook.server_address[1]}/cgi-bin/webhook/send?key={WEBHOOK_KEY}", json={})
        logging.getLogger("edge.test").error("careless: mqtt password %s for owner 13700001111", PASSWORD)
    finally:
        hook.shutdown()
        edge.stop()
        hub.stop()
    text = captured.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert any("13912345678"[:3] + "****" + "5678" in line["msg"] for line in lines)  # the quarantine said where
    assert any("key=***" in line["msg"] for line in lines)  # httpx's request line, masked
    assert any(line["logger"] == "edge.test" for line in lines)
    assert MOBILE.findall(text) == []
    assert PASSWORD not in text and WEBHOOK_KEY not in text
