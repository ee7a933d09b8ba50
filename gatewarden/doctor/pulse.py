"""``gatewarden doctor --pulse open|close``: the installer's relay test (继电器测试).

Pulses one relay of one lane once, for the lane's configured ``pulse`` length, after reading the
lane's presence inputs (loop, photo-eye, safety and closing loops) and asking for confirmation.
A close is refused while any of them reads active (or cannot be read): the barrier controller's
own safety inputs should stop it, but the installer's test must not be the one that brings an arm
down on a car or a person.  Stop the device's own service first: the doctor needs its pins.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from .seams import Env
from .texts import text

PRESENCE = ("arming_loop", "photo_eye", "safety_loop", "closing_loop")


def pulse(path: str, which: str, lane_name: str | None, env: Env, *, yes: bool, lang: str,
          say: Callable[[str], None] = print) -> int:
    """Run the relay test; every line goes through ``say``.  Exit 0 when the pulse was sent."""
    from .basics import load_configs

    first, edge, _ = load_configs(path)
    if edge is None or edge.device.kind != "gate" or getattr(edge, "gate", None) is None:
        say(first.message(lang) if first.status == "fail" else text("pulse.not_gate", lang))
        return 1
    lanes = {lane.name: lane for lane in edge.gate.lanes}
    if lane_name is None and len(lanes) == 1:
        lane_name = next(iter(lanes))
    if lane_name not in lanes:
        say(text("pulse.which_lane", lang, lanes="、".join(lanes) if lang == "zh" else ", ".join(lanes),
                 given=lane_name or "-"))
        return 1
    lane = lanes[lane_name]
    relay = lane.open_relay if which == "open" else lane.close_relay
    if relay is None:
        say(text("pulse.no_close_relay", lang, lane=lane_name))
        return 1
    try:
        states = read_presence(lane, env.pin_factory)
    except Exception as exc:  # gpiozero's pin errors: in use (the service runs), no GPIO, bad pin
        say(text("pulse.cannot_read", lang, lane=lane_name, error=str(exc)))
        return 1
    say(text("pulse.inputs", lang, lane=lane_name, states=describe(states, lang)))
    busy = [role for role, active in states.items() if active is not False]
    if which == "close" and busy:
        say(text("pulse.refused_close", lang, lane=lane_name, inputs=describe({r: states[r] for r in busy}, lang)))
        return 1
    seconds = lane.pulse.total_seconds()
    question = text(f"pulse.confirm.{which}", lang, lane=lane_name, pin=relay.pin, ms=round(seconds * 1000))
    if not yes:
        answer = env.ask(question + " [y/N] ").strip().lower()
        if answer not in ("y", "yes", "是", "确认"):
            say(text("pulse.cancelled", lang))
            return 1
    if which == "close":  # time passed while the installer read the question: look again
        again = read_presence(lane, env.pin_factory)
        busy = [role for role, active in again.items() if active is not False]
        if busy:
            say(text("pulse.refused_close", lang, lane=lane_name, inputs=describe({r: again[r] for r in busy}, lang)))
            return 1
    try:
        send_pulse(relay.pin, lane.relay_active_high, seconds, env.pin_factory)
    except Exception as exc:
        say(text("pulse.failed", lang, pin=relay.pin, error=str(exc)))
        return 1
    say(text(f"pulse.sent.{which}", lang, lane=lane_name, pin=relay.pin, ms=round(seconds * 1000)))
    return 0


def read_presence(lane: Any, factory: Any) -> dict[str, bool | None]:
    """The lane's presence inputs, active or not (the doctor's own reading of the contacts)."""
    from .hardware import _active, _open

    states: dict[str, bool | None] = {}
    for role in PRESENCE:
        pin = getattr(lane, role, None)
        if pin is None:
            continue
        device = _open(pin, "in", True, factory)
        try:
            states[role] = _active(device, role, pin)
        finally:
            device.close()
    return states


def send_pulse(pin: Any, active_high: bool, seconds: float, factory: Any) -> None:
    from gpiozero import DigitalOutputDevice

    relay = DigitalOutputDevice(pin, active_high=active_high, initial_value=False, pin_factory=factory)
    try:
        relay.on()
        time.sleep(seconds)
    finally:
        relay.off()
        relay.close()


def describe(states: dict[str, bool | None], lang: str) -> str:
    from .hardware import _value
    from .texts import T, resolve

    parts = [T(f"state.{role}", {"value": _value(role, bool(active))}) for role, active in states.items()]
    return resolve(parts, lang) if parts else text("pulse.no_inputs", lang)
