"""`gatewarden edge` as a real process: replay end to end, the will on SIGKILL, clean stop, bad config."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.mqttspy import Spy, wait_until

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]
BASE = "gatewarden/pingan-2/gate-north"
FAULT = {"kind": "fault", "code": "relay_fault", "active": True}


def write_config(tmp_path: Path, port: int, *, replay: str | None = "night.jsonl", extra: str = "") -> Path:
    text = f"""
[site]
id = "pingan-2"
[device]
id = "gate-north"
kind = "gate"
[storage]
dir = "data"
[mqtt]
port = {port}
keepalive = 2
[outbox]
heartbeat = "1s"
[log]
format = "text"
"""
    if replay:
        text += f'[replay]\nfile = "{replay}"\nspeed = 0\n'
    path = tmp_path / "edge.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def write_replay(tmp_path: Path, count: int) -> None:
    lines = [json.dumps({**FAULT, "ts": f"2026-03-01T23:00:{n:02d}.000+08:00"}) for n in range(count)]
    (tmp_path / "night.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_edge(config: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gatewarden", "edge", "--config", str(config)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def outbox_rows(tmp_path: Path) -> int:
    path = tmp_path / "data" / "outbox-gate-north.db"
    if not path.exists():
        return 0
    with sqlite3.connect(str(path)) as db:
        try:
            return db.execute("SELECT count(*) FROM events").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


@pytest.fixture
def procs():
    started: list[subprocess.Popen] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def test_replay_runs_end_to_end_and_a_killed_edge_leaves_its_will(tmp_path, make_broker, procs):
    server = make_broker()
    spy = Spy(server.port, (f"{BASE}/#",)).start()
    write_replay(tmp_path, 5)
    procs.append(run_edge(write_config(tmp_path, server.port)))
    spy.wait_for(lambda s: len(s.of("fault")) == 5 and s.of("heartbeat")
                 and s.of("heartbeat")[-1].json()["last_seq"] == 5, timeout=20)
    assert [m.json()["seq"] for m in spy.of("fault")] == [1, 2, 3, 4, 5]
    assert spy.of("fault")[0].json()["ts"] == "2026-03-01T23:00:00.000+08:00"
    assert spy.of("status")[0].json()["online"] is True
    beat = spy.of("heartbeat")[-1].json()
    assert beat["last_seq"] == 5 and beat["outbox"] == 5
    assert beat["ts"] == "2026-03-01T23:00:04.000+08:00"    # the edge's clock follows the recording
    procs[0].send_signal(signal.SIGKILL)
    spy.wait_for(lambda s: s.of("status")[-1].json() == {"online": False}, timeout=10)
    late = Spy(server.port, (f"{BASE}/status",)).start()
    late.wait_for(lambda s: s.of("status") and s.of("status")[-1].json() == {"online": False})
    late.stop()
    spy.stop()


def test_sigterm_stops_cleanly_with_offline_status(tmp_path, make_broker, procs):
    server = make_broker()
    spy = Spy(server.port, (f"{BASE}/status",)).start()
    procs.append(run_edge(write_config(tmp_path, server.port, replay=None)))
    spy.wait_for(lambda s: s.of("status"), timeout=20)
    procs[0].send_signal(signal.SIGTERM)
    assert procs[0].wait(15) == 0
    spy.wait_for(lambda s: s.of("status")[-1].json() == {"online": False})
    spy.stop()


def test_events_from_a_killed_edge_are_sent_by_the_next_run(tmp_path, make_broker, procs):
    server = make_broker()
    server.stop()                                   # the broker is down while the edge records
    write_replay(tmp_path, 4)
    procs.append(run_edge(write_config(tmp_path, server.port)))
    wait_until(lambda: outbox_rows(tmp_path) == 4, timeout=20, what="events in the outbox")
    procs[0].send_signal(signal.SIGKILL)
    procs[0].wait(10)
    server.start()
    spy = Spy(server.port, (f"{BASE}/fault",)).start()
    procs.append(run_edge(write_config(tmp_path, server.port, replay=None)))
    spy.wait_for(lambda s: len(s.of("fault")) == 4, timeout=20)
    assert [m.json()["seq"] for m in spy.of("fault")] == [1, 2, 3, 4]
    spy.stop()


@pytest.mark.parametrize("change,message", [
    ({"extra": "[gate_typo]\nx = 1\n"}, "gate_typo：不认识的键；是不是想写 gate？"),  # Chinese by default
    ({"extra": "[device]\n"}, "不是有效的 TOML 格式"),
    ({"port": 70000}, "mqtt.port"),
    ({"replay_lines": ['{"kind": "fault"}', "oops"]}, "line 1: fault: code: Field required; active: Field required; line 2: not JSON"),
])
def test_bad_config_exits_2_with_one_line(tmp_path, change, message):
    config = write_config(tmp_path, change.get("port", 1), extra=change.get("extra", ""))
    (tmp_path / "night.jsonl").write_text("\n".join(change.get("replay_lines", [json.dumps(FAULT)])) + "\n")
    result = subprocess.run([sys.executable, "-m", "gatewarden", "edge", "--config", str(config)],
                            cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists()         # nothing was started or written


def test_check_prints_a_summary(tmp_path):
    write_replay(tmp_path, 2)
    result = subprocess.run([sys.executable, "-m", "gatewarden", "edge", "--check", "--config",
                             str(write_config(tmp_path, 1883))], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "gate-north（gate）" in result.stdout and "数据来源：replay" in result.stdout  # Chinese by default
    assert not (tmp_path / "data").exists()


def test_a_device_without_its_section_is_flagged_by_check(tmp_path):
    config = write_config(tmp_path, 1883, replay=None)
    result = subprocess.run([sys.executable, "-m", "gatewarden", "edge", "--config", str(config), "--check"],
                            cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert "device.kind 是 gate，但文件里没有 [gate] 一节" in result.stdout
