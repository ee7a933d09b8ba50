"""A simulated barrier controller and lane sensors on gpiozero mock pins (tests, benchmark, demo).

It plays the hardware's part: the controller raises the arm on an open pulse and lowers it on a
close pulse (or by itself, in ``controller`` close mode, once the lane is clear) — and, like a real
controller (R1), it never lowers the arm onto something in the photo-eye or on the safety loop.
The photo-eye answers its test line unless ``eye_dead`` is set.  Call :meth:`step` with the
current time after the gate device has processed its queue.
"""

from __future__ import annotations

from typing import Any

from .barrier import active_high
from .config import GateConfig, LaneConfig


class SimulatedLane:
    """One lane's controller, arm, loops and photo-eye."""

    def __init__(self, lane: LaneConfig, factory: Any, *, travel: float = 1.0, auto_close: float = 3.0):
        self.lane, self.factory = lane, factory
        self.travel, self.auto_close = travel, auto_close
        self.position = "closed"  # closed, opening, open, closing
        self.moved_at = 0.0
        self.clear_since: float | None = None
        self.eye_dead = False  # a photo-eye that no longer reacts (stuck "clear")
        self.eye_blocked = False  # something really in the beam
        self.opens = self.closes = 0
        self._last = {role: False for role in lane.outputs()}
        self.set("arming_loop", False)
        self.set("safety_loop", False)
        self.set("closing_loop", False)
        self.set("button", False)
        self._show_eye()
        self._show_arm()

    def set(self, role: str, active: bool) -> None:
        """Drive an input contact of this lane (if wired)."""
        pin_cfg = getattr(self.lane, role, None)
        if pin_cfg is None:
            return
        high = active if active_high(role, pin_cfg) else not active
        pin = self.factory.pin(pin_cfg.pin)
        pin.drive_high() if high else pin.drive_low()

    def block_eye(self, blocked: bool) -> None:
        self.eye_blocked = blocked
        self._show_eye()

    def relay(self, role: str) -> bool:
        """Whether the Pi drives this output active now."""
        pin_cfg = getattr(self.lane, role, None)
        if pin_cfg is None:
            return False
        state = bool(self.factory.pin(pin_cfg.pin).state)
        return state if self.lane.relay_active_high else not state

    def step(self, now: float) -> None:
        rising = {role: self.relay(role) and not self._last[role] for role in self._last}
        self._last = {role: self.relay(role) for role in self._last}
        self._show_eye()
        if rising.get("open_relay") or self._reversing():
            self._move("opening", now)
            self.opens += 1
        elif rising.get("close_relay") and self.position == "open" and not self._occupied():
            self._move("closing", now)
            self.closes += 1
        self._auto_close(now)
        self._travel(now)

    def _occupied(self) -> bool:
        return self.eye_blocked or self._active("safety_loop")

    def _reversing(self) -> bool:
        return self.position == "closing" and self._occupied()

    def _active(self, role: str) -> bool:
        pin_cfg = getattr(self.lane, role, None)
        if pin_cfg is None:
            return False
        state = bool(self.factory.pin(pin_cfg.pin).state)
        return state if active_high(role, pin_cfg) else not state

    def _auto_close(self, now: float) -> None:
        if self.lane.close_mode != "controller" or self.position != "open":
            self.clear_since = None
            return
        busy = self._occupied() or self._active("arming_loop")
        if busy:
            self.clear_since = None
        elif self.clear_since is None:
            self.clear_since = now
        elif now - self.clear_since >= self.auto_close:
            self._move("closing", now)
            self.closes += 1

    def _move(self, position: str, now: float) -> None:
        if position == "opening" and self.position in ("open", "opening"):
            self.clear_since = None  # an open pulse while open restarts the controller's timer
            return
        self.position, self.moved_at = position, now
        self._show_arm()

    def _travel(self, now: float) -> None:
        if self.position in ("opening", "closing") and now - self.moved_at >= self.travel:
            self.position = "open" if self.position == "opening" else "closed"
            self.moved_at = now
            self._show_arm()

    def _show_arm(self) -> None:
        self.set("open_limit", self.position == "open")
        self.set("closed_limit", self.position == "closed")

    def _show_eye(self) -> None:
        testing = self.relay("eye_test") and not self.eye_dead
        self.set("photo_eye", self.eye_blocked or testing)


class SimulatedGate:
    """Every lane of a gate config, plus its fire-alarm and reset contacts."""

    def __init__(self, config: GateConfig, factory: Any, **kw: Any):
        self.config, self.factory = config, factory
        self.lanes = {lane.name: SimulatedLane(lane, factory, **kw) for lane in config.lanes}
        self.set_site("fire_input", False)
        self.set_site("reset_input", False)

    def __getitem__(self, name: str) -> SimulatedLane:
        return self.lanes[name]

    def set_site(self, role: str, active: bool) -> None:
        pin_cfg = getattr(self.config, role)
        if pin_cfg is None:
            return
        high = active if active_high(role, pin_cfg) else not active
        pin = self.factory.pin(pin_cfg.pin)
        pin.drive_high() if high else pin.drive_low()

    def step(self, now: float) -> None:
        for lane in self.lanes.values():
            lane.step(now)
