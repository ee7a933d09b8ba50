"""The edge outbox on real SQLite files: gapless seq, all-or-nothing, deletes only on ack."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.outbox import Outbox, uuid7
from gwcommon.clock import FakeClock
from gwcommon.exc import InvalidMessage

FAULT = {"code": "relay_fault", "active": True, "detail": "K1 stuck"}
PASSAGE = {"lane": "in-1", "direction": "in", "tag": "mac:AA:BB:CC:DD:EE:FF", "rssi": -60,
           "decision": "open", "reason": "allowlisted", "passed": True}
JPEG = b"\xff\xd8" + b"\x00" * 998


def make(path, clock=None, **kw) -> Outbox:
    return Outbox(path / "outbox-gate-north.db", site="pingan-2", device="gate-north",
                  clock=clock or FakeClock(), **kw)


def seqs(outbox: Outbox) -> list[int]:
    return [row.seq for row in outbox.pending(limit=10_000)]


def test_seq_is_gapless_across_reopen_and_never_reused_after_ack(tmp_path):
    with make(tmp_path) as box:
        box.emit_many([("fault", FAULT)] * 3)
    with make(tmp_path) as box:
        assert box.last_seq == 3
        box.emit("fault", FAULT)
        box.emit("passage", PASSAGE)
        assert seqs(box) == [1, 2, 3, 4, 5]
        assert box.ack(5) == 5
    with make(tmp_path) as box:
        assert box.count() == 0 and box.acked_seq == 5
        box.emit("fault", FAULT)
        assert seqs(box) == [6]


def test_ack_deletes_only_rows_it_covers(tmp_path):
    with make(tmp_path) as box:
        box.emit_many([("fault", FAULT)] * 5)
        assert box.ack(2) == 2
        assert seqs(box) == [3, 4, 5]
        assert box.ack(2) == 0
        assert box.get(2) is None and box.get(3).seq == 3


def test_body_is_the_full_validated_event(tmp_path):
    clock = FakeClock(datetime(2026, 3, 1, 7, 59, 59, 123000, tzinfo=timezone.utc))
    with make(tmp_path, clock) as box:
        event_id = box.emit("passage", PASSAGE)
        body = json.loads(box.pending()[0].body)
    assert body["id"] == event_id and body["seq"] == 1 and body["v"] == 1
    assert body["ts"] == "2026-03-01T07:59:59.123+00:00"
    assert body["tag"] == "mac:aa:bb:cc:dd:ee:ff"   # normalised by the wire model
    assert uuid.UUID(event_id).version == 7


def test_a_given_ts_is_kept(tmp_path):
    recorded = "2025-12-31T23:00:00.500+08:00"
    with make(tmp_path) as box:
        box.emit("fault", {**FAULT, "ts": recorded})
        box.emit("fault", {**FAULT, "ts": datetime(2025, 1, 1, tzinfo=timezone.utc)})
        bodies = [json.loads(r.body) for r in box.pending()]
    assert [b["ts"] for b in bodies] == [recorded, "2025-01-01T00:00:00.000+00:00"]


@pytest.mark.parametrize("kind,fields,reason", [
    ("parking", FAULT, "unknown event kind"),
    ("fault", {**FAULT, "colour": "red"}, "colour"),
    ("fault", {**FAULT, "id": "x"}, "id"),
    ("fault", {**FAULT, "seq": 9}, "seq"),
    ("fault", {"code": "relay_fault"}, "active"),
    ("fault", {**FAULT, "code": "Relay Fault"}, "code"),
    ("passage", {**PASSAGE, "tag": "plate:A12"}, "tag"),  # plate: is a scheme since v1.1, but this is no plate
    ("passage", {**PASSAGE, "direction": "up"}, "direction"),
    ("fault", {**FAULT, "ts": "2026-01-01 08:00:00"}, "ts"),
    ("fault", {**FAULT, "ts": datetime(2026, 1, 1)}, "ts"),
    ("fault", {**FAULT, "detail": object()}, "JSON"),
])
def test_a_bad_event_raises_and_stores_nothing(tmp_path, kind, fields, reason):
    with make(tmp_path) as box:
        with pytest.raises(InvalidMessage, match=reason):
            box.emit(kind, fields)
        assert box.count() == 0 and box.last_seq == 0 and box.stats.rejected == 1
        box.emit("fault", FAULT)
        assert seqs(box) == [1]


def test_emit_many_is_all_or_nothing(tmp_path):
    with make(tmp_path) as box:
        box.emit("fault", FAULT)
        with pytest.raises(InvalidMessage):
            box.emit_many([("fault", FAULT), ("fault", {"code": "x"}), ("fault", FAULT)])
        assert seqs(box) == [1]
        ids = box.emit_many([("fault", FAULT), ("passage", PASSAGE)])
        assert seqs(box) == [1, 2, 3] and len(set(ids)) == 2


def test_connection_is_wal_with_full_sync(tmp_path):
    with make(tmp_path) as box:
        assert box._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert box._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_emits_from_many_threads_get_unique_consecutive_seqs(tmp_path):
    with make(tmp_path) as box:
        def work():
            for _ in range(50):
                box.emit("fault", FAULT)
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert seqs(box) == list(range(1, 201))


def test_listeners_are_woken_after_each_commit(tmp_path):
    woken = []
    with make(tmp_path) as box:
        box.add_listener(lambda: woken.append(box.count()))
        box.emit("fault", FAULT)
        box.emit_many([("fault", FAULT)] * 3)
    assert woken == [1, 4]


def test_uuid7_layout():
    value = uuid.UUID(uuid7(1_700_000_000_123))
    assert value.version == 7 and value.variant == uuid.RFC_4122
    assert value.int >> 80 == 1_700_000_000_123
    assert len({uuid7(5) for _ in range(1000)}) == 1000


def test_snapshots_are_capped_oldest_first(tmp_path, caplog):
    with make(tmp_path, snapshot_cap=2500) as box:
        for n in range(4):
            box.snapshot(f"ev-{n}", JPEG)
        ready = box.snapshots_ready(published_through=0, limit=10)
        assert [s.event_id for s in ready] == ["ev-2", "ev-3"]
        assert box.stats.snapshots_dropped == 2
        assert "dropped 1 oldest picture" in caplog.text


@pytest.mark.parametrize("jpeg,reason", [(b"GIF89a....", "JPEG"), (b"\xff\xd8" + b"0" * 3_000_000, "bytes")])
def test_a_bad_snapshot_is_refused(tmp_path, jpeg, reason):
    with make(tmp_path) as box:
        with pytest.raises(InvalidMessage, match=reason):
            box.snapshot("ev-1", jpeg)
        assert box.snapshot_count() == 0


def test_snapshot_waits_until_its_event_is_published(tmp_path):
    with make(tmp_path) as box:
        first = box.emit("fault", FAULT)
        second = box.emit("fault", FAULT)
        box.snapshot(second, JPEG)
        box.snapshot(first, JPEG)
        assert [s.event_id for s in box.snapshots_ready(published_through=1)] == [first]
        assert [s.event_id for s in box.snapshots_ready(published_through=2)] == [second, first]
        box.ack(2)   # acknowledged events: their pictures may go
        assert len(box.snapshots_ready(published_through=0)) == 2
        box.delete_snapshot(first)
        assert box.snapshot_count() == 1


def test_new_outbox_follows_the_hubs_numbering_once(tmp_path):
    with make(tmp_path) as box:
        box.emit_many([("fault", FAULT)] * 2)
        assert box.follow_hub(500) is True
        assert seqs(box) == [501, 502] and box.last_seq == 502
        assert [json.loads(r.body)["seq"] for r in box.pending()] == [501, 502]
        assert box.follow_hub(900) is False and box.numbering_confirmed
    with make(tmp_path) as box:
        assert box.emit("fault", FAULT) and seqs(box) == [501, 502, 503]


def test_confirmed_numbering_is_never_moved(tmp_path):
    with make(tmp_path) as box:
        box.emit("fault", FAULT)
        box.confirm_numbering()
        assert box.follow_hub(40) is False and seqs(box) == [1]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.tuples(st.just("emit"), st.integers(1, 4)),
                          st.tuples(st.just("ack"), st.integers(0, 30)),
                          st.tuples(st.just("reopen"), st.just(0))), max_size=25))
def test_pending_is_always_issued_minus_acked(tmp_path_factory, steps):
    path = tmp_path_factory.mktemp("box")
    box, issued, acked = make(path), 0, 0
    try:
        for op, n in steps:
            if op == "emit":
                box.emit_many([("fault", FAULT)] * n)
                issued += n
            elif op == "ack":
                box.ack(min(n, issued))
                acked = max(acked, min(n, issued))
            else:
                box.close()
                box = make(path)
            assert seqs(box) == list(range(acked + 1, issued + 1))
            assert box.last_seq == issued
    finally:
        box.close()


def test_committed_rows_are_on_disk_for_another_connection(tmp_path):
    """What emit returned for is committed: another connection sees rows and counter."""
    with make(tmp_path) as box:
        box.emit_many([("fault", FAULT)] * 3)
        other = sqlite3.connect(str(box.path))
        assert other.execute("SELECT count(*) FROM events").fetchone()[0] == 3
        assert other.execute("SELECT value FROM meta WHERE key='last_seq'").fetchone()[0] == 3
        other.close()
