"""The hub's disk fills up (issue 16): SQLite answers "database or disk is full" and the hub
survives it — nothing unstored is acknowledged (the events wait in the edge's outbox), the
process keeps running, /healthz answers 503 with the reason ``storage_full``, and once space
returns it takes every event in by itself, exactly once, and raises the maintenance alert.

The full disk is SQLite's own: ``PRAGMA max_page_count`` on the hub writer's connection caps the
database at its present size, so every write that needs a new page fails with SQLITE_FULL (the
same error, and the same rolled-back transaction, as a full SD card), as root or not.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from edge.outbox import Outbox
from edge.publisher import Publisher
from gwcommon.clock import SystemClock
from gwcommon.config import MqttConfig
from tests.support.hubrun import count, make_hub, rows, wait_until

UNLIMITED = 2_000_000_000


def _healthz(hub) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{hub.web_port}/healthz", timeout=10) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


def _cap(hub, pages: int | None) -> None:
    """The disk is full from now on (``pages`` None: at the database's present size), or not."""
    def job(db):
        limit = pages or db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {int(limit)}")
    hub.writer.call(job)


@pytest.fixture
def edge(tmp_path, broker):
    made = []

    def start(site: str) -> tuple[Outbox, Publisher]:
        box = Outbox(tmp_path / "outbox.db", site=site, device="shed-1", clock=SystemClock())
        pub = Publisher(box, mqtt=MqttConfig(port=broker.port, keepalive=2), site=site, device="shed-1",
                        kind="charging", clock=box.clock, heartbeat=1.0, ack_timeout=1.0, settle=0.1).start()
        made.append((box, pub))
        return box, pub

    yield start
    for box, pub in made:
        pub.stop()
        box.close()


def _emit(box: Outbox, n: int) -> None:
    for i in range(n):
        box.emit("charging", {"circuit": "shed-a", "power_w": float(i), "current_a": 0.5, "loads": 1})


def test_a_full_disk_acks_nothing_keeps_running_says_503_and_recovers_by_itself(tmp_path, broker, edge):
    hub = make_hub(tmp_path, broker, areas=["alerts", "charging"], config_overrides={"alerts": {"device_debounce": "0s"}})
    hub.intake.max_retry_after = 2.0  # the production cap (30 s) would only slow the test down
    box, _ = edge(hub.config.site.id)
    try:
        _emit(box, 5)
        wait_until(lambda: box.acked_seq == 5, timeout=30)
        status, body = _healthz(hub)
        assert status == 200 and body["reason"] is None and body["storage_full"] is False

        _cap(hub, None)
        _emit(box, 60)
        wait_until(lambda: hub.writer.storage_full, timeout=30)
        status, body = _healthz(hub)
        assert status == 503 and body["reason"] == "storage_full" and body["storage_full"] is True
        stored = count(hub, "events")
        assert box.acked_seq <= stored < 65  # nothing acked that is not stored; the rest waits on the edge
        assert box.count() == 65 - box.acked_seq > 0
        assert hub.writer_alive()

        _cap(hub, UNLIMITED)  # space returns
        wait_until(lambda: box.acked_seq == 65, timeout=60)
        assert count(hub, "events") == 65  # every one, once
        assert len({r["seq"] for r in rows(hub, "SELECT seq FROM events")}) == 65
        wait_until(lambda: _healthz(hub)[0] == 200, timeout=30)
        assert _healthz(hub)[1]["reason"] is None
        alert = wait_until(lambda: rows(hub, "SELECT payload FROM alerts WHERE kind = 'device_fault'"), timeout=30)
        assert json.loads(alert[0]["payload"])["code"] == "storage_full"
        wait_until(lambda: not rows(hub, "SELECT 1 FROM alert_conditions WHERE code = 'storage_full'"), timeout=30)
    finally:
        hub.stop()


def test_a_tick_failing_on_a_full_disk_is_logged_once_a_minute_not_five_times_a_second(tmp_path, broker, caplog):
    hub = make_hub(tmp_path, broker, areas=["hub.alerts"])
    hub.writer.call(lambda db: db.execute("CREATE TABLE filler (x)"))
    _cap(hub, None)
    try:
        with caplog.at_level("ERROR", logger="hub.core.db"):
            hub.writer.add_tick(_fill)
            wait_until(lambda: hub.writer.storage_full, timeout=30)
            ticks = hub.writer.stats.tick_errors
            wait_until(lambda: hub.writer.stats.tick_errors >= ticks + 10, timeout=30)
        skipped = [r for r in caplog.records if "skipped: the database is full" in r.getMessage()]
        assert 1 <= len(skipped) <= 2
        assert not [r for r in caplog.records if r.exc_info]
    finally:
        hub.stop()


def _fill(db) -> None:
    """A tick that writes a page's worth each time, as an area's tick does now and then."""
    db.execute("INSERT INTO filler VALUES (?)", ["x" * 5000])




JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 1000 + b"\xff\xd9"
NOTE = "\U00020000" * 1000  # 4 KB (4-byte characters): more than a database page


def _fill_up(hub) -> None:
    """Use up the pages the capped database still has free (its other tables keep the room left in
    their own pages), one committed row at a time."""
    for size in (3000, 100):
        for _ in range(1000):
            try:
                hub.writer.call(lambda db: db.execute("INSERT INTO filler VALUES (?)", ["x" * size]))
            except Exception:  # noqa: BLE001 — the database is full now
                break
    assert hub.writer.call(lambda db: db.execute("PRAGMA freelist_count").fetchone()[0]) == 0


def test_a_picture_waiting_for_its_event_is_kept_with_it_when_the_event_comes_on_a_full_disk(tmp_path, broker):
    """The waiting room follows what is committed: a try that the full disk takes back must not
    use up the picture waiting for the event, nor leave its row to end as an orphan (review
    finding 5).  The event (small: it fits the pages there are) shares its batch with a large
    one that does not, so the batch is taken back after the picture was matched."""
    import threading

    from tests.support.hubrun import Publisher

    hub = make_hub(tmp_path, broker)
    hub.intake.max_retry_after = 1.0
    site = hub.config.site.id
    try:
        with Publisher(broker.port) as pub:
            pub.event(site, "gate-1", "passage", 1)
            pub.raw(f"gatewarden/{site}/gate-1/snapshot/gate-1:boot1:2", JPEG)  # the picture comes first
            wait_until(lambda: count(hub, "snapshot_waiting") == 1 and count(hub, "events") == 1, timeout=30)
            hub.writer.call(lambda db: db.execute("CREATE TABLE filler (x)"))
            failed = hub.intake.failed_batches
            _cap(hub, None)
            _fill_up(hub)
            hold = threading.Event()
            hub.writer.submit(lambda db: hold.wait(30))  # both events wait for one batch
            pub.event(site, "gate-1", "passage", 2)  # its event, onto a full disk
            pub.event(site, "gate-1", "passage", 3, note=NOTE)
            wait_until(lambda: hub.intake.backlog == 2, timeout=30)
            hold.set()
            wait_until(lambda: hub.intake.failed_batches > failed, timeout=30)
            _cap(hub, UNLIMITED)
            wait_until(lambda: count(hub, "events") == 3, timeout=60)
        wait_until(lambda: count(hub, "snapshots") == 1, timeout=30)
        assert count(hub, "snapshot_waiting") == 0 and len(hub.ingest.waitroom) == 0
        assert count(hub, "quarantine") == 0 and hub.quarantine.total == 0
    finally:
        hub.stop()


def test_on_a_full_disk_the_web_view_says_so_in_the_readers_language_not_a_bare_500(tmp_path, broker):
    """Review finding 6: a write the full disk refuses (a log-in stores a session, an excuse a
    diary line) answers 503 with the cause and what to do, in the reader's language; a JSON
    request gets JSON.  The routes added here write a row bigger than the pages left."""
    import sqlite3

    from fastapi.testclient import TestClient

    from tests.support.webhub import web_hub

    hub = web_hub(tmp_path, broker, areas=("hub.web.app",))
    try:
        def fill() -> None:
            hub.writer.call(lambda db: db.execute("INSERT INTO filler VALUES (?)", ["x" * 5000]))

        hub.web.post("/test-write")(lambda: fill() or {})
        hub.web.post("/api/test-write")(lambda: fill() or {})

        @hub.web.post("/api/test-broken")
        def broken() -> dict:
            raise sqlite3.OperationalError("no such table: nowhere")

        hub.writer.call(lambda db: db.execute("CREATE TABLE filler (x)"))
        _cap(hub, None)
        client = TestClient(hub.web, raise_server_exceptions=False)
        refused = client.post("/test-write")
        assert refused.status_code == 503
        assert "中心机存储卡已满，暂时不能保存；请联系安装维护人员" in refused.text
        client.get("/lang?to=en")
        assert "storage card is full" in client.post("/test-write").text
        answer = client.post("/api/test-write")
        assert answer.status_code == 503 and "storage card is full" in answer.json()["error"]
        assert client.post("/api/test-broken").status_code == 500  # any other database error stays a 500
        _cap(hub, UNLIMITED)
        assert client.post("/test-write").status_code == 200
    finally:
        hub.stop()
