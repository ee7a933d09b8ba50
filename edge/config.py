"""An edge device's configuration: the shared sections, ``[device]``, and its sensor sections.

Each sensor area keeps its section model next to its code and adds one field here, optional
(``None`` when the section is absent); ``edge.sources`` starts the daemon of every section present.
Section models must be importable without heavy libraries (no paho, cv2, bleak at module level).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field, model_validator

from edge.ble.config import ScannerConfig
from edge.charging.config import ChargingConfig, Meters
from edge.charging.cutconfig import Switches
from edge.gate.config import GateConfig
from edge.metrics import EdgeMetricsConfig
from edge.lane.config import LaneDeviceConfig
from edge.lpr.config import LprConfig, check_against
from edge.replay import ReplayConfig
from gwcommon.config import (
    HUB_SECTIONS,
    DeviceConfig,
    Duration,
    LogConfig,
    MqttConfig,
    Section,
    SiteConfig,
    StorageConfig,
    load,
)


class OutboxConfig(Section):
    """How the outbox sends events to the hub (defaults suit every device)."""

    heartbeat: Duration = Field(
        timedelta(seconds=10), ge=timedelta(seconds=1), le=timedelta(minutes=10),
        description="Interval of the heartbeat (last seq issued, events not yet acknowledged).")
    window: int = Field(100, ge=1, le=1000, description="Most events published but not yet confirmed by the broker.")
    ack_timeout: Duration = Field(
        timedelta(seconds=30), ge=timedelta(seconds=1), le=timedelta(hours=1),
        description="When the hub's ack stands still this long while events wait, they are sent again "
                    "(the wait doubles each time, up to 10 minutes).")
    snapshot_cap_mb: int = Field(64, ge=1, le=16_384,
                                 description="Most megabytes of pictures kept while waiting to be sent; oldest dropped first.")


class EdgeConfig(Section):
    """Everything an edge device reads from its config file."""

    site: SiteConfig = Field(description="The compound.")
    storage: StorageConfig = Field(default_factory=StorageConfig, description="Where the outbox lives.")
    mqtt: MqttConfig = Field(default_factory=MqttConfig, description="The broker.")
    log: LogConfig = Field(default_factory=LogConfig, description="Logging.")
    device: DeviceConfig = Field(description="Which device this is.")
    outbox: OutboxConfig = Field(default_factory=OutboxConfig, description="Sending events to the hub.")
    replay: ReplayConfig | None = Field(None, description="Publish events from a recorded JSONL file.")
    gate: GateConfig | None = Field(None, description="Gate lanes: barrier, loops, photo-eye, tags (kind = gate).")
    scanner: ScannerConfig | None = Field(None, description="Bluetooth scanner for residents' tags (gate and lane devices).")
    lane: LaneDeviceConfig | None = Field(None, description="Zones watched for tags and untagged vehicles (kind = lane).")
    charging: ChargingConfig | None = Field(None, description="E-bike charging shed: meter polling and charger counting (kind = charging).")
    meters: Meters = Field(default_factory=list, description="The charging device's meters, one per circuit ([[meters]]).")
    switches: Switches = Field(default_factory=list, description="Relays the charging device may cut, one per circuit, with when to cut ([[switches]]); none: it only measures.")
    edge_metrics: EdgeMetricsConfig | None = Field(None, description="Prometheus metrics of this device on a port of its own.")
    lpr: LprConfig | None = Field(None, description="Plate cameras (车牌识别相机) pushing reads to this gate or lane Pi.")

    @model_validator(mode="after")
    def _lpr_fits(self) -> "EdgeConfig":
        if self.lpr is not None:
            home = {"gate": self.gate, "lane": self.lane}.get(self.device.kind)
            if home is None:
                raise ValueError(f"[lpr] runs beside a [gate] or [lane] section of this device (device.kind is "
                                 f"{self.device.kind!r}, and its section is missing)")
            check_against(self.lpr, kind=self.device.kind,
                          gate_lanes={lane.name for lane in self.gate.lanes} if self.gate else set(),
                          zones={zone.name for zone in self.lane.zones} if self.lane else set())
        return self

    @model_validator(mode="after")
    def _switches_have_meters(self) -> "EdgeConfig":
        measured = {m.circuit for m in self.meters}
        unmeasured = sorted(s.circuit for s in self.switches if s.circuit not in measured)
        if unmeasured:
            raise ValueError(f"[[switches]] for circuits no [[meters]] entry measures: {', '.join(unmeasured)} "
                             "(the device decides from that circuit's meter)")
        return self


def load_edge_config(path: str | Path) -> EdgeConfig:
    """Load and check an edge device's config (hub sections in the same file are ignored)."""
    return load(path, EdgeConfig, ignore=HUB_SECTIONS)
