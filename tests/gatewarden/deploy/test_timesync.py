"""The edge's `clock_unsynced` fault: raised while the system clock is not synchronised, cleared
when it is, remembered across a restart, and raised by the running edge daemon."""

from __future__ import annotations

import json
import logging
import os
import stat

import pytest

from edge.config import load_edge_config
from edge.daemon import EdgeDaemon
from edge.events import ListSink
from edge.timesync import ClockWatch, decide, ntp_synchronized
from tests.support.hubrun import wait_until

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("raised,synced,expected", [
    (False, False, (True, True)),
    (False, True, (False, None)),
    (False, None, (False, None)),
    (True, False, (True, None)),
    (True, True, (False, False)),
    (True, None, (True, None)),
])
def test_decide(raised, synced, expected):
    assert decide(raised, synced) == expected


def test_raise_once_clear_once_and_remember_across_restarts(tmp_path):
    answers = iter([False, False, None])
    sink, state = ListSink(), tmp_path / "clock.flag"
    watch = ClockWatch(sink, state_file=state, check=lambda: next(answers))
    for _ in range(3):
        watch.poll()
    assert [f["active"] for f in sink.of("fault")] == [True] and state.exists()
    assert sink.of("fault")[0]["code"] == "clock_unsynced"
    restarted = ClockWatch(sink, state_file=state, check=lambda: True)  # a new process, clock now right
    restarted.poll()
    restarted.poll()
    assert [f["active"] for f in sink.of("fault")] == [True, False] and not state.exists()


def test_unknown_is_logged_once_and_raises_nothing(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    sink = ListSink()
    watch = ClockWatch(sink, state_file=tmp_path / "f", check=lambda: None)
    watch.poll()
    watch.poll()
    assert sink.events == [] and len([r for r in caplog.records if "cannot tell" in r.message]) == 1


@pytest.mark.parametrize("script,expected", [
    ("echo yes", True), ("echo no", False), ("echo 'Failed to connect to bus' >&2; exit 1", None), ("echo maybe", None),
])
def test_ntp_synchronized_asks_timedatectl(tmp_path, monkeypatch, script, expected):
    tool = tmp_path / "timedatectl"
    tool.write_text(f"#!/bin/sh\n[ \"$1 $2 $3 $4\" = 'show -p NTPSynchronized --value' ] || exit 3\n{script}\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert ntp_synchronized() is expected


def test_ntp_synchronized_without_timedatectl(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert ntp_synchronized() is None


def test_the_edge_daemon_raises_clock_unsynced_with_a_seq(tmp_path, broker):
    config_file = tmp_path / "edge.toml"
    config_file.write_text(f'[site]\nid = "ts"\n[device]\nid = "gate-t"\nkind = "gate"\n[storage]\ndir = "data"\n'
                           f'[mqtt]\nport = {broker.port}\n', encoding="utf-8")
    synced = [False]
    daemon = EdgeDaemon(load_edge_config(config_file), clock_check=lambda: synced[0])
    daemon.clockwatch.interval = 0.05
    daemon.start()
    try:
        wait_until(lambda: daemon.outbox.count() >= 1)
        synced[0] = True
        wait_until(lambda: daemon.outbox.count() >= 2)
        bodies = [json.loads(row.body) for row in daemon.outbox.pending(limit=10)]
    finally:
        daemon.stop()
    assert [(b["code"], b["active"], b["seq"]) for b in bodies] == [("clock_unsynced", True, 1),
                                                                    ("clock_unsynced", False, 2)]
