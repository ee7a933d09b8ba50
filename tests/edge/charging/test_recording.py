"""Record a (simulated) shed, write the truth a walk round would, replay: the count is the device's."""

import json
import random
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from edge.charging import recording as r
from edge.charging.cli import report
from edge.charging.config import ChargingConfig
from edge.charging.device import ChargingDevice
from edge.charging.simulator import Charger, CircuitSim, SimulatedSource
from edge.config import EdgeConfig
from edge.events import ListSink
from gatewarden.cli import main
from gwcommon.clock import FakeClock

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 1, 20, 0, tzinfo=SH)
CHARGERS = [Charger("lithium", plug_s=60, unplug_s=2400, cc_w=110, cc_s=1500, taper_s=1800, full_w=6),
            Charger("lead_acid", plug_s=600, unplug_s=3000, cc_w=160, cc_s=1800, taper_s=1200, full_w=8),
            Charger("lithium", plug_s=1500, unplug_s=3300, cc_w=230, cc_s=1200, taper_s=1200, full_w=6)]
SECONDS = 3600


def config() -> EdgeConfig:
    return EdgeConfig.model_validate({"site": {"id": "pingan-2"}, "device": {"id": "shed-1", "kind": "charging"},
                                      "charging": {}, "meters": [{"kind": "simulated", "circuit": "shed-a"}]})


def simulated(clock):
    return SimulatedSource({"shed-a": CircuitSim(list(CHARGERS), rng=random.Random(5))}, clock=clock)


def truth_lines() -> list[str]:
    """What a person walking round would write: the true count at each change."""
    lines, last = ["# 5月1日晚 充电棚A路"], None
    for t in range(SECONDS):
        n = sum(c.active(t) for c in CHARGERS)
        if n != last:
            lines.append(f"{(T0 + timedelta(seconds=t)):%H:%M:%S} chargers={n}")
            last = n
    return lines


@pytest.fixture
def recorded(tmp_path):
    clock = FakeClock(T0.astimezone(timezone.utc))
    path = tmp_path / "shed.jsonl"
    with path.open("w", encoding="utf-8") as out:
        written = r.record(config(), out, sources=[simulated(clock)], clock=clock, stop=threading.Event(),
                           samples=SECONDS, wait=clock.advance)
    assert written == SECONDS
    return path


def test_replay_counts_as_the_device_counted_live(recorded):
    clock = FakeClock(T0.astimezone(timezone.utc))
    sink = ListSink()
    device = ChargingDevice(ChargingConfig(), [simulated(clock)], sink=sink, clock=clock)
    live = []
    for _ in range(SECONDS):
        device.step()
        live.append(device.tracks["shed-a"].latest.loads)
        clock.advance(1)
    rec = r.load(recorded.read_text(encoding="utf-8").splitlines())
    assert [n for _, n in r.count(rec, "shed-a")] == live


def test_replay_against_the_truth(recorded, tmp_path, capsys):
    truth = tmp_path / "truth.txt"
    truth.write_text("\n".join(truth_lines()) + "\n", encoding="utf-8")
    assert main(["charging", "replay", str(recorded), "--truth", str(truth)]) == 0
    out = capsys.readouterr().out
    assert "回放" in out and "线路 shed-a：" in out and "实际" in out
    exact = float(out.split("完全一致 ")[1].split(" %")[0])
    assert exact > 80.0
    assert main(["charging", "replay", str(recorded), "--truth", str(truth), "--lang", "en"]) == 0
    assert "exact" in capsys.readouterr().out


def test_replay_without_truth_lists_the_changes(recorded, capsys):
    assert main(["charging", "replay", str(recorded)]) == 0
    out = capsys.readouterr().out
    assert "在充 0" in out and "在充 1" in out


def test_truth_lines_roll_over_midnight_and_bad_ones_say_which_line():
    truths = r.parse_truth(["23:50:00 chargers=2", "# 零点后", "00:10 chargers=1 circuit=shed-a",
                            "2026-05-03 06:00:00 chargers=0"], first_day=T0.date(), tz=SH)
    assert [(t.at.isoformat(), t.chargers, t.circuit) for t in truths] == [
        ("2026-05-01T23:50:00+08:00", 2, None), ("2026-05-02T00:10:00+08:00", 1, "shed-a"),
        ("2026-05-03T06:00:00+08:00", 0, None)]
    with pytest.raises(r.RecordingError, match="truth line 2"):
        r.parse_truth(["21:00 chargers=1", "21:05 three chargers"], first_day=T0.date(), tz=SH)
    with pytest.raises(r.RecordingError, match="chargers=N"):
        r.parse_truth(["21:00 chargers=two"], first_day=T0.date(), tz=SH)


def test_bad_lines_are_counted_and_a_non_recording_is_refused(recorded, tmp_path, capsys):
    lines = recorded.read_text(encoding="utf-8").splitlines()
    lines[5] = "{broken"
    lines[6] = json.dumps({"ts": "2026-05-01T12:00:05.000Z", "circuit": "shed-a", "power_w": -3})
    rec = r.load(lines)
    assert [n for n, _ in rec.bad] == [6, 7]
    assert "有 2 行看不懂" in "\n".join(report(rec, {}, file="x", lang="zh", with_truth=False))
    other = tmp_path / "other.jsonl"
    other.write_text('{"hello": 1}\n', encoding="utf-8")
    assert main(["charging", "replay", str(other)]) == 2
    assert "not a recording" in capsys.readouterr().err
    truth = tmp_path / "t.txt"
    truth.write_text("21:00 chargers=1 circuit=shed-b\n", encoding="utf-8")
    assert main(["charging", "replay", str(recorded), "--truth", str(truth)]) == 2
    assert "shed-b" in capsys.readouterr().err


def test_record_command_writes_a_header_and_readings(tmp_path, capsys):
    path = tmp_path / "edge.toml"
    path.write_text('[site]\nid = "pingan-2"\n[storage]\ndir = "state"\n[device]\nid = "shed-1"\nkind = "charging"\n'
                    '[charging]\npoll_interval = "200ms"\n[[meters]]\nkind = "simulated"\ncircuit = "demo"\n',
                    encoding="utf-8")
    out = tmp_path / "rec.jsonl"
    assert main(["charging", "record", "--config", str(path), str(out), "--duration", "1"]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["format"] == r.FORMAT and json.loads(lines[0])["timezone"] == "Asia/Shanghai"
    assert len(lines) >= 3 and json.loads(lines[1])["circuit"] == "demo"
    assert "已录制" in capsys.readouterr().err
