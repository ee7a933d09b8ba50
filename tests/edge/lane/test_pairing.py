"""Untagged-vehicle pairing and roll-call times: pure tables."""

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.lane.pairing import Pairing, SlotChange
from edge.lane.schedule import due

W = 300.0


def run(script):
    pairing, out = Pairing(W), []
    for op, at, *arg in script:
        fn = {"fill": pairing.spot_filled, "empty": pairing.spot_emptied,
              "arrive": pairing.tag_arrived, "leave": pairing.tag_left}.get(op)
        out += [(at, c.spot, c.present) for c in (fn(arg[0], at) if fn else pairing.tick(at))]
    return out


@pytest.mark.parametrize("name,script,expected", [
    ("tag then spot: the resident's car, nothing reported",
     [("arrive", 0, "t1"), ("fill", 120, "s1"), ("tick", 1000)], []),
    ("spot then tag (tag heard late): nothing reported",
     [("fill", 0, "s1"), ("tick", 100), ("arrive", 200, "t1"), ("tick", 1000)], []),
    ("spot with no tag: untagged after the window",
     [("fill", 0, "s1"), ("tick", 300), ("tick", 301)], [(301, "s1", True)]),
    ("untagged car leaves",
     [("fill", 0, "s1"), ("tick", 301), ("empty", 900, "s1")], [(301, "s1", True), (900, "s1", False)]),
    ("tag arriving just after the report takes the spot back",
     [("fill", 0, "s1"), ("tick", 301), ("arrive", 400, "t1")], [(301, "s1", True), (400, "s1", False)]),
    ("tag arriving long after the report does not (another car)",
     [("fill", 0, "s1"), ("tick", 301), ("arrive", 700, "t1"), ("tick", 2000)], [(301, "s1", True)]),
    ("old tag does not explain a new spot",
     [("arrive", 0, "t1"), ("fill", 1000, "s1"), ("tick", 1301)], [(1301, "s1", True)]),
    ("one tag explains one spot only",
     [("arrive", 0, "t1"), ("fill", 10, "s1"), ("fill", 20, "s2"), ("tick", 321)], [(321, "s2", True)]),
    ("paired tag leaves but the spot stays occupied: waits again, then untagged",
     [("arrive", 0, "t1"), ("fill", 10, "s1"), ("leave", 500, "t1"), ("tick", 700), ("tick", 801)],
     [(801, "s1", True)]),
    ("paired spot empties: nothing reported",
     [("arrive", 0, "t1"), ("fill", 10, "s1"), ("empty", 500, "s1"), ("tick", 2000)], []),
])
def test_pairing(name, script, expected):
    assert run(script) == expected


@given(st.lists(st.tuples(st.sampled_from(["fill", "empty", "arrive", "leave", "tick"]),
                          st.floats(0, 200), st.sampled_from(["s1", "s2", "t1", "t2"])), max_size=40))
def test_reports_alternate_per_spot(steps):
    """Whatever happens, each spot's untagged reports alternate present/absent, starting present."""
    pairing, at, last = Pairing(W), 0.0, {}
    for op, gap, name in steps:
        at += gap
        if op in ("fill", "empty") and not name.startswith("s") or op in ("arrive", "leave") and not name.startswith("t"):
            continue
        if op == "fill" and name in pairing.occupied_at or op == "empty" and name not in pairing.occupied_at:
            continue
        fn = {"fill": pairing.spot_filled, "empty": pairing.spot_emptied, "arrive": pairing.tag_arrived,
              "leave": pairing.tag_left}.get(op)
        for change in fn(name, at) if fn else pairing.tick(at):
            assert isinstance(change, SlotChange)
            assert last.get(change.spot, False) != change.present
            last[change.spot] = change.present


SH = ZoneInfo("Asia/Shanghai")


def utc(h, m=0, day=1):
    return datetime(2026, 1, day, h, m, tzinfo=timezone.utc)


@pytest.mark.parametrize("previous,now,expected", [
    (utc(14, 59), utc(15, 0), [datetime(2026, 1, 1, 23, 0, tzinfo=SH)]),   # 23:00 Shanghai = 15:00 UTC
    (utc(15, 0), utc(15, 1), []),                                          # already fired
    (utc(14, 0), utc(14, 59), []),
    (utc(14, 0), utc(0, 30, day=2), [datetime(2026, 1, 1, 23, 0, tzinfo=SH), datetime(2026, 1, 2, 8, 0, tzinfo=SH)]),
    (utc(15, 1), utc(15, 0), []),                                          # clock went back
])
def test_roll_call_times(previous, now, expected):
    assert due(previous, now, [time(23, 0), time(8, 0)], SH) == expected
