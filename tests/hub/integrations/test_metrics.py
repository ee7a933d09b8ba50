"""Prometheus metrics: the hub's /metrics and an edge device's metrics port parse with
prometheus_client's own parser, and their counters move when events flow."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from edge.ble.fake import FakeRadio
from gwcommon.clock import FakeClock, SystemClock
from gwcommon.config import validate
from hub.integrations.metrics import MetricsConfig, ack_lag, is_loopback, open_to_all, watermark_lag
from tests.support.hubrun import Publisher, make_hub, wait_until

pytestmark = pytest.mark.timeout(60)
AT = datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc)


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of an exposition, through prometheus_client's parser."""
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def scrape(url: str, **kw) -> dict:
    response = httpx.get(url, timeout=5, **kw)
    assert response.status_code == 200, response.text
    return samples(response.text)


@pytest.mark.parametrize("listen,loopback", [
    ("127.0.0.1:8080", True), ("localhost:80", True), ("[::1]:8080", True), ("0.0.0.0:8080", False),
    ("192.168.1.5:8080", False), (":8080", False),
])
def test_is_loopback(listen, loopback):
    assert is_loopback(listen) is loopback


@pytest.mark.parametrize("public,listen,public_url,opened", [
    (False, "127.0.0.1:8080", "", False),  # a TCP tunnel to the loopback port: no public_url, still outside
    (True, "127.0.0.1:8080", "", True),
    (False, "127.0.0.1:8080", "https://gate.example.cn", False),  # an frp tunnel to the loopback port
    (False, "0.0.0.0:8080", "", False),
    (True, "0.0.0.0:8080", "https://gate.example.cn", True),
])
def test_who_may_read_metrics(public, listen, public_url, opened):
    web = type("Web", (), {"listen": listen, "public_url": public_url})()
    assert open_to_all(MetricsConfig(public=public), web) is opened


@pytest.mark.parametrize("row,lag", [
    ({"ack_seq": 5, "last_seq": 5, "hb_last_seq": 9}, 4), ({"ack_seq": 5, "last_seq": 7, "hb_last_seq": None}, 2),
    ({"ack_seq": None, "last_seq": 3}, None), ({"ack_seq": 9, "last_seq": 9, "hb_last_seq": 8}, 0),
])
def test_ack_lag(row, lag):
    assert ack_lag(row) == lag


def test_watermark_lag():
    assert watermark_lag({"watermark": "2026-03-02T06:59:30.000Z"}, AT) == 30.0
    assert watermark_lag({"watermark": None}, AT) is None


def test_hub_metrics_move_when_events_flow(tmp_path, broker):
    hub = make_hub(tmp_path, broker, clock=FakeClock(AT), areas=["hub.web.app", "hub.integrations.metrics"],
                   config_overrides={"metrics": {"public": True}})
    url = f"http://127.0.0.1:{hub.web_port}/metrics"
    site = hub.config.site.id
    try:
        before = scrape(url)
        assert before[("gatewarden_events_ingested_total", ())] == 0
        with Publisher(broker.port) as pub:
            early = AT - timedelta(seconds=60)
            pub.event(site, "gate-1", "passage", 1, at=early)
            pub.event(site, "gate-1", "passage", 2, at=early)
            pub.event(site, "gate-1", "passage", 2, at=early)  # a repeat
            pub.raw(f"gatewarden/{site}/gate-1/passage", b"not json")
            pub.heartbeat(site, "gate-1", last_seq=4, outbox=2, at=AT - timedelta(seconds=30))
        wait_until(lambda: scrape(url).get(("gatewarden_device_outbox_events", (("device", "gate-1"),))) == 2)
        _insert_alert_rows(hub)
        after = scrape(url)
    finally:
        hub.stop()
    assert after[("gatewarden_events_ingested_total", ())] == 2
    assert after[("gatewarden_events_duplicate_total", ())] == 1
    assert after[("gatewarden_events_quarantined_total", (("code", "json"),))] == 1
    assert after[("gatewarden_device_ack_lag_events", (("device", "gate-1"),))] == 2
    assert after[("gatewarden_device_watermark_lag_seconds", (("device", "gate-1"),))] == 60  # seq 3, 4 not held
    assert after[("gatewarden_rule_sweeps_total", ())] > before[("gatewarden_rule_sweeps_total", ())]
    assert after[("gatewarden_alert_messages", (("state", "failed"), ("target", "wecom-1")))] == 1
    assert after[("gatewarden_alert_messages", (("state", "sent"), ("target", "wecom-1")))] == 2
    assert after[("gatewarden_alert_messages", (("state", "pending"), ("target", "wecom-1")))] == 0
    latency = ("gatewarden_http_request_duration_seconds_count",
               (("method", "GET"), ("route", "/metrics"), ("status", "200")))
    assert after[latency] > before.get(latency, 0)


def _insert_alert_rows(hub) -> None:
    def job(db):
        for n, state in enumerate(("sent", "sent", "failed")):
            db.execute("INSERT INTO alert_outbox (dedup_key, target, msg_type, body, state, next_try, created_at) "
                       "VALUES (?, 'wecom-1', 'text', '{}', ?, '', '')", [f"k{n}", state])
    hub.writer.call(job)


def test_hub_metrics_need_a_token_when_reachable_from_outside(tmp_path, broker):
    from hub.web.auth import create_token_job

    hub = make_hub(tmp_path, broker, areas=["hub.web.app", "hub.integrations.metrics"],
                   config_overrides={"web": {"public_url": "https://gate.example.cn"}})
    url = f"http://127.0.0.1:{hub.web_port}/metrics"
    try:
        refused = httpx.get(url, timeout=5)
        wrong = httpx.get(url, timeout=5, headers={"Authorization": "Bearer nope"})
        token, job = create_token_job("viewer", "prometheus", SystemClock().now())
        hub.writer.call(job)
        allowed = scrape(url, headers={"Authorization": f"Bearer {token}"})
    finally:
        hub.stop()
    assert refused.status_code == wrong.status_code == 401 and "token" in refused.text
    assert ("gatewarden_events_ingested_total", ()) in allowed


def test_metrics_can_be_turned_off(tmp_path, broker):
    hub = make_hub(tmp_path, broker, areas=["hub.integrations.metrics"], config_overrides={"metrics": {"enabled": False}})
    try:
        assert httpx.get(f"http://127.0.0.1:{hub.web_port}/metrics", timeout=5).status_code == 404
    finally:
        hub.stop()


def edge_config(tmp_path, port: int):
    from edge.config import EdgeConfig

    return validate({"site": {"id": "pingan-2"}, "storage": {"dir": str(tmp_path / "edge")},
                     "mqtt": {"port": port, "keepalive": 5}, "device": {"id": "lane-east", "kind": "lane"},
                     "edge_metrics": {"listen": "127.0.0.1:0"}}, EdgeConfig)


def test_edge_metrics_port_reads_the_parts_counters(tmp_path, broker):
    from edge.ble.build import make_scanner
    from edge.ble.config import ScannerConfig
    from edge.daemon import EdgeDaemon
    from edge.events import ListSink

    daemon = EdgeDaemon(edge_config(tmp_path, broker.port), clock_check=lambda: True).start()
    radio = FakeRadio()
    scanner = make_scanner(ScannerConfig(), sink=ListSink(), clock=SystemClock(), device_id="lane-east", storage_dir=tmp_path,
                           backend=radio.backend, tick=0.2)
    daemon.handles.append(("lane", type("Handle", (), {"scanner": scanner, "device": None})()))
    scanner.start()
    url = f"http://127.0.0.1:{daemon.metrics.port}/metrics"
    try:
        first = scrape(url)
        for n in range(3):
            daemon.outbox.emit("fault", {"code": "test", "active": True, "detail": str(n)})
        wait_until(lambda: radio.scanning)
        for _ in range(5):
            radio.ibeacon("c0:ff:ee:00:00:01", -60, bytes.fromhex("0215fda50693a4e24fb1afcfc6eb0764782500010002c5"))
        wait_until(lambda: scrape(url)[("gatewarden_edge_ble_total", (("what", "advertisements"),))] == 5)
        second = scrape(url)
    finally:
        scanner.stop()
        daemon.stop()
    assert second[("gatewarden_edge_outbox_total", (("what", "emitted"),))] == \
        first[("gatewarden_edge_outbox_total", (("what", "emitted"),))] + 3
    assert ("gatewarden_edge_outbox_events", ()) in second and ("gatewarden_edge_connected", ()) in second
    assert second[("gatewarden_edge_ble_total", (("what", "sightings"),))] == 5
    assert second[("gatewarden_edge_info", (("device", "lane-east"), ("kind", "lane")))] == 1
    assert json.dumps(sorted({k[0] for k in second})).count("gatewarden_edge_publisher_total") == 1
