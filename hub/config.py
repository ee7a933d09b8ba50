"""The hub's configuration: the contract's keys (docs/contract.md, config) plus the hub's own
sections.

Each area keeps its section model beside its code (``hub/<area>/config.py``, or the module that
uses it); this module only assembles them into :class:`HubConfig` and loads the file.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from gwcommon.config import EDGE_SECTIONS, Duration, LogConfig, MqttConfig, Section, SiteConfig, StorageConfig, load
from hub.alerts.config import AlertsConfig, ChatConfig
from hub.alerts.sms import SmsConfig
from hub.charging.config import ChargingRulesConfig, Circuits
from hub.core.labels import DeviceLabelConfig, unique_devices
from hub.integrations.ha_discovery import HomeAssistantConfig
from hub.integrations.metrics import MetricsConfig
from hub.passages.config import CloneCheckConfig, GateLaneConfig
from hub.registry.config import RegistryConfig
from hub.overnight.config import OvernightRuleConfig, ZoneConfig
from hub.retention.policy import RetentionConfig
from hub.web.config import WebConfig


class RulesConfig(Section):
    """The committee's rules."""

    overnight: OvernightRuleConfig = Field(default_factory=OvernightRuleConfig, description="The overnight (8 a.m.) rule.")
    charging: ChargingRulesConfig = Field(default_factory=ChargingRulesConfig, description="E-bike charging safety thresholds.")


class HubSection(Section):
    """The hub process itself."""

    offline_after: Duration = Field(timedelta(seconds=120), description="A device that has sent nothing for this long (hub wall-clock time) counts as offline.")
    clock_tolerance: Duration = Field(timedelta(minutes=2), ge=timedelta(seconds=5), le=timedelta(days=1),
                                      description="How far a device's clock may run ahead of the hub's: a watermark never gets further ahead, and a device beyond it is flagged clock_ahead and does not hold the site clock. Long values are for simulations that run many times faster than life.")


class HubConfig(Section):
    """Everything the hub reads from its config file."""

    site: SiteConfig = Field(description="The compound.")
    storage: StorageConfig = Field(default_factory=StorageConfig, description="Where data lives.")
    mqtt: MqttConfig = Field(default_factory=MqttConfig, description="The broker.")
    log: LogConfig = Field(default_factory=LogConfig, description="Logging.")
    rules: RulesConfig = Field(default_factory=RulesConfig, description="The committee's rules.")
    zones: list[ZoneConfig] = Field(default_factory=list, description="Watched zones.")
    circuits: Circuits = Field(default_factory=list, description="Metered circuits of the charging shed and corridors ([[circuits]]).")
    chat: list[ChatConfig] = Field(default_factory=list, description="Chat targets for alerts.")
    alerts: AlertsConfig = Field(default_factory=AlertsConfig, description="Chat alerts.")
    web: WebConfig = Field(default_factory=WebConfig, description="The web view.")
    hub: HubSection = Field(default_factory=lambda: HubSection(), description="The hub process itself.")
    homeassistant: HomeAssistantConfig = Field(default_factory=HomeAssistantConfig,
                                               description="Home Assistant MQTT discovery (off by default).")
    metrics: MetricsConfig = Field(default_factory=MetricsConfig, description="Prometheus metrics at /metrics.")
    retention: RetentionConfig = Field(default_factory=RetentionConfig,
                                       description="How long sightings, readings, passages and pictures are kept.")
    gate_lanes: list[GateLaneConfig] = Field(
        default_factory=list, max_length=64,
        description="Gate lanes a warden may open remotely from the Today page, with their labels "
                    "([[gate_lanes]]); lanes seen in recent passages are offered too.")
    clone_check: CloneCheckConfig = Field(default_factory=CloneCheckConfig,
                                          description="One Bluetooth tag at two places at once: a copied tag (issue 17).")
    devices: Annotated[list[DeviceLabelConfig], AfterValidator(unique_devices)] = Field(
        default_factory=list, max_length=256,
        description="Names people read instead of device ids ([[devices]]: id, label), on the web, in chat and "
                    "in CSV files; a device without one is shown by its id.")
    registry: RegistryConfig = Field(default_factory=RegistryConfig,
                                     description="The resident registry: when a silent tag is flagged.")
    sms: SmsConfig = Field(default_factory=SmsConfig,
                           description="Texts to a car's owner at the reminder and the deadline (off by default).")

    @model_validator(mode="after")
    def _unique_zones(self) -> "HubConfig":
        names = [z.name for z in self.zones]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"zone names must be unique; repeated: {', '.join(sorted(dupes))}")
        return self


def load_hub_config(path: str | Path) -> HubConfig:
    """Load and check the hub's config (edge sections in the same file are ignored)."""
    return load(path, HubConfig, ignore=EDGE_SECTIONS)
