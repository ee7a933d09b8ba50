"""What goes out when: quiet hours, mentions and escalation, acknowledgement links, device
alerts with debounce and inhibition, follow-ups, privacy."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from gwcommon.clock import FakeClock
from gwcommon.wire import Fault
from hub.alerts import ack, queue_alert, resolve_alert, retract_alert, roster
from hub.alerts.api import queue_charging, queue_digest, queue_fire_lane, queue_reminder
from hub.alerts.outbox import ts
from tests.support.fakechat import OWNER_NAMES, Received, Rig, fakechat, privacy_problems  # noqa: F401

LATE = datetime(2026, 3, 2, 15, 0, tzinfo=timezone.utc)    # 23:00 in Shanghai
ROSTER = [
    roster.Entry("王五", "13800001111", start="20:00", end="08:00"),
    roster.Entry("赵六", "13900002222", start="20:00", end="08:00", position=2),
    roster.Entry("吴九", "13500005555", role="committee"),
]


@pytest.fixture
def rigs(tmp_path):
    made: list[Rig] = []

    def make(chats, **kw) -> Rig:
        rig = Rig(tmp_path, chats, **kw)
        for chat in chats:
            chat.clock = rig.clock
        rig.call(lambda db: roster.replace_all(db, ROSTER))
        made.append(rig)
        return rig

    yield make
    for rig in made:
        rig.close()


def fire(rig: Rig, vid: str = "v-1") -> int:
    now = rig.clock.now()
    return rig.call(lambda db: queue_fire_lane(db, violation_id=vid, zone="北侧消防通道", plate="浙A12345",
                                               household="3-2-401", since=now - timedelta(minutes=10), now=now))


# --- quiet hours -------------------------------------------------------------------------------

def test_quiet_hours_hold_information_but_never_warnings_or_safety(fakechat, rigs):
    wecom = fakechat("wecom")
    rig = rigs([wecom], clock=FakeClock(LATE))
    now = rig.clock.now()
    for severity in ("info", "warning", "safety"):
        rig.call(lambda db, s=severity: queue_alert(db, kind="notice", severity=s, dedup_key=s, now=now,
                                                    payload={"title": s, "severity": s}))
    rig.pump()
    assert wecom.texts == ["【安全】safety", "【提醒】warning"]  # the safety lane goes first
    rig.clock.set(datetime(2026, 3, 2, 22, 59, 59, tzinfo=timezone.utc))   # 06:59:59 local
    rig.pump()
    assert len(wecom.texts) == 2
    rig.clock.advance(1)
    rig.pump()
    assert wecom.texts[-1] == "【通知】info"


# --- mentions, escalation, acknowledgement ------------------------------------------------------

def test_the_warden_on_duty_is_mentioned_in_the_mention_field_only(fakechat, rigs):
    wecom, ding = fakechat("wecom"), fakechat("dingtalk", secret="SECd")
    rig = rigs([wecom, ding], clock=FakeClock(datetime(2026, 3, 2, 23, 30, tzinfo=timezone.utc)))  # 07:30
    deadline = rig.clock.now() + timedelta(minutes=30)
    rig.call(lambda db: queue_reminder(db, deadline=deadline, now=rig.clock.now(), items=[
        {"id": "v-9", "plate": "浙A12345", "household": "3-2-401", "since": rig.clock.now(), "owner": "张建国"}]))
    rig.pump()
    assert [r.mobiles() for r in wecom.received + ding.received] == [["13800001111"], ["13800001111"]]
    text = wecom.texts[0]
    assert "挪车提醒：1 辆车须在 08:00 前驶离临时车位" in text and "浙A·1**45（3-2-401）" in text
    assert "王五" not in text and "张建国" not in text


def test_unacknowledged_alerts_escalate_to_the_next_warden_then_the_committee(fakechat, rigs):
    wecom = fakechat("wecom")
    rig = rigs([wecom], clock=FakeClock(LATE))
    fire(rig)
    rig.pump()
    for _ in range(4):
        rig.clock.advance(timedelta(minutes=15))
        rig.pump()
    assert [r.mobiles() for r in wecom.received] == [["13800001111"], ["13900002222"], ["13500005555"]]
    assert wecom.texts[1].startswith("【安全】15 分钟无人确认，转下一位值班人员：占用消防通道")
    assert wecom.texts[2].startswith("【安全】30 分钟无人确认，转业委会：占用消防通道")


def _ack_link(text: str) -> str:
    return re.search(r"https://hub\.example(/ack/\S+)", text).group(1)


def test_the_ack_link_shows_a_button_and_pressing_it_stops_the_escalation(fakechat, rigs):
    wecom = fakechat("wecom")
    rig = rigs([wecom], clock=FakeClock(LATE))
    alert_id = fire(rig)
    rig.pump()
    path = _ack_link(wecom.texts[0])
    client = TestClient(rig.hub.web)
    page = client.get(path)
    assert page.status_code == 200 and "我来处理" in page.text and "占用消防通道：北侧消防通道" in page.text
    assert rig.rows("SELECT acked_at FROM alerts WHERE id = ?", [alert_id]) == [{"acked_at": None}]  # GET changes nothing
    assert "已确认" in client.post(path).text
    assert "已有人确认" in client.post(path).text
    rig.clock.advance(timedelta(hours=1))
    rig.pump()
    assert len(wecom.received) == 1
    assert rig.rows("SELECT acked_by FROM alerts WHERE id = ?", [alert_id]) == [{"acked_by": "chat link"}]


@pytest.mark.parametrize("tamper,status,text", [
    (lambda p: p, 410, "链接已过期"),
    (lambda p: p[:-2] + ("AA" if not p.endswith("AA") else "BB"), 400, "链接无效"),
    (lambda p: "/ack/1.2.3.4", 400, "链接无效"),
])
def test_expired_or_forged_ack_links_are_refused(fakechat, rigs, tamper, status, text):
    wecom = fakechat("wecom")
    rig = rigs([wecom], clock=FakeClock(LATE))
    fire(rig)
    rig.pump()
    path = tamper(_ack_link(wecom.texts[0]))
    rig.clock.advance(timedelta(hours=12) if status == 410 else 0)
    answer = TestClient(rig.hub.web).post(path)
    assert (answer.status_code, text in answer.text) == (status, True)
    assert rig.rows("SELECT COUNT(*) AS n FROM alerts WHERE acked_at IS NOT NULL") == [{"n": 0}]


def test_ack_tokens_sign_and_verify(tmp_path):
    secret = ack.load_or_create_secret(tmp_path)
    assert ack.load_or_create_secret(tmp_path) == secret and (tmp_path / ack.SECRET_FILE).stat().st_mode & 0o777 == 0o600
    token = ack.sign(secret, 42, LATE + timedelta(hours=1))
    assert ack.verify(secret, token, LATE) == 42
    with pytest.raises(ack.AckLinkInvalid, match="expired"):
        ack.verify(secret, token, LATE + timedelta(hours=1))
    with pytest.raises(ack.AckLinkInvalid, match="signature"):
        ack.verify(b"another secret", token, LATE)


# --- follow-ups ---------------------------------------------------------------------------------

def test_resolved_and_retracted_follow_ups_only_for_alerts_that_went_out(fakechat, rigs):
    hook = fakechat("webhook")
    rig = rigs([hook])
    now = rig.clock.now()
    rig.call(lambda db: queue_charging(db, key="shed-a:overload:1", circuit="充电棚A路", reason="overload",
                                       power_w=2300, limit_w=2000, now=now))
    fire(rig, "v-7")
    rig.pump()
    rig.clock.advance(60)
    rig.call(lambda db: resolve_alert(db, "charging:shed-a:overload:1", now=rig.clock.now()))
    rig.call(lambda db: retract_alert(db, "fire_lane:v-7", now=rig.clock.now(), reason="迟到的记录显示车辆 07:52 已驶离"))
    rig.call(lambda db: queue_charging(db, key="shed-b:overload:1", circuit="B", reason="overload", now=rig.clock.now()))
    rig.call(lambda db: resolve_alert(db, "charging:shed-b:overload:1", now=rig.clock.now()))  # before it went out
    rig.pump()
    titles = [t.splitlines()[0] for t in hook.texts]
    assert titles == ["【安全】充电过载：充电棚A路", "【安全】占用消防通道：北侧消防通道",
                      "【通知】已恢复：充电过载：充电棚A路", "【通知】撤回：占用消防通道：北侧消防通道"]
    assert "迟到的记录显示车辆 07:52 已驶离，此前的提醒作废" in hook.texts[3]
    assert rig.rows("SELECT state FROM alerts WHERE dedup_key = 'charging:shed-b:overload:1'") == [{"state": "cancelled"}]


# --- device offline and fault alerts ------------------------------------------------------------

class Ctx:
    def __init__(self, device, at):
        self.site, self.device, self.received_at = "test", device, at


def fault(rig: Rig, device: str, code: str, active: bool, seq: int) -> None:
    event = Fault(id=f"{device}-{seq}", ts=rig.clock.now(), seq=seq, code=code, active=active, detail="hci0 gone")
    [handler] = rig.hub.handlers["fault"]
    rig.call(lambda db: handler(db, event, Ctx(device, rig.clock.now())))


def seen(rig: Rig, device: str, kind: str = "gate") -> None:
    row = {"device": device, "kind": kind, "status_online": 1, "last_seen": ts(rig.clock.now()), "online": 1,
           "last_seq": 0, "events": 0, "duplicates": 0}
    rig.call(lambda db: db["devices"].upsert(row, pk="device"))


def test_a_short_fault_is_debounced_away_a_long_one_alerted_and_resolved(fakechat, rigs):
    hook = fakechat("webhook")
    rig = rigs([hook], extra={"devices": [{"id": "lane-east", "label": "东侧停车带扫描"}]})
    seen(rig, "lane-east", "lane")
    fault(rig, "lane-east", "camera_unavailable", True, 1)
    rig.clock.advance(120)
    fault(rig, "lane-east", "camera_unavailable", False, 2)
    seen(rig, "lane-east", "lane")
    rig.clock.advance(600)
    seen(rig, "lane-east", "lane")
    rig.pump()
    assert hook.texts == []
    fault(rig, "lane-east", "camera_unavailable", True, 3)
    for _ in range(4):
        rig.clock.advance(60)
        seen(rig, "lane-east", "lane")
        rig.pump()
    fault(rig, "lane-east", "camera_unavailable", False, 4)
    rig.clock.advance(5)
    rig.pump()
    # named by its label ([[devices]]), and told what to do
    assert [t.splitlines()[0] for t in hook.texts] == ["【提醒】设备故障：东侧停车带扫描（车道监测） 摄像头不可用",
                                                      "【通知】已恢复：设备故障：东侧停车带扫描（车道监测） 摄像头不可用"]
    assert "请安装维护人员检查摄像头的电源" in hook.texts[0]


def test_an_offline_gate_is_one_alert_its_faults_are_suppressed(fakechat, rigs):
    hook = fakechat("webhook")
    rig = rigs([hook], clock=FakeClock(datetime(2026, 3, 3, 2, 0, tzinfo=timezone.utc)))
    seen(rig, "gate-north")
    rig.pump()
    rig.clock.advance(121)                       # silent past offline_after: offline
    rig.pump()
    rig.clock.advance(60)
    fault(rig, "gate-north", "ble_adapter_down", True, 5)   # arrives late, e.g. over a flaky link
    for _ in range(6):
        rig.clock.advance(60)
        rig.pump()
    assert [t.splitlines()[0] for t in hook.texts] == ["【提醒】设备离线：gate-north（道闸）"]
    assert "自 10:00 起无响应" in hook.texts[0]                # last heard from, local time
    assert rig.rows("SELECT state, note FROM alerts WHERE kind = 'device_fault'") == [
        {"state": "suppressed", "note": "device offline"}]
    seen(rig, "gate-north")
    rig.clock.advance(3)
    rig.pump()
    assert hook.texts[-1].startswith("【通知】已恢复：设备离线：gate-north（道闸）")


# --- privacy ------------------------------------------------------------------------------------

def test_no_owner_name_or_full_mobile_reaches_the_chat(fakechat, rigs):
    wecom, hook = fakechat("wecom"), fakechat("webhook")
    rig = rigs([wecom, hook], clock=FakeClock(LATE))
    now = rig.clock.now()
    items = [{"id": f"v-{n}", "plate": f"浙A1234{n}", "household": f"{n}-1-101", "owner": OWNER_NAMES[n],
              "mobile": f"1380000111{n}", "since": now} for n in range(3)]
    rig.call(lambda db: queue_digest(db, deadline=now, items=items, now=now))
    rig.call(lambda db: queue_alert(db, kind="notice", severity="warning", dedup_key="careless", now=now,
                                    payload={"title": "联系 13800001110", "lines": ["车主电话 13912345678"]}))
    rig.pump()
    texts = wecom.texts + hook.texts
    assert len(texts) == 4 and "138****1110" in texts[1]
    assert privacy_problems(wecom.received + hook.received) == []


def test_the_privacy_check_would_catch_a_leak():
    leak = Received("wecom", "/", {}, {}, b"", {"msgtype": "text", "text": {
        "content": f"车主{OWNER_NAMES[0]} 13800001111", "mentioned_mobile_list": ["13900002222"]}},
        datetime(2026, 1, 1, tzinfo=timezone.utc))
    problems = privacy_problems([leak])
    assert len(problems) == 2 and not any("13900002222" in p for p in problems)
