"""The morning digest and the other alerts from the overnight area's records; the contact sheet;
the alerts area inside a real hub."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import cv2
import numpy as np
import pytest

from gwcommon.clock import FakeClock
from hub.alerts import contactsheet
from hub.alerts.outbox import ts
from tests.support.fakechat import Rig, fakechat  # noqa: F401  (fixture)
from tests.support.hubrun import make_hub, publish_event, wait_until

DEADLINE = datetime(2026, 3, 3, 0, 0, tzinfo=timezone.utc)      # 08:00 on 3 March in Shanghai
START = DEADLINE - timedelta(hours=1)


def picture(path, shade: int, size=(480, 640)) -> None:
    image = np.full((*size, 3), shade, np.uint8)
    cv2.rectangle(image, (50, 50), (300, 200), (0, 0, 255), -1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(cv2.imencode(".jpg", image)[1].tobytes())


def add_violation(rig: Rig, n: int, *, plate: str | None, state: str = "open", rule: str = "overnight") -> str:
    vid, event_id, now = f"v-{n}", f"lane-east:boot1:{n}", ts(rig.clock.now())
    picture(rig.hub.snapshots_dir / "lane-east" / f"{n}.jpg", 60 * n % 255)

    def job(db):
        db["snapshots"].insert({"event_id": event_id, "device": "lane-east", "path": f"lane-east/{n}.jpg",
                                "bytes": 1000, "received_at": now})
        db["violations"].insert({"id": vid, "key": f"k{n}", "rule": rule, "deadline": ts(DEADLINE), "plate": plate,
                                 "household": f"{n}-2-401" if plate else None, "zone": "east-strip", "slot": None,
                                 "state": state, "provisional": 0, "evidence": json.dumps([event_id]), "ts": now,
                                 "created_at": now, "updated_at": now, "reason": "", "by": "hub"})
    rig.call(job)
    return vid


def notice(rig: Rig, kind: str, payload: dict) -> None:
    rig.call(lambda db: db["rule_notices"].insert({"kind": kind, "payload": json.dumps(payload, ensure_ascii=False),
                                                   "created_at": ts(rig.clock.now())}))


@pytest.fixture
def rig(tmp_path, fakechat):
    wecom, ding = fakechat("wecom"), fakechat("dingtalk")
    made = Rig(tmp_path, [wecom, ding], clock=FakeClock(START),
               extra={"zones": [{"name": "east-strip", "kind": "night", "label": "东侧临时停车带"},
                                {"name": "fire-north", "kind": "never", "grace": "10m", "label": "北侧消防通道"}]})
    wecom.clock = ding.clock = made.clock
    made.wecom, made.ding = wecom, ding
    made.tick()                                   # first start: the notice cursor begins here
    yield made
    made.close()


def test_one_digest_with_masked_plates_and_one_contact_sheet_after_the_deadline(rig):
    for n, plate in ((1, "浙A12345"), (2, "浙GD67890"), (3, None)):
        add_violation(rig, n, plate=plate)
    add_violation(rig, 4, plate="浙B11111", state="retracted")
    rig.call(lambda db: db["ovn_deadlines"].insert({"deadline": ts(DEADLINE), "day": "2026-03-03", "day_kind": "working",
                                                    "day_source": "chinese_calendar", "decided_at": ts(DEADLINE),
                                                    "provisional": 0, "violations": 3}))
    rig.clock.set(DEADLINE + timedelta(seconds=89))
    rig.pump()
    assert rig.wecom.received == []               # digest_delay: 90 s after the deadline
    rig.clock.advance(2)
    rig.pump()
    assert rig.wecom.texts == rig.ding.texts
    [text] = rig.wecom.texts
    assert text.splitlines()[:4] == ["【提醒】违停晨报：08:00 后仍停在临时车位 3 辆", "1. 浙A·1**45（1-2-401）　东侧临时停车带",
                                     "2. 浙G·D***90（2-2-401）　东侧临时停车带", "3. 无标签车辆　东侧临时停车带"]
    assert "https://hub.example/violations?deadline=2026-03-03" in text
    [image] = rig.wecom.images                     # DingTalk cannot take uploaded pictures
    sheet = cv2.imdecode(np.frombuffer(__import__("base64").b64decode(image.body["image"]["base64"]), np.uint8),
                         cv2.IMREAD_COLOR)
    assert max(sheet.shape[:2]) <= 1280 and sheet.shape[1] == 1280

    rig.clock.advance(600)                        # a violation decided later for the same morning
    add_violation(rig, 5, plate="浙C55555")
    rig.pump()
    assert rig.wecom.texts[-1].splitlines()[:2] == ["【提醒】违停晨报：08:00 后仍停在临时车位 1 辆",
                                                    "1. 浙C·5**55（5-2-401）　东侧临时停车带"]
    rig.pump(3)
    assert len(rig.wecom.texts) == 2


def test_a_retracted_violation_that_was_announced_is_withdrawn_by_name(rig):
    add_violation(rig, 1, plate="浙A12345")
    rig.call(lambda db: db["ovn_deadlines"].insert({"deadline": ts(DEADLINE), "day": "2026-03-03", "day_kind": "working",
                                                    "day_source": "x", "decided_at": ts(DEADLINE), "provisional": 0,
                                                    "violations": 1}))
    rig.clock.set(DEADLINE + timedelta(minutes=5))
    rig.pump()
    notice(rig, "violation", {"id": "v-1", "rule": "overnight", "state": "retracted", "plate": "浙A12345",
                              "household": "1-2-401", "deadline": ts(DEADLINE), "reason": ""})
    notice(rig, "violation", {"id": "v-99", "rule": "overnight", "state": "retracted", "plate": "浙B22222",
                              "household": "9-9-909", "deadline": ts(DEADLINE)})      # never announced: silent
    rig.pump()
    assert [t.splitlines()[0] for t in rig.wecom.texts] == ["【提醒】违停晨报：08:00 后仍停在临时车位 1 辆",
                                                           "【通知】撤回：浙A·1**45（1-2-401）"]


def test_fire_lane_reminder_and_maintenance_notices(rig):
    rig.clock.set(DEADLINE - timedelta(minutes=30))
    fire = {"id": "v-f", "rule": "fire_lane", "plate": "浙A12345", "household": "1-2-401", "zone": "fire-north",
            "deadline": ts(rig.clock.now()), "evidence": [], "state": "open"}
    notice(rig, "violation", fire)
    notice(rig, "reminder", {"deadline": ts(DEADLINE), "items": [{"id": "v-1", "plate": "浙B22222",
                                                                  "household": "2-1-101", "owner": "李秀英", "zone": "east-strip",
                                                                  "slot": None}], "provisional": False})
    notice(rig, "maintenance", {"title": "请更新节假日数据", "lines": ["2027 年的法定节假日尚未录入"], "severity": "warning"})
    notice(rig, "something_new", {"plate": "浙A12345", "owner": "王美华"})
    rig.pump()
    rig.clock.advance(60)
    notice(rig, "violation", {**fire, "state": "resolved"})
    rig.pump()
    titles = [t.splitlines()[0] for t in rig.wecom.texts]
    assert titles == ["【安全】占用消防通道：北侧消防通道", "【提醒】挪车提醒：1 辆车须在 08:00 前驶离临时车位",
                      "【提醒】请更新节假日数据", "【通知】已恢复：占用消防通道：北侧消防通道"]
    assert "自 07:20 起停留" in rig.wecom.texts[0]            # the deadline minus the zone's grace
    assert "1. 浙B·2**22（2-1-101）　东侧临时停车带" in rig.wecom.texts[1]
    assert rig.area.notices.ignored == {"something_new": 1}


# --- the contact sheet -------------------------------------------------------------------------

def test_contact_sheet_fits_1280_px_and_marks_unreadable_pictures(tmp_path, caplog):
    for n in range(5):
        picture(tmp_path / f"{n}.jpg", 40 * n, size=(1080, 1920))
    (tmp_path / "bad.jpg").write_bytes(b"not a jpeg")
    items = [(tmp_path / f"{n}.jpg", str(n + 1)) for n in range(5)] + [(tmp_path / "bad.jpg", "6"),
                                                                      (tmp_path / "missing.jpg", "7")]
    data = contactsheet.build(items)
    sheet = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert data[:2] == b"\xff\xd8" and max(sheet.shape[:2]) <= 1280 and len(data) < 2 * 1024 * 1024
    assert "2 of 7 evidence picture(s) unreadable" in caplog.text


def test_contact_sheet_is_a_grid_of_numbered_tiles_with_grey_for_the_unreadable(tmp_path):
    for n in range(3):
        picture(tmp_path / f"{n}.jpg", 200, size=(480, 640))
    items = [(tmp_path / f"{n}.jpg", str(n + 1)) for n in range(3)] + [(tmp_path / "missing.jpg", "4")]
    sheet = cv2.imdecode(np.frombuffer(contactsheet.build(items), np.uint8), cv2.IMREAD_COLOR)
    assert sheet.shape[:2] == (960, 1280)                              # 2×2 tiles of 640×480
    assert abs(int(sheet[700, 1000].mean()) - 128) < 8                 # tile 4: grey, unreadable
    assert abs(int(sheet[400, 300].mean()) - 200) < 8                  # tile 1: the picture, scaled
    assert sheet[5:25, 5:15].mean() < 200 and sheet[490:500, 640:650].max() < 60  # the label's box


def test_a_contact_sheet_squeezes_below_the_byte_limit(tmp_path):
    noise = np.random.default_rng(1).integers(0, 255, (960, 1280, 3), dtype=np.uint8)
    (tmp_path / "n.jpg").write_bytes(cv2.imencode(".jpg", noise, [cv2.IMWRITE_JPEG_QUALITY, 100])[1].tobytes())
    assert len(contactsheet.build([(tmp_path / "n.jpg", "1")], max_bytes=150_000)) <= 150_000


def test_no_readable_picture_is_an_error_not_an_empty_sheet(tmp_path):
    with pytest.raises(contactsheet.NoPictures):
        contactsheet.build([(tmp_path / "missing.jpg", "1")])


# --- inside a real hub -------------------------------------------------------------------------

def test_a_device_fault_published_over_mqtt_reaches_the_chat_through_a_real_hub(tmp_path, broker, fakechat):
    clock = FakeClock(START)
    hook = fakechat("webhook", clock=clock)
    hub = make_hub(tmp_path, broker, clock=clock, areas=("hub.alerts",),
                   config_overrides={"chat": [{"kind": "webhook", "url": hook.url}], "alerts": {"device_debounce": "5s"}})
    try:
        publish_event(broker, hub.config.site.id, "lane-east", "fault", 1, code="camera_unavailable",
                      detail="no frames", at=clock.now())
        wait_until(lambda: hub.area("alerts").read(lambda db: db.execute("SELECT COUNT(*) FROM alert_conditions").fetchone()[0]))

        def sent():
            clock.advance(1)
            return hook.texts
        texts = wait_until(sent, timeout=20)
        assert texts[0].startswith("【提醒】设备故障：lane-east") and "摄像头不可用" in texts[0]
    finally:
        hub.stop()


# --- with the real overnight area ---------------------------------------------------------------

class DirectWriter:
    """The scenario rig's hub is driven synchronously: run the sender's jobs in its transactions."""

    def __init__(self, rig):
        self.rig = rig

    def call(self, job):
        return self.rig._tx(job)


def test_a_night_played_through_the_overnight_area_ends_in_one_masked_digest(tmp_path, fakechat):
    from hub.alerts import area as alerts_area
    from hub.alerts.sender import Sender
    from tests.support.scenarios.rig import Rig as NightRig
    from tests.support.scenarios.runner import load
    from tests.support.fakechat import OWNER_NAMES

    scenario = load(__import__("pathlib").Path(__file__).parents[2] / "support" / "scenarios" / "s03_stays_all_night.toml")
    scenario.registry[0].update(owner=OWNER_NAMES[0], mobile="13812345678")
    wecom = fakechat("wecom")
    scenario.config["chat"] = [{"kind": "wecom", "url": wecom.url}]
    night = NightRig(scenario, tmp_path)
    wecom.clock = night.clock
    alerts = alerts_area.attach(night.hub)
    alerts.sender = Sender(DirectWriter(night), lambda job: job(night.db), alerts.targets, clock=night.clock,
                           snapshots_dir=night.hub.snapshots_dir)
    alerts.sender.recover()
    overnight_tick = night.tick

    def tick():
        overnight_tick()
        night._tx(lambda db: alerts.tick(db, night.hub.site_time()))
        alerts.sender.run_once()
    night.tick = tick
    try:
        night.run()
        night.clock.advance(timedelta(minutes=5))
        night.tick()
    finally:
        night.close()
    # the scenario's clock jumps from 07:00 to 08:00, past the 07:30 reminder, so the digest is all
    assert [t.splitlines()[:2] for t in wecom.texts] == [["【提醒】违停晨报：08:00 后仍停在临时车位 1 辆",
                                                         "1. 浙A·1**45（1-101）　east-strip　自 3月9日 22:00 起"]]


@pytest.mark.parametrize("language,title,words", [
    ("zh", "【提醒】2027 年节假日未知，按周末规则判定截止时间", "请安装维护人员升级"),
    ("en", "[warning] Holidays of 2027 unknown: deadlines follow weekday rules", "installer, please upgrade"),
])
def test_the_calendar_maintenance_notice_reaches_the_chat_in_the_alerts_language(tmp_path, fakechat, language,
                                                                                 title, words):
    from hub.overnight.area import OvernightArea

    wecom = fakechat("wecom")
    rig = Rig(tmp_path, [wecom], clock=FakeClock(START), alerts={"language": language})
    wecom.clock = rig.clock
    try:
        rig.tick()                                   # first start: the notice cursor begins here
        # the overnight area's own notice, as it writes it when chinesecalendar does not know a year
        rig.call(lambda db: OvernightArea._calendar_alert(None, db, 2027, rig.clock.now()))
        rig.pump()
        [text] = wecom.texts
        assert text.splitlines()[0] == title and words in text
        if language == "en":
            assert not any("\u4e00" <= ch <= "\u9fff" for ch in text)
    finally:
        rig.close()
