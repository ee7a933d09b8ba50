"""Chaos soak of "decided from data" (docs/contract.md §2), in process: many nights scored against the truth.

A compound of cars parks in the night strip and drives out around the 08:00 deadline (some just
before, some just after).  Two edge devices (gate, lane) keep their events in an outbox and resend
what the hub has not acked, in seq order.  The hub is the real :class:`hub.app.Hub` (ingest, device
book, site clock, overnight area, SQLite on disk), driven step by step, and it suffers:

* crashes between transactions at random moments (its in-memory state is thrown away, the next
  one starts from the database — an in-process stand-in for SIGKILL: SQLite commits are atomic);
* now and then a two-day outage, after which the edges deliver their backlog;
* a lossy broker (messages dropped; the edges resend what is not acked) and repeated messages;
* edge clocks up to the tolerance (2 min) ahead of the hub's, and a hub restarted with its clock
  a month ahead of the edges (a wrong first boot, then corrected).

Scored against the truth computed from the script (who was still parked at each deadline):
events lost, doubled, false confirmed accusations, missed violations, retractions, and the worst
delay of a morning decision.  Not simulated here (see docs/reliability.md): real process kills,
broker restarts, edge power cuts while writing, clocks stepped by hours, a full disk.

Usage: ``python bench/chaos.py [nights] [seed]`` (default 21 nights, seed 1); prints markdown.
"""

from __future__ import annotations

import json
import logging
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gwcommon.clock import FakeClock  # noqa: E402
from gwcommon.config import validate  # noqa: E402
from gwcommon.timefmt import format_ts, parse_ts  # noqa: E402

NIGHT = datetime(2026, 3, 9, 11, 0, tzinfo=timezone.utc)  # Monday 19:00 in Shanghai
DAY, H, M = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
STEP = 20 * M
CARS = [f"eid:car-{n}" for n in range(1, 9)]
KINDS = {"gate-n": "gate", "lane-e": "lane"}


class HubRig:
    """The real hub, never started: deliveries and ticks are called by hand, each its own transaction."""

    def __init__(self, storage: Path, wall: datetime):
        from hub.overnight import area as overnight_area
        from hub.app import Hub
        from hub.config import HubConfig
        from hub.registry import store
        from hub.registry.csvfile import VehicleRow

        config = validate({"site": {"id": "chaos", "name": "混沌小区"}, "storage": {"dir": str(storage)},
                           "mqtt": {"host": "127.0.0.1", "port": 1}, "web": {"listen": "127.0.0.1:0"},
                           "hub": {"offline_after": "40m"},
                           "zones": [{"name": "east-strip", "kind": "night"}]}, HubConfig)
        self.clock = FakeClock(wall)
        self.hub = Hub(config, clock=self.clock, areas=[])
        self.hub.publish = lambda *a, **k: None
        self.area = overnight_area.attach(self.hub)
        self.db = self.hub.db
        rows = [VehicleRow(n + 2, f"浙A{n:05d}", f"1-{n:03d}", "", "", "", (tag,)) for n, tag in enumerate(CARS)]
        self._tx(lambda db: store.replace_all(db, rows, at=wall))

    def _tx(self, job):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            out = job(self.db)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return out

    def wall(self, moment: datetime) -> None:
        with self.clock._lock:
            self.clock._now = moment

    def deliver(self, device: str, kind: str, body: dict) -> None:
        from gwcommon import wire
        from hub.core.ingest import RawMessage

        msg = RawMessage(wire.topic("chaos", device, kind), json.dumps(body).encode(), self.clock.now())
        outcome = self._tx(lambda db: self.hub.ingest.process(db, msg))
        self.hub.ingest.apply(outcome)

    def tick(self) -> None:
        self._tx(lambda db: self.hub.ingest.tick(db, self.clock.now()))
        self._tx(lambda db: self.area.tick(db, self.hub.site_time()))

    def close(self) -> None:
        self.db.close()


def script(nights: int, rnd: random.Random):
    """Events (ts, device, kind, body) and the truth {(plate key, deadline)} of who overstayed."""
    raw, truth = [], set()
    for n in range(nights):
        base = NIGHT + n * DAY
        deadline = base + 13 * H
        for i, tag in enumerate(CARS):
            if rnd.random() < 0.4:
                continue
            parked = base + timedelta(minutes=rnd.randrange(30, 360))
            left = deadline + timedelta(seconds=rnd.choice([-3600, -60, -1, 0, 1, 60, 1800]))
            raw.append((parked, "lane-e", "presence", {"zone": "east-strip", "tag": tag, "present": True, "rssi": None}))
            raw.append((left, "gate-n", "passage", {"lane": "out-1", "direction": "out", "tag": tag, "rssi": None,
                                                     "decision": "open", "reason": "allowlisted", "passed": True}))
            if left >= deadline:  # 08:00 every day ([rules.overnight] holiday_deadline unset)
                truth.add((f"plate:浙A{i:05d}", format_ts(deadline)))
    raw.sort(key=lambda x: x[0])
    seqs: Counter = Counter()
    events = []
    for ts, dev, kind, fields in raw:
        seqs[dev] += 1
        events.append((ts, dev, kind, {"id": f"{dev}:{seqs[dev]}", "ts": format_ts(ts), "seq": seqs[dev], "v": 1,
                                       **fields}))
    return events, truth


def soak(nights: int, seed: int, storage: Path) -> dict:
    rnd = random.Random(seed)
    events, truth = script(nights, rnd)
    end = NIGHT + nights * DAY + 2 * H
    faults: Counter = Counter()
    outbox: dict[str, list] = {d: [] for d in KINDS}
    pending = list(events)
    skew = timedelta(0)  # the hub's clock minus the edges' (a wrong first boot: a month ahead)
    hub, down_until, t = HubRig(storage, NIGHT), None, NIGHT
    first_decided: dict[str, datetime] = {}
    for dev, kind in KINDS.items():
        hub.deliver(dev, "status", {"online": True, "kind": kind, "version": "chaos", "ts": format_ts(t)})
    while t <= end or hub is None or any(outbox.values()):
        while pending and pending[0][0] <= t:
            _, dev, kind, body = pending.pop(0)
            outbox[dev].append((kind, body))
        if hub is None and t >= down_until:
            skew = 30 * DAY if rnd.random() < 0.1 else timedelta(0)
            faults["hub restarted with its clock a month ahead"] += bool(skew)
            hub = HubRig(storage, t + skew)
        if hub is not None:
            hub.wall(t + skew)
            acked = hub.hub.book.acks()
            for dev, queue in outbox.items():
                queue[:] = [(k, b) for k, b in queue if b["seq"] > acked.get(dev, 0)]
                for kind, body in queue:
                    if t <= end and rnd.random() < 0.1:
                        faults["messages lost by the broker"] += 1
                        continue
                    hub.deliver(dev, kind, body)
                    if rnd.random() < 0.05:
                        faults["messages repeated"] += 1
                        hub.deliver(dev, kind, body)
                ahead = timedelta(seconds=rnd.randrange(0, 110))
                faults["heartbeats ahead of the hub (within tolerance)"] += ahead > timedelta(0)
                last = max([b["seq"] for _, b in queue] + [acked.get(dev, 0)])
                hub.deliver(dev, "heartbeat", {"ts": format_ts(t + ahead), "last_seq": last, "outbox": len(queue)})
            hub.tick()
            for (text,) in hub.db.execute("SELECT deadline FROM ovn_deadlines"):
                first_decided.setdefault(text, t)  # in the edges' (true) time, whatever the hub's clock says
            if t < end and rnd.random() < 0.01:
                hub.close()
                hub = None
                if rnd.random() < 0.1:
                    down_until = t + 2 * DAY
                    faults["hub down for two days"] += 1
                else:
                    down_until = t + rnd.randrange(1, 10) * STEP
                    faults["hub crashes (between transactions)"] += 1
        t += STEP
    for _ in range(3):
        for dev, kind in KINDS.items():
            last = max((b["seq"] for _, d, _, b in events if d == dev), default=0)
            hub.deliver(dev, "status", {"online": True, "kind": kind, "version": "chaos", "ts": format_ts(t)})
            hub.deliver(dev, "heartbeat", {"ts": format_ts(t), "last_seq": last, "outbox": 0})
        hub.tick()
        t += STEP
        hub.wall(t + skew)
    db = hub.db
    stored = {r[0] for r in db.execute("SELECT id FROM events")}
    doubled = db.execute("SELECT count(*) - count(DISTINCT device || ':' || seq) FROM events").fetchone()[0]
    standing = {(k, d) for k, d, s, p in db.execute("SELECT key, deadline, state, provisional FROM violations")
                if s == "open" and not p}
    retracted = sum(1 for (p,) in db.execute("SELECT payload FROM rule_notices WHERE kind = 'violation'")
                    if json.loads(p)["state"] == "retracted")
    decided = [(parse_ts(d), first_decided.get(d, t)) for (d,) in db.execute("SELECT deadline FROM ovn_deadlines")]
    mornings = [d for d, _ in decided if d <= end]
    hub.close()
    return {"nights": nights, "faults": dict(faults), "events": len(events),
            "lost": len({b["id"] for *_, b in events} - stored), "doubled": doubled,
            "false": len(standing - truth), "missed": len(truth - standing), "violations": len(truth),
            "retractions": retracted, "mornings": len(mornings), "mornings_unique": len(set(mornings)),
            "worst_delay": max((a - d for d, a in decided if d <= end), default=timedelta(0))}


def main() -> None:
    nights = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    logging.disable(logging.WARNING)
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        r = soak(nights, seed, Path(tmp))
    took = time.monotonic() - started
    print("## Chaos soak (in process)\n")
    print(f"{r['nights']} nights, seed {seed}, {r['events']} events, {took:.0f} s.\n")
    print("| fault injected | count |\n|---|---|")
    for kind, n in sorted(r["faults"].items()):
        print(f"| {kind} | {n} |")
    print("\n| measure | value | goal |\n|---|---|---|")
    print(f"| events lost | {r['lost']} | 0 |")
    print(f"| events doubled | {r['doubled']} | 0 |")
    print(f"| false confirmed accusations | {r['false']} | 0 |")
    print(f"| violations missed (of {r['violations']} in the truth) | {r['missed']} | 0 |")
    print(f"| retractions (provisional decisions undone by late data) | {r['retractions']} | few |")
    print(f"| mornings decided / distinct | {r['mornings']} / {r['mornings_unique']} | each once |")
    print(f"| worst delay of a morning decision (true time) | {r['worst_delay']} | the longest hub outage |")


if __name__ == "__main__":
    main()
