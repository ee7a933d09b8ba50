"""The overnight area on a real hub database: warden actions, the diary, the 红黑榜, evidence,
reminders, calendar maintenance alerts, 余位, and the violation messages it publishes."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from gwcommon import wire
from hub.overnight import calendar
from hub.overnight import diary
from hub.overnight import warden_actions
from hub.overnight import notices
from hub.overnight import occupancy
from hub.overnight import violations
from tests.support.scenarios.runner import Delivery
from tests.support.overnight import EVENING, make_rig

TZ_OFFSET = timedelta(hours=8)
DEADLINE = datetime(2026, 3, 10, 0, 0, tzinfo=timezone.utc)  # 08:00 local


def event(rig, kind, device, at, seq, **fields):
    body = {"id": f"{device}:{seq}", "ts": at.isoformat(timespec="milliseconds"), "seq": seq, "v": 1, **fields}
    if kind == "passage":
        body = {"decision": "open", "reason": "allowlisted", "passed": True, **body}
    rig.deliver(Delivery(seq, at, kind, device, body))


def beat(rig, at, seqs):
    for device, last in seqs.items():
        rig.deliver(Delivery(0, at, "heartbeat", device, {"ts": at.isoformat(), "last_seq": last, "outbox": 0}))
    rig.tick()


def park(rig, tag, at, seq, present=True, zone="east-strip", slot=None):
    event(rig, "presence", "lane-e", at, seq, zone=zone, tag=tag, slot=slot, present=present)


@pytest.fixture
def rig(tmp_path):
    made = make_rig(tmp_path)
    yield made
    made.close()


def open_violation(rig) -> str:
    park(rig, "eid:car-1", EVENING + timedelta(hours=3), 1)
    beat(rig, DEADLINE + timedelta(minutes=1), {"lane-e": 1, "gate-n": 0})
    rows = rig.violations()
    assert [(r["plate"], r["household"], r["state"]) for r in rows] == [("浙A12345", "1-101", "open")]
    return rows[0]["id"]


def test_violation_message_is_the_wire_contract(rig):
    vid = open_violation(rig)
    rig.tick()  # messages go out on the tick after the one that committed them
    topic, payload, retain = [p for p in rig.published if p[0].endswith("/hub/violation")][-1]
    assert topic == wire.topic(rig.hub.config.site.id, "hub", "violation") and retain is False
    message = wire.decode_payload("violation", payload)
    assert wire.encode(message) == payload and message.id == vid and message.state == "open"
    assert message.deadline == DEADLINE and message.provisional is False


def test_resolve_and_excuse_need_an_open_violation_and_a_reason(rig):
    vid = open_violation(rig)
    ctx = rig.area
    at = DEADLINE + timedelta(minutes=30)
    with pytest.raises(warden_actions.WardenActionError, match="reason"):
        rig._tx(lambda db: warden_actions.resolve(db, ctx, vid, reason=" ", by="老王", at=at))
    with pytest.raises(warden_actions.WardenActionError, match="no violation"):
        rig._tx(lambda db: warden_actions.excuse(db, ctx, "v-nope", reason="x", by="老王", at=at))
    done = rig._tx(lambda db: warden_actions.resolve(db, ctx, vid, reason="已电话联系车主挪车", by="老王", at=at))
    assert done["state"] == "resolved" and done["by"] == "老王"
    with pytest.raises(warden_actions.WardenActionError, match="is resolved, not open") as err:
        rig._tx(lambda db: warden_actions.excuse(db, ctx, vid, reason="x", by="老王", at=at))
    assert err.value.text("zh") == f"违规记录 {vid} 是“已处理”，不是未处理" and err.value.text("en") == str(err.value)
    kinds = [line["kind"] for line in rig.diary()]
    assert kinds[-2:] == ["violation_open", "violation_resolved"]


def test_identify_an_untagged_car_and_notes(rig):
    park(rig, None, EVENING + timedelta(hours=3), 1, slot="4")
    beat(rig, DEADLINE + timedelta(minutes=1), {"lane-e": 1, "gate-n": 0})
    (row,) = rig.violations()
    assert row["plate"] is None and row["slot"] == "4"
    with pytest.raises(warden_actions.WardenActionError):
        rig._tx(lambda db: warden_actions.identify(db, rig.area, row["id"], plate="不是车牌", by="w", at=DEADLINE))
    later = DEADLINE + timedelta(minutes=5)
    rig._tx(lambda db: warden_actions.identify(db, rig.area, row["id"], plate="浙GD12345", by="w", at=later))
    assert rig._tx(lambda db: violations.get(db, row["id"]))["household"] == "2-202"
    with pytest.raises(warden_actions.WardenActionError, match="empty"):
        rig._tx(lambda db: warden_actions.add_note(db, "  ", by="w", at=DEADLINE))
    rig._tx(lambda db: warden_actions.add_note(db, "3幢楼道堆物，已通知", by="w", at=later))
    assert [line["kind"] for line in rig.diary()][-2:] == ["identified", "note"]


def test_warden_registration_needs_a_plate_or_a_spot(rig):
    for kw, why, chinese in [({}, "plate", "请写车牌，或者写区域和车位号"),
                             ({"plate": "123"}, "province", "车牌“123”应以省份简称开头"),
                             ({"zone": "nowhere", "slot": "1"}, "unknown zone", "区域“nowhere”不是配置的区域（已配置：")]:
        with pytest.raises(warden_actions.WardenActionError, match=why) as err:
            rig._tx(lambda db: warden_actions.register_offspace(db, rig.area, by="w", at=EVENING, **kw))
        assert err.value.text("zh").startswith(chinese)


def test_every_warden_problem_has_both_languages():
    from hub.overnight import problems as warden_problems

    assert all(zh and en and zh != en for zh, en in warden_problems.MESSAGES.values())
    assert warden_problems.text("zh", "violation_not_open", {"id": "v-1", "state": "excused"}) == \
        "违规记录 v-1 是“已豁免”，不是未处理"
    assert warden_problems.text("en", "plate_empty") == "plate is empty"   # the registry's plate words


def test_monthly_ranking_by_vehicle_and_household(tmp_path):
    rig = make_rig(tmp_path)
    lane = gate = 0
    for night in range(3):
        evening = EVENING + timedelta(days=night, hours=3)
        for tag in (["eid:car-1", "eid:car-3"] if night < 2 else ["eid:car-1", "eid:car-2"]):
            lane += 1
            park(rig, tag, evening, lane)
        for n, tag in enumerate(["eid:car-1", "eid:car-2", "eid:car-3"]):
            gate += 1
            event(rig, "passage", "gate-n", evening + timedelta(hours=10, minutes=n), gate, lane="out",
                  direction="out", tag=tag)
        beat(rig, evening + timedelta(hours=11), {"lane-e": lane, "gate-n": gate})
    tz = rig.area.rule.tz
    first = next(r for r in rig.violations() if r["plate"] == "浙A54321")
    rig._tx(lambda db: warden_actions.excuse(db, rig.area, first["id"], reason="就医", by="committee", at=DEADLINE))
    by_vehicle = rig._tx(lambda db: diary.monthly_ranking(db, 2026, 3, tz=tz, by="vehicle"))
    by_household = rig._tx(lambda db: diary.monthly_ranking(db, 2026, 3, tz=tz, by="household"))
    counts = {r["vehicle"]: r["count"] for r in by_vehicle}
    assert len(rig.violations()) == 6    # six violations, one excused: five count
    assert counts == {"浙A12345": 3, "浙A54321": 1, "浙GD12345": 1}
    assert by_vehicle[0] == {"vehicle": "浙A12345", "count": 3, "fire_lane": 0, "last": "2026-03-12T00:00:00.000+00:00"}
    assert by_household[0]["household"] == "1-101" and by_household[0]["count"] == 4
    assert rig._tx(lambda db: diary.monthly_ranking(db, 2026, 4, tz=tz)) == []
    rig.close()


def test_evidence_is_the_zone_snapshot_and_the_last_gate_passages(rig):
    event(rig, "passage", "gate-n", EVENING + timedelta(hours=2), 1, lane="in", direction="in", tag="eid:car-1")
    park(rig, "eid:car-1", EVENING + timedelta(hours=2, minutes=5), 1)
    park(rig, "eid:car-2", DEADLINE - timedelta(minutes=2), 2)   # another car: the zone's photo nearest 08:00
    for event_id in ("gate-n:1", "lane-e:1", "lane-e:2"):
        rig._tx(lambda db: db.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?)",
                                      [event_id, event_id.split(":")[0], f"x/{event_id}.jpg", 10, "2026-03-09T12:00:00Z"]))
    beat(rig, DEADLINE + timedelta(minutes=1), {"lane-e": 2, "gate-n": 1})
    mine = next(r for r in rig.violations() if r["plate"] == "浙A12345")
    assert json.loads(mine["evidence"]) == ["lane-e:2", "lane-e:1", "gate-n:1"]


def test_reminder_before_the_deadline_lists_cars_still_parked(rig):
    park(rig, "eid:car-1", EVENING + timedelta(hours=3), 1)
    park(rig, "eid:car-2", EVENING + timedelta(hours=3), 2)
    park(rig, "eid:car-2", DEADLINE - timedelta(hours=1), 3, present=False)
    beat(rig, DEADLINE - timedelta(minutes=29), {"lane-e": 3, "gate-n": 0})
    beat(rig, DEADLINE - timedelta(minutes=20), {"lane-e": 3, "gate-n": 0})
    notes = rig._tx(lambda db: notices.notices_after(db))
    reminders = [n for n in notes if n["kind"] == "reminder"]
    assert len(reminders) == 1
    assert [(i["plate"], i["household"], i["zone"]) for i in reminders[0]["payload"]["items"]] == [
        ("浙A12345", "1-101", "east-strip")]
    assert "mobile" not in json.dumps(reminders[0]["payload"])


def test_a_year_the_calendar_does_not_know_raises_one_maintenance_alert(tmp_path):
    start = datetime(2027, 1, 5, 11, 0, tzinfo=timezone.utc)
    rig = make_rig(tmp_path, start=start)
    beat(rig, start + timedelta(days=1), {"lane-e": 0, "gate-n": 0})
    beat(rig, start + timedelta(days=2), {"lane-e": 0, "gate-n": 0})
    notes = [n for n in rig._tx(lambda db: notices.notices_after(db)) if n["kind"] == "maintenance"]
    assert len(notes) == 1 and "2027" in notes[0]["payload"]["title"]
    assert (notes[0]["payload"]["topic"], notes[0]["payload"]["values"]) == ("calendar_unknown_year",
                                                                          {"year": 2027, "ahead": False})
    assert "pip install -U chinesecalendar" in notes[0]["payload"]["lines"][0] and "升级" in notes[0]["payload"]["lines"][0]
    decided = list(rig.db.query("SELECT day_source FROM ovn_deadlines"))
    assert decided and {d["day_source"] for d in decided} == {"weekday-fallback"}
    rig.close()


def test_committee_override_moves_the_deadline(tmp_path):
    rig = make_rig(tmp_path, config={"rules": {"overnight": {"holiday_deadline": "09:00"}}})
    rig._tx(lambda db: calendar.set_override(db, datetime(2026, 3, 10).date(), "holiday", note="停水", by="c", at=EVENING))
    park(rig, "eid:car-1", EVENING + timedelta(hours=3), 1)
    event(rig, "passage", "gate-n", DEADLINE + timedelta(minutes=30), 1, lane="out", direction="out", tag="eid:car-1")
    beat(rig, DEADLINE + timedelta(hours=2), {"lane-e": 1, "gate-n": 1})
    assert rig.violations() == []
    assert [d["day_kind"] for d in rig.db.query("SELECT day_kind FROM ovn_deadlines")] == ["holiday"]
    rig.close()


def test_cars_inside_and_free_spaces(rig):
    for seq, (direction, tag) in enumerate([("in", "eid:car-1"), ("in", "eid:car-2"), ("in", "eid:car-3"),
                                            ("out", "eid:car-3")], start=1):
        event(rig, "passage", "gate-n", EVENING + timedelta(minutes=seq), seq, lane=direction, direction=direction,
              tag=tag)
    park(rig, "eid:car-1", EVENING + timedelta(minutes=10), 1)
    now = EVENING + timedelta(hours=1)
    figure = rig._tx(lambda db: occupancy.snapshot(db, spaces=3, at=now))
    assert (figure["inside"], figure["offspace"], figure["free"], figure["counted_at"]) == (2, 1, 2, None)
    rig._tx(lambda db: occupancy.correct(db, 120, by="老王", at=EVENING + timedelta(minutes=2, seconds=30)))
    figure = rig._tx(lambda db: occupancy.snapshot(db, spaces=102, at=now))
    assert (figure["inside"], figure["free"], figure["counted_by"]) == (120, 0, "老王")
    with pytest.raises(warden_actions.WardenActionError):
        rig._tx(lambda db: occupancy.correct(db, -1, by="老王", at=now))
