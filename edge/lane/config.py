"""The ``[lane]`` section: a lane device (kind ``lane``, 巡查蓝牙桩) watching zones for tags.

A lane device listens with its ``[scanner]`` and reports ``presence`` events for each configured
zone (night parking strips, fire lanes); with a camera it also photographs the zones and reports
vehicles with no tag in marked spots.  Zone names must match the hub's ``[[zones]]``.
"""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

from pydantic import Field, ValidationInfo, field_validator, model_validator

from gwcommon.config import ClockTime, Duration, Section
from gwcommon.tagid import parse_tag_id


class SpotConfig(Section):
    """A marked spot the camera watches: its box in the picture and pictures of it empty."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                      description="Spot name, reported as the presence event's slot (e.g. 'E-07').")
    box: tuple[int, int, int, int] = Field(description="x, y, width, height in pixels of the camera picture (at least 48 x 48).")
    empty: list[Path] = Field(min_length=1, max_length=8,
                              description="Pictures (whole camera frames) of the spot empty: day, night under the lamp...")

    @field_validator("box")
    @classmethod
    def _box(cls, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        x, y, w, h = box
        if x < 0 or y < 0 or w < 48 or h < 48:
            raise ValueError(f"box {list(box)}: x and y must be >= 0, width and height >= 48")
        return box

    @field_validator("empty", mode="after")
    @classmethod
    def _relative(cls, paths: list[Path], info: ValidationInfo) -> list[Path]:
        base = (info.context or {}).get("base_dir")
        return [p if p.is_absolute() or base is None else (Path(base) / p).resolve() for p in paths]


class ZoneWatch(Section):
    """One watched zone."""

    name: str = Field(min_length=1, max_length=64, description="Zone name, as in the hub's [[zones]] (e.g. 'east-strip').")
    rssi_threshold: int = Field(-75, ge=-110, le=-20, description="A tag heard this strong (dBm) or stronger is in the zone.")
    leave_margin: int = Field(8, ge=0, le=40, description="dB below the threshold the smoothed RSSI may sink and still keep a tag present.")
    missed: int = Field(5, ge=2, le=100, description="Advertising intervals (learned per tag) without a sighting before a tag is away.")
    min_away: Duration = Field(timedelta(seconds=30), ge=timedelta(seconds=2), le=timedelta(hours=1),
                               description="Never declare a tag away sooner than this after its last sighting.")
    max_away: Duration = Field(timedelta(minutes=5), ge=timedelta(seconds=10), le=timedelta(hours=6),
                               description="Always declare a tag away after this long without a sighting.")
    tags: list[str] = Field(default_factory=list, max_length=5000,
                            description="Tag ids to watch here; empty: every tag this device decodes.")
    spots: list[SpotConfig] = Field(default_factory=list, max_length=64,
                                    description="Marked spots of this zone the camera watches for vehicles with no tag.")

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        return [parse_tag_id(t).text for t in tags]

    @model_validator(mode="after")
    def _bounds(self) -> "ZoneWatch":
        if self.min_away > self.max_away:
            raise ValueError(f"zone {self.name}: min_away must not exceed max_away")
        return self


class LaneDeviceConfig(Section):
    """A lane device: its zones, and optionally a camera over them."""

    zones: list[ZoneWatch] = Field(min_length=1, max_length=16, description="The zones this device watches ([[lane.zones]]).")
    camera: str | None = Field(None, max_length=500,
                               description="Camera over the zones: rtsp:// URL, 'usb:0', or a video file path.")
    photo_at: list[ClockTime] = Field(default_factory=lambda: [time(23, 0), time(8, 0)], max_length=24,
                                      description="Local times at which each zone is photographed with a roll call of what is in it.")
    spot_check: Duration = Field(timedelta(seconds=5), ge=timedelta(seconds=1), le=timedelta(minutes=10),
                                 description="How often the camera's spots are compared with their empty pictures.")
    spot_on: float = Field(0.35, gt=0, le=1, description="Share of a spot's picture that must differ from empty for 'occupied'.")
    spot_off: float = Field(0.15, ge=0, lt=1, description="Share at or below which an occupied spot counts as empty again.")
    spot_dwell: Duration = Field(timedelta(minutes=2), ge=timedelta(0), le=timedelta(hours=1),
                                 description="A spot must look occupied this long before it counts (cars driving past never do).")
    spot_clear: Duration = Field(timedelta(minutes=1), ge=timedelta(0), le=timedelta(hours=1),
                                 description="A spot must look empty this long before it counts as empty.")
    pair_window: Duration = Field(timedelta(minutes=5), ge=timedelta(seconds=10), le=timedelta(hours=1),
                                  description="A spot filled within this time of a tag arriving in the zone is that tagged car, not an untagged one.")

    @model_validator(mode="after")
    def _check(self) -> "LaneDeviceConfig":
        names = [z.name for z in self.zones]
        if len(set(names)) != len(names):
            raise ValueError(f"zone names must be unique (got {names})")
        spots = [s.name for z in self.zones for s in z.spots]
        if len(set(spots)) != len(spots):
            raise ValueError("spot names must be unique across zones")
        if spots and self.camera is None:
            raise ValueError("zones list spots but [lane] has no camera")
        if self.spot_off >= self.spot_on:
            raise ValueError("spot_off must be below spot_on")
        return self
