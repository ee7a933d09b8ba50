"""The barrier's wires on gpiozero: input contacts and relay outputs (thin glue, no decisions).

Input callbacks run on gpiozero's threads and only call ``on_change(role, active)``, which the
gate device turns into a queue entry.  Relays are switched only by the device's own thread:
a pulse is ``on()`` now and ``off()`` once ``tick(now)`` passes its end — the same as
``DigitalOutputDevice.blink(n=1)``, but timed by the device's injected clock so tests and the
benchmark are exact.  Relays start off (``initial_value=False``, also on active-low boards) and are
switched off again when the device closes.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping

from gpiozero import DigitalInputDevice, DigitalOutputDevice

from .config import InputPin, OutputPin

logger = logging.getLogger(__name__)

ACTIVE_HIGH_BY_DEFAULT = frozenset({"photo_eye", "fire_input"})


def active_high(role: str, pin: InputPin) -> bool:
    """Whether a high level means active for this input (its setting, else the role's default)."""
    if pin.active_when is not None:
        return pin.active_when == "high"
    return role in ACTIVE_HIGH_BY_DEFAULT


class Contacts:
    """Input contacts by role; ``read(role)`` says whether a contact is active."""

    def __init__(self, pins: Mapping[str, InputPin], *, on_change: Callable[[str, bool], None],
                 pin_factory: Any = None):
        self._on_change = on_change
        self._devices: dict[str, DigitalInputDevice] = {}
        self._high = {role: active_high(role, pin) for role, pin in pins.items()}
        try:
            for role, pin in pins.items():
                device = DigitalInputDevice(pin.pin, pull_up=pin.pull_up, pin_factory=pin_factory)
                device.when_activated = device.when_deactivated = self._callback(role)
                self._devices[role] = device
        except Exception:
            self.close()
            raise

    def _callback(self, role: str) -> Callable[[], None]:
        return lambda: self._on_change(role, self.read(role))

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self._devices)

    def read(self, role: str) -> bool:
        level = bool(self._devices[role].pin.state)
        return level if self._high[role] else not level

    def read_all(self) -> dict[str, bool]:
        return {role: self.read(role) for role in self._devices}

    def close(self) -> None:
        for device in self._devices.values():
            device.close()
        self._devices.clear()


class Relays:
    """Relay outputs by role, all on one board (active-high or active-low)."""

    def __init__(self, pins: Mapping[str, OutputPin], *, active_high: bool = True, pin_factory: Any = None):
        self._devices: dict[str, DigitalOutputDevice] = {}
        self._off_at: dict[str, float] = {}
        self.pulses: dict[str, int] = {role: 0 for role in pins}
        try:
            for role, pin in pins.items():
                self._devices[role] = DigitalOutputDevice(pin.pin, active_high=active_high, initial_value=False,
                                                          pin_factory=pin_factory)
        except Exception:
            self.close()
            raise

    def has(self, role: str) -> bool:
        return role in self._devices

    def pulse(self, role: str, now: float, length: float) -> None:
        """Switch ``role`` on now and off at ``now + length`` (see :meth:`tick`)."""
        self._devices[role].on()
        self._off_at[role] = now + length
        self.pulses[role] += 1

    def set(self, role: str, on: bool) -> None:
        self._off_at.pop(role, None)
        if on:
            self._devices[role].on()
        else:
            self._devices[role].off()

    def is_on(self, role: str) -> bool:
        return bool(self._devices[role].value)

    def tick(self, now: float) -> None:
        for role, at in list(self._off_at.items()):
            if now >= at:
                self.set(role, False)

    def close(self) -> None:
        for device in self._devices.values():
            try:
                device.off()
            finally:
                device.close()
        self._devices.clear()
