"""Hub ingest against a real Mosquitto: round trips, duplicates, quarantine, snapshots, handlers."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone

import pytest

from gwcommon import wire
from tests.support.hubrun import (
    EXAMPLES,
    Publisher,
    count,
    event_payload,
    make_hub,
    rows,
    wait_until,
)

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200 + b"\xff\xd9"


@pytest.fixture
def hub(tmp_path, broker):
    with make_hub(tmp_path, broker) as running:
        yield running


@pytest.fixture
def pub(broker):
    with Publisher(broker.port) as client:
        yield client


def events_of(hub, device):
    return rows(hub, "SELECT * FROM events WHERE device = ? ORDER BY seq", [device])


@pytest.mark.parametrize("kind", list(EXAMPLES))
def test_round_trip_with_a_paho_client(hub, pub, kind):
    site = hub.config.site.id
    sent = pub.event(site, "dev-1", kind, 1, at=datetime(2026, 3, 2, 15, 0, 1, 500000, tzinfo=timezone.utc))
    wait_until(lambda: events_of(hub, "dev-1"))
    (row,) = events_of(hub, "dev-1")
    assert (row["id"], row["site"], row["seq"], row["kind"]) == (sent["id"], site, 1, kind)
    assert row["ts"] == "2026-03-02T15:00:01.500+00:00"
    assert json.loads(row["body"]) == json.loads(wire.encode(wire.decode(f"gatewarden/{site}/dev-1/{kind}",
                                                                         json.dumps(sent).encode())[1]))
    assert datetime.fromisoformat(row["received_at"]).tzinfo is not None


def test_timestamps_with_offsets_are_stored_in_utc(hub, pub):
    site = hub.config.site.id
    pub.json(f"gatewarden/{site}/gate-1/passage",
             {**event_payload("passage", 1, device="gate-1"), "ts": "2026-03-03T07:59:59.250+08:00"})
    wait_until(lambda: events_of(hub, "gate-1"))
    assert events_of(hub, "gate-1")[0]["ts"] == "2026-03-02T23:59:59.250+00:00"


def test_round_trip_with_mosquitto_pub(hub, broker):
    site = hub.config.site.id
    payload = event_payload("passage", 1, device="gate-2")
    for version in ("mqttv311", "mqttv5"):
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1", "-V", version,
                        "-t", f"gatewarden/{site}/gate-2/passage", "-m", json.dumps(payload)],
                       check=True, timeout=10)
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1", "-r",
                    "-t", f"gatewarden/{site}/gate-2/status",
                    "-m", '{"online": true, "kind": "gate", "version": "1.2", "ts": "2026-03-02T07:00:00Z"}'],
                   check=True, timeout=10)
    wait_until(lambda: hub.ingest.stats.duplicates == 1 and hub.book.get("gate-2").version == "1.2")
    assert [r["id"] for r in events_of(hub, "gate-2")] == [payload["id"]]


def test_a_repeated_event_is_stored_once_and_counted(hub, pub):
    site = hub.config.site.id
    calls = []
    hub.ingest.handlers["passage"].append(lambda db, event, ctx: calls.append(event.id))
    for _ in range(3):
        pub.event(site, "gate-1", "passage", 1)
    wait_until(lambda: hub.ingest.stats.duplicates == 2)
    assert count(hub, "events") == 1 and len(calls) == 1
    wait_until(lambda: rows(hub, "SELECT duplicates FROM devices WHERE device = 'gate-1'") == [{"duplicates": 2}])


def test_handlers_run_in_the_storing_transaction_with_context(hub, pub):
    site = hub.config.site.id
    seen = []

    def handler(db, event, ctx):
        stored = db.execute("SELECT seq FROM events WHERE id = ?", [event.id]).fetchone()
        seen.append((event.seq, stored[0], ctx.site, ctx.device, ctx.received_at.tzinfo is not None))

    hub.ingest.handlers["presence"].append(handler)
    pub.event(site, "lane-1", "presence", 1)
    wait_until(lambda: seen)
    assert seen == [(1, 1, site, "lane-1", True)]


def test_a_failing_handler_keeps_the_event(hub, pub):
    site = hub.config.site.id

    def broken(db, event, ctx):
        db.execute("CREATE TABLE scratch (x)")
        raise RuntimeError("area bug")

    hub.ingest.handlers["fault"].append(broken)
    pub.event(site, "gate-1", "fault", 1)
    wait_until(lambda: hub.ingest.stats.handler_errors == 1 and count(hub, "events") == 1)
    assert rows(hub, "SELECT name FROM sqlite_master WHERE name = 'scratch'") == []   # its writes undone


def valid(kind="passage", seq=1, **fields):
    return json.dumps(event_payload(kind, seq, device="dev-9", **fields)).encode()


QUARANTINE_CASES = [
    # (topic below gatewarden/<site>/, payload, code)
    ("Dev_9/passage", valid(), "topic"),                       # device id not [a-z0-9-]
    ("dev-9/teleport", valid(), "topic"),                      # no such kind
    ("dev-9/passage/extra", valid(), "topic"),
    ("dev-9/passage", b"not json", "json"),
    ("dev-9/passage", b"\xff\xfe\x00garbage", "json"),
    ("dev-9/passage", b"[1, 2, 3]", "json"),
    ("dev-9/passage", b"{" + b" " * 20000 + b"}", "size"),
    ("dev-9/passage", valid(seq="5"), "schema"),                # wrong type, not coerced
    ("dev-9/passage", valid(tag="bluetooth:1234"), "schema"),   # bad tag id
    ("dev-9/passage", valid(ts="2026-03-02 07:00:00"), "schema"),  # no UTC offset
    ("dev-9/passage", valid(direction="sideways"), "schema"),
    ("dev-9/presence", json.dumps({"id": "x", "ts": "2026-03-02T07:00:00Z", "seq": 1}).encode(), "schema"),
    ("dev-9/heartbeat", b'{"ts": "2026-03-02T07:00:00Z", "last_seq": -1, "outbox": 0}', "schema"),
    ("dev-9/status", b'{"online": "yes"}', "schema"),
    ("dev-9/snapshot/ev-1", b"GIF89a....", "snapshot"),
]


@pytest.mark.parametrize("suffix,payload,code", QUARANTINE_CASES)
def test_every_kind_of_invalid_message_lands_in_quarantine(hub, pub, suffix, payload, code):
    site = hub.config.site.id
    pub.raw(f"gatewarden/{site}/{suffix}", payload)
    wait_until(lambda: count(hub, "quarantine") == 1)
    (row,) = rows(hub, "SELECT * FROM quarantine")
    assert (row["code"], row["topic"], row["payload_bytes"]) == (code, f"gatewarden/{site}/{suffix}", len(payload))
    assert len(row["payload"]) <= 1024 and row["reason"]
    assert rows(hub, "SELECT code, count FROM quarantine_counts") == [{"code": code, "count": 1}]
    assert hub.quarantine.total == 1 and count(hub, "events") == 0


def test_payload_excerpts_are_text_or_hex(hub, pub):
    site = hub.config.site.id
    pub.raw(f"gatewarden/{site}/dev-9/passage", "车牌 not json".encode())
    pub.raw(f"gatewarden/{site}/dev-9/passage", b"\x00\x01\xff")
    wait_until(lambda: count(hub, "quarantine") == 2)
    got = [(r["payload_encoding"], r["payload"]) for r in rows(hub, "SELECT * FROM quarantine ORDER BY id")]
    assert got == [("text", "车牌 not json"), ("hex", "0001ff")]


def test_a_different_event_with_a_taken_seq_is_quarantined(hub, pub):
    site = hub.config.site.id
    pub.event(site, "gate-1", "passage", 1, id="first")
    pub.event(site, "gate-1", "passage", 1, id="second")
    pub.event(site, "gate-2", "passage", 7, id="first")          # same id, another device
    wait_until(lambda: count(hub, "quarantine") == 2)
    codes = [r["code"] for r in rows(hub, "SELECT code FROM quarantine ORDER BY id")]
    assert codes == ["seq_conflict", "id_conflict"]
    assert [r["id"] for r in rows(hub, "SELECT id FROM events")] == ["first"]


def test_a_message_for_another_site_is_quarantined(hub):
    from hub.core.ingest import RawMessage

    msg = RawMessage("gatewarden/elsewhere/gate-1/passage", valid(), hub.clock.now())
    outcome = hub.writer.call(lambda db: hub.ingest.process(db, msg))
    assert outcome.what == "quarantined"
    assert rows(hub, "SELECT code FROM quarantine") == [{"code": "site"}]


def test_the_hubs_own_topics_are_not_quarantined(hub, pub):
    site = hub.config.site.id
    pub.raw(f"gatewarden/{site}/gate-1/ack", b'{"seq": 3}')
    pub.raw(f"gatewarden/{site}/gate-1/cmd", b'{"anything": 1}')
    pub.raw(f"gatewarden/{site}/hub/violation", b"{}")
    wait_until(lambda: hub.ingest.stats.ignored == 3)
    assert count(hub, "quarantine") == 0


@pytest.mark.parametrize("snapshot_first", [True, False])
def test_snapshots_are_stored_as_files_before_or_after_their_event(hub, pub, snapshot_first):
    site = hub.config.site.id
    steps = [lambda: pub.raw(f"gatewarden/{site}/lane-1/snapshot/ev-42", JPEG),
             lambda: pub.event(site, "lane-1", "presence", 1, id="ev-42")]
    for step in steps if snapshot_first else steps[::-1]:
        step()
    pub.raw(f"gatewarden/{site}/lane-1/snapshot/ev-42", JPEG)      # a repeat changes nothing
    wait_until(lambda: hub.ingest.stats.snapshots == 1 and count(hub, "events") == 1
               and hub.ingest.stats.by_kind.get("snapshot_duplicate") == 1)
    (snap,) = rows(hub, "SELECT * FROM snapshots")
    local = datetime.fromisoformat(snap["received_at"]).astimezone(hub.config.site.tz)
    assert snap["path"] == f"{local:%Y/%m/%d}/ev-42.jpg"
    assert (snap["event_id"], snap["device"], snap["bytes"]) == ("ev-42", "lane-1", len(JPEG))
    assert (hub.snapshots_dir / snap["path"]).read_bytes() == JPEG
    joined = rows(hub, "SELECT e.seq FROM events e JOIN snapshots s ON s.event_id = e.id")
    assert joined == [{"seq": 1}]
