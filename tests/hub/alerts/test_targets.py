"""Each chat service against its local fake: exact request shape, signatures, documented errors."""

from __future__ import annotations

import base64
import hashlib
import sys
from datetime import datetime, timedelta, timezone

import cv2
import numpy as np
import pytest

from gwcommon.clock import FakeClock
from gwcommon.config import validate
from gwcommon.exc import ConfigError
from hub.alerts.targets import (
    DingTalkTarget,
    FeishuTarget,
    Part,
    WebhookTarget,
    WeComTarget,
    make_targets,
)
from hub.config import HubConfig
from tests.support.fakechat import fakechat  # noqa: F401  (fixture)

NOW = datetime(2026, 3, 3, 0, 0, 30, tzinfo=timezone.utc)
CLASSES = {"wecom": WeComTarget, "dingtalk": DingTalkTarget, "feishu": FeishuTarget, "webhook": WebhookTarget}
META = {"kind": "notice", "severity": "info", "alert_id": 1, "resent": False}
SECRETS = {"wecom": None, "dingtalk": "SECdingtalk", "feishu": "feishu-secret", "webhook": "hook-secret"}


def jpeg() -> bytes:
    return cv2.imencode(".jpg", np.full((40, 60, 3), 200, np.uint8))[1].tobytes()


def make(fakechat, kind, secret="default"):
    secret = SECRETS[kind] if secret == "default" else secret
    chat = fakechat(kind, secret=secret, clock=FakeClock(NOW))
    return chat, CLASSES[kind](chat.url, name=kind, secret=secret, timeout=5)


@pytest.mark.parametrize("kind", sorted(CLASSES))
@pytest.mark.parametrize("signed", [True, False])
def test_text_with_mentions_is_shaped_and_signed_as_documented(fakechat, kind, signed):
    chat, target = make(fakechat, kind, "default" if signed else None)
    verdict = target.send(Part("text", text="【安全】占用消防通道", mobiles=("13800001111",),
                               meta={"kind": "fire_lane", "severity": "safety", "alert_id": 1, "resent": False}), NOW)
    assert verdict.outcome == "ok"
    assert chat.problems() == []
    [received] = chat.received
    assert received.text.endswith("【安全】占用消防通道")
    assert received.mobiles() == ([] if kind == "feishu" else ["13800001111"])
    assert "13800001111" not in received.text


def test_dingtalk_signs_every_request_afresh_without_growing_the_url(fakechat):
    chat, target = make(fakechat, "dingtalk")
    for offset in (0, 3600 * 5):
        chat.clock.set(NOW + timedelta(seconds=offset))
        target.send(Part("text", text="x"), NOW + timedelta(seconds=offset))
    stamps = [r.query["timestamp"] for r in chat.received]
    assert chat.problems() == [] and stamps[0] != stamps[1] and all(len(s) == 1 for s in stamps)


def test_wecom_image_carries_base64_and_md5_of_the_raw_jpeg(fakechat):
    chat, target = make(fakechat, "wecom")
    data = jpeg()
    assert target.send(Part("image", image=data), NOW).outcome == "ok"
    [received] = chat.received
    assert received.body["image"]["md5"] == hashlib.md5(data).hexdigest()
    assert base64.b64decode(received.body["image"]["base64"]) == data and chat.problems() == []


def test_wecom_markdown(fakechat):
    chat, target = make(fakechat, "wecom")
    target.send(Part("markdown", text="**违停晨报**"), NOW)
    assert chat.received[0].body == {"msgtype": "markdown", "markdown": {"content": "**违停晨报**"}}


def test_feishu_mentions_by_user_id(fakechat):
    chat, target = make(fakechat, "feishu")
    target.send(Part("text", text="充电过载", feishu_ids=("ou_abc",)), NOW)
    assert chat.received[0].text == '<at user_id="ou_abc"></at> 充电过载'


@pytest.mark.parametrize("kind,code,outcome", [
    ("wecom", 45009, "retry"), ("wecom", 93000, "target_fault"),
    ("dingtalk", 130101, "retry"), ("dingtalk", 310000, "target_fault"), ("dingtalk", 460101, "reject"),
    ("feishu", 11232, "retry"), ("feishu", 19021, "target_fault"), ("feishu", 19022, "target_fault"),
    ("feishu", 19024, "target_fault"), ("feishu", 9499, "reject"),
])
def test_documented_error_codes_in_an_http_200_answer(fakechat, kind, code, outcome):
    chat, target = make(fakechat, kind)
    chat.answer(code)
    verdict = target.send(Part("text", text="x"), NOW)
    assert (verdict.outcome, verdict.code) == (outcome, code)


@pytest.mark.parametrize("status,outcome", [(500, "retry"), (502, "retry"), (429, "retry"), (404, "target_fault"),
                                            (403, "target_fault"), (400, "reject")])
def test_http_errors(fakechat, status, outcome):
    chat, target = make(fakechat, "webhook")
    chat.answer_http(status)
    assert target.send(Part("text", text="x", meta=META), NOW).outcome == outcome


def test_an_unreachable_service_is_a_retry():
    target = WebhookTarget("http://127.0.0.1:9/none", name="gone", timeout=2)
    verdict = target.send(Part("text", text="x"), NOW)
    assert verdict.outcome == "retry" and "ConnectError" in verdict.detail


def test_secrets_come_from_files_relative_to_the_config(tmp_path):
    (tmp_path / "dt.secret").write_text("SECfromfile\n")
    config = validate({"site": {"id": "t"}, "chat": [{"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send",
                                                      "secret_file": "dt.secret"}]}, HubConfig, base_dir=tmp_path)
    [target] = make_targets(config.chat)
    assert target.secret == "SECfromfile" and target.name == "dingtalk-1"


def test_a_missing_secret_file_fails_at_start_with_its_key(tmp_path):
    config = validate({"site": {"id": "t"}, "chat": [{"kind": "feishu", "url": "https://open.feishu.cn/x",
                                                      "secret_file": str(tmp_path / "nope")}]}, HubConfig)
    with pytest.raises(ConfigError, match=r"chat\[0\]\.secret_file: cannot read"):
        make_targets(config.chat)


def test_apprise_says_clearly_when_it_is_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "apprise", None)   # what an installation without the extra looks like
    config = validate({"site": {"id": "t"}, "chat": [{"kind": "apprise", "url": "ntfy://ntfy.sh/topic"}]}, HubConfig)
    with pytest.raises(ConfigError, match=r"optional package apprise \(pip install 'gatewarden\[apprise\]'\)"):
        make_targets(config.chat)


def test_target_names_must_be_unique():
    config = validate({"site": {"id": "t"}, "chat": [{"kind": "webhook", "url": "http://a/x", "name": "x"},
                                                     {"kind": "webhook", "url": "http://b/x", "name": "x"}]}, HubConfig)
    with pytest.raises(ConfigError, match="unique"):
        make_targets(config.chat)
