"""A hub driven by hand (tests/scenarios/rig.py) whose wall clock a test may set anywhere — ahead,
behind, back — and small helpers to feed it events and heartbeats with their own ``ts``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from gwcommon.timefmt import format_ts
from tests.support.scenarios.rig import Rig
from tests.support.scenarios.runner import DEFAULT_CONFIG, Delivery, Scenario

NIGHT = datetime(2026, 3, 9, 11, 0, tzinfo=timezone.utc)     # Monday 19:00 in Shanghai
DEADLINE = datetime(2026, 3, 10, 0, 0, tzinfo=timezone.utc)  # Tuesday 08:00
DAY = timedelta(days=1)
REGISTRY = [{"plate": "浙A12345", "household": "1-101", "tag": "eid:car-1"},
            {"plate": "浙GD12345", "household": "2-202", "tag": "eid:car-2"},
            {"plate": "浙A54321", "household": "3-303", "tag": "eid:car-3"}]
DEVICES = [{"id": "gate-n", "kind": "gate"}, {"id": "lane-e", "kind": "lane"}]
CONFIG = {**DEFAULT_CONFIG, "hub": {"offline_after": "2m"}}


def make(tmp_path: Path, wall: datetime) -> "ClockRig":
    """A hub whose wall clock reads ``wall`` at its first start (its storage in ``tmp_path``)."""
    return ClockRig(Scenario(Path("inline"), "inline", wall, CONFIG, REGISTRY, DEVICES, [], []), tmp_path)


class ClockRig(Rig):
    """The hub's wall clock is whatever the test set (with ``follow``, events move it forward)."""

    def __init__(self, scenario: Scenario, tmp_path: Path):
        super().__init__(scenario, tmp_path)
        self.seqs: dict[str, int] = {}
        self.follow = True  # live operation: the wall clock moves on with the events (never back)

    def wall(self, moment: datetime) -> None:
        """Set the hub's wall clock (forward or back: a corrected clock)."""
        with self.clock._lock:
            self.clock._now = moment

    def deliver(self, d: Delivery) -> None:
        from hub.core.ingest import RawMessage
        from gwcommon import wire

        if self.follow and d.at > self.clock.now():
            self.wall(d.at)
        msg = RawMessage(wire.topic(self.hub.config.site.id, d.device, d.kind), json.dumps(d.body).encode(),
                         self.clock.now())
        outcome = self._tx(lambda db: self.hub.ingest.process(db, msg))
        self.hub.ingest.apply(outcome)

    def event(self, kind: str, device: str, ts: datetime, **fields) -> None:
        seq = self.seqs[device] = self.seqs.get(device, 0) + 1
        body = {"id": f"{device}:{seq}", "ts": format_ts(ts), "seq": seq, "v": 1, **fields}
        if kind == "passage":
            body = {"decision": "open", "reason": "allowlisted", "passed": True, "rssi": None, **body}
        self.deliver(Delivery(seq, ts, kind, device, body))
        self.tick()

    def park(self, tag: str, ts: datetime, present: bool = True) -> None:
        self.event("presence", "lane-e", ts, zone="east-strip", tag=tag, present=present, rssi=None)

    def leave(self, tag: str, ts: datetime) -> None:
        self.event("passage", "gate-n", ts, lane="out-1", direction="out", tag=tag)

    def beat(self, ts: datetime, devices=("gate-n", "lane-e"), *, status: bool = False) -> None:
        for device in devices:
            if status:
                kind = next(d["kind"] for d in DEVICES if d["id"] == device)
                self.deliver(Delivery(0, ts, "status", device, {"online": True, "kind": kind, "version": "t",
                                                                "ts": format_ts(ts)}))
            self.deliver(Delivery(0, ts, "heartbeat", device,
                                  {"ts": format_ts(ts), "last_seq": self.seqs.get(device, 0), "outbox": 0}))
        self.tick()

    def offline(self, device: str) -> None:
        self.deliver(Delivery(0, self.clock.now(), "status", device, {"online": False}))
        self.tick()

    def mornings(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT deadline FROM ovn_deadlines ORDER BY deadline")]

    def standing(self) -> set[tuple]:
        return {(r["plate"], r["deadline"][:10], r["state"], bool(r["provisional"])) for r in self.violations()}

    def announced(self, *, provisional: bool = False) -> list[tuple]:
        """Every violation message the hub committed, in order: (plate, deadline day, state[, provisional])."""
        out = []
        for (payload,) in self.db.execute("SELECT payload FROM rule_notices WHERE kind = 'violation' ORDER BY id"):
            data = json.loads(payload)
            out.append((data["plate"], data["deadline"][:10], data["state"])
                       + ((data["provisional"],) if provisional else ()))
        return out
