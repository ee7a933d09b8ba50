"""An edge device's configuration: the shared sections, ``[device]``, and its sensor sections.

Each sensor area keeps its section model next to its code and adds one field here.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from gwcommon.config import (
    HUB_SECTIONS,
    DeviceConfig,
    LogConfig,
    MqttConfig,
    Section,
    SiteConfig,
    StorageConfig,
    load,
)


class EdgeConfig(Section):
    """Everything an edge device reads from its config file."""

    site: SiteConfig = Field(description="The compound.")
    storage: StorageConfig = Field(default_factory=StorageConfig, description="Where the outbox lives.")
    mqtt: MqttConfig = Field(default_factory=MqttConfig, description="The broker.")
    log: LogConfig = Field(default_factory=LogConfig, description="Logging.")
    device: DeviceConfig = Field(description="Which device this is.")


def load_edge_config(path: str | Path) -> EdgeConfig:
    """Load and check an edge device's config (hub sections in the same file are ignored)."""
    return load(path, EdgeConfig, ignore=HUB_SECTIONS)
