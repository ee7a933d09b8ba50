"""The durable outbox and the sender: retries, rate limits, dedup, target faults, crash recovery."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.alerts import queue_alert
from hub.alerts.outbox import add_message, due, requeue
from tests.support.fakechat import Rig, fakechat  # noqa: F401  (fixture)


@pytest.fixture
def rigs(tmp_path):
    made: list[Rig] = []

    def make(chats, **kw) -> Rig:
        rig = Rig(tmp_path, chats, **kw)
        for chat in chats:
            chat.clock = rig.clock
        made.append(rig)
        return rig

    yield make
    for rig in made:
        rig.close()


def notice(rig: Rig, key: str, severity: str = "warning", **kw) -> int:
    now = rig.clock.now()
    return rig.call(lambda db: queue_alert(db, kind="notice", severity=severity, dedup_key=key, now=now,
                                           payload={"title": f"通知 {key}", "severity": severity}, **kw))


def states(rig: Rig) -> list[tuple[str, str, int]]:
    return [(r["target"], r["state"], r["attempts"]) for r in rig.rows("SELECT * FROM alert_outbox ORDER BY id")]


def test_rate_limit_answers_are_retried_with_backoff_until_sent(fakechat, rigs):
    wecom = fakechat("wecom")
    rig = rigs([wecom])
    wecom.answer(45009, 45009)
    notice(rig, "a")
    rig.pump()
    assert states(rig) == [("wecom-1", "failed", 1)]
    rig.clock.advance(30)
    rig.pump()                                   # 45009 pauses the robot for a minute
    assert len(wecom.received) == 1
    rig.clock.advance(31)
    rig.pump()
    assert states(rig) == [("wecom-1", "failed", 2)]
    rig.clock.advance(61)
    rig.pump()
    assert states(rig) == [("wecom-1", "sent", 3)]
    assert wecom.texts == ["【提醒】通知 a"] * 3


def test_sixty_pending_never_more_than_twenty_a_minute_to_one_wecom_robot(fakechat, rigs):
    wecom = fakechat("wecom")
    rig = rigs([wecom])
    for n in range(60):
        notice(rig, f"n{n}")
    for _ in range(600):
        rig.pump()
        if len(wecom.received) == 60:
            break
        rig.clock.advance(1)
    stamps = sorted(r.at for r in wecom.received)
    assert len(stamps) == 60 and sorted(wecom.texts) == sorted(f"【提醒】通知 n{n}" for n in range(60))
    worst = max(sum(1 for t in stamps[i:] if t < s + timedelta(seconds=60)) for i, s in enumerate(stamps))
    assert worst <= 20


def test_dingtalk_send_too_fast_locks_the_robot_for_ten_minutes(fakechat, rigs):
    ding = fakechat("dingtalk", secret="SECx")
    rig = rigs([ding])
    ding.answer(130101)
    notice(rig, "a")
    notice(rig, "b")
    rig.pump()
    assert len(ding.received) == 1
    rig.clock.advance(599)
    rig.pump()
    assert len(ding.received) == 1
    rig.clock.advance(2)
    rig.pump()
    assert sorted(ding.texts[1:]) == ["【提醒】通知 a", "【提醒】通知 b"]


def test_a_repeated_dedup_key_alerts_once(fakechat, rigs):
    hook = fakechat("webhook")
    rig = rigs([hook])
    first = notice(rig, "same")
    assert notice(rig, "same") == first
    rig.pump(3)
    assert notice(rig, "same") == first
    rig.pump(3)
    assert len(hook.received) == 1 and len(rig.rows("SELECT * FROM alerts")) == 1


class SimulatedCrash(BaseException):
    """The hub dies (power cut) between the chat service's answer and the database update."""


def test_killed_between_sending_and_recording_sends_again_marked_resent(fakechat, rigs, tmp_path):
    wecom = fakechat("wecom")
    rig = rigs([wecom])
    for key in ("a", "b", "c"):
        notice(rig, key)
    rig.tick()
    calls = []

    def crash_on_second(row, verdict):
        calls.append(row["id"])
        if len(calls) == 2:
            raise SimulatedCrash()
    rig.sender.after_send = crash_on_second
    with pytest.raises(SimulatedCrash):
        rig.sender.run_once()
    assert [r["state"] for r in rig.rows("SELECT state FROM alert_outbox ORDER BY id")] == ["sent", "sending", "pending"]
    rig.close()

    again = rigs([wecom])                         # the hub starts again on the same database
    assert again.recovered == 1
    again.clock.advance(61)                       # the robot was used in the last minute: wait it out
    again.pump()
    assert wecom.texts == ["【提醒】通知 a", "【提醒】通知 b", "[重发] 【提醒】通知 b", "【提醒】通知 c"]
    rows = again.rows("SELECT state, resent FROM alert_outbox ORDER BY id")
    assert [(r["state"], r["resent"]) for r in rows] == [("sent", 0), ("sent", 1), ("sent", 0)]


def test_a_restarted_hub_waits_out_the_minute_a_robot_was_last_used(fakechat, rigs):
    wecom = fakechat("wecom")
    rig = rigs([wecom])
    for n in range(4):
        notice(rig, f"n{n}")
    rig.pump()
    assert len(wecom.received) == 4
    rig.close()
    again = rigs([wecom])
    for n in range(4, 8):
        notice(again, f"n{n}")
    again.pump()
    again.clock.advance(30)
    again.pump()
    assert len(wecom.received) == 4
    again.clock.advance(31)
    again.pump()
    assert len(wecom.received) == 8


def test_a_dead_key_raises_a_target_fault_keeps_the_message_and_tells_the_other_targets(fakechat, rigs):
    wecom, hook = fakechat("wecom"), fakechat("webhook")
    rig = rigs([wecom, hook])
    wecom.answer(93000)
    notice(rig, "a")
    rig.pump(2)
    faults = rig.rows("SELECT target, code, active FROM alert_target_faults")
    assert faults == [{"target": "wecom-1", "code": "93000", "active": 1}]
    assert hook.texts == ["【提醒】通知 a", "【提醒】群机器人 wecom-1 拒收消息（错误码 93000）\n"
                          "请检查机器人地址或密钥；给它的消息已保存，修好后会补发。\n详情：https://hub.example/devices"]
    assert wecom.texts == ["【提醒】通知 a"]                     # not told about itself
    assert ("wecom-1", "failed", 1) in states(rig)
    rig.clock.advance(timedelta(minutes=30))                    # someone fixed the key: the probe gets through
    rig.pump()
    assert wecom.texts == ["【提醒】通知 a", "【提醒】通知 a"]
    assert rig.rows("SELECT active FROM alert_target_faults") == [{"active": 0}]


def test_a_message_the_service_rejects_is_dead_visible_and_can_be_sent_again(fakechat, rigs):
    ding = fakechat("dingtalk")
    rig = rigs([ding])
    ding.answer(460101)
    notice(rig, "a")
    rig.pump()
    [row] = rig.rows("SELECT id, state, last_error FROM alert_outbox")
    assert row["state"] == "dead" and row["last_error"].startswith("460101")
    assert rig.call(lambda db: requeue(db, row["id"], rig.clock.now()))
    rig.pump()
    assert states(rig) == [("dingtalk-1", "sent", 1)]


def test_a_message_failing_for_too_long_is_given_up_not_lost_silently(fakechat, rigs, caplog):
    hook = fakechat("webhook")
    rig = rigs([hook], alerts={"give_up_after": "1h", "retry_max": "10m"})
    hook.answer_http(*([503] * 30))
    notice(rig, "a")
    for _ in range(20):
        rig.pump()
        rig.clock.advance(timedelta(minutes=10))
    [row] = rig.rows("SELECT state, attempts, last_error FROM alert_outbox")
    assert row["state"] == "dead" and row["last_error"] == "HTTP 503" and 5 <= row["attempts"] <= 8
    assert "given up" in caplog.text


def test_a_target_removed_from_the_config_kills_its_messages_visibly(fakechat, rigs, tmp_path):
    wecom, hook = fakechat("wecom"), fakechat("webhook")
    rig = rigs([wecom, hook])
    wecom.answer_http(503)
    notice(rig, "a")
    rig.pump()
    rig.close()
    again = rigs([hook])
    again.clock.advance(120)
    again.pump()
    rows = {r["target"]: (r["state"], r["last_error"]) for r in again.rows("SELECT * FROM alert_outbox")}
    assert rows["wecom-1"] == ("dead", "chat target wecom-1 is no longer configured")


def test_a_long_queue_for_one_robot_does_not_hide_another_targets_messages(fakechat, rigs):
    rig = rigs([fakechat("wecom"), fakechat("webhook")])
    now = rig.clock.now()

    def fill(db):
        for n in range(120):
            add_message(db, alert_id=None, dedup_key=f"w{n}", target="wecom-1", audience="warden", msg_type="text",
                        body={"text": "x"}, now=now)
        add_message(db, alert_id=None, dedup_key="h", target="webhook-1", audience="warden", msg_type="text",
                    body={"text": "x"}, now=now)
    rig.call(fill)
    rows = rig.call(lambda db: due(db, now, per_target=50))
    assert [r["target"] for r in rows].count("wecom-1") == 50 and rows[-1]["target"] == "webhook-1"
