"""What the scanner hands to the rest of the edge: our own frozen dataclasses, never bleak's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Advertisement:
    """One raw advertisement, converted from bleak's objects at the scanner boundary."""

    address: str  # "aa:bb:cc:dd:ee:ff", lower case
    rssi: int
    manufacturer_data: tuple[tuple[int, bytes], ...] = ()
    service_data: tuple[tuple[str, bytes], ...] = ()  # (128-bit service UUID, lower case; data)
    local_name: str | None = None
    at: float = 0.0  # monotonic seconds when received
    address_type: str | None = None  # "public" | "random" as BlueZ reports it; None when unknown


@dataclass(frozen=True)
class Sighting:
    """A decoded, valid tag heard once: ``tag`` is a canonical tag id (gwcommon.tagid)."""

    tag: str
    rssi: int
    at: float  # monotonic seconds
    weak: bool
