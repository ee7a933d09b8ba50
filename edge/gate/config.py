"""The ``[gate]`` section: one gate device with one or more lanes (道闸车道).

Each lane names its pins (BCM numbers or gpiozero pin names), which way it lets cars through,
how strong a tag must be heard, and who closes the arm.  Defaults follow the wiring in
docs/gate.md: loops, limits and buttons are normally-open contacts to ground (active low, with
the Pi's pull-up); the photo-eye and the fire input are normally-closed contacts, so a cut wire
reads as "blocked" / "fire" — the safe side.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from gwcommon.config import Duration, Section

if TYPE_CHECKING:
    from .model import LaneRules

def _pin_shorthand(value: Any) -> Any:
    return {"pin": value} if isinstance(value, (int, str)) else value


class InputPin(Section):
    """One input contact: ``arming_loop = 17`` or ``arming_loop = { pin = 17, active_when = "high" }``."""

    pin: int | str = Field(description="BCM GPIO number or gpiozero pin name of the input.")
    pull_up: bool = Field(True, description="Use the Pi's internal pull-up (contacts switch to ground); false: pull-down.")
    active_when: Literal["low", "high"] | None = Field(
        None, description="Pin level that means 'active' (vehicle, blocked, pressed, fire); "
                          "unset: low for loops, limits and buttons, high for the photo-eye and the fire input.")


class OutputPin(Section):
    """One relay output: ``open_relay = 5`` or ``open_relay = { pin = 5 }``."""

    pin: int | str = Field(description="BCM GPIO number or gpiozero pin name driving the relay.")


Input = Annotated[InputPin, BeforeValidator(_pin_shorthand)]
Output = Annotated[OutputPin, BeforeValidator(_pin_shorthand)]


class LaneConfig(Section):
    """One lane: its barrier, detectors, tag threshold and camera."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                      description="Lane name used in passage events (e.g. 'north-in').")
    direction: Literal["in", "out"] = Field(description="Which way this lane lets vehicles through: in or out.")
    open_relay: Output = Field(description="Relay to the barrier controller's open input (a short pulse opens).")
    close_relay: Output | None = Field(None, description="Relay to the controller's close input; only with close_mode = 'pi'.")
    relay_active_high: bool = Field(True, description="false for active-low relay boards (most cheap 5 V boards).")
    pulse: Duration = Field(timedelta(seconds=0.4), ge=timedelta(seconds=0.05), le=timedelta(seconds=3),
                            description="Length of an open or close pulse.")
    arming_loop: Input | None = Field(None, description="Vehicle loop in front of the arm; without it the photo-eye tells a vehicle is there.")
    photo_eye: Input = Field(description="Photo-eye across the lane at the arm (normally-closed: blocked or cut wire = active).")
    safety_loop: Input | None = Field(None, description="Safety loop under the arm (presence output).")
    closing_loop: Input | None = Field(None, description="Loop past the arm; its trailing edge lets the Pi close (close_mode = 'pi').")
    open_limit: Input | None = Field(None, description="Arm fully open limit switch.")
    closed_limit: Input | None = Field(None, description="Arm fully closed limit switch.")
    button: Input | None = Field(None, description="Manual open button in the guard booth.")
    eye_test: Output | None = Field(None, description="Output that interrupts the photo-eye's emitter to test it before a close.")
    rssi_threshold: int = Field(-70, ge=-110, le=-20, description="Weakest smoothed RSSI (dBm) a tag may have to count at this lane.")
    tag_wait: Duration = Field(timedelta(seconds=2), ge=timedelta(0), le=timedelta(seconds=30),
                               description="How long a vehicle waits for an allowed tag before it is denied.")
    tag_window: Duration = Field(timedelta(seconds=3), ge=timedelta(seconds=0.5), le=timedelta(seconds=30),
                                 description="How recent a tag sighting must be to count.")
    cooldown: Duration = Field(timedelta(seconds=20), ge=timedelta(0), le=timedelta(minutes=10),
                               description="A tag that opened this lane is ignored here for this long (so the car behind cannot use it).")
    close_mode: Literal["controller", "pi"] = Field(
        "controller", description="controller: the barrier controller closes by itself (safest); pi: the Pi commands "
                                  "the close after the vehicle cleared, testing the photo-eye first.")
    close_delay: Duration = Field(timedelta(seconds=2), ge=timedelta(seconds=0.5), le=timedelta(minutes=1),
                                  description="Pi close: wait this long after the vehicle cleared.")
    open_hold: Duration = Field(timedelta(seconds=30), ge=timedelta(seconds=5), le=timedelta(minutes=30),
                                description="Pi close fallback: close after this long with no detector activity.")
    open_travel: Duration = Field(timedelta(seconds=4), ge=timedelta(seconds=0.5), le=timedelta(minutes=1),
                                  description="Expected time for the arm to open; 1.5 times this without the open limit is a fault.")
    close_travel: Duration = Field(timedelta(seconds=4), ge=timedelta(seconds=0.5), le=timedelta(minutes=1),
                                   description="Expected time for the arm to close; 1.5 times this without the closed limit is a fault.")
    eye_test_timeout: Duration = Field(timedelta(milliseconds=200), ge=timedelta(milliseconds=20), le=timedelta(seconds=5),
                                       description="The photo-eye must answer its test within this time.")
    stuck_after: Duration = Field(timedelta(minutes=10), ge=timedelta(seconds=10), le=timedelta(hours=24),
                                  description="A presence input active longer than this is reported stuck (lane goes attended).")
    retest_every: Duration = Field(timedelta(minutes=1), ge=timedelta(seconds=5), le=timedelta(hours=1),
                                   description="While attended, retest the photo-eye this often; a pass returns to automatic.")
    camera: str | None = Field(None, max_length=500,
                               description="Camera: an rtsp:// URL, 'usb:0' for a USB camera, or a video file path.")
    radio: str | None = Field(None, pattern=r"^hci[0-9]{1,2}$",
                              description="Bluetooth adapter whose antenna is at this lane (e.g. hci1); unset: the "
                                          "[scanner] adapter.  Lanes sharing one radio cannot tell which lane a tag is "
                                          "at, so with several lanes give each its own (docs/gate.md).")
    lane_margin: int = Field(4, ge=0, le=40, description="A tag belongs to this lane only when this lane's radio hears it "
                                                         "at least this many dB stronger than any other lane's radio.")
    tag_margin: int = Field(6, ge=0, le=40, description="An allowed and a not-allowed tag both arriving within this many dB "
                                                        "of each other: ambiguous, the gate does not open.")
    arrival_window: Duration = Field(timedelta(seconds=5), ge=timedelta(seconds=1), le=timedelta(minutes=2),
                                     description="A tag first heard at most this long before the loop armed is arriving with that vehicle.")
    arrival_rise: int = Field(10, ge=1, le=40, description="Or: its smoothed RSSI rose at least this many dB over "
                                                          "trend_window before the loop armed (it drove up to the lane).")
    trend_window: Duration = Field(timedelta(seconds=8), ge=timedelta(seconds=2), le=timedelta(minutes=1),
                                   description="How far back before the loop armed a tag's rise is looked for.")
    smooth: Duration = Field(timedelta(seconds=1.5), ge=timedelta(seconds=0.2), le=timedelta(seconds=10),
                             description="RSSI is smoothed by medians over bins this long (multipath spikes).")
    parked_after: Duration = Field(timedelta(minutes=2), ge=timedelta(seconds=10), le=timedelta(hours=2),
                                   description="A tag heard this long at the lane without rising is parked (named so in the passage's evidence).")
    tag_gone: Duration = Field(timedelta(seconds=30), ge=timedelta(seconds=3), le=timedelta(minutes=30),
                               description="A tag not heard for this long has left the lane; heard again, it starts afresh.")
    late_grace: Duration = Field(timedelta(seconds=1), ge=timedelta(0), le=timedelta(seconds=5),
                                 description="A tag first heard this long after the loop armed still belongs to that vehicle (slow advertisers).")
    settle: Duration = Field(timedelta(seconds=1.5), ge=timedelta(0), le=timedelta(seconds=10),
                             description="A vehicle with no tag of its own after tag_wait is looked at this much longer before it is "
                                         "refused (a car still rolling onto the loop, a slow advertiser); a tag found then opens only "
                                         "if it stands late_margin above rssi_threshold and no other tag near the lane is as strong "
                                         "(0: refuse at tag_wait).  With a patch antenna beside the loop: 4s (docs/gate.md).")
    late_margin: int = Field(6, ge=0, le=40, description="A tag found only after tag_wait must stand this many dB above "
                                                         "rssi_threshold to open.  With a patch antenna beside the loop: 2.")
    loop_drop: int = Field(10, ge=1, le=40, description="A tag that has come no nearer than this many dB below its loop "
                                                      "level (how near it had come at its last opens of this lane, the median) "
                                                      "since the vehicle arrived is not on the loop: the car behind, beside or "
                                                      "passing; the gate does not open for it (docs/gate.md).")
    loop_after: int = Field(2, ge=0, le=5, description="Opens of a tag this lane must have seen before its loop level "
                                                       "counts (0: never — the lane does not compare a tag with its earlier "
                                                       "opens; at most 5, the opens it remembers).")

    @model_validator(mode="after")
    def _pi_close_needs_parts(self) -> "LaneConfig":
        if self.close_mode == "pi" and (self.close_relay is None or self.eye_test is None):
            raise ValueError(f"lane {self.name}: close_mode 'pi' needs close_relay and eye_test "
                             "(the Pi tests the photo-eye before every close)")
        if self.close_mode == "controller" and self.close_relay is not None:
            raise ValueError(f"lane {self.name}: close_relay is only used with close_mode 'pi'")
        return self

    def inputs(self) -> dict[str, InputPin]:
        """The lane's wired inputs by role."""
        roles = ("arming_loop", "photo_eye", "safety_loop", "closing_loop", "open_limit", "closed_limit", "button")
        return {role: getattr(self, role) for role in roles if getattr(self, role) is not None}

    def outputs(self) -> dict[str, OutputPin]:
        roles = ("open_relay", "close_relay", "eye_test")
        return {role: getattr(self, role) for role in roles if getattr(self, role) is not None}


class CameraSettings(Section):
    """How cameras are read (all lanes)."""

    open_timeout: Duration = Field(timedelta(seconds=5), ge=timedelta(seconds=1), le=timedelta(minutes=1),
                                   description="Give up opening a camera stream after this long.")
    read_timeout: Duration = Field(timedelta(seconds=5), ge=timedelta(seconds=1), le=timedelta(minutes=1),
                                   description="A stream that gives no frame for this long is reconnected.")
    max_width: int = Field(1280, ge=160, le=4096, description="Snapshots wider than this are scaled down.")
    quality: int = Field(85, ge=30, le=100, description="JPEG quality of snapshots.")
    max_age: Duration = Field(timedelta(seconds=5), ge=timedelta(seconds=0.5), le=timedelta(minutes=5),
                              description="A newest frame older than this is not used for a snapshot.")


class GateConfig(Section):
    """A gate device (kind = 'gate'): its lanes, the fire-alarm input and the reset switch."""

    lanes: list[LaneConfig] = Field(min_length=1, max_length=8, description="The lanes this Pi controls ([[gate.lanes]]).")
    fire_input: Input | None = Field(None, description="Fire-alarm panel contact: active opens every barrier and latches (normally-closed by default).")
    reset_input: Input | None = Field(None, description="Key switch at the gate: resets a latched fire mode and retests an attended lane.")
    fire_repulse: Duration = Field(timedelta(seconds=10), ge=timedelta(seconds=1), le=timedelta(minutes=5),
                                   description="In fire mode, pulse open again this often while an arm is not seen fully open.")
    camera: CameraSettings = Field(default_factory=CameraSettings, description="Camera reading and snapshot settings.")

    @model_validator(mode="after")
    def _unique(self) -> "GateConfig":
        names = [lane.name for lane in self.lanes]
        if len(set(names)) != len(names):
            raise ValueError(f"lane names must be unique (got {names})")
        pins: dict[str, str] = {}
        for role, pin in self._all_pins():
            key = str(pin).upper().removeprefix("GPIO")
            if key in pins:
                raise ValueError(f"pin {pin} is used twice ({pins[key]} and {role})")
            pins[key] = role
        return self

    def _all_pins(self) -> list[tuple[str, int | str]]:
        found = [(f"gate.{r}", p.pin) for r, p in (("fire_input", self.fire_input), ("reset_input", self.reset_input)) if p]
        for lane in self.lanes:
            found += [(f"{lane.name}.{r}", p.pin) for r, p in {**lane.inputs(), **lane.outputs()}.items()]
        return found


def lane_rules(lane: LaneConfig, gate: GateConfig) -> "LaneRules":
    """The plain-number rules the pure lane logic runs on."""
    from .model import LaneRules

    seconds = {name: getattr(lane, name).total_seconds() for name in (
        "tag_wait", "tag_window", "cooldown", "close_delay", "open_hold", "open_travel",
        "close_travel", "eye_test_timeout", "stuck_after", "retest_every", "arrival_window", "trend_window",
        "smooth", "parked_after", "tag_gone", "late_grace", "settle")}
    return LaneRules(name=lane.name, direction=lane.direction, wired=frozenset(lane.inputs()),
                     has_eye_test=lane.eye_test is not None, close_mode=lane.close_mode,
                     rssi_threshold=lane.rssi_threshold, fire_repulse=gate.fire_repulse.total_seconds(),
                     lane_margin=float(lane.lane_margin), tag_margin=float(lane.tag_margin),
                     late_margin=float(lane.late_margin),
                     loop_drop=float(lane.loop_drop), loop_after=lane.loop_after,
                     arrival_rise=float(lane.arrival_rise),
                     **seconds)
