"""``gatewarden doctor --pulse open|close``: the installer's relay test, on gpiozero mock pins."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatewarden.doctor.pulse import pulse
from gatewarden.doctor.seams import Env

OPEN, CLOSE, LOOP, EYE, SAFETY, TEST = 5, 6, 17, 22, 23, 24


def write_config(tmp_path: Path, *, lanes: int = 1) -> Path:
    extra = ""
    if lanes == 2:
        extra = """
[[gate.lanes]]
name = "north-out"
direction = "out"
open_relay = 12
photo_eye = { pin = 13, pull_up = false }
"""
    path = tmp_path / "gate.toml"
    path.write_text(f"""
[site]
id = "pingan-2"
[storage]
dir = "{tmp_path / 'data'}"
[mqtt]
host = "127.0.0.1"
[device]
id = "gate-north"
kind = "gate"
[gate]
[[gate.lanes]]
name = "north-in"
direction = "in"
open_relay = {OPEN}
close_relay = {CLOSE}
close_mode = "pi"
eye_test = {TEST}
relay_active_high = false
pulse = "0.1s"
arming_loop = {LOOP}
safety_loop = {SAFETY}
photo_eye = {{ pin = {EYE}, pull_up = false }}
""" + extra, encoding="utf-8")
    return path


def relay_on_count(factory, pin: int, *, active_high: bool = False) -> int:
    """How many times the relay pin switched on (active-low board: on = low)."""
    states = [s.state for s in factory.pin(pin).states]
    on = 0 if not active_high else 1
    return sum(1 for before, now in zip(states, states[1:]) if now == on and before != on)


class Asked:
    def __init__(self, answer: str):
        self.answer, self.questions = answer, []

    def __call__(self, question: str) -> str:
        self.questions.append(question)
        return self.answer


def run(tmp_path, factory, which, *, answer="y", yes=False, lane=None, lang="zh", lanes=1):
    lines: list[str] = []
    asked = Asked(answer)
    code = pulse(str(write_config(tmp_path, lanes=lanes)), which, lane, Env(pin_factory=factory, ask=asked),
                 yes=yes, lang=lang, say=lines.append)
    return code, lines, asked


def idle(factory):
    """Nothing in the lane: loops open (pulled up: high), photo-eye clear (NC, pulled down: low).
    The contacts hold their level when the doctor opens the pins (a mock pin would follow its pull)."""
    for number in (LOOP, SAFETY, EYE):
        pin = factory.pin(number)
        pin._set_pull = lambda value, pin=pin: setattr(pin, "_pull", value)
    factory.pin(LOOP).drive_high()
    factory.pin(SAFETY).drive_high()
    factory.pin(EYE).drive_low()


def test_open_pulse_after_confirmation_switches_the_relay_once(tmp_path, mock_factory):
    idle(mock_factory)
    code, lines, asked = run(tmp_path, mock_factory, "open")
    assert code == 0
    assert "抬杆" in asked.questions[0] and "100 毫秒" in asked.questions[0]
    assert relay_on_count(mock_factory, OPEN) == 1 and relay_on_count(mock_factory, CLOSE) == 0
    assert mock_factory.pin(OPEN).state == 1  # released again (active-low: high is off)
    assert "地感 无车" in lines[0] and "光电 通畅" in lines[0]
    assert "已向车道 north-in 的抬杆继电器" in lines[-1]


def test_no_confirmation_no_pulse(tmp_path, mock_factory):
    idle(mock_factory)
    code, lines, _ = run(tmp_path, mock_factory, "open", answer="n")
    assert code == 1 and lines[-1] == "已取消，没有发脉冲。"
    assert relay_on_count(mock_factory, OPEN) == 0


@pytest.mark.parametrize("busy", ["loop", "safety", "eye"])
def test_close_refused_while_a_safety_input_is_active(tmp_path, mock_factory, busy):
    idle(mock_factory)
    {"loop": lambda: mock_factory.pin(LOOP).drive_low(), "safety": lambda: mock_factory.pin(SAFETY).drive_low(),
     "eye": lambda: mock_factory.pin(EYE).drive_high()}[busy]()
    code, lines, asked = run(tmp_path, mock_factory, "close", yes=True)
    assert code == 1 and asked.questions == []
    assert lines[-1].startswith("不发落杆脉冲") and relay_on_count(mock_factory, CLOSE) == 0


def test_close_pulse_with_a_clear_lane_and_yes(tmp_path, mock_factory):
    idle(mock_factory)
    code, lines, asked = run(tmp_path, mock_factory, "close", yes=True, lang="en")
    assert code == 0 and asked.questions == []
    assert relay_on_count(mock_factory, CLOSE) == 1 and relay_on_count(mock_factory, OPEN) == 0
    assert lines[-1].startswith("Sent one 100 ms pulse to lane north-in's close relay")


def test_close_rechecked_after_the_question(tmp_path, mock_factory):
    idle(mock_factory)

    def someone_walks_in(question):
        mock_factory.pin(EYE).drive_high()
        return "y"

    lines: list[str] = []
    code = pulse(str(write_config(tmp_path)), "close", None, Env(pin_factory=mock_factory, ask=someone_walks_in),
                 yes=False, lang="zh", say=lines.append)
    assert code == 1 and relay_on_count(mock_factory, CLOSE) == 0


def test_several_lanes_need_one_named(tmp_path, mock_factory):
    idle(mock_factory)
    code, lines, _ = run(tmp_path, mock_factory, "open", lanes=2)
    assert code == 1 and "--lane" in lines[0] and "north-in" in lines[0] and "north-out" in lines[0]
    code, lines, _ = run(tmp_path, mock_factory, "close", lanes=2, lane="north-out", yes=True)
    assert code == 1 and "没有配置落杆继电器" in lines[0]
