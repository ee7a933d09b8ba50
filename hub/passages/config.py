"""The gate lanes the hub knows by name (``[[gate_lanes]]``): which lane of which gate device a
warden may open remotely from the Today page, and the label people read (北门入口)."""

from __future__ import annotations

from pydantic import Field

from gwcommon.config import Name, Section


class GateLaneConfig(Section):
    """One lane of a gate device."""

    device: Name = Field(description="The gate device's id (its [device] id), e.g. gate-north.")
    lane: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
                      description="The lane's name in that device's config, e.g. north-in.")
    label: str = Field("", max_length=100, description="Name shown to people, e.g. 北门入口.")
