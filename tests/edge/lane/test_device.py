"""The lane device end to end: fake bleak backend → scanner → presence → sink (list or real outbox)."""

import threading
import time
from datetime import datetime, timezone
import numpy as np
import pytest

from edge.ble.decode import eddystone_eid_payload, eddystone_tlm_payload, ibeacon_payload
from edge.ble.eid import compute_eid
from edge.ble.fake import FakeAdapterControl, FakeRadio
from edge.config import EdgeConfig
from edge.events import ListSink
from edge.lane.daemon import start
from edge.outbox import Outbox
from gwcommon.clock import FakeClock
from gwcommon.config import validate
from gwcommon.exc import ConfigError

UUID = "f7826da6-4fa2-4e98-8024-bc5b71e0893e"
RESIDENT = f"ibeacon:{UUID}:1:42"
IK = bytes.fromhex("0102030405060708090a111213141516")


def wait_for(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


def config(tmp_path, lane=None, scanner=None):
    data = {
        "site": {"id": "pingan-2"}, "storage": {"dir": str(tmp_path)},
        "device": {"id": "lane-east", "kind": "lane"},
        "scanner": scanner or {"silence": "10m"},
        "lane": lane or {"zones": [{"name": "east-strip", "rssi_threshold": -75, "min_away": "30s"}]},
    }
    return validate(data, EdgeConfig)


class FakeCamera:
    """Frames drawn with numpy: a textured strip; a parked car is a dark block over a spot."""

    BOX = (100, 100, 120, 96)

    def __init__(self):
        rng = np.random.default_rng(7)
        self.empty = rng.integers(90, 170, size=(360, 480, 3), dtype=np.uint8)
        self.occupied = False
        self.started = self.stopped = False

    def frame(self):
        frame = self.empty.copy()
        if self.occupied:
            x, y, w, h = self.BOX
            frame[y:y + h, x:x + w] = 20
            frame[y:y + h, x:x + w // 2] = 230  # half of it lit by the street lamp
        return frame

    def snapshot(self):
        return b"\xff\xd8fake-jpeg\xff\xd9"

    def start(self):
        self.started = True

    def stop(self):
        self.stopped = True


class Lane:
    def __init__(self, cfg, *, sink=None, camera=None, clock=None):
        self.clock = clock or FakeClock()
        self.radio = FakeRadio()
        self.sink = sink if sink is not None else ListSink()
        self.handle = start(cfg, self.sink, None, self.clock, threading.Event(), backend=self.radio.backend,
                            adapter_control=FakeAdapterControl(self.radio), camera=camera,
                            on_fatal=lambda reason: None, tick=0.01)
        assert wait_for(lambda: self.radio.scanning)

    def presence(self):
        return [(e["zone"], e["tag"], e.get("slot"), e["present"]) for e in self.sink.of("presence")]

    def beacon(self, rssi, minor=42, seconds=1, every=1.0):
        """The tag advertises for ``seconds`` of fake time; waits until each advert is processed."""
        for _ in range(int(seconds / every)):
            before = self.handle.scanner.pipeline.counts["advertisements"]
            self.radio.ibeacon("4f:00:00:00:00:01", rssi, ibeacon_payload(UUID, 1, minor))
            assert wait_for(lambda: self.handle.scanner.pipeline.counts["advertisements"] > before)
            self.clock.advance(every)


def test_resident_tag_appears_then_leaves(tmp_path):
    lane = Lane(config(tmp_path))
    try:
        lane.beacon(-85, seconds=3)  # heard far away: not in the zone
        assert lane.presence() == []
        lane.beacon(-60, seconds=10)
        assert lane.presence() == [("east-strip", RESIDENT, None, True)]
        assert lane.sink.of("presence")[0]["rssi"] == -60
        lane.clock.advance(25)  # 1 s interval learned, but min_away is 30 s
        time.sleep(0.05)
        assert len(lane.presence()) == 1
        lane.clock.advance(10)
        assert wait_for(lambda: len(lane.presence()) == 2)
        assert lane.presence()[1] == ("east-strip", RESIDENT, None, False)
        assert lane.sink.of("fault") == []
    finally:
        lane.handle.stop()


def test_zones_watch_their_own_tags_and_thresholds(tmp_path):
    lane_cfg = {"zones": [
        {"name": "east-strip", "rssi_threshold": -80},
        {"name": "fire-lane", "rssi_threshold": -60, "tags": [f"ibeacon:{UUID}:1:7"]},
    ]}
    lane = Lane(config(tmp_path, lane=lane_cfg))
    try:
        lane.beacon(-70, minor=42)
        lane.beacon(-70, minor=7)  # in the strip; too weak for the fire lane
        lane.beacon(-55, minor=7)
    finally:
        lane.handle.stop()
    assert lane.presence() == [
        ("east-strip", RESIDENT, None, True),
        ("east-strip", f"ibeacon:{UUID}:1:7", None, True),
        ("fire-lane", f"ibeacon:{UUID}:1:7", None, True),
    ]


def first_in_outbox(tmp_path, cfg, act) -> bytes:
    """Run a lane device over the real outbox, ``act(lane)`` until one event is stored; its body."""
    clock = FakeClock()
    outbox = Outbox(tmp_path / "outbox.db", site="pingan-2", device="lane-east", clock=clock)
    lane = Lane(cfg, sink=outbox, clock=clock)
    try:
        act(lane)
        assert wait_for(lambda: outbox.count() == 1)
    finally:
        lane.handle.stop()
    row = outbox.pending(after=0, limit=10)[0]
    outbox.close()
    assert row.kind == "presence"
    return row.body.replace(b" ", b"")


def test_eid_tag_presence_goes_into_the_real_outbox(tmp_path):
    keys = tmp_path / "eid-keys.toml"
    keys.write_text('[[eid_tags]]\nname = "car-0042"\nidentity_key = "0102030405060708090a111213141516"\n'
                    'exponent = 10\nclock_value = 0\nclock_at = 2026-01-01T00:00:00Z\n')

    def eid_heard(lane):
        lane.clock.advance(5000)
        lane.radio.eddystone("5a:01:02:03:04:05", -58, eddystone_eid_payload(compute_eid(IK, 10, 5000)))
    body = first_in_outbox(tmp_path, config(tmp_path, scanner={"eid_keys_file": str(keys)}), eid_heard)
    assert b'"tag":"eid:car-0042"' in body


def test_a_tags_tlm_battery_rides_on_its_presence_event_into_the_outbox(tmp_path):
    """Eddystone-TLM from the address that also sends the iBeacon (edge.ble.tlm): battery_mv on the wire."""
    def tlm_then_ibeacon(lane):
        lane.radio.eddystone("4f:00:00:00:00:01", -60, eddystone_tlm_payload(2870))
        assert wait_for(lambda: lane.handle.scanner.pipeline.counts["tlm_waiting"] == 1)
        lane.beacon(-60, seconds=2)
    assert b'"battery_mv":2870' in first_in_outbox(tmp_path, config(tmp_path), tlm_then_ibeacon)


def test_untagged_car_in_a_spot_and_roll_call_with_pictures(tmp_path):
    camera = FakeCamera()
    ref = tmp_path / "s1-empty.png"
    import cv2
    cv2.imwrite(str(ref), camera.empty)
    lane_cfg = {"camera": "usb:0", "spot_check": "1s", "spot_dwell": "10s", "spot_clear": "5s",
                "pair_window": "60s", "photo_at": ["23:00"],
                "zones": [{"name": "east-strip", "spots": [{"name": "E-01", "box": list(FakeCamera.BOX),
                                                            "empty": [str(ref)]}]}]}
    clock = FakeClock(datetime(2026, 1, 1, 14, 58, tzinfo=timezone.utc))  # 22:58 in Shanghai
    lane = Lane(config(tmp_path, lane=lane_cfg), camera=camera, clock=clock)
    try:
        camera.occupied = True
        for _ in range(80):  # 80 s of fake time: dwell 10 s, then the 60 s pairing window
            lane.clock.advance(1)
            lane.handle.device.step()  # the tick thread runs too; stepping here makes each second count
        assert wait_for(lambda: lane.presence() == [("east-strip", None, "E-01", True)])
        assert lane.clock.now() < datetime(2026, 1, 1, 15, 0, tzinfo=timezone.utc)
        lane.clock.set(datetime(2026, 1, 1, 15, 0, 1, tzinfo=timezone.utc))  # 23:00 in Shanghai
        assert wait_for(lambda: len(lane.presence()) == 2)
        assert lane.presence()[1] == ("east-strip", None, "E-01", True)
        assert wait_for(lambda: len(lane.sink.snapshots) == 2)
        assert {event_id for event_id, _ in lane.sink.snapshots} == {"test-1", "test-2"}
    finally:
        lane.handle.stop()
    assert camera.started and camera.stopped


def test_lane_section_on_a_gate_device_is_refused(tmp_path):
    cfg = config(tmp_path).model_copy(update={"device": config(tmp_path).device.model_copy(update={"kind": "gate"})})
    with pytest.raises(ConfigError, match="kind 'lane'"):
        start(cfg, ListSink(), None, FakeClock(), threading.Event())


@pytest.mark.parametrize("lane,message", [
    ({"zones": []}, "zones"),
    ({"zones": [{"name": "a"}, {"name": "a"}]}, "unique"),
    ({"zones": [{"name": "a", "tags": ["bluetooth:1"]}]}, "tags"),
    ({"zones": [{"name": "a", "rssi_threshold": -130}]}, "rssi_threshold"),
    ({"zones": [{"name": "a", "spots": [{"name": "s", "box": [0, 0, 100, 100], "empty": ["x.png"]}]}]}, "camera"),
    ({"zones": [{"name": "a", "min_away": "10m", "max_away": "1m"}]}, "min_away"),
    ({"zones": [{"name": "a", "colour": "red"}]}, "unknown key"),
])
def test_bad_lane_config_is_refused_with_the_key(tmp_path, lane, message):
    with pytest.raises(ConfigError, match=message):
        config(tmp_path, lane=lane)


def test_missing_empty_spot_picture_is_a_config_error(tmp_path):
    lane_cfg = {"camera": "usb:0", "zones": [{"name": "a", "spots": [
        {"name": "s", "box": [0, 0, 100, 100], "empty": [str(tmp_path / "missing.png")]}]}]}
    with pytest.raises(ConfigError, match="missing.png"):
        start(config(tmp_path, lane=lane_cfg), ListSink(), None, FakeClock(), threading.Event(),
              backend=FakeRadio().backend, camera=FakeCamera())



def _state_device(tmp_path, clock, sink):
    from edge.lane.config import LaneDeviceConfig
    from edge.lane.device import LaneDevice

    lane = validate({"zones": [{"name": "east-strip", "rssi_threshold": -75, "min_away": "30s"}]}, LaneDeviceConfig)
    return LaneDevice(lane, sink=sink, clock=clock, tz=timezone.utc, state_file=tmp_path / "lane-state.json")


@pytest.mark.parametrize("heard_again", [False, True])
def test_a_restarted_lane_device_reports_a_car_that_left_while_it_was_down(tmp_path, heard_again):
    """Found by `gatewarden simulate --outages`: a lane device killed while a car left the strip
    forgot the car, so the hub kept it parked (a false accusation every morning after)."""
    from edge.ble.model import Sighting

    clock = FakeClock(datetime(2026, 11, 19, 23, 0, tzinfo=timezone.utc))
    first = ListSink()
    device = _state_device(tmp_path, clock, first)
    device.sighted(Sighting(RESIDENT, -60, clock.monotonic(), True))
    device.step()
    watched = clock.now()
    assert [f["present"] for _, f in first.events] == [True]

    clock.advance(3600)  # down for an hour; the car leaves meanwhile (or stays)
    second = ListSink()
    device = _state_device(tmp_path, clock, second)
    for _ in range(12):
        if heard_again:
            device.sighted(Sighting(RESIDENT, -60, clock.monotonic(), True))
        device.step()
        clock.advance(10)
    if heard_again:
        assert second.events == []  # still there: nothing new to say
    else:
        assert [(f["tag"], f["present"], f["ts"]) for _, f in second.events] == [(RESIDENT, False, watched)]
