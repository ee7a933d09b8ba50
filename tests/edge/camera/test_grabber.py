"""edge.camera on OpenCV with generated video files: newest frame, JPEG size, faults, reconnect."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from edge.camera import OpenCVCamera, describe_source, encode_jpeg


def make_video(path, *, width=1600, height=900, frames=15, fps=10.0):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened()
    for n in range(frames):
        frame = np.full((height, width, 3), 40, np.uint8)
        cv2.rectangle(frame, (50 + 10 * n, 100), (400 + 10 * n, 400), (0, 0, 200), -1)
        writer.write(frame)
    writer.release()
    return path


class Faults:
    def __init__(self):
        self.seen: list[tuple[str, bool, str]] = []
        self.changed = threading.Event()

    def __call__(self, code, active, detail):
        self.seen.append((code, active, detail))
        self.changed.set()

    def wait_for(self, active: bool, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(a == active for _, a, _ in self.seen):
                return True
            self.changed.wait(0.05)
            self.changed.clear()
        return False


def wait_frame(camera, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if camera.frame() is not None:
            return camera.frame()
        time.sleep(0.02)
    return None


@pytest.mark.parametrize("source,expected", [
    ("usb:0", (0, cv2.CAP_ANY, False)),
    ("usb:2", (2, cv2.CAP_ANY, False)),
    ("rtsp://10.0.0.5:554/stream1", ("rtsp://10.0.0.5:554/stream1", cv2.CAP_FFMPEG, False)),
    ("/var/lib/gatewarden/demo.avi", ("/var/lib/gatewarden/demo.avi", cv2.CAP_FFMPEG, True)),
])
def test_describe_source(source, expected):
    assert describe_source(source) == expected


def test_bad_usb_source_is_a_clear_error():
    with pytest.raises(ValueError, match="usb:<number>"):
        describe_source("usb:front")


@pytest.mark.parametrize("width,height,expected", [(1920, 1080, (1280, 720)), (640, 480, (640, 480)), (1280, 960, (1280, 960))])
def test_snapshot_is_at_most_1280_wide(width, height, expected):
    jpeg = encode_jpeg(np.zeros((height, width, 3), np.uint8), max_width=1280)
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert jpeg[:2] == b"\xff\xd8" and (decoded.shape[1], decoded.shape[0]) == expected


def test_file_source_gives_the_newest_frame_as_jpeg(tmp_path):
    faults = Faults()
    camera = OpenCVCamera(str(make_video(tmp_path / "gate.avi")), name="north", on_fault=faults)
    camera.start()
    try:
        assert wait_frame(camera) is not None
        jpeg = camera.snapshot()
        decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        assert decoded.shape[:2] == (720, 1280)
        frames = camera.frames
        time.sleep(0.5)
        assert camera.frames > frames  # still reading (a file loops), so the frame is always fresh
    finally:
        camera.stop()
    assert faults.seen == []


def test_missing_source_is_a_fault_and_never_blocks(tmp_path):
    faults = Faults()
    camera = OpenCVCamera(str(tmp_path / "nothing-here.avi"), name="north", on_fault=faults, backoff=(0.05, 0.1))
    camera.start()
    try:
        assert faults.wait_for(True)
        started = time.monotonic()
        assert camera.snapshot() is None
        assert time.monotonic() - started < 0.05
        code, active, detail = faults.seen[0]
        assert (code, active) == ("camera_unavailable", True) and "nothing-here.avi" in detail
        time.sleep(0.3)
        assert [a for _, a, _ in faults.seen] == [True]  # reported once, not on every retry
        assert camera.failures >= 2
    finally:
        camera.stop()


def test_reconnects_when_the_source_comes_back(tmp_path):
    faults = Faults()
    path = tmp_path / "late.avi"
    camera = OpenCVCamera(str(path), name="north", on_fault=faults, backoff=(0.05, 0.1))
    camera.start()
    try:
        assert faults.wait_for(True)
        make_video(tmp_path / "tmp.avi", width=320, height=240).rename(path)
        assert faults.wait_for(False)
        assert wait_frame(camera) is not None and camera.healthy
    finally:
        camera.stop()


def test_unreachable_rtsp_is_a_fault_with_the_password_hidden():
    faults = Faults()
    camera = OpenCVCamera("rtsp://admin:secret@127.0.0.1:9/stream", name="north", on_fault=faults,
                          open_timeout=1, read_timeout=1, backoff=(0.05, 0.1))
    camera.start()
    try:
        assert faults.wait_for(True)
        assert "secret" not in faults.seen[0][2] and "admin:***@127.0.0.1" in faults.seen[0][2]
    finally:
        camera.stop()


@pytest.mark.parametrize("present", [True, False])
def test_gate_device_with_a_real_camera(mock_factory, tmp_path, present):
    """Every passage carries the camera's JPEG; a missing camera is a fault event and the gate still opens."""
    from edge.allowlist import Allowlist
    from edge.ble.model import Sighting
    from edge.events import ListSink
    from edge.gate.config import GateConfig
    from edge.gate.device import GateDevice
    from edge.gate.sim import SimulatedGate
    from gwcommon import wire
    from gwcommon.clock import SystemClock
    from gwcommon.config import validate

    video = make_video(tmp_path / "lane.avi", width=640, height=480) if present else tmp_path / "gone.avi"
    config = validate({"lanes": [{"name": "north-in", "direction": "in", "open_relay": 5, "photo_eye": 6,
                                  "arming_loop": 13, "camera": str(video)}]}, GateConfig)
    clock, sink = SystemClock(), ListSink()
    allowlist = Allowlist(tmp_path / "allowlist.json", clock=clock)
    allowlist.update(wire.Allowlist(version=1, entries=[wire.AllowEntry(tag="eid:car-1", vehicle="浙A12345")]))
    device = GateDevice(config, sink=sink, allowlist=allowlist, clock=clock, pin_factory=mock_factory)
    sim = SimulatedGate(config, mock_factory)["north-in"]
    device.start()
    try:
        if present:
            assert wait_frame(device.cameras["north-in"]) is not None
        sim.set("arming_loop", True)
        device.sighted(Sighting("eid:car-1", -50, clock.monotonic(), False))
        for level in (("eye", True), ("arming_loop", False), ("eye", False)):
            time.sleep(0.3)
            sim.block_eye(level[1]) if level[0] == "eye" else sim.set(*level)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (sink.of("passage") and (sink.snapshots or not present)):
            time.sleep(0.05)
    finally:
        device.stop()
    assert device._relays["north-in"].pulses["open_relay"] == 1
    assert [(p["reason"], p["passed"]) for p in sink.of("passage")] == [("allowlisted", True)]
    if present:
        assert len(sink.snapshots) == 1 and sink.snapshots[0][1][:2] == b"\xff\xd8"
    else:
        assert sink.snapshots == [] and ("camera_unavailable", True) in [(f["code"], f["active"]) for f in sink.of("fault")]
