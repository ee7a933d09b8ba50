"""Benchmark: the morning deadline with 10,000 open stays and 100,000 stored events.

Builds a hub database in a temporary directory (real schema, real event handlers of the overnight
area), then times deciding one deadline and committing it: a violation, a diary line, a notice and
an MQTT message for each of the 10,000 cars still parked off-space.  Prints a markdown table.

    .venv/bin/python bench/deadline.py [--stays 10000] [--events 100000]
"""

from __future__ import annotations

import argparse
import os
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gwcommon.clock import FakeClock  # noqa: E402
from gwcommon.config import validate  # noqa: E402
from gwcommon.timefmt import format_ts  # noqa: E402
from hub.overnight import area as overnight_area  # noqa: E402
from hub.overnight import stays as stays_store  # noqa: E402
from hub.overnight.rules import Mark, fold  # noqa: E402
from hub.config import HubConfig  # noqa: E402
from hub.core.db import open_db  # noqa: E402
from hub.schema import all_sets  # noqa: E402

EVENING = datetime(2026, 3, 9, 11, 0, tzinfo=timezone.utc)  # 19:00 in Shanghai
DEADLINE = datetime(2026, 3, 10, 0, 0, tzinfo=timezone.utc)  # 08:00 next morning


class _Hub:
    """The parts of hub.app.Hub the area uses, without MQTT or the web server."""

    def __init__(self, **parts):
        self.__dict__.update(parts)


def build(tmp: Path, stays: int, events: int):
    """A hub database with ``events`` presence events of ``stays`` cars, each car parked at the end.

    Rows are written in bulk exactly as the overnight area's handlers write them (marks, and each
    car's folded state); every tenth event has a snapshot, as lane cameras provide.
    """
    config = validate({"site": {"id": "bench", "spaces": 102}, "storage": {"dir": str(tmp)},
                       "zones": [{"name": "east-strip", "kind": "night"}]}, HubConfig)
    db = open_db(tmp / "hub.db", migrations=all_sets())
    hub = _Hub(config=config, clock=FakeClock(EVENING), publish=lambda *a, **k: None,
               on_event=lambda *a: None, add_tick=lambda *a: None)
    area = overnight_area.attach(hub)
    per_car = max(1, events // stays)
    rows, marks, shots, keys, seq = [], [], [], [], 0
    for car in range(stays):
        own = []
        for n in range(per_car):
            seq += 1
            at = EVENING + timedelta(seconds=car % 3600 + n * 60)
            body = {"id": f"lane:{seq}", "ts": format_ts(at), "seq": seq, "v": 1, "zone": "east-strip",
                    "tag": f"eid:car-{car}", "present": n % 2 == 0 or n == per_car - 1}
            rows.append((body["id"], "bench", "lane", seq, "presence", body["ts"], body["ts"], json.dumps(body)))
            mark = Mark(at, body["id"], "present" if body["present"] else "absent", "east-strip", "night",
                        body["tag"])
            own.append(mark)
            marks.append((f"tag:{body['tag']}", body["ts"], mark.order, mark.op, mark.zone, "night", mark.source,
                          body["id"]))
            if seq % 10 == 0:
                shots.append((body["id"], "lane", f"lane/{body['id']}.jpg", 20_000, body["ts"]))
        state = fold(own)
        keys.append((f"tag:eid:car-{car}", None, None, f"eid:car-{car}", "east-strip", None, int(state.parked),
                     format_ts(state.night_since), format_ts(state.last[0]), stays_store.state_to_json(state)))
    db.execute("BEGIN IMMEDIATE")
    db.conn.executemany("INSERT INTO events(id, site, device, seq, kind, ts, received_at, body) "
                        "VALUES (?,?,?,?,?,?,?,?)", rows)
    db.conn.executemany("INSERT INTO ovn_marks(key, ts, ord, op, zone, zone_kind, source, event_id) "
                        "VALUES (?,?,?,?,?,?,?,?)", marks)
    db.conn.executemany("INSERT INTO snapshots(event_id, device, path, bytes, received_at) VALUES (?,?,?,?,?)", shots)
    db.conn.executemany("INSERT INTO ovn_keys(key, plate, household, tag, zone, slot, parked, night_since, last_ts, "
                        "state) VALUES (?,?,?,?,?,?,?,?,?,?)", keys)
    db.execute("COMMIT")
    return db, area, seq


def decide(db, area) -> tuple[int, float]:
    st = SimpleNamespace(now=DEADLINE + timedelta(seconds=5), provisional=False)
    started, cpu = time.perf_counter(), time.process_time()
    db.execute("BEGIN IMMEDIATE")
    made = area.decide(db, DEADLINE, st, {})
    db.execute("COMMIT")
    return made, time.perf_counter() - started, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stays", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        db, area, stored = build(Path(tmp), args.stays, args.events)
        setup = time.perf_counter() - started
        made, seconds, cpu = decide(db, area)
        db.close()
    print("| open stays | stored events | violations recorded | decide + commit, wall (s) | CPU (s) | setup (s) |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(f"| {args.stays:,} | {stored:,} | {made:,} | {seconds:.3f} | {cpu:.3f} | {setup:.1f} |")
    print(f"\nmachine load average while measuring: {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
