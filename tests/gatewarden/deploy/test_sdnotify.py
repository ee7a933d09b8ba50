"""sd_notify: the hub and the edge daemon tell systemd READY=1, ping WATCHDOG=1, say STOPPING=1.

A real AF_UNIX datagram socket plays systemd's notification socket; the hub and an edge device
run as real processes (``gatewarden hub|edge --config``) with NOTIFY_SOCKET and WATCHDOG_USEC set,
as systemd sets them for the Type=notify units in deploy/systemd/.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from gwcommon.sdnotify import Notifier, socket_address, watchdog_interval

pytestmark = pytest.mark.timeout(100)

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def notify_socket():
    """An abstract datagram socket (``@name``) like systemd's; yields (name, receive function)."""
    name = f"@gatewarden-test-{uuid.uuid4().hex[:10]}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(socket_address(name))
    sock.settimeout(30)

    def receive() -> str:
        return sock.recv(4096).decode()

    yield name, receive
    sock.close()


def test_messages_reach_the_socket_and_pings_are_rate_limited(notify_socket):
    name, receive = notify_socket
    now = [100.0]
    notifier = Notifier(name, watchdog=5.0, monotonic=lambda: now[0])
    assert notifier.ready("site x") and receive() == "READY=1\nSTATUS=site x"
    assert notifier.ping() and receive() == "WATCHDOG=1"
    now[0] += 4.9
    assert not notifier.ping()
    now[0] += 0.2
    assert notifier.ping() and receive() == "WATCHDOG=1"
    assert notifier.stopping() and receive() == "STOPPING=1"


def test_a_path_socket_works_too(tmp_path):
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(path))
        assert Notifier(str(path)).ready()
        assert sock.recv(100) == b"READY=1"


@pytest.mark.parametrize("env,expected", [
    ({}, None),
    ({"WATCHDOG_USEC": "30000000"}, 7.5),
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}, None),  # the watchdog is another process's
    ({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}, 7.5),
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "soon"}, None),
])
def test_watchdog_interval_from_the_environment(env, expected):
    assert watchdog_interval(env, os.getpid()) == expected


def test_without_notify_socket_nothing_happens():
    notifier = Notifier.from_environment({"WATCHDOG_USEC": "1000000"})
    assert not notifier.enabled
    assert notifier.ready() is False and notifier.ping() is False and notifier.stopping() is False


def test_a_vanished_socket_is_logged_once_and_never_raises(tmp_path, caplog):
    notifier = Notifier(str(tmp_path / "gone"), watchdog=0.0)
    assert notifier.ready() is False and notifier.ping() is False
    assert len([r for r in caplog.records if "cannot notify systemd" in r.message]) == 1


def run_until_pinged(cmd: list[str], env_socket: str, receive) -> list[str]:
    env = {**os.environ, "NOTIFY_SOCKET": env_socket, "WATCHDOG_USEC": "400000"}
    env.pop("WATCHDOG_PID", None)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    got: list[str] = []
    try:
        while got.count("WATCHDOG=1") < 2:
            got.append(receive())
        proc.send_signal(signal.SIGTERM)
        while "STOPPING=1" not in got:
            got.append(receive())
        assert proc.wait(60) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    return got


def test_the_hub_process_notifies_ready_pings_and_stopping(tmp_path, broker, notify_socket):
    name, receive = notify_socket
    config = tmp_path / "hub.toml"
    config.write_text(f'[site]\nid = "sdn-{uuid.uuid4().hex[:6]}"\n[storage]\ndir = "data"\n[mqtt]\nport = {broker.port}\n'
                      '[web]\nlisten = "127.0.0.1:0"\n[log]\nformat = "text"\n', encoding="utf-8")
    got = run_until_pinged([sys.executable, "-m", "gatewarden", "hub", "--config", str(config)], name, receive)
    assert got[0].startswith("READY=1") and got[-1] == "STOPPING=1"


def test_the_edge_process_notifies_ready_pings_and_stopping(tmp_path, broker, notify_socket):
    name, receive = notify_socket
    config = tmp_path / "edge.toml"
    config.write_text(f'[site]\nid = "sdn"\n[device]\nid = "gate-x"\nkind = "gate"\n[storage]\ndir = "data"\n'
                      f'[mqtt]\nport = {broker.port}\n[log]\nformat = "text"\n', encoding="utf-8")
    got = run_until_pinged([sys.executable, "-m", "gatewarden", "edge", "--config", str(config)], name, receive)
    assert got[0] == "READY=1" and got[-1] == "STOPPING=1" and "WATCHDOG=1" in got
