"""Shared by the tests of tests/hub/ (moved out of test_process.py, so no test module imports another)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.hubrun import rows

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path: Path, port: int, *, site: str, web_port: int, extra: str = "") -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(f"""
[site]
id = "{site}"
name = "第二平安小区"

[storage]
dir = "data"

[mqtt]
host = "127.0.0.1"
port = {port}
keepalive = 5

[web]
listen = "127.0.0.1:{web_port}"

[log]
format = "json"
{extra}
""", encoding="utf-8")
    return path


def start_hub(config: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gatewarden", "hub", "--config", str(config)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def db_rows(db_path: Path, sql: str) -> list[dict]:
    class _Hub:  # rows() only needs db_path
        pass
    _Hub.db_path = db_path
    return rows(_Hub, sql)
