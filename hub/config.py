"""The hub's configuration: the contract's keys (CONTRACT.md §6) plus the hub's own sections.

Each area keeps its section model next to its code when it grows; this module assembles them.
"""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from gwcommon.config import (
    EDGE_SECTIONS,
    ClockTime,
    Duration,
    LogConfig,
    MqttConfig,
    Section,
    SiteConfig,
    StorageConfig,
    load,
)


class OvernightRuleConfig(Section):
    """The 8 a.m. rule: off-space parking is tolerated from night_start until the deadline."""

    night_start: ClockTime = Field(time(20, 0), description="From this local time off-space parking is tolerated.")
    deadline: ClockTime = Field(time(8, 0), description="Local time by which off-space cars must have left on working days.")
    holiday_deadline: ClockTime | None = Field(
        None, description="Deadline on weekends and Chinese statutory holidays; the working-day deadline when unset.")
    reminder_before: Duration = Field(timedelta(minutes=30), description="How long before the deadline the reminder goes out.")

    @model_validator(mode="after")
    def _night_after_deadline(self) -> "OvernightRuleConfig":
        if self.night_start <= self.deadline or (self.holiday_deadline and self.night_start <= self.holiday_deadline):
            raise ValueError("night_start must be later in the day than the deadlines (e.g. 20:00 and 08:00)")
        return self


class RulesConfig(Section):
    """The committee's rules."""

    overnight: OvernightRuleConfig = Field(default_factory=OvernightRuleConfig, description="The overnight (8 a.m.) rule.")


class ZoneConfig(Section):
    """A watched zone (presence events from lane devices)."""

    name: str = Field(min_length=1, max_length=64, description="Zone name, as lane devices report it.")
    kind: Literal["night", "never"] = Field(description="night: tolerated overnight, must be empty by the deadline; never: a fire lane.")
    grace: Duration = Field(timedelta(minutes=10), description="For never zones: how long a vehicle may stand before the alert.")
    label: str = Field("", max_length=100, description="Name shown to people, e.g. 东侧临时停车带.")


class ChatConfig(Section):
    """One chat target (a group robot)."""

    kind: Literal["wecom", "dingtalk", "feishu", "webhook"] = Field(description="wecom, dingtalk, feishu or webhook.")
    url: str = Field(min_length=8, description="The webhook address as the chat app shows it.")
    secret: str | None = Field(None, description="Signing secret where the service uses one (DingTalk, Feishu).")
    secret_file: Path | None = Field(None, description="File holding the signing secret, instead of secret.")
    name: str = Field("", max_length=64, description="Name of this target in the web view and logs.")


class WebConfig(Section):
    """The web view and JSON API."""

    listen: str = Field("127.0.0.1:8080", pattern=r"^[^\s:]*:\d{1,5}$", description="host:port the web view listens on.")
    public_url: str = Field("", description="Address people open (behind a proxy or tunnel), used in chat links.")


class HubSection(Section):
    """The hub process itself."""

    offline_after: Duration = Field(timedelta(seconds=120), description="A device that has sent nothing for this long (hub wall-clock time) counts as offline.")


class HubConfig(Section):
    """Everything the hub reads from its config file."""

    site: SiteConfig = Field(description="The compound.")
    storage: StorageConfig = Field(default_factory=StorageConfig, description="Where data lives.")
    mqtt: MqttConfig = Field(default_factory=MqttConfig, description="The broker.")
    log: LogConfig = Field(default_factory=LogConfig, description="Logging.")
    rules: RulesConfig = Field(default_factory=RulesConfig, description="The committee's rules.")
    zones: list[ZoneConfig] = Field(default_factory=list, description="Watched zones.")
    chat: list[ChatConfig] = Field(default_factory=list, description="Chat targets for alerts.")
    web: WebConfig = Field(default_factory=WebConfig, description="The web view.")
    hub: HubSection = Field(default_factory=lambda: HubSection(), description="The hub process itself.")

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
