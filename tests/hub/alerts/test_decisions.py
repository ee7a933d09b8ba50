"""The pure decisions of the alerts area: rate, quiet hours, escalation, debounce, verdicts, roster."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.alerts import ratelimit, roster
from hub.alerts.escalation import (
    Condition,
    EscalationState,
    backoff,
    condition_action,
    give_up,
    hold_until,
    in_quiet_hours,
    inhibited,
    next_escalation,
)
from hub.alerts.verdict import classify

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 23, 0, tzinfo=timezone.utc)   # 07:00 in Shanghai


# --- rate --------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,bound", [("wecom", 19), ("dingtalk", 19), ("feishu", 63)])
def test_default_buckets_stay_below_the_documented_limits(kind, bound):
    assert ratelimit.window_bound(ratelimit.new_bucket(kind, 0.0)) == bound
    if kind == "feishu":   # and 5 a second
        assert ratelimit.window_bound(ratelimit.new_bucket(kind, 0.0), 1.0) <= 5


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=5.0), min_size=1, max_size=400),
       st.sampled_from(["wecom", "dingtalk", "feishu", "webhook"]))
def test_no_window_of_a_minute_exceeds_the_bound(gaps, kind):
    bucket, now, sent = ratelimit.new_bucket(kind, 0.0), 0.0, []
    for gap in gaps:
        now += gap
        bucket, ok = ratelimit.try_take(bucket, now)
        if ok:
            sent.append(now)
    bound = ratelimit.window_bound(bucket)
    for i, start in enumerate(sent):
        assert sum(1 for t in sent[i:] if t < start + 60.0) <= bound


def test_a_blocked_target_waits_out_its_penalty():
    bucket = ratelimit.block(ratelimit.new_bucket("dingtalk", 0.0), 10.0, 600.0)
    assert ratelimit.try_take(bucket, 609.0)[1] is False
    assert ratelimit.wait_time(bucket, 300.0) == pytest.approx(310.0)
    assert ratelimit.try_take(bucket, 615.0)[1] is True


# --- quiet hours -------------------------------------------------------------------------------

@pytest.mark.parametrize("local,start,end,quiet", [
    (time(23, 0), time(22, 0), time(7, 0), True),
    (time(6, 59), time(22, 0), time(7, 0), True),
    (time(7, 0), time(22, 0), time(7, 0), False),
    (time(12, 0), time(22, 0), time(7, 0), False),
    (time(13, 0), time(12, 0), time(14, 0), True),
    (time(13, 0), None, time(7, 0), False),
])
def test_quiet_hours_window(local, start, end, quiet):
    assert in_quiet_hours(local, start, end) is quiet


@pytest.mark.parametrize("severity,local_hour,held_until_local", [
    ("info", 23, datetime(2026, 3, 3, 7, 0)),
    ("info", 3, datetime(2026, 3, 3, 7, 0)),
    ("info", 12, None),
    ("warning", 23, None),
    ("safety", 3, None),
])
def test_only_information_waits_out_quiet_hours(severity, local_hour, held_until_local):
    now = datetime(2026, 3, 2 if local_hour >= 12 else 3, local_hour, 0, tzinfo=SH).astimezone(timezone.utc)
    held = hold_until(severity, now, SH, time(22, 0), time(7, 0))
    expected = held_until_local.replace(tzinfo=SH) if held_until_local else None
    assert held == expected


# --- retries -----------------------------------------------------------------------------------

@pytest.mark.parametrize("attempts,wait", [(1, 15), (2, 30), (3, 60), (7, 960), (8, 1800), (40, 1800)])
def test_backoff_doubles_up_to_the_cap(attempts, wait):
    assert backoff(attempts, first=timedelta(seconds=15), cap=timedelta(minutes=30)) == timedelta(seconds=wait)


def test_give_up_by_attempts_or_age():
    kw = {"max_attempts": 5, "give_up_after": timedelta(hours=24)}
    assert not give_up(T0, T0 + timedelta(hours=1), attempts=4, **kw)
    assert give_up(T0, T0 + timedelta(hours=1), attempts=5, **kw)
    assert give_up(T0, T0 + timedelta(hours=24), attempts=1, **kw)


# --- escalation --------------------------------------------------------------------------------

AFTER = timedelta(minutes=15)


def test_escalation_goes_warden_next_warden_committee_then_stops():
    state, seen, now = EscalationState(0, T0 + AFTER), [], T0
    for minute in range(0, 61):
        now = T0 + timedelta(minutes=minute)
        state, audience = next_escalation(state, now, after=AFTER)
        if audience:
            seen.append((minute, audience))
    assert seen == [(15, "next_warden"), (30, "committee")]
    assert state.next_at is None


@pytest.mark.parametrize("acked,closed", [(True, False), (False, True)])
def test_acknowledged_or_closed_alerts_do_not_escalate(acked, closed):
    state = EscalationState(0, T0, acknowledged=acked, closed=closed)
    assert next_escalation(state, T0 + timedelta(hours=2), after=AFTER) == (state, None)


# --- debounce and inhibition -------------------------------------------------------------------

@pytest.mark.parametrize("active,age_s,alerted,action", [
    (True, 60, False, None),
    (True, 180, False, "alert"),
    (True, 900, True, None),
    (False, 60, False, "forget"),
    (False, 900, True, "resolve"),
])
def test_device_conditions_are_debounced(active, age_s, alerted, action):
    cond = Condition(active=active, since=T0, alerted=alerted)
    assert condition_action(cond, T0 + timedelta(seconds=age_s), debounce=timedelta(minutes=3)) == action


def test_an_offline_device_suppresses_its_own_faults_only():
    assert inhibited("device_fault", "gate-north", {"gate-north"})
    assert not inhibited("device_fault", "gate-south", {"gate-north"})
    assert not inhibited("fire_lane", "gate-north", {"gate-north"})


# --- what the services' answers mean ----------------------------------------------------------

def _body(**kw):
    return json.dumps(kw).encode()


@pytest.mark.parametrize("kind,status,body,outcome,block", [
    ("wecom", 200, _body(errcode=0, errmsg="ok"), "ok", 0),
    ("wecom", 200, _body(errcode=45009, errmsg="api freq out of limit"), "retry", 60),
    ("wecom", 200, _body(errcode=93000, errmsg="invalid webhook url"), "target_fault", 0),
    ("dingtalk", 200, _body(errcode=130101, errmsg="send too fast"), "retry", 600),
    ("dingtalk", 200, _body(errcode=310000, errmsg="sign not match"), "target_fault", 0),
    ("dingtalk", 200, _body(errcode=460101, errmsg="message too large"), "reject", 0),
    ("feishu", 200, _body(code=0, msg="success"), "ok", 0),
    ("feishu", 200, _body(StatusCode=0, StatusMessage="success"), "ok", 0),
    ("feishu", 200, _body(code=11232, msg="frequency limited"), "retry", 60),
    ("feishu", 200, _body(code=19021, msg="sign match fail"), "target_fault", 0),
    ("feishu", 200, _body(code=19024, msg="Key Words Not Found"), "target_fault", 0),
    ("feishu", 200, _body(code=9499, msg="Bad Request"), "reject", 0),
    ("wecom", 200, _body(errcode=77777, errmsg="new"), "retry", 0),
    ("webhook", 200, b"", "ok", 0),
    ("webhook", 503, b"", "retry", 0),
    ("webhook", 429, b"", "retry", 60),
    ("webhook", 404, b"", "target_fault", 0),
    ("webhook", 400, b"", "reject", 0),
])
def test_the_body_decides(kind, status, body, outcome, block):
    verdict = classify(status, body, kind=kind)
    assert (verdict.outcome, verdict.block) == (outcome, block)


# --- the roster --------------------------------------------------------------------------------

ROSTER = [
    roster.Entry("王五", "13800001111", day="mon", start="20:00", end="08:00"),
    roster.Entry("赵六", "13900002222", day="mon", start="20:00", end="08:00", position=2),
    roster.Entry("孙七", "13700003333", day="tue", start="08:00", end="20:00"),
    roster.Entry("周八", "13600004444", day="2026-03-03", start="08:00", end="20:00"),
    roster.Entry("吴九", "13500005555", role="committee"),
]


@pytest.mark.parametrize("local,names", [
    (datetime(2026, 3, 2, 21, 0), ["王五", "赵六"]),       # Monday evening
    (datetime(2026, 3, 3, 7, 30), ["王五", "赵六"]),       # the Monday shift runs into Tuesday morning
    (datetime(2026, 3, 10, 9, 0), ["孙七"]),               # an ordinary Tuesday
    (datetime(2026, 3, 3, 9, 0), ["周八"]),                # that date's own rows replace the weekday's
    (datetime(2026, 3, 4, 9, 0), []),
])
def test_who_is_on_duty(local, names):
    assert [e.name for e in roster.on_duty(ROSTER, local)] == names


@pytest.mark.parametrize("step,names", [("warden", ["王五"]), ("next_warden", ["赵六"]), ("committee", ["吴九"])])
def test_escalation_audiences(step, names):
    assert [e.name for e in roster.audience(ROSTER, datetime(2026, 3, 2, 22, 0), step)] == names


def test_roster_csv_round_trip_in_gb18030_and_utf8():
    text = "姓名,手机,角色,日期,开始,结束,顺序\n王五,138 0000 1111,值班,周一,20:00,08:00,1\n吴九,13500005555,委员,,,,\n"
    for encoding in ("gb18030", "utf-8-sig"):
        entries = roster.parse_csv(text.encode(encoding))
        assert entries[0] == roster.Entry("王五", "13800001111", day="mon", start="20:00", end="08:00")
        assert roster.parse_csv(roster.export_csv(entries)) == entries


def test_a_bad_roster_reports_every_bad_row_with_its_line():
    text = "姓名,手机,角色,日期,开始\n王五,1380000111,值班,周一,20:00\n,13800001111,值班,,\n赵六,13900002222,队长,周九,25:00\n"
    with pytest.raises(roster.RosterError) as err:
        roster.parse_csv(text.encode())
    problems = err.value.problems
    assert [p.line for p in problems] == [2, 3, 4]
    assert [p.code for p in problems] == ["mobile_invalid", "name_missing", "role_unknown"]
    assert "11-digit" in problems[0].text("en") and "1380000111" not in str(problems[0])   # the reason, not the number
    assert problems[0].text("zh") == "手机号 138… 不是 11 位的大陆手机号" and problems[2].text() == "角色“队长”不对：应是 值班 或 委员"


@pytest.mark.parametrize("row,code,zh", [
    ("王五,13800001111,值班,周九,,", "day_invalid", "日期“周九”不对"),
    ("王五,13800001111,值班,,25:00,", "time_invalid", "开始时间“25:00”不对"),
    ("王五,13800001111,值班,,,8点", "time_invalid", "结束时间“8点”不对"),
])
def test_roster_row_problems_in_both_languages(row, code, zh):
    with pytest.raises(roster.RosterError) as err:
        roster.parse_csv(f"姓名,手机,角色,日期,开始,结束\n{row}\n".encode())
    (problem,) = err.value.problems
    assert (problem.line, problem.code) == (2, code) and zh in problem.text("zh") and problem.text("en") in str(err.value)


def test_every_roster_code_has_both_languages():
    from hub.alerts import roster_problems

    assert all(zh and en and zh != en for zh, en in roster_problems.MESSAGES.values())
    assert roster_problems.text("fr", "name_missing") == "姓名没有填"


def test_a_roster_with_an_unknown_column_is_refused():
    with pytest.raises(roster.RosterError, match="unknown column '车牌'"):
        roster.parse_csv("姓名,车牌\n王五,浙A12345\n".encode())
