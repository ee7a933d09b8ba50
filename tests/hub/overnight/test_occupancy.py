"""余位 (hub.occupancy): the running count kept by the passage handler gives exactly what the full
computation from the stored passages gives — late, duplicate, denied and not-passed passages and
wardens' counts in any order — and an upgraded hub's migration starts it from the existing data."""

import json
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.overnight import occupancy
from hub.core.db import open_db
from hub.schema import all_sets
from tests.support.scenarios.runner import Delivery
from tests.support.overnight import EVENING, make_rig

# (decision, reason, tag): what a gate reports; "passed" is drawn separately (a denied car may tailgate)
OUTCOMES = [("open", "allowlisted", "eid:car-1"), ("open", "allowlisted", "eid:car-2"),
            ("deny", "unknown_tag", "eid:stranger"), ("open", "manual", None), ("deny", "no_tag", None)]
ties = st.sampled_from((5, 10))  # a passage at the very moment of a warden's count is in the count
passage = st.tuples(st.just("passage"), st.integers(0, 15) | ties, st.sampled_from(("in", "out")), st.booleans(),
                    st.sampled_from(OUTCOMES))
repeat = st.tuples(st.just("repeat"), st.integers(0, 10_000))
count = st.tuples(st.just("count"), ties | st.integers(0, 15), st.integers(0, 40))
look = st.tuples(st.just("look"), st.integers(0, 18))


def body(seq: int, minute: int, direction: str, passed: bool, outcome: tuple) -> dict:
    decision, reason, tag = outcome
    return {"id": f"gate-n:{seq}", "ts": (EVENING + timedelta(minutes=minute)).isoformat(timespec="milliseconds"),
            "seq": seq, "v": 1, "lane": direction, "direction": direction, "tag": tag, "decision": decision,
            "reason": reason, "passed": passed}


def same(rig, minute: int, spaces: int = 30) -> None:
    at = EVENING + timedelta(minutes=minute, seconds=30 * (minute % 2))
    running = rig._tx(lambda db: occupancy.snapshot(db, spaces=spaces, at=at))
    full = rig._tx(lambda db: occupancy.recount(db, spaces=spaces, at=at))
    assert running == full, (minute, running, full)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(passage, passage, passage, repeat, count, look), min_size=1, max_size=40))
def test_running_count_equals_the_full_computation(steps):
    with tempfile.TemporaryDirectory() as tmp:
        rig = make_rig(Path(tmp), start=EVENING + timedelta(hours=3))  # every passage below arrives late
        sent: list[Delivery] = []
        try:
            for step in steps:
                if step[0] == "passage":
                    seq = len(sent) + 1
                    sent.append(Delivery(seq, rig.clock.now(), "passage", "gate-n", body(seq, *step[1:])))
                    rig.deliver(sent[-1])
                elif step[0] == "repeat" and sent:
                    rig.deliver(sent[step[1] % len(sent)])  # a duplicate: stored once, counted once
                elif step[0] == "count":
                    at = EVENING + timedelta(minutes=step[1])
                    rig._tx(lambda db: occupancy.correct(db, step[2], by="老王", at=at))
                elif step[0] == "look":
                    same(rig, step[1])
            stored = rig.db.execute("SELECT count(*) FROM events WHERE kind = 'passage'").fetchone()[0]
            assert stored == len(sent)
            for minute in range(0, 19):
                same(rig, minute)
            same(rig, 24 * 60)
        finally:
            rig.close()


def test_a_late_passage_counts_once_and_one_before_the_warden_count_not_at_all(tmp_path):
    rig = make_rig(tmp_path, start=EVENING + timedelta(hours=2))
    try:
        rig._tx(lambda db: occupancy.correct(db, 10, by="老王", at=EVENING + timedelta(minutes=30)))
        late = [Delivery(n, rig.clock.now(), "passage", "gate-n", body(n, minute, "in", True, OUTCOMES[3]))
                for n, minute in ((1, 20), (2, 40), (3, 50), (5, 30))]     # 5: at the count's very moment
        for delivery in late + late[1:]:                    # all but the first delivered twice
            rig.deliver(delivery)
        rig.deliver(Delivery(4, rig.clock.now(), "passage", "gate-n", body(4, 45, "out", False, OUTCOMES[4])))
        figure = rig._tx(lambda db: occupancy.snapshot(db, spaces=30, at=EVENING + timedelta(hours=1)))
        assert (figure["inside"], figure["entered"], figure["left"], figure["counted_at"]) == (
            12, 2, 0, "2026-03-09T11:30:00.000+00:00")
        assert rig.db.execute("SELECT entered, exited FROM occupancy_running").fetchone() == (2, 0)
    finally:
        rig.close()


def test_the_migration_starts_the_count_from_an_upgraded_hubs_data(tmp_path):
    path = tmp_path / "hub.db"
    db = open_db(path, migrations=all_sets())
    rows = [(f"p-{n}", "s", "gate-n", n, "passage", (EVENING + timedelta(minutes=n)).isoformat(timespec="milliseconds"),
             "", json.dumps({"direction": "in" if n % 3 else "out", "passed": n % 5 != 0})) for n in range(1, 61)]
    db.conn.executemany("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.execute("INSERT INTO occupancy_counts (ts, inside, by) VALUES (?, 7, '老王')",
               [(EVENING + timedelta(minutes=20)).isoformat(timespec="milliseconds")])
    db.execute("DROP TABLE occupancy_running")             # as a hub from before the running count
    db.execute("DELETE FROM _sqlite_migrations WHERE migration_set = 'overnight' AND name = 'm004_occupancy_running'")
    db.close()
    db = open_db(path, migrations=all_sets())
    at = EVENING + timedelta(hours=2)
    running = occupancy.snapshot(db, spaces=50, at=at)
    assert running == occupancy.recount(db, spaces=50, at=at)
    # after minute 20: 40 passages, 8 not passed (every 5th), of the 32 passed 11 out, 21 in
    assert (running["inside"], running["entered"], running["left"], running["counted_by"]) == (7 + 21 - 11, 21, 11, "老王")
    db.close()
