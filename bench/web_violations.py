"""The web view and JSON API over a big database: 1,000,000 passages and 100,000 violations.

    .venv/bin/python bench/web_violations.py [--passages 1000000] [--violations 100000] [--runs 60]

Builds a hub database (every migration, so every index the hub really has), attaches the web
view to a ``hub.app.Hub`` (MQTT not started: the pages only read the database), logs in, and
times each request through the ASGI app in-process (httpx TestClient: no network, the whole
FastAPI + SQLite + Jinja2 path).  Goal: violations page and API p95 ≤ 150 ms.  The Today page
includes 余位 (hub.occupancy): the bench puts the wardens' last count 30,000 passages (about ten
days) back and, having loaded the rows directly, starts the running count the way the migration
does on an upgraded hub (``occupancy.rebuild``).

Prints a markdown table.  Numbers, not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from gwcommon.clock import FakeClock  # noqa: E402
from gwcommon.config import validate  # noqa: E402
from hub.config import HubConfig  # noqa: E402

T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:{}:{}"
STATES = ("open", "resolved", "resolved", "resolved", "excused", "retracted")


def ts(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def fill(db, passages: int, violations: int, cars: int = 230) -> None:
    from hub.overnight import occupancy
    from hub.registry import csvfile, store

    text = "车牌,房号,标签\n" + "".join(f"浙A{i:05d},{i % 11 + 1}-{i % 60 + 101},{TAG.format(1, i)}\n"
                                         for i in range(cars))
    store.replace_all(db, csvfile.parse(text.encode()), at=T0)
    rnd = random.Random(7)
    rows = []
    for n in range(passages):
        at = ts(T0 + timedelta(seconds=n * 31))
        car = rnd.randrange(cars)
        body = {"lane": rnd.choice(("north-in", "north-out", "south-in", "south-out")), "direction": "in",
                "tag": TAG.format(1, car), "rssi": -60, "decision": "open" if car % 17 else "deny",
                "reason": "allowlisted" if car % 17 else "unknown_tag", "passed": True}
        rows.append((f"p-{n:07d}", "bench", "gate-1", n + 1, "passage", at, at, json.dumps(body)))
        if len(rows) == 20000:
            db.conn.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?)", rows)
            rows = []
    db.conn.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?)", rows)
    vrows = []
    for n in range(violations):
        deadline = ts(T0 + timedelta(days=n // 60))
        car = rnd.randrange(cars)
        vrows.append((f"v-{n:07d}", f"k{n}", "overnight", deadline, f"浙A{car:05d}", f"{car % 11 + 1}-{car % 60 + 101}",
                      "east", None, rnd.choice(STATES), 0, '["p-0000001"]', deadline, deadline, deadline, "", "hub"))
    counted = ts(T0 + timedelta(seconds=max(0, passages - 30_000) * 31))  # a warden counted cars ~10 days ago
    db.execute("INSERT INTO occupancy_counts (ts, inside, by, note) VALUES (?, 180, 'bench', '')", [counted])
    db.conn.executemany("INSERT INTO violations (id, key, rule, deadline, plate, household, zone, slot, state, "
                        "provisional, evidence, ts, created_at, updated_at, reason, by) VALUES "
                        "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", vrows)
    occupancy.rebuild(db)


def build(tmp: Path, passages: int, violations: int):
    from hub.app import Hub
    from hub.web.app import attach
    from hub.web.auth import add_user_job, create_token_job

    config = validate({"site": {"id": "bench", "name": "bench"}, "storage": {"dir": str(tmp)},
                       "web": {"listen": "127.0.0.1:0"}}, HubConfig)
    hub = Hub(config, clock=FakeClock(T0 + timedelta(seconds=passages * 31 + 60)), areas=())
    started = time.perf_counter()
    hub.db.execute("BEGIN")
    fill(hub.db, passages, violations)
    hub.db.execute("COMMIT")
    hub.db.execute("ANALYZE")
    fill_s = time.perf_counter() - started
    attach(hub)
    hub.writer.start()
    hub.writer.call(add_user_job("bench", "bench password", "viewer", hub.clock.now()))
    token, store = create_token_job("viewer", "bench", hub.clock.now())
    hub.writer.call(store)
    return hub, token, fill_s


def time_requests(client, path: str, runs: int) -> tuple[float, float, float]:
    client.get(path)  # warm the page cache and templates
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        took.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.text[:200])
    took.sort()
    return statistics.median(took), took[int(len(took) * 0.95) - 1], took[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--violations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        hub, token, fill_s = build(Path(tmp), args.passages, args.violations)
        page = TestClient(hub.web)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.get("/login").text).group(1)
        page.post("/login", data={"name": "bench", "password": "bench password", "csrf": csrf})
        api = TestClient(hub.web, headers={"Authorization": f"Bearer {token}"})
        cursor = api.get("/api/violations").json()["next"]
        cases = [
            ("page", "/violations"), ("page", "/violations?state=open"), ("page", "/violations?plate=浙A00042"),
            ("page", "/violations?plate=0004"), ("page", "/violations?household=3-103"),
            ("page", "/violations?from=2026-01-01&to=2026-01-31&state=excused"),
            ("api", "/api/violations"), ("api", f"/api/violations?cursor={cursor}"),
            ("api", "/api/violations?state=open&limit=200"), ("api", "/api/violations?plate=浙A00042"),
            ("api", "/api/passages"), ("api", "/api/passages?plate=浙A00042"), ("api", "/api/passages?lane=south-in"),
            ("page", "/"),
        ]
        print(f"{args.passages:,} passages, {args.violations:,} violations (filled in {fill_s:.0f} s); "
              f"{args.runs} requests each; Python {platform.python_version()} on {platform.machine()}\n")
        print("| request | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|")
        for kind, path in cases:
            client = page if kind == "page" else api
            p50, p95, worst = time_requests(client, path, args.runs)
            print(f"| `GET {path.split('cursor=')[0] + ('cursor=…' if 'cursor=' in path else '')}` | {p50:.1f} | {p95:.1f} | {worst:.1f} |")
        hub.writer.stop()
        hub.db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
