"""A recorded week, re-sent with the edge's replay tool (edge/replay.py, docs/edge.md) into a hub
whose wall clock is a month later, gives the same violations, states and violation messages as
the same week lived (docs/contract.md §2).  The recordings go through the real replay source and edge
outbox (ids, seqs as the edge assigns them); the hubs are driven in-process (tests/scenarios/rig.py)."""

import json
import threading
from datetime import timedelta

from edge.config import EdgeConfig
from edge.outbox import Outbox
from edge.replay import start
from gwcommon.clock import FakeClock, SystemClock
from gwcommon.config import validate
from gwcommon.timefmt import format_ts, parse_ts
from tests.hub.overnight.clockrig import DAY, NIGHT, make
from tests.support.scenarios.runner import Delivery

H = timedelta(hours=1)
M = timedelta(minutes=1)


def recordings() -> dict[str, list[dict]]:
    """A week of two devices: car-1 parks every night, leaves 07:30 on even nights and 09:00 on odd
    ones; car-2 leaves at 07:59:59.999 (in time); car-3 parks on the third night and stays two."""
    lane, gate = [], []
    for n in range(7):
        base = NIGHT + n * DAY
        lane.append({"kind": "presence", "zone": "east-strip", "tag": "eid:car-1", "present": True,
                     "ts": format_ts(base + 3 * H)})
        lane.append({"kind": "presence", "zone": "east-strip", "tag": "eid:car-2", "present": True,
                     "ts": format_ts(base + 4 * H)})
        if n == 2:
            lane.append({"kind": "presence", "zone": "east-strip", "tag": "eid:car-3", "present": True,
                         "ts": format_ts(base + 4 * H + M)})
        gate.append(_out("eid:car-2", base + 13 * H - timedelta(milliseconds=1)))
        gate.append(_out("eid:car-1", base + (12 * H + 30 * M if n % 2 == 0 else 14 * H)))
        if n == 4:
            gate.append(_out("eid:car-3", base + 14 * H))
    gate.sort(key=lambda x: x["ts"])
    return {"lane-e": lane, "gate-n": gate}


def _out(tag, when):
    return {"kind": "passage", "lane": "out-1", "direction": "out", "tag": tag, "decision": "open",
            "reason": "allowlisted", "passed": True, "ts": format_ts(when)}


def through_replay(tmp_path, device: str, kind: str, lines: list[dict]) -> list[tuple]:
    """The events as the edge's replay source and outbox make them: (ts, kind, body)."""
    path = tmp_path / f"{device}.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    config = validate({"site": {"id": "test"}, "device": {"id": device, "kind": kind},
                       "storage": {"dir": str(tmp_path)}, "replay": {"file": str(path), "speed": 0}}, EdgeConfig)
    with Outbox(tmp_path / f"{device}.db", device=device, clock=FakeClock()) as box:
        replay = start(config, box, None, SystemClock(), threading.Event())
        assert replay.done.wait(20)
        rows = box.pending(limit=10_000)
    return [(parse_ts(json.loads(r.body)["ts"]), r.kind, json.loads(r.body)) for r in rows]


def feed(rig, device, ts, kind, body):
    rig.deliver(Delivery(0, ts, kind, device, body))


def heartbeat(rig, device, ts, last_seq):
    rig.deliver(Delivery(0, ts, "heartbeat", device, {"ts": format_ts(ts), "last_seq": last_seq, "outbox": 0}))


def outcome(rig):
    return {(r["key"], r["deadline"], r["state"], bool(r["provisional"])) for r in rig.violations()}


def test_a_replayed_week_a_month_later_decides_as_the_live_week_did(tmp_path):
    streams = {"lane-e": through_replay(tmp_path, "lane-e", "lane", recordings()["lane-e"]),
               "gate-n": through_replay(tmp_path, "gate-n", "gate", recordings()["gate-n"])}
    end = NIGHT + 7 * DAY + 3 * H

    live = make(tmp_path / "live", NIGHT)  # the week lived: wall clock = event time, hourly heartbeats
    try:
        live.beat(NIGHT, status=True)
        merged = sorted((ts, dev, kind, body) for dev, s in streams.items() for ts, kind, body in s)
        seqs = {"lane-e": 0, "gate-n": 0}
        moment = NIGHT
        while moment <= end:
            while merged and merged[0][0] <= moment:
                ts, dev, kind, body = merged.pop(0)
                feed(live, dev, ts, kind, body)
                seqs[dev] = body["seq"]
                live.tick()
            for dev in seqs:
                heartbeat(live, dev, moment, seqs[dev])
            live.tick()
            moment += H
        want, want_said = outcome(live), live.announced(provisional=True)
    finally:
        live.close()
    assert {(k, d[:10]) for k, d, s, _ in want if s == "open"} == {
        ("plate:浙A12345", "2026-03-11"), ("plate:浙A12345", "2026-03-13"), ("plate:浙A12345", "2026-03-15"),
        ("plate:浙A54321", "2026-03-12"), ("plate:浙A54321", "2026-03-13"), ("plate:浙A54321", "2026-03-14")}

    later = make(tmp_path / "later", NIGHT + 37 * DAY)  # a test hub a month later, fed the recordings
    try:
        later.follow = False
        for dev, stream in streams.items():  # both replay edges come up: status, first heartbeat
            later.deliver(Delivery(0, NIGHT, "status", dev, {"online": True, "kind": "lane" if dev == "lane-e" else "gate",
                                                              "version": "t", "ts": format_ts(NIGHT)}))
            heartbeat(later, dev, NIGHT, 0)
        later.tick()
        for dev in ("lane-e", "gate-n"):  # speed 0: one device's whole week, then the other's
            for ts, kind, body in streams[dev]:
                feed(later, dev, ts, kind, body)
                heartbeat(later, dev, ts, body["seq"])  # the replay clock follows the recording
                later.tick()
        for dev, stream in streams.items():
            heartbeat(later, dev, end, stream[-1][2]["seq"])
        later.tick()
        assert outcome(later) == want
        assert later.announced(provisional=True) == want_said
    finally:
        later.close()
