"""The [lpr] section: bad configs fail at start with the key and the reason; a gate Pi with plate
cameras answers real HTTP pushes and opens its lane (edge.gate.daemon → edge.lpr.daemon)."""

from __future__ import annotations

import http.client
import time

import pytest

from edge.config import EdgeConfig
from edge.events import ListSink
from edge.gate import daemon as gate_daemon
from gwcommon import wire
from gwcommon.clock import SystemClock
from gwcommon.config import validate
from gwcommon.exc import ConfigError

from . import payloads

GATE = {"lanes": [{"name": "in-1", "direction": "in", "open_relay": 5, "photo_eye": 6, "arming_loop": 13}]}


def config(tmp_path, cameras, *, kind="gate", **extra):
    data = {"site": {"id": "pingan-2"}, "device": {"id": "gate-n", "kind": kind}, "storage": {"dir": str(tmp_path)},
            "lpr": {"listen": "127.0.0.1:0", "cameras": cameras}, **extra}
    if kind == "gate":
        data["gate"] = GATE
    return validate(data, EdgeConfig)


CAM = {"id": "cam-in", "vendor": "vzenith", "lane": "in-1", "plate_policy": "plate_alone", "allow": ["127.0.0.1"]}


@pytest.mark.parametrize("camera,match", [
    ({**CAM, "lane": "nowhere"}, "not a \\[\\[gate.lanes\\]\\] name"),
    ({**CAM, "zone": "east-strip"}, "exactly one"),
    ({**CAM, "allow": []}, "secret_file or allow"),
    ({**CAM, "allow": ["not-an-address"]}, "not an address"),
    ({**CAM, "vendor": "hikvision", "opens": "camera", "direction": "in"}, "cannot be opened by the reply"),
    ({**CAM, "vendor": "dahua", "opens": "camera", "direction": "in"}, "cannot be opened by the reply"),
    ({**CAM, "vendor": "huaxia", "opens": "camera", "direction": "in"}, "cannot be opened by the reply"),
    ({**CAM, "vendor": "huaxia"}, "sends no confidence"),  # plate_alone: would open on any read
    ({**CAM, "vendor": "huaxia", "plate_policy": "visitors_only"}, "sends no confidence"),
    ({**CAM, "ocr_tolerant_from": 60, "ocr_tolerant_below": 85}, "zone cameras only \\(never for opening\\)"),
    ({**CAM, "lane": None, "zone": "s", "ocr_tolerant_from": 60}, "both ocr_tolerant_from and ocr_tolerant_below"),
    ({**CAM, "lane": None, "zone": "s", "ocr_tolerant_from": 85, "ocr_tolerant_below": 60}, "must be below"),
    ({**CAM, "opens": "camera"}, "needs lane and direction"),
    ({**CAM, "min_confidence": 10}, "min_confidence"),
    ({**CAM, "colour": "blue"}, "unknown key"),
    ({"id": "strip", "vendor": "generic", "zone": "east-strip", "allow": ["127.0.0.1"]}, "belong to a lane device"),
])
def test_bad_camera_configs(tmp_path, camera, match):
    with pytest.raises(ConfigError, match=match):
        config(tmp_path, [camera])


def test_plate_cameras_need_the_devices_own_section(tmp_path):
    with pytest.raises(ConfigError, match="runs beside a \\[gate\\] or \\[lane\\]"):
        config(tmp_path, [{"id": "strip", "vendor": "generic", "zone": "east-strip", "allow": ["127.0.0.1"]}],
               kind="lane")
    with pytest.raises(ConfigError, match="runs beside"):
        config(tmp_path, [CAM], kind="charging")


def test_a_gate_pi_opens_for_a_plate_pushed_over_http(tmp_path, mock_factory):
    cfg = config(tmp_path, [CAM])
    sink = ListSink()
    handle = gate_daemon.start(cfg, sink, None, SystemClock(), None, pin_factory=mock_factory)
    try:
        device = handle.device
        device.handle_allowlist(wire.Allowlist(version=1, plates=[wire.PlateEntry(plate="浙A12345", vehicle="浙A12345")]))
        mock_factory.pin(13).drive_low()  # a car on the arming loop (active low)
        conn = http.client.HTTPConnection("127.0.0.1", handle.lpr.server.port, timeout=10)
        conn.request("POST", "/lpr/cam-in", body=payloads.vzenith("浙A12345"), headers={"Content-Type": "application/json"})
        reply = conn.getresponse()
        assert reply.status == 200 and b'"info": "no"' in reply.read()  # the Pi opens, not the camera
        conn.close()
        deadline = time.monotonic() + 10
        while device._relays["in-1"].pulses["open_relay"] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert device._relays["in-1"].pulses["open_relay"] == 1
    finally:
        handle.stop()


def test_a_lane_pi_reports_a_plate_pushed_over_http_in_its_zone(tmp_path):
    import json as _json
    import threading

    from edge.ble.fake import FakeAdapterControl, FakeRadio
    from edge.lane import daemon as lane_daemon
    from gwcommon.clock import FakeClock

    cfg = config(tmp_path, [{"id": "strip", "vendor": "generic", "zone": "east-strip", "allow": ["127.0.0.1"]}],
                 kind="lane", lane={"zones": [{"name": "east-strip"}]})
    sink = ListSink()
    radio = FakeRadio()
    handle = lane_daemon.start(cfg, sink, None, FakeClock(), threading.Event(), backend=radio.backend,
                               adapter_control=FakeAdapterControl(radio), tick=0.05)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", handle.lpr.server.port, timeout=10)
        conn.request("POST", "/lpr/strip", body=_json.dumps({"plate": "沪B66666", "confidence": 97}).encode(),
                     headers={"Content-Type": "application/json"})
        assert _json.loads(conn.getresponse().read()) == {"open": False}
        conn.close()
        assert [(p["zone"], p["tag"], p["present"]) for p in sink.of("presence")] == [
            ("east-strip", "plate:沪B66666", True)]
        assert (tmp_path / "lpr-strip-gate-n.json").exists()
    finally:
        handle.stop()


def test_the_plate_cameras_counters_are_metrics(tmp_path, mock_factory):
    from types import SimpleNamespace

    from edge.metrics import EdgeCollector

    cfg = config(tmp_path, [CAM])
    handle = gate_daemon.start(cfg, ListSink(), None, SystemClock(), None, pin_factory=mock_factory)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", handle.lpr.server.port, timeout=10)
        conn.request("POST", "/lpr/cam-in", body=b"{broken", headers={"Content-Type": "application/json"})
        assert conn.getresponse().status == 400
        conn.close()
        source = EdgeCollector(SimpleNamespace())._source("gate", handle)
        (family,) = [f for f in source if f.name == "gatewarden_edge_lpr"]
        assert {s.labels["what"]: s.value for s in family.samples}["bad_pushes"] == 1
    finally:
        handle.stop()


def test_edge_check_reads_the_cameras_secrets(tmp_path, capsys):
    from edge.daemon import main

    key = tmp_path / "cam.key"
    text = (f'[site]\nid = "pingan-2"\n[device]\nid = "gate-n"\nkind = "gate"\n[storage]\ndir = "{tmp_path}"\n'
            '[gate]\n[[gate.lanes]]\nname = "in-1"\ndirection = "in"\nopen_relay = 5\nphoto_eye = 6\n'
            f'[lpr]\n[[lpr.cameras]]\nid = "cam-in"\nvendor = "vzenith"\nlane = "in-1"\nsecret_file = "{key}"\n')
    (tmp_path / "gate.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="secret_file: cannot read"):
        main(str(tmp_path / "gate.toml"), check=True)
    key.write_text("k3y\n")
    assert main(str(tmp_path / "gate.toml"), check=True) == 0
    assert "车牌相机：cam-in" in capsys.readouterr().out


def test_a_lane_pi_with_an_ocr_tolerant_camera_takes_the_allowlist_and_names_the_doubtful_car(tmp_path):
    import json as _json
    import threading

    from edge.lane import daemon as lane_daemon
    from gwcommon.clock import FakeClock
    from edge.ble.fake import FakeAdapterControl, FakeRadio

    class Publisher:  # the lane daemon's publisher, as far as the allowlist goes
        handlers: list = []

        def on_allowlist(self, handler):
            self.handlers.append(handler)

    cfg = config(tmp_path, [{"id": "strip", "vendor": "generic", "zone": "east-strip", "allow": ["127.0.0.1"],
                             "ocr_tolerant_from": 60, "ocr_tolerant_below": 85}],
                 kind="lane", lane={"zones": [{"name": "east-strip"}]})
    sink, radio, publisher = ListSink(), FakeRadio(), Publisher()
    handle = lane_daemon.start(cfg, sink, publisher, FakeClock(), threading.Event(), backend=radio.backend,
                               adapter_control=FakeAdapterControl(radio), tick=0.05)
    try:
        (take,) = publisher.handlers
        take(wire.Allowlist(version=2, plates=[wire.PlateEntry(plate="浙A12345", vehicle="浙A12345")]))
        conn = http.client.HTTPConnection("127.0.0.1", handle.lpr.server.port, timeout=10)
        conn.request("POST", "/lpr/strip", body=_json.dumps({"plate": "浙AI2345", "confidence": 70}).encode(),
                     headers={"Content-Type": "application/json"})
        assert conn.getresponse().status == 200
        conn.close()
        assert [(p["tag"], p["present"]) for p in sink.of("presence")] == [("plate:浙A12345", True)]
        assert (tmp_path / "allowlist.json").exists()
    finally:
        handle.stop()


def test_a_refused_camera_is_explained_in_chinese_by_default(tmp_path):
    with pytest.raises(ConfigError) as refused:
        config(tmp_path, [{**CAM, "vendor": "huaxia"}])
    assert "华夏智信相机的推送里没有可信度" in refused.value.text("zh")
    assert "sends no confidence" in refused.value.text("en")
