"""docs/contract.md §2 "decided from data": a morning is decided once the site clock passes it, from
the earliest data a gate or lane device sent — whatever the hub's own clock said when it started,
however late the data arrives — and each morning exactly once."""

from datetime import timedelta

import pytest

from tests.hub.overnight.clockrig import DAY, DEADLINE, NIGHT, make

H = timedelta(hours=1)
M = timedelta(minutes=1)


def night(rig, day=0, *, stays="eid:car-1", leaves="eid:car-2"):
    """One night's events as the edges recorded them: ``stays`` parks and stays, ``leaves`` parks
    and drives out at 07:30, heartbeats at 08:05 say every device has reported past 08:00."""
    base = NIGHT + day * DAY
    rig.beat(base, status=True)
    rig.park(stays, base + 3 * H)
    rig.park(leaves, base + 3 * H + 30 * M)
    rig.leave(leaves, base + 12 * H + 30 * M)
    rig.beat(base + 13 * H + 5 * M)


@pytest.fixture
def closing():
    rigs = []
    yield rigs.append
    for rig in rigs:
        rig.close()


def test_a_recorded_night_fed_to_a_hub_a_month_later_is_decided_as_it_was_live(tmp_path, closing):
    rig = make(tmp_path, NIGHT + 30 * DAY)
    closing(rig)
    night(rig)
    assert rig.standing() == {("浙A12345", "2026-03-10", "open", False)}
    assert rig.mornings() == ["2026-03-10T00:00:00.000+00:00"]


def test_a_hub_that_never_heard_a_device_decides_nothing_then_decides_the_backlog_once(tmp_path, closing):
    rig = make(tmp_path, NIGHT - 3 * H)
    closing(rig)
    for day in range(9):  # a week on the hub's own clock, no gate or lane device heard yet
        rig.wall(NIGHT + day * DAY + 14 * H)
        rig.tick()
    assert rig.mornings() == [] and rig.violations() == []
    # the lane's backlog arrives: car-1 parked the first night and left the next evening
    rig.beat(NIGHT, status=True)
    rig.park("eid:car-1", NIGHT + 3 * H)
    assert rig.violations() == []  # the site clock is at 22:00 of the first night
    rig.park("eid:car-1", NIGHT + DAY + 10 * H, present=False)
    rig.beat(NIGHT + 8 * DAY + 14 * H)
    assert rig.announced() == [("浙A12345", "2026-03-10", "open")]
    assert len(rig.mornings()) == 9 and rig.standing() == {("浙A12345", "2026-03-10", "open", False)}


def test_a_hub_down_for_two_days_decides_each_missed_morning_once_from_the_backlog(tmp_path, closing):
    first = make(tmp_path, NIGHT)
    night(first)  # Tuesday decided live: car-1
    first.park("eid:car-3", NIGHT + DAY + 3 * H)   # Tuesday night car-3 parks; then the hub goes down
    first.beat(NIGHT + DAY + 4 * H)
    seqs = dict(first.seqs)
    first.close()
    back = make(tmp_path, NIGHT + 3 * DAY + 2 * H)  # Thursday 21:00: the hub is back
    closing(back)
    back.seqs = seqs
    back.tick()
    assert back.mornings() == ["2026-03-10T00:00:00.000+00:00"]  # nothing decided on the hub's own clock
    # the edges' outboxes, in seq order: car-3 left Wednesday 07:00; car-2 parked Wednesday night, stayed
    back.leave("eid:car-3", NIGHT + DAY + 12 * H)
    back.park("eid:car-2", NIGHT + 2 * DAY + 3 * H)
    back.beat(NIGHT + 3 * DAY + 2 * H)
    assert len(back.mornings()) == 3
    assert back.announced() == [("浙A12345", "2026-03-10", "open"), ("浙A12345", "2026-03-11", "open"),
                                ("浙GD12345", "2026-03-12", "open"), ("浙A12345", "2026-03-12", "open")] or \
        sorted(back.announced()) == sorted([("浙A12345", "2026-03-10", "open"), ("浙A12345", "2026-03-11", "open"),
                                            ("浙A12345", "2026-03-12", "open"), ("浙GD12345", "2026-03-12", "open")])
    assert all(state == "open" for _, _, state in back.announced())  # no retraction: decided once, right
    assert all(not prov for *_, prov in back.standing())


@pytest.mark.parametrize("offset", [365 * DAY, -365 * DAY], ids=["year-ahead", "year-behind"])
def test_a_first_boot_with_a_wrong_clock_then_corrected_decides_each_morning_once(tmp_path, closing, offset):
    rig = make(tmp_path, NIGHT + offset)
    closing(rig)
    rig.follow = False
    night(rig, stays="eid:car-1", leaves="eid:car-2")
    if offset > timedelta(0):
        assert rig.standing() == {("浙A12345", "2026-03-10", "open", False)}
        rig.offline("gate-n")
        rig.offline("lane-e")
        rig.wall(NIGHT + offset + 2 * DAY)   # two days pass on the (wrong) hub clock, devices silent
        rig.tick()
        assert len(rig.mornings()) == 3  # the mornings that passed by the devices' time, not a year's
    else:
        # every device's clock is a year ahead of the hub's: none holds the site clock, nothing decided
        assert rig.mornings() == [] and rig.violations() == []
        assert {r["device"]: r["clock_ahead"] for r in rig.db.query("SELECT device, clock_ahead FROM devices")} \
            == {"gate-n": 1, "lane-e": 1}
    rig.wall(NIGHT + 2 * DAY + 13 * H + 10 * M)  # the hub's clock is corrected (Thursday 08:10)
    rig.beat(NIGHT + 2 * DAY + 13 * H + 10 * M, status=True)
    days = [m[:10] for m in rig.mornings()]
    assert days == ["2026-03-10", "2026-03-11", "2026-03-12"]
    said = rig.announced(provisional=True)
    assert len(said) == len(set(said))  # each decision once (a provisional one, then its confirmation)
    opened = [(p, d) for p, d, s in rig.announced() if s == "open"]
    assert sorted(set(opened)) == [("浙A12345", d) for d in days]
    assert not [a for a in rig.announced() if a[2] == "retracted"]


def test_a_restored_backup_decides_the_mornings_after_it_once(tmp_path, closing):
    import shutil

    live = make(tmp_path / "live", NIGHT)
    night(live)
    live.tick()
    live.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copytree(tmp_path / "live", tmp_path / "restored")  # the backup, Tuesday 08:05
    seqs = dict(live.seqs)
    live.park("eid:car-3", NIGHT + DAY + 3 * H)
    live.beat(NIGHT + DAY + 13 * H + 5 * M)
    want = live.standing()
    live.close()
    restored = make(tmp_path / "restored", NIGHT + 5 * DAY)
    closing(restored)
    restored.seqs = seqs
    restored.tick()
    restored.park("eid:car-3", NIGHT + DAY + 3 * H)  # the edge re-sends what the restored hub lacks
    restored.beat(NIGHT + DAY + 13 * H + 5 * M)
    assert restored.standing() == want
    assert len(restored.mornings()) == 2
