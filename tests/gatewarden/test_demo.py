"""`gatewarden demo` end to end: starts, reaches the morning digest, answers, stops cleanly."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
from datetime import date

import pytest

from gatewarden.sim.compound import build
from gatewarden.sim.night import plan

pytestmark = pytest.mark.timeout(300)


def _leftovers(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if marker in line and "ps -eo" not in line]


def test_demo_runs_a_night_and_finds_exactly_the_true_violations(tmp_path):
    data = tmp_path / "demo"
    proc = subprocess.Popen([sys.executable, "-m", "gatewarden", "demo", "--night-seconds", "45",
                             "--exit-after-morning", "--dir", str(data), "--seed", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url, answered, output = None, False, []
    deadline = time.monotonic() + 280
    while proc.poll() is None and time.monotonic() < deadline:
        line = proc.stdout.readline()
        output.append(line)
        found = re.search(r"网页：(http://127\.0\.0\.1:\d+/)", line)  # Chinese by default
        if found:
            url = found.group(1)
            with urllib.request.urlopen(url + "healthz", timeout=10) as reply:
                answered = reply.status == 200
    proc.wait(timeout=30)
    text = "".join(output) + (proc.stdout.read() or "")
    assert proc.returncode == 0, text[-3000:]
    assert url and answered, text[-3000:]
    assert "违停晨报已发出" in text and "第二平安小区" in text
    assert _leftovers(str(data)) == []

    night = plan(build(1), date(2026, 11, 19), 1, plates=True)
    with sqlite3.connect(data / "hub" / "hub.db") as db:
        found = {(plate, rule) for plate, rule in db.execute(
            "SELECT plate, rule FROM violations WHERE state = 'open' AND provisional = 0")}
        digests = db.execute("SELECT count(*) FROM inbox WHERE type = 'text' AND title LIKE '违停晨报%'").fetchone()[0]
    assert found == night.violations
    assert digests == 1
