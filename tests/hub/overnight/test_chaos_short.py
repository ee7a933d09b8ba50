"""A short chaos run (two nights) in-process: the hub crashes between transactions at random
moments (once for two days), the broker loses messages (the edges resend what is not acked),
messages are repeated, and the edges' clocks run up to the tolerance ahead of the hub's — the
final violations and the decided mornings equal those of a run without faults (docs/contract.md §2).
The long soak with real processes is bench territory (docs/reliability.md)."""

import random
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gwcommon.timefmt import format_ts
from tests.hub.overnight.clockrig import DAY, NIGHT, make
from tests.support.scenarios.runner import Delivery

H, M = timedelta(hours=1), timedelta(minutes=1)
STEP = 20 * M
END = NIGHT + 2 * DAY + 2 * H
KINDS = {"gate-n": "gate", "lane-e": "lane"}


def script(seed: int) -> list[tuple]:
    """Two nights of three cars: (ts, device, kind, fields)."""
    rnd = random.Random(seed)
    out = []
    for n in range(2):
        base = NIGHT + n * DAY
        for tag in ("eid:car-1", "eid:car-2", "eid:car-3"):
            parked = base + timedelta(minutes=rnd.randrange(60, 300))
            out.append((parked, "lane-e", "presence", {"zone": "east-strip", "tag": tag, "present": True, "rssi": None}))
            left = base + timedelta(minutes=rnd.choice([12 * 60 + 50, 12 * 60 + 59, 13 * 60, 13 * 60 + 30]))
            out.append((left, "gate-n", "passage", {"lane": "out-1", "direction": "out", "tag": tag, "decision": "open",
                                                    "reason": "allowlisted", "passed": True, "rssi": None}))
    out.sort(key=lambda x: x[0])
    seqs: dict[str, int] = {}
    events = []
    for ts, dev, kind, fields in out:
        seq = seqs[dev] = seqs.get(dev, 0) + 1
        events.append((ts, dev, kind, {"id": f"{dev}:{seq}", "ts": format_ts(ts), "seq": seq, "v": 1, **fields}))
    return events


def run(tmp: Path, events: list[tuple], faults: random.Random | None) -> tuple[set, list]:
    outbox = {d: [] for d in KINDS}
    pending = list(events)
    rig, down_until = make(tmp, NIGHT), None
    rig.follow = False
    for dev, kind in KINDS.items():
        rig.deliver(Delivery(0, NIGHT, "status", dev, {"online": True, "kind": kind, "version": "t",
                                                       "ts": format_ts(NIGHT)}))
    t = NIGHT
    while t <= END + 2 * STEP:
        while pending and pending[0][0] <= t:
            ts, dev, kind, body = pending.pop(0)
            outbox[dev].append((kind, body))
        if rig is None and t >= down_until:
            rig = make(tmp, t)  # the hub is back (its storage survived)
            rig.follow = False
        if rig is not None:
            rig.wall(t)
            acked = rig.hub.book.acks()
            for dev, queue in outbox.items():
                queue[:] = [(k, b) for k, b in queue if b["seq"] > acked.get(dev, 0)]
                for kind, body in queue:  # the edge (re)sends what is not acked, in seq order
                    if faults and faults.random() < 0.15:
                        continue  # lost by the broker
                    rig.deliver(Delivery(0, t, kind, dev, body))
                    if faults and faults.random() < 0.1:
                        rig.deliver(Delivery(0, t, kind, dev, body))  # a repeat
                ahead = timedelta(seconds=faults.randrange(0, 110)) if faults else timedelta(0)
                last = max([b["seq"] for _, b in queue] + [acked.get(dev, 0)])
                rig.deliver(Delivery(0, t, "heartbeat", dev, {"ts": format_ts(t + ahead), "last_seq": last,
                                                             "outbox": len(queue)}))
            rig.tick()
            if faults and t < END and faults.random() < 0.08:  # the hub dies between transactions
                rig.close()
                rig = None
                down_until = t + (2 * DAY if faults.random() < 0.15 else faults.randrange(1, 6) * STEP)
        t += STEP
    while rig is None or any(outbox.values()):
        if rig is None:
            rig = make(tmp, max(t, down_until))
            rig.follow = False
        acked = rig.hub.book.acks()
        for dev, queue in outbox.items():
            queue[:] = [(k, b) for k, b in queue if b["seq"] > acked.get(dev, 0)]
            for kind, body in queue:
                rig.deliver(Delivery(0, rig.clock.now(), kind, dev, body))
        rig.tick()
    now = rig.clock.now()
    for dev in KINDS:
        last = max(b["seq"] for _, d, _, b in events if d == dev)
        rig.deliver(Delivery(0, now, "status", dev, {"online": True, "kind": KINDS[dev], "version": "t",
                                                     "ts": format_ts(now)}))
        rig.deliver(Delivery(0, now, "heartbeat", dev, {"ts": format_ts(now), "last_seq": last, "outbox": 0}))
    rig.tick()
    rig.tick()
    try:
        standing = {(r["key"], r["deadline"], r["state"]) for r in rig.violations() if r["state"] != "retracted"}
        return standing, [m for m in rig.mornings() if m <= format_ts(END)]  # a hub down later decides later days too
    finally:
        rig.close()


@pytest.mark.timeout(300)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), chaos=st.integers(0, 10_000))
def test_two_nights_of_crashes_losses_and_repeats_end_as_a_quiet_run(seed, chaos):
    events = script(seed)
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        quiet = run(Path(a), events, None)
        noisy = run(Path(b), events, random.Random(chaos))
    assert noisy == quiet
    assert len(quiet[1]) == 2
