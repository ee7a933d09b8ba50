"""The replay tool: whole-file checks with line numbers, timing, loops and the replay clock."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest

from edge.config import EdgeConfig
from edge.events import ListSink
from edge.outbox import Outbox
from edge.replay import ReplayClock, ReplayConfig, ReplayFileError, load_recording, start
from gwcommon.clock import FakeClock, SystemClock
from gwcommon.config import validate
from gwcommon.exc import ConfigError

pytestmark = pytest.mark.timeout(30)

FAULT = {"kind": "fault", "code": "relay_fault", "active": True}
PASSAGE = {"kind": "passage", "lane": "in-1", "direction": "out", "tag": "eid:tag-7", "decision": "open",
           "reason": "allowlisted", "passed": True}
T0 = datetime(2026, 3, 1, 23, 0, tzinfo=timezone.utc)


def ts(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


def write(tmp_path, lines: list) -> object:
    path = tmp_path / "night.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                    encoding="utf-8")
    return path


def edge_config(tmp_path, path, **replay) -> EdgeConfig:
    return validate({"site": {"id": "pingan-2"}, "device": {"id": "gate-north", "kind": "gate"},
                     "storage": {"dir": str(tmp_path)}, "replay": {"file": str(path), **replay}}, EdgeConfig)


@pytest.mark.parametrize("lines,expected", [
    ([FAULT, "not json", FAULT], [(2, "not JSON")]),
    ([FAULT, [1, 2]], [(2, "JSON object")]),
    ([{"code": "x", "active": True}], [(1, '"kind"')]),
    ([{**FAULT, "kind": "parking"}], [(1, "unknown event kind")]),
    ([FAULT, {**FAULT, "active": "yes"}, {**PASSAGE, "tag": "plate:A1"}], [(2, "active"), (3, "tag")]),
    ([{**FAULT, "ts": "2026-03-01 08:00"}], [(1, "RFC 3339")]),
    ([{**FAULT, "ts": ts(5)}, {**FAULT, "ts": ts(1)}], [(2, "back in time")]),
    ([{**FAULT, "ts": ts(0)}, FAULT], [(2, '"ts" on every line or on none')]),
    ([{**FAULT, "colour": "red"}], [(1, "colour")]),
    ([], [(1, "no events")]),
])
def test_a_bad_file_lists_every_bad_line(tmp_path, lines, expected):
    with pytest.raises(ReplayFileError) as raised:
        load_recording(write(tmp_path, lines))
    assert [n for n, _ in raised.value.problems] == [n for n, _ in expected]
    for (_, reason), (_, wanted) in zip(raised.value.problems, expected):
        assert wanted in reason
    assert "nothing sent" in str(raised.value) and "\n" not in str(raised.value)


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_recording(tmp_path / "absent.jsonl")


def test_exported_envelope_fields_are_ignored_and_blank_lines_skipped(tmp_path):
    lines = load_recording(write(tmp_path, [{**FAULT, "id": "old", "seq": 7, "v": 1, "ts": ts(0)}, "",
                                            {**PASSAGE, "ts": ts(3)}]))
    assert [(line.number, line.kind) for line in lines] == [(1, "fault"), (3, "passage")]
    assert "id" not in lines[0].fields and "seq" not in lines[0].fields


def test_a_recording_keeps_its_timestamps_through_the_outbox(tmp_path):
    path = write(tmp_path, [{**FAULT, "ts": ts(0)}, {**PASSAGE, "ts": ts(3600)}, {**FAULT, "ts": ts(3600)}])
    config = edge_config(tmp_path, path, speed=0)
    with Outbox(tmp_path / "o.db", device="gate-north", clock=FakeClock()) as box:
        replay = start(config, box, None, SystemClock(), threading.Event())
        assert replay.done.wait(10)
        bodies = [json.loads(r.body) for r in box.pending()]
    assert [b["ts"] for b in bodies] == [ts(0), ts(3600), ts(3600)]
    assert [b["seq"] for b in bodies] == [1, 2, 3] and replay.sent == 3


def test_speed_spaces_the_lines_as_recorded(tmp_path):
    path = write(tmp_path, [{**FAULT, "ts": ts(0)}, {**FAULT, "ts": ts(30)}])
    config = edge_config(tmp_path, path, speed=100)       # 30 s recorded -> 0.3 s
    sink, stop = ListSink(), threading.Event()
    clock = SystemClock()
    replay = start(config, sink, None, clock, stop)
    assert replay.done.wait(10)
    assert len(sink.events) == 2 and replay.clock.now() >= T0 + timedelta(seconds=30)


def test_loop_moves_each_pass_on_by_the_recording_length(tmp_path):
    path = write(tmp_path, [{**FAULT, "ts": ts(0)}, {**FAULT, "ts": ts(10)}])
    config = edge_config(tmp_path, path, speed=200, loop=True)
    sink = ListSink()
    replay = start(config, sink, None, SystemClock(), threading.Event())
    try:
        deadline = threading.Event()
        while len(sink.events) < 5 and not deadline.wait(0.02):
            pass
    finally:
        replay.stop()
    stamps = [fields["ts"] for _, fields in sink.events[:5]]
    assert stamps == [T0 + timedelta(seconds=s) for s in (0, 10, 11, 21, 22)]


def test_stop_ends_a_slow_replay_promptly(tmp_path):
    path = write(tmp_path, [{**FAULT, "ts": ts(0)}, {**FAULT, "ts": ts(3600)}])
    sink = ListSink()
    replay = start(edge_config(tmp_path, path, speed=1), sink, None, SystemClock(), threading.Event())
    replay.stop(timeout=3)
    assert not replay._thread.is_alive() and len(sink.events) <= 1


def test_a_script_without_ts_uses_the_edge_clock(tmp_path):
    path = write(tmp_path, [FAULT, FAULT])
    clock = FakeClock(T0)
    replay = start(edge_config(tmp_path, path, speed=0), ListSink(), None, clock, threading.Event())
    assert replay.done.wait(5) and replay.clock.now() == T0
    assert all("ts" not in fields for _, fields in replay.sink.events)


def test_the_replay_clock_never_passes_the_next_event_nor_goes_back(tmp_path):
    lines = load_recording(write(tmp_path, [{**FAULT, "ts": ts(0)}, {**FAULT, "ts": ts(60)}]))
    base = FakeClock(T0)
    clock = ReplayClock(lines, speed=10, base=base)
    assert clock.now() == T0 - timedelta(milliseconds=1)
    clock.begin(base.monotonic())
    clock.advance(T0, T0 + timedelta(seconds=60))
    base.advance(3)
    assert clock.now() == T0 + timedelta(seconds=30)
    base.advance(100)                                # far beyond: held before the next event
    assert clock.now() == T0 + timedelta(seconds=60) - timedelta(milliseconds=1)
    clock.advance(T0 + timedelta(seconds=60), None)  # last event out: time runs on at speed
    assert clock.now() == T0 + timedelta(seconds=1030)


@pytest.mark.parametrize("replay,message", [
    ({"speed": -1}, "replay.speed"),
    ({"speed": 0, "loop": True}, "loop = true needs a speed"),
    ({"rate": 2}, "replay.rate: unknown key"),
])
def test_bad_replay_settings_are_refused(tmp_path, replay, message):
    with pytest.raises(ConfigError, match=message):
        edge_config(tmp_path, tmp_path / "x.jsonl", **replay)


def test_replay_file_is_relative_to_the_config(tmp_path):
    config = validate({"file": "rec/night.jsonl"}, ReplayConfig, base_dir=tmp_path)
    assert config.file == tmp_path / "rec" / "night.jsonl"
