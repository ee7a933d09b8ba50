"""The morning digest follows the data (docs/contract.md §2): composed when the site clock has passed
its time — every gate and lane device has delivered its backlog up to the deadline, or is offline
and then the digest names it and is provisional; a car whose exit arrives later is retracted in
chat.  A morning decided late (a replay into a hub a month later) still gets its digest."""

from datetime import timedelta

import pytest

from hub.alerts.notices import NoticeReader
from tests.hub.overnight.clockrig import DAY, NIGHT, make
from tests.support.scenarios.rig import run_hub
from tests.support.scenarios.runner import HERE, check, load
from tests.support.fakechat import FakeChat
from tests.support.hubrun import rows, wait_until

H = timedelta(hours=1)


@pytest.mark.timeout(90)
def test_a_digest_names_the_offline_gate_and_its_late_exit_is_retracted_in_chat(tmp_path, broker):
    scenario = load(HERE / "s37_digest_names_the_offline_gate.toml")
    chat = FakeChat("webhook")
    lane_report = next(d for d in scenario.deliveries if d.kind == "heartbeat")

    def after(hub, d):
        if d is lane_report:  # the lane reported past 08:00, the gate is offline: the digest goes out
            wait_until(lambda: rows(hub, "SELECT state FROM alerts WHERE kind = 'digest'") == [{"state": "notified"}],
                       timeout=20, message="no digest sent")

    try:
        violations, diary, _ = run_hub(scenario, tmp_path, broker, areas=("hub.overnight.area", "hub.alerts"),
                                       config={"chat": [{"kind": "webhook", "url": chat.url}]}, after=after)
        check(scenario, violations, diary)
        wait_until(lambda: any("撤回：" in t for t in chat.texts), timeout=20,
                   message="no retraction in chat")
        digest = next(t for t in chat.texts if "违停晨报" in t)
        assert "2 辆" in digest and "gate-n" in digest and "待核实" in digest
        retraction = next(t for t in chat.texts if "撤回：" in t)
        assert "浙G" in retraction and "浙A" not in retraction
    finally:
        chat.close()


def test_a_morning_replayed_into_a_hub_a_month_later_gets_its_digest(tmp_path):
    rig = make(tmp_path, NIGHT + 30 * DAY)
    try:
        rig.beat(NIGHT, status=True)
        rig.park("eid:car-1", NIGHT + 3 * H)
        rig.beat(NIGHT + 13 * H + 5 * 60 * timedelta(seconds=1))
        reader = NoticeReader(tz=rig.hub.config.site.tz)
        now, site = rig.clock.now(), rig.hub.site_time()
        rig._tx(lambda db: reader.tick(db, now, site_now=site.now, unreported=lambda d: []))
        rows = list(rig.db.query("SELECT kind, subject, payload FROM alerts WHERE kind = 'digest'"))
        assert [r["subject"][:10] for r in rows] == ["2026-03-10"] and "浙A12345" in rows[0]["payload"]
    finally:
        rig.close()
