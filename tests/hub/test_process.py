"""The hub as an operator runs it: `python -m gatewarden hub --config F`, killed, restarted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from tests.support.broker import free_port
from tests.support.hubrun import Publisher, ack_listener, make_hub, unique_site, wait_until
from tests.support.hubproc import db_rows, start_hub, write_config

ROOT = Path(__file__).resolve().parents[2]


def healthz(port: int) -> dict | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()
    except httpx.HTTPError:
        return None


@pytest.mark.parametrize("args,message", [
    (["hub"], "no --config given and no /nonexistent-etc/hub.toml"),
    (["hub", "--config", "/nonexistent/hub.toml"], "/nonexistent/hub.toml: no such file"),
])
def test_bad_invocations_fail_with_one_line(args, message):
    env = {**os.environ, "GATEWARDEN_ETC": "/nonexistent-etc", "GATEWARDEN_LANG": "en"}
    env.pop("GATEWARDEN_CONFIG", None)
    done = subprocess.run([sys.executable, "-m", "gatewarden", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=30, env=env)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and message in done.stderr


@pytest.mark.parametrize("old,new,key", [
    ("[log]", "[hub]\noffline_after = \"soon\"\n[log]", "hub.offline_after"),
    ("keepalive = 5", "keepalive = 5\nkeepalvie = 3", "mqtt.keepalvie"),
    ("port = ", "port = 70000 #", "mqtt.port"),
])
def test_a_bad_config_names_the_file_and_key(tmp_path, old, new, key):
    config = write_config(tmp_path, 1883, site="s", web_port=0)
    config.write_text(config.read_text().replace(old, new, 1))
    done = subprocess.run([sys.executable, "-m", "gatewarden", "hub", "--config", str(config)], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and str(config) in done.stderr and key in done.stderr


def test_a_taken_web_port_is_one_clear_line(tmp_path, broker):
    with make_hub(tmp_path / "first", broker) as hub:
        config = write_config(tmp_path, broker.port, site=unique_site(), web_port=hub.web_port)
        done = subprocess.run([sys.executable, "-m", "gatewarden", "hub", "--config", str(config)], cwd=ROOT,
                              capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert f"web.listen: cannot listen on 127.0.0.1:{hub.web_port}" in done.stderr.splitlines()[-1]


def test_an_unusable_storage_dir_is_one_clear_line(tmp_path, broker):
    config = write_config(tmp_path, broker.port, site=unique_site(), web_port=0)
    (tmp_path / "data").write_text("a file where the data directory should be")
    done = subprocess.run([sys.executable, "-m", "gatewarden", "hub", "--config", str(config)], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].startswith("gatewarden hub: storage.dir：用不了 ")  # Chinese by default


def test_runs_serves_healthz_and_stops_cleanly_on_sigterm(tmp_path, broker):
    web_port = free_port()
    site = unique_site()
    proc = start_hub(write_config(tmp_path, broker.port, site=site, web_port=web_port))
    try:
        health = wait_until(lambda: (h := healthz(web_port)) and h["mqtt_connected"] and h, timeout=30)
        assert health["ok"] is True and health["site"] == site and health["devices_online"] == 0
        assert health["provisional"] is True              # no gate or lane yet: wall clock
        with Publisher(broker.port) as pub:
            pub.status(site, "gate-1")
            pub.event(site, "gate-1", "passage", 1)
        wait_until(lambda: healthz(web_port)["events_received"] == 1)
        assert healthz(web_port)["devices_online"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    logged = [json.loads(line) for line in err.decode().splitlines()]
    assert any(entry["msg"] == "hub stopped" for entry in logged)
    assert not any("password" in line.lower() for line in err.decode().splitlines())


def send_all(pub: Publisher, site: str, device: str, seqs) -> None:
    """Events stamped now (the hub's areas run with the real clock: retention, rules)."""
    for seq in seqs:
        pub.event(site, device, "charging", seq, id=f"{device}-{seq}", at=datetime.now(timezone.utc))


def test_a_killed_hub_loses_nothing_it_acked(tmp_path, broker):
    """SIGKILL mid-stream, restart, and an edge-like resend of what was not acked: all stored once."""
    site = unique_site()
    web_port = free_port()
    config = write_config(tmp_path, broker.port, site=site, web_port=web_port)
    listener, acks = ack_listener(broker.port, site)
    proc = start_hub(config)
    try:
        with Publisher(broker.port) as pub:
            wait_until(lambda: (h := healthz(web_port)) and h["mqtt_connected"], timeout=30)
            send_all(pub, site, "shed-1", range(1, 201))
            wait_until(lambda: acks.get("shed-1"), timeout=30)
            proc.kill()
            proc.wait(10)
            acked_before_kill = max(acks["shed-1"])
            send_all(pub, site, "shed-1", range(201, 401))      # queued by the broker for the hub
            proc = start_hub(config)
            wait_until(lambda: acks["shed-1"][-1] >= 200, timeout=30)
            send_all(pub, site, "shed-1", range(acks["shed-1"][-1] + 1, 401))   # the edge resends the rest
            wait_until(lambda: acks["shed-1"][-1] == 400, timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
        listener.disconnect()
        listener.loop_stop()
    stored = [r["seq"] for r in db_rows(tmp_path / "data" / "hub.db", "SELECT seq FROM events WHERE device = 'shed-1' ORDER BY seq")]
    assert stored == list(range(1, 401))
    assert acked_before_kill >= 1


def test_hub_offline_past_the_broker_queue_limit(tmp_path, make_broker):
    """The broker keeps only 50 messages for the absent hub; acks tell the sender what to resend."""
    broker = make_broker(extra="max_queued_messages 50")
    site = unique_site()
    hub = make_hub(tmp_path, broker, site=site)          # creates the persistent session
    hub.stop()
    listener, acks = ack_listener(broker.port, site)
    with Publisher(broker.port) as pub:
        send_all(pub, site, "gate-1", range(1, 301))   # broker PUBACKs all 300, queues 50
        with make_hub(tmp_path, broker, site=site) as hub:
            wait_until(lambda: acks.get("gate-1") and acks["gate-1"][-1] >= 50)
            received_from_queue = hub.ingest.stats.events
            send_all(pub, site, "gate-1", range(acks["gate-1"][-1] + 1, 301))
            wait_until(lambda: acks["gate-1"][-1] == 300)
    listener.disconnect()
    listener.loop_stop()
    assert received_from_queue < 300         # the broker really dropped messages
    stored = [r["seq"] for r in db_rows(tmp_path / "hub" / "hub.db", "SELECT seq FROM events ORDER BY seq")]
    assert stored == list(range(1, 301))
