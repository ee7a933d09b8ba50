"""Checks of gate and lane hardware: the Bluetooth adapter, the GPIO pins and inputs, the cameras.

Nothing here moves a barrier: relay outputs are opened *off* and closed again at once.  The
scanner never power-cycles the adapter during a check, and its fault memory file is not touched.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from gwcommon.clock import SystemClock
from gwcommon.exc import ConfigError
from gwcommon.redact import redact

from .report import Check, fail, ok, warn
from .seams import Env
from .texts import T

DARK = 8.0  # mean grey level below which a picture counts as black
WARN_WHEN_ACTIVE = ("photo_eye", "fire_input")


# ---- Bluetooth ----------------------------------------------------------------------------------

class _Faults:
    """An EventSink that keeps the scanner's fault events (the doctor sends nothing to the hub)."""

    def __init__(self) -> None:
        self.faults: list[dict[str, Any]] = []

    def emit(self, kind: str, fields: dict[str, Any]) -> str:
        self.faults.append(fields)
        return f"doctor-{len(self.faults)}"

    def snapshot(self, event_id: str, jpeg: bytes) -> None:
        pass


class _NoPowerCycle:
    def power_cycle(self, adapter: str) -> None:
        pass


def check_bluetooth(config: Any, env: Env) -> Check:
    """Scan with the device's settings for up to ``env.scan_seconds``; advertisements must arrive."""
    from edge.ble.build import make_pipeline
    from edge.ble.config import ScannerConfig
    from edge.ble.scanner import Scanner

    settings = config.scanner or ScannerConfig()
    adapter = settings.adapter
    if env.ble_backend is None and env.adapter_present(adapter) is False:
        return fail("bluetooth", "bluetooth.missing", adapter=adapter)
    try:
        pipeline = make_pipeline(settings, config.device.id)
    except ConfigError as exc:
        return fail("bluetooth", "bluetooth.config", error=str(exc))
    sink, tags = _Faults(), set()
    scanner = Scanner(settings, sink=sink, clock=SystemClock(), pipeline=pipeline, backend=env.ble_backend,
                      adapter_control=_NoPowerCycle(), on_fatal=lambda reason: None, state_file=None, tick=0.2)
    scanner.subscribe(lambda sighting: tags.add(sighting.tag))
    started = time.monotonic()
    scanner.start()
    try:
        while time.monotonic() - started < env.scan_seconds:
            if pipeline.counts["advertisements"] or _down(sink):
                break
            time.sleep(0.05)
        time.sleep(0.2)  # let what is queued be decoded
    finally:
        scanner.stop()
    return _bluetooth_verdict(adapter, scanner.mode, pipeline.counts["advertisements"], len(tags), sink,
                              round(time.monotonic() - started, 1))


def _down(sink: _Faults) -> dict[str, Any] | None:
    return next((f for f in sink.faults if f.get("code") == "ble_adapter_down" and f.get("active")), None)


def _bluetooth_verdict(adapter: str, mode: str | None, adverts: int, tags: int, sink: _Faults,
                       seconds: float) -> Check:
    down = _down(sink)
    if adverts:
        return ok("bluetooth", "bluetooth.ok", adapter=adapter, mode=mode or "?", adverts=adverts, tags=tags,
                  seconds=seconds)
    if down is not None:
        error = str(down.get("detail", "")).split(": ", 1)[-1]
        return fail("bluetooth", "bluetooth.down", adapter=adapter, error=error)
    return fail("bluetooth", "bluetooth.silent", adapter=adapter, seconds=seconds)


# ---- GPIO pins and inputs -----------------------------------------------------------------------

def pin_plan(gate: Any) -> list[tuple[str, str, Any, str]]:
    """(owner, role, pin config, "in"|"out") for every pin of the gate: lanes, fire and reset inputs."""
    plan = [("gate", role, pin, "in") for role, pin in
            (("fire_input", gate.fire_input), ("reset_input", gate.reset_input)) if pin is not None]
    for lane in gate.lanes:
        plan += [(lane.name, role, pin, "in") for role, pin in lane.inputs().items()]
        plan += [(lane.name, role, pin, "out") for role, pin in lane.outputs().items()]
    return plan


def check_pins(gate: Any, env: Env) -> list[Check]:
    """Open every configured pin (outputs off); report pins in use, then each owner's input states."""
    from gpiozero.exc import BadPinFactory, GPIOPinInUse

    problems: list[Check] = []
    states: dict[str, list[tuple[str, bool]]] = {}
    opened: list[Any] = []
    try:
        for owner, role, pin, way in pin_plan(gate):
            label = f"{owner}.{role}"
            try:
                device = _open(pin, way, _relay_active_high(gate, owner), env.pin_factory)
            except BadPinFactory as exc:
                return [fail("pins", "pins.no_gpio", error=str(exc))]
            except GPIOPinInUse:
                problems.append(fail(f"pins.{label}", "pins.in_use", pin=pin.pin, role=label))
                continue
            except Exception as exc:  # gpiozero's PinInvalidPin, PinError and the platform's errors
                problems.append(fail(f"pins.{label}", "pins.bad", pin=pin.pin, role=label, error=str(exc)))
                continue
            opened.append(device)
            if way == "in":
                states.setdefault(owner, []).append((role, _active(device, role, pin)))
    finally:
        for device in opened:
            device.close()
    head = problems or [ok("pins", "pins.ok", count=len(opened))]
    return head + [_inputs(owner, found) for owner, found in states.items()]


def _relay_active_high(gate: Any, owner: str) -> bool:
    lane = next((lane for lane in gate.lanes if lane.name == owner), None)
    return True if lane is None else lane.relay_active_high


def _open(pin: Any, way: str, active_high: bool, factory: Any) -> Any:
    from gpiozero import DigitalInputDevice, DigitalOutputDevice

    if way == "in":
        return DigitalInputDevice(pin.pin, pull_up=pin.pull_up, pin_factory=factory)
    return DigitalOutputDevice(pin.pin, active_high=active_high, initial_value=False, pin_factory=factory)


def _active(device: Any, role: str, pin: Any) -> bool:
    from edge.gate.barrier import active_high

    level = bool(device.pin.state)
    return level if active_high(role, pin) else not level


def _inputs(owner: str, found: list[tuple[str, bool]]) -> Check:
    parts = [T(f"state.{role}", {"value": _value(role, active)}) for role, active in found]
    alarming = [role for role, active in found if active and role in WARN_WHEN_ACTIVE]
    if alarming:
        return warn(f"inputs.{owner}", "inputs.look", states=parts,
                    advice=[T(f"inputs.advice.{role}") for role in alarming])
    return ok(f"inputs.{owner}", "inputs.ok", states=parts)


def _value(role: str, active: bool) -> T:
    way = "on" if active else "off"
    specific = f"value.{way}.{role}"
    from .texts import MESSAGES

    return T(specific if specific in MESSAGES else f"value.{way}")


# ---- cameras ------------------------------------------------------------------------------------

def camera_sources(config: Any) -> list[tuple[str, str, Any]]:
    """(name, source, gate camera settings or None) of every camera in the config."""
    found = []
    if config.gate is not None:
        found += [(lane.name, lane.camera, config.gate.camera) for lane in config.gate.lanes if lane.camera]
    lane_cfg = getattr(config, "lane", None)
    if lane_cfg is not None and lane_cfg.camera:
        found.append((config.device.id, lane_cfg.camera, None))
    return found


def check_camera(name: str, source: str, settings: Any, storage: Path, env: Env) -> Check:
    """Open the camera, wait for a fresh frame, save it as ``<storage>/doctor/camera-<name>.jpg``."""
    from edge.camera import OpenCVCamera, encode_jpeg

    kw = {} if settings is None else {"open_timeout": settings.open_timeout.total_seconds(),
                                      "read_timeout": settings.read_timeout.total_seconds()}
    try:
        camera = OpenCVCamera(source, name=f"doctor-{name}", backoff=(0.5, 2.0), **kw)
    except ValueError as exc:
        return fail(f"camera.{name}", "camera.bad", error=str(exc))
    frame = _first_frame(camera, env.camera_seconds)
    if frame is None:
        return fail(f"camera.{name}", "camera.none", seconds=env.camera_seconds, source=redact(source))
    path = storage / "doctor" / f"camera-{name}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(encode_jpeg(frame))
    height, width = frame.shape[:2]
    brightness = float(frame.mean())
    if brightness < DARK:
        return warn(f"camera.{name}", "camera.dark", brightness=round(brightness, 1), path=str(path))
    return ok(f"camera.{name}", "camera.ok", width=width, height=height, path=str(path))


def _first_frame(camera: Any, seconds: float) -> Any:
    done = threading.Event()
    camera.start()
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            frame = camera.frame()
            if frame is not None:
                return frame
            done.wait(0.05)
        return None
    finally:
        camera.stop()
