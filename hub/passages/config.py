"""The gate lanes the hub knows by name (``[[gate_lanes]]``): which lane of which gate device a
warden may open remotely from the Today page, and the label people read (北门入口)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, model_validator

from gwcommon.config import Duration, Name, Section


class GateLaneConfig(Section):
    """One lane of a gate device."""

    device: Name = Field(description="The gate device's id (its [device] id), e.g. gate-north.")
    lane: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
                      description="The lane's name in that device's config, e.g. north-in.")
    label: str = Field("", max_length=100, description="Name shown to people, e.g. 北门入口.")


class TravelConfig(Section):
    """The least time a car needs between two devices ([[clone_check.travel]])."""

    a: Name = Field(description="One device's id, e.g. gate-north.")
    b: Name = Field(description="The other device's id, e.g. gate-south or lane-east.")
    min_travel: Duration = Field(ge=timedelta(seconds=1), le=timedelta(hours=1),
                                 description="A car cannot get from one to the other faster than this.")

    @model_validator(mode="after")
    def _two(self) -> "TravelConfig":
        if self.a == self.b:
            raise ValueError(f"a and b must be two different devices (got {self.a} twice)")
        return self


class CloneCheckConfig(Section):
    """The hub's check for copied Bluetooth tags (疑似复制的蓝牙标签), docs/gate.md."""

    enabled: bool = Field(True, description="Look for one tag at two places too far apart for the time between.")
    between_gates: Duration = Field(timedelta(seconds=30), ge=timedelta(seconds=1), le=timedelta(hours=1),
                                    description="Least time between two different gate devices (lanes of one gate "
                                                "are never a clash).")
    travel: list[TravelConfig] = Field(default_factory=list, max_length=100,
                                       description="Per pair of devices; a gate and a lane scanner are checked only "
                                                   "when their pair is here (a strip may begin just inside a gate).")
    show_for: Duration = Field(timedelta(hours=24), ge=timedelta(minutes=10), le=timedelta(days=30),
                               description="How long a suspicion stays on the Devices page.")

    def pairs(self) -> dict[frozenset[str], timedelta]:
        return {frozenset((t.a, t.b)): t.min_travel for t in self.travel}
