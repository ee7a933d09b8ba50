"""What a plate camera's push becomes: our own frozen dataclasses, never the vendor's JSON or XML."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gwcommon.exc import GatewardenError
from gwcommon.tagid import normalize_plate, plate_problem

COLOURS = ("blue", "green", "yellow_green", "yellow", "white", "black", "unknown")
"""Plate colours: blue (蓝牌, ordinary cars), green (绿牌, new-energy cars), yellow_green (黄绿牌,
new-energy large vehicles), yellow (黄牌, large vehicles), white (白牌, police/army), black (黑牌)."""
NO_PLATE = frozenset({"", "_无_", "无", "无牌", "无牌车", "无车牌", "未识别", "UNKNOWN", "NONE", "NULL", "-"})


class BadPush(GatewardenError, ValueError):
    """A push that cannot be taken: ``status`` is the HTTP status to answer, ``reason`` one line."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class PlateRead:
    """One plate read by a camera.

    ``plate`` is normalised (``浙A12345``) or None when the camera saw a vehicle but could not read a
    valid plate (``raw`` keeps what it sent).  ``confidence`` is 0..100.  ``taken`` is the camera's
    own clock (evidence only).  ``offline`` marks a read the camera stored while the Pi was away and
    sends again later (断线重传): it is recorded, never used to open.  ``ref`` is the camera's own
    id for the read, echoed in the reply where the vendor asks for it.
    """

    raw: str
    plate: str | None
    confidence: float
    colour: str = "unknown"
    taken: datetime | None = None
    jpeg: bytes | None = None
    offline: bool = False
    ref: str | None = None
    slot: str | None = None

    @property
    def tag(self) -> str | None:
        """The read as a tag id (``plate:浙A12345``), None when unreadable."""
        return f"plate:{self.plate}" if self.plate else None


@dataclass(frozen=True)
class Push:
    """One HTTP request from a camera: its reads (often one) and whether it was a heartbeat."""

    reads: tuple[PlateRead, ...] = ()
    heartbeat: bool = False
    extra: dict = field(default_factory=dict)


def plate_of(raw: str) -> str | None:
    """The normalised plate of a camera's text, None for 'no plate' and for text that is not a plate."""
    text = (raw or "").strip()
    if text.upper() in NO_PLATE:
        return None
    plate = normalize_plate(text)
    return None if plate_problem(plate) else plate


def read(raw: str, confidence: float, **fields) -> PlateRead:
    """A :class:`PlateRead` with the plate normalised and the confidence clamped to 0..100."""
    return PlateRead(raw=str(raw or "")[:32], plate=plate_of(str(raw or "")),
                     confidence=max(0.0, min(100.0, float(confidence))), **fields)
