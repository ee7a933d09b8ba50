"""What the doctor may be handed instead of the real thing (the tests' seams), with real defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from gwcommon.clock import Clock, SystemClock


def ntp_synchronized() -> bool | None:
    """``timedatectl show -p NTPSynchronized`` (the edge's own check): True/False, None when unknown."""
    from edge.timesync import ntp_synchronized as check

    return check()


def adapter_present(adapter: str) -> bool | None:
    """Whether the kernel knows the Bluetooth adapter (``/sys/class/bluetooth/<adapter>``)."""
    root = Path("/sys/class/bluetooth")
    if not root.is_dir():
        return False
    return (root / adapter).exists()


@dataclass
class Env:
    """Injectable parts: clock, NTP answer, GPIO pin factory, bleak backend, waits."""

    clock: Clock = field(default_factory=SystemClock)
    ntp: Callable[[], bool | None] = ntp_synchronized
    pin_factory: Any = None  # gpiozero's default (GPIOZERO_PIN_FACTORY) when None
    ble_backend: type | None = None  # a bleak BaseBleakScanner subclass; BlueZ when None
    adapter_present: Callable[[str], bool | None] = adapter_present
    scan_seconds: float = 10.0
    camera_seconds: float = 8.0
    meter_seconds: float = 10.0
    broker_timeout: float = 5.0
    ask: Callable[[str], str] = input  # a yes/no question to the installer (doctor --pulse)
