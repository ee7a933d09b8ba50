"""``gatewarden doctor`` on a gate Pi: real broker with a password file, mock pins, a fake Bluetooth
radio (bleak's own backend seam), a camera reading a generated video file; each broken part gives
its own failure with its own message."""

from __future__ import annotations

import json
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.ble.fake import FakeRadio
from gatewarden.cli import main
from gatewarden.doctor.report import as_json, as_text, exit_code
from gatewarden.doctor.run import run_checks
from gatewarden.doctor.seams import Env
from gwcommon.clock import FakeClock, SystemClock
from tests.support.hubrun import make_hub

pytestmark = pytest.mark.timeout(60)
IBEACON = bytes.fromhex("0215fda50693a4e24fb1afcfc6eb0764782500010002c5")
USER, PASSWORD = "gate-north", "s3cret-pass"


@pytest.fixture
def secured_broker(make_broker, tmp_path):
    passwd = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwd), USER, PASSWORD], check=True, capture_output=True)
    return make_broker(extra=f"allow_anonymous false\npassword_file {passwd}\n")


@pytest.fixture
def video(tmp_path) -> Path:
    """A short generated video (grey with a moving bar), as a file camera reads it."""
    path = tmp_path / "lane.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    for n in range(20):
        frame = np.full((120, 160, 3), 120, np.uint8)
        frame[:, (n * 8) % 160:(n * 8) % 160 + 10] = 250
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture
def radio():
    """A fake radio with a tag advertising every 50 ms while anyone scans."""
    air = FakeRadio()
    stop = threading.Event()

    def advertise():
        while not stop.wait(0.05):
            air.ibeacon("c0:ff:ee:00:00:01", -60, IBEACON)

    thread = threading.Thread(target=advertise, daemon=True)
    thread.start()
    yield air
    stop.set()
    thread.join(2)


def write_config(tmp_path: Path, port: int, *, camera: Path, password: str = PASSWORD) -> Path:
    (tmp_path / "mqtt.pw").write_text(password + "\n", encoding="utf-8")
    path = tmp_path / "gate.toml"
    path.write_text(f"""
[site]
id = "pingan-2"
[storage]
dir = "{tmp_path / 'data'}"
[mqtt]
host = "127.0.0.1"
port = {port}
username = "{USER}"
password_file = "mqtt.pw"
[device]
id = "gate-north"
kind = "gate"
[scanner]
adapter = "hci0"
[gate]
fire_input = {{ pin = 27, pull_up = false }}
[[gate.lanes]]
name = "north-in"
direction = "in"
open_relay = 5
arming_loop = 17
photo_eye = {{ pin = 22, pull_up = false }}
camera = "{camera}"
""", encoding="utf-8")
    return path


def env_for(mock_factory, radio, **kw) -> Env:
    base = dict(ntp=lambda: True, pin_factory=mock_factory, ble_backend=radio.backend, scan_seconds=5,
                camera_seconds=5, broker_timeout=5)
    return Env(**{**base, **kw})


def by_id(checks):
    return {c.id: c for c in checks}


def test_healthy_gate_passes_every_check(tmp_path, secured_broker, mock_factory, radio, video):
    config = write_config(tmp_path, secured_broker.port, camera=video)
    checks = run_checks(str(config), env_for(mock_factory, radio))
    found = by_id(checks)
    assert [c.id for c in checks if c.status != "ok"] == []
    assert set(found) >= {"config", "storage", "broker", "clock", "bluetooth", "pins", "inputs.north-in",
                          "inputs.gate", "camera.north-in"}
    assert found["bluetooth"].params["adverts"] > 0 and found["bluetooth"].params["tags"] == 1
    assert (tmp_path / "data" / "doctor" / "camera-north-in.jpg").read_bytes().startswith(b"\xff\xd8")
    text = as_text(checks, config=str(config), lang="zh")
    assert "地感 无车" in text and "光电 通畅" in text and "消防输入 正常" in text and "结果：没有故障" in text
    assert exit_code(checks) == 0
    assert mock_factory.pin(5).state == 0  # the relay was never switched on


def test_wrong_password_is_its_own_failure(tmp_path, secured_broker, mock_factory, radio, video):
    config = write_config(tmp_path, secured_broker.port, camera=video, password="not-the-password")
    checks = by_id(run_checks(str(config), env_for(mock_factory, radio)))
    broker = checks["broker"]
    assert broker.status == "fail" and broker.key in ("broker.not_authorised", "broker.bad_password")
    assert "用户名或密码" in broker.message("zh") and "not-the-password" not in broker.message("zh")
    assert [c for c in checks.values() if c.status == "fail"] == [broker]


def test_nothing_listening_is_said_so(tmp_path, make_broker, mock_factory, radio, video):
    server = make_broker()
    port = server.port
    server.kill()
    config = write_config(tmp_path, port, camera=video)
    broker = by_id(run_checks(str(config), env_for(mock_factory, radio)))["broker"]
    assert broker.key == "broker.nothing"
    assert "没有服务在监听" in broker.message("zh") and "Nothing is listening" in broker.message("en")


def test_pin_in_use_is_its_own_failure(tmp_path, secured_broker, mock_factory, radio, video):
    from gpiozero import DigitalInputDevice

    holder = DigitalInputDevice(17, pin_factory=mock_factory)  # as a running daemon would hold it
    try:
        config = write_config(tmp_path, secured_broker.port, camera=video)
        checks = run_checks(str(config), env_for(mock_factory, radio))
    finally:
        holder.close()
    failed = [c for c in checks if c.status == "fail"]
    assert [c.id for c in failed] == ["pins.north-in.arming_loop"]
    assert failed[0].key == "pins.in_use" and "systemctl stop gatewarden-edge" in failed[0].message("en")
    assert exit_code(checks) == 1


def test_camera_missing_is_its_own_failure(tmp_path, secured_broker, mock_factory, radio):
    config = write_config(tmp_path, secured_broker.port, camera=tmp_path / "no-such-camera.mp4")
    checks = run_checks(str(config), env_for(mock_factory, radio, camera_seconds=1.5))
    failed = [c for c in checks if c.status == "fail"]
    assert [(c.id, c.key) for c in failed] == [("camera.north-in", "camera.none")]
    assert "没有拿到画面" in failed[0].message("zh")


def test_adapter_down_is_its_own_failure(tmp_path, secured_broker, mock_factory, radio, video):
    radio.fail_starts = 1000  # BlueZ: "Resource Not Ready" (adapter powered off)
    config = write_config(tmp_path, secured_broker.port, camera=video)
    checks = run_checks(str(config), env_for(mock_factory, radio))
    failed = [c for c in checks if c.status == "fail"]
    assert [(c.id, c.key) for c in failed] == [("bluetooth", "bluetooth.down")]
    assert "Not Ready" in failed[0].message("en") and "bluetoothctl power on" in failed[0].message("zh")


def test_silent_radio_fails_after_the_wait(tmp_path, secured_broker, mock_factory, radio, video):
    radio.silent = True
    config = write_config(tmp_path, secured_broker.port, camera=video)
    bluetooth = by_id(run_checks(str(config), env_for(mock_factory, radio, scan_seconds=1)))["bluetooth"]
    assert bluetooth.key == "bluetooth.silent"


def test_clock_off_from_the_hub_is_its_own_failure(tmp_path, secured_broker, broker, mock_factory, radio, video):
    hub = make_hub(tmp_path / "hub", broker)
    try:
        url = f"http://127.0.0.1:{hub.web_port}"
        config = write_config(tmp_path, secured_broker.port, camera=video)
        skewed = FakeClock(SystemClock().now() + timedelta(minutes=5))
        checks = run_checks(str(config), env_for(mock_factory, radio, clock=skewed), hub_url=url)
        right = by_id(run_checks(str(config), env_for(mock_factory, radio), hub_url=url))["clock"]
    finally:
        hub.stop()
    failed = [c for c in checks if c.status == "fail"]
    assert [(c.id, c.key) for c in failed] == [("clock", "clock.off")]
    assert float(failed[0].params["offset"]) == pytest.approx(300, abs=3)
    assert "快 " in failed[0].message("zh") and "ahead of" in failed[0].message("en")
    assert right.status == "ok" and "from the hub" in right.message("en")


def test_unsynchronised_clock_fails(tmp_path, secured_broker, mock_factory, radio, video):
    config = write_config(tmp_path, secured_broker.port, camera=video)
    clock = by_id(run_checks(str(config), env_for(mock_factory, radio, ntp=lambda: False)))["clock"]
    assert (clock.status, clock.key) == ("fail", "clock.unsynced")


def test_bad_config_is_explained_and_nothing_else_runs(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[site]\nid = "pingan-2"\n[device]\nid = "gate-1"\nkind = "gate"\n[mqtt]\nport = 70000\n',
                    encoding="utf-8")
    checks = run_checks(str(path), Env(ntp=lambda: True))
    assert [(c.id, c.status) for c in checks] == [("config", "fail")]
    assert "mqtt.port" in checks[0].message("zh") and "docs/configuration.md" in checks[0].message("en")


def test_cli_json_for_a_hub_config(tmp_path, broker, capsys):
    path = tmp_path / "hub.toml"
    path.write_text(f'[site]\nid = "pingan-2"\n[storage]\ndir = "{tmp_path / "hub"}"\n'
                    f'[mqtt]\nport = {broker.port}\n[web]\nlisten = "127.0.0.1:0"\n', encoding="utf-8")
    code = main(["doctor", "--config", str(path), "--json", "--lang", "en"])
    report = json.loads(capsys.readouterr().out)
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert statuses["config"] == statuses["storage"] == statuses["broker"] == "ok"
    assert statuses["clock"] in ("ok", "warn")  # this machine's own NTP state
    assert code == 0 and report["ok"] is True
    assert report["checks"][0]["message"].startswith("Read: hub (site pingan-2)")


def test_cli_fails_with_exit_1_on_a_missing_file(tmp_path, capsys):
    code = main(["doctor", "--config", str(tmp_path / "nope.toml")])
    out = capsys.readouterr().out
    assert code == 1 and "[故障] 配置文件" in out and "找不到这个文件" in out  # the config error in the report's language


def test_json_report_carries_rendered_parameters(tmp_path, secured_broker, mock_factory, radio, video):
    config = write_config(tmp_path, secured_broker.port, camera=video)
    report = json.loads(as_json(run_checks(str(config), env_for(mock_factory, radio)), config=str(config), lang="en"))
    inputs = next(c for c in report["checks"] if c["id"] == "inputs.north-in")
    assert inputs["params"]["states"] == "loop no vehicle, photo-eye clear"
    assert report["summary"]["fail"] == 0
