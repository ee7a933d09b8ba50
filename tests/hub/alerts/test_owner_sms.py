"""Texting a car's owner (挪车短信) through Aliyun SMS and Tencent Cloud SMS, checked by local fakes
that verify each provider's documented signature and request shape."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from gwcommon.config import validate
from gwcommon.exc import ConfigError
from hub.alerts import owner_sms
from hub.alerts.config import ChatConfig
from hub.alerts.sms import AliyunSmsTarget, SmsConfig, TencentSmsTarget, judge_answer
from hub.alerts.targets import Part
from hub.overnight.notices import notice
from tests.support.fakechat import START, Rig
from tests.support.fakesms import KEY_ID, SECRET, FakeSms

TZ = ZoneInfo("Asia/Shanghai")
DEADLINE = datetime(2026, 3, 3, 0, 0, tzinfo=timezone.utc)  # 08:00 in Shanghai


@pytest.fixture(params=["aliyun", "tencent"])
def fake(request):
    server = FakeSms(request.param).start()
    yield server
    server.stop()


def sms_config(fake: FakeSms, **extra) -> dict:
    cfg = {"provider": fake.provider, "access_key_id": KEY_ID, "sign_name": "平安小区", "endpoint": fake.url,
           "reminder_template": "SMS_100001" if fake.provider == "aliyun" else "100001",
           "deadline_template": "SMS_100002" if fake.provider == "aliyun" else "100002"}
    if fake.provider == "tencent":
        cfg["sdk_app_id"] = "1400000001"
    return {**cfg, **extra}


def target(fake: FakeSms, **extra):
    cfg = validate(sms_config(fake, **extra), SmsConfig)
    cls = AliyunSmsTarget if fake.provider == "aliyun" else TencentSmsTarget
    return cls(cfg, secret=SECRET)


def text(mobile="13800138000", template="reminder"):
    return Part("sms", mobiles=(mobile,), meta={"template": template,
                                                "params": {"plate": "浙A·1**45", "time": "08:00", "place": "东侧夜停带"}})


def test_a_signed_text_reaches_each_provider_with_the_template_filled_in(fake):
    verdict = target(fake).send(text(), START)
    assert verdict.outcome == "ok", verdict
    sent = fake.sent[0]
    assert sent.sign_name == "平安小区"
    if fake.provider == "aliyun":
        assert (sent.mobile, sent.template) == ("13800138000", "SMS_100001")
        assert sent.params == {"plate": "浙A·1**45", "time": "08:00", "place": "东侧夜停带"}
    else:
        assert (sent.mobile, sent.template) == ("+8613800138000", "100001")
        assert sent.params == ["浙A·1**45", "08:00", "东侧夜停带"]


def test_a_wrong_secret_is_a_target_fault_not_a_silent_loss(fake):
    cfg = validate(sms_config(fake), SmsConfig)
    cls = AliyunSmsTarget if fake.provider == "aliyun" else TencentSmsTarget
    verdict = cls(cfg, secret="not-the-secret").send(text(), START)
    assert verdict.outcome == "target_fault" and "Signature" in verdict.detail
    assert fake.sent == []


@pytest.mark.parametrize("codes, outcome", [
    ({"aliyun": "isv.BUSINESS_LIMIT_CONTROL", "tencent": "LimitExceeded.PhoneNumberDailyLimit"}, "reject"),
    ({"aliyun": "isv.MOBILE_NUMBER_ILLEGAL", "tencent": "InvalidParameterValue.IncorrectPhoneNumber"}, "reject"),
    ({"aliyun": "isv.SMS_TEMPLATE_ILLEGAL", "tencent": "FailedOperation.TemplateIncorrectOrUnapproved"}, "target_fault"),
    ({"aliyun": "isv.AMOUNT_NOT_ENOUGH", "tencent": "FailedOperation.InsufficientBalanceInSmsPackage"}, "target_fault"),
    ({"aliyun": "Throttling.User", "tencent": "RequestLimitExceeded"}, "retry"),
    ({"aliyun": "isp.SYSTEM_ERROR", "tencent": "InternalError.Timeout"}, "retry"),
])
def test_each_provider_error_is_handled_as_it_means(fake, codes, outcome):
    fake.answer(codes[fake.provider])
    verdict = target(fake).send(text(), START)
    assert verdict.outcome == outcome, verdict
    assert codes[fake.provider] in verdict.detail


def test_nothing_is_sent_without_an_approved_template(fake):
    verdict = target(fake, deadline_template="").send(text(template="deadline"), START)
    assert verdict.outcome == "reject" and fake.sent == [] and fake.refused == []


@pytest.mark.parametrize("status, body, outcome", [
    (502, b"", "retry"), (200, b"<html>", "retry"), (200, b'{"Code": "OK"}', "ok"),
    (200, b'{"Response": {"Error": {"Code": "AuthFailure.SecretIdNotFound"}}}', "target_fault"),
])
def test_odd_answers(status, body, outcome):
    assert judge_answer(status, body).outcome == outcome


@pytest.mark.parametrize("data, error", [
    ({"provider": "aliyun", "sign_name": "x", "reminder_template": "SMS_1"}, "needs access_key_id"),
    ({"provider": "tencent", "access_key_id": "k", "sign_name": "x", "reminder_template": "1"}, "needs sdk_app_id"),
    ({"provider": "aliyun", "access_key_id": "k", "sign_name": "x"}, "nothing is sent without an approved template"),
])
def test_an_incomplete_sms_config_fails_at_start(data, error):
    with pytest.raises(ConfigError, match=error):
        validate(data, SmsConfig)


# --- who gets a text ---------------------------------------------------------------------------

PLANNER = owner_sms.OwnerSms(tz=TZ, templates=frozenset({"reminder", "deadline"}), daily_cap=2,
                             opt_out=frozenset({"9-9-909"}))
OWNERS = {"浙A12345": ("1-101", "13800138000;0571-88886666"), "浙B12345": ("9-9-909", "13900139000"),
          "浙C12345": ("2-202", ""), "浙D12345": ("3-303", "13700137000;13600136000")}


def test_the_planner_texts_mobiles_only_respects_opt_out_and_the_daily_cap():
    items = [{"plate": p, "zone": "东侧夜停带"} for p in OWNERS] + [{"plate": None, "zone": "x"}]
    texts = PLANNER.plan("reminder", items, deadline=DEADLINE, owners=OWNERS, sent_today={"13700137000": 2})
    assert [(t.mobile, t.params["plate"]) for t in texts] == [("13800138000", "浙A·1**45"),
                                                            ("13600136000", "浙D·1**45")]
    assert texts[0].params == {"plate": "浙A·1**45", "time": "08:00", "place": "东侧夜停带"}
    assert len({t.dedup_key for t in texts}) == 2
    assert PLANNER.plan("deadline", items, deadline=DEADLINE, owners=OWNERS, sent_today={}) != []
    only_reminder = owner_sms.OwnerSms(tz=TZ, templates=frozenset({"reminder"}))
    assert only_reminder.plan("deadline", items, deadline=DEADLINE, owners=OWNERS, sent_today={}) == []


@pytest.mark.parametrize("data, texted", [
    ({"rule": "overnight", "state": "open", "provisional": False}, True),
    ({"rule": "overnight", "state": "open", "provisional": True}, False),   # never on incomplete data
    ({"rule": "overnight", "state": "retracted", "provisional": False}, False),
    ({"rule": "fire_lane", "state": "open", "provisional": False}, False),
])
def test_only_a_confirmed_overnight_violation_texts_the_owner(tmp_path, data, texted, monkeypatch):
    server = FakeSms("aliyun").start()
    monkeypatch.setenv("GATEWARDEN_SMS_SECRET", SECRET)
    rig = Rig(tmp_path, [], extra={"sms": sms_config(server)})
    try:
        rig.call(seed_vehicles)
        rig.tick()  # the first tick only sets the notices cursor
        payload = {"id": "v-1", "plate": "浙A12345", "household": "1-101", "zone": "east", "deadline":
                   "2026-03-03T00:00:00.000+00:00", **data}
        rig.call(lambda db: notice(db, "violation", payload, at=rig.clock.now()))
        rig.pump(2)
        assert [s.template for s in server.sent] == (["SMS_100002"] if texted else [])
    finally:
        rig.close()
        server.stop()


def seed_vehicles(db):
    now = "2026-03-01T00:00:00.000+00:00"
    db.execute("INSERT INTO households(name, created_at) VALUES ('1-101', ?)", [now])
    db.execute("INSERT INTO vehicles(plate, household, owner, mobile, note, created_at, updated_at) "
               "VALUES ('浙A12345', '1-101', '张建国', '13800138000', '', ?, ?)", [now, now])


def test_the_reminder_texts_through_the_durable_outbox_once_even_across_a_restart(tmp_path, monkeypatch):
    server = FakeSms("tencent").start()
    monkeypatch.setenv("GATEWARDEN_SMS_SECRET", SECRET)
    extra = {"sms": sms_config(server, daily_cap=1)}
    rig = Rig(tmp_path, [], extra=extra)
    try:
        rig.call(seed_vehicles)
        rig.tick()
        items = [{"id": "s-1", "plate": "浙A12345", "household": "1-101", "since": "2026-03-02T13:00:00.000+00:00",
                  "zone": "east"}]
        rig.call(lambda db: notice(db, "reminder", {"deadline": "2026-03-03T00:00:00.000+00:00", "items": items},
                                   at=rig.clock.now()))
        rig.call(lambda db: notice(db, "reminder", {"deadline": "2026-03-03T00:00:00.000+00:00", "items": items},
                                   at=rig.clock.now()))  # the same reminder twice: one text
        rig.pump(2)
        assert [(s.mobile, s.template) for s in server.sent] == [("+8613800138000", "100001")]
        rows = rig.rows("SELECT target, msg_type, state, body FROM alert_outbox WHERE target = 'sms'")
        assert [(r["msg_type"], r["state"]) for r in rows] == [("sms", "sent")]
        assert json.loads(rows[0]["body"])["meta"]["params"]["plate"] == "浙A·1**45"
    finally:
        rig.close()
    rig = Rig(tmp_path, [], extra=extra, clock=rig.clock)  # restart: nothing sent again
    try:
        rig.clock.advance(timedelta(minutes=5))
        rig.pump(2)
        assert len(server.sent) == 1
    finally:
        rig.close()
        server.stop()


def test_a_text_still_waiting_is_given_up_when_the_violation_is_retracted(tmp_path, monkeypatch):
    server = FakeSms("aliyun").start()
    monkeypatch.setenv("GATEWARDEN_SMS_SECRET", SECRET)
    rig = Rig(tmp_path, [], extra={"sms": sms_config(server)})
    try:
        rig.call(seed_vehicles)
        rig.tick()
        base = {"id": "v-1", "rule": "overnight", "plate": "浙A12345", "household": "1-101", "zone": "east",
                "deadline": "2026-03-03T00:00:00.000+00:00", "provisional": False}
        server.answer("isp.SYSTEM_ERROR")  # the provider is down: the text waits for a retry
        rig.call(lambda db: notice(db, "violation", {**base, "state": "open"}, at=rig.clock.now()))
        rig.pump(2)
        assert server.sent == [] and [r["state"] for r in rig.rows(
            "SELECT state FROM alert_outbox WHERE target = 'sms'")] == ["failed"]
        rig.call(lambda db: notice(db, "violation", {**base, "state": "retracted"}, at=rig.clock.now()))
        rig.tick()
        rig.clock.advance(timedelta(hours=1))
        rig.pump(2)
        assert server.sent == []  # the owner whose car had left is never told to move it
        assert [r["state"] for r in rig.rows("SELECT state FROM alert_outbox WHERE target = 'sms'")] == ["dead"]
    finally:
        rig.close()
        server.stop()


def test_a_provisional_reminder_texts_nobody(tmp_path, monkeypatch):
    server = FakeSms("tencent").start()
    monkeypatch.setenv("GATEWARDEN_SMS_SECRET", SECRET)
    rig = Rig(tmp_path, [], extra={"sms": sms_config(server)})
    try:
        rig.call(seed_vehicles)
        rig.tick()
        items = [{"id": "s-1", "plate": "浙A12345", "household": "1-101", "zone": "east"}]
        rig.call(lambda db: notice(db, "reminder", {"deadline": "2026-03-03T00:00:00.000+00:00", "items": items,
                                                    "provisional": True}, at=rig.clock.now()))
        rig.pump(2)
        assert server.sent == []
    finally:
        rig.close()
        server.stop()


def test_a_chat_target_cannot_take_the_sms_name():
    from hub.alerts.targets import make_targets

    with pytest.raises(ConfigError, match="reserved"):
        make_targets([validate({"kind": "webhook", "url": "http://127.0.0.1:9/x", "name": "sms"}, ChatConfig)])
