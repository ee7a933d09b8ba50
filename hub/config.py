"""The hub's configuration: the contract's keys (CONTRACT.md §6) plus the hub's own sections.

Each area keeps its section model next to its code when it grows; this module assembles them.
"""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, IPvAnyNetwork, ValidationInfo, field_validator, model_validator

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

from hub.charging.config import ChargingRulesConfig, Circuits
from hub.ha_discovery import HomeAssistantConfig
from hub.metrics import MetricsConfig
from hub.retention_policy import RetentionConfig


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
    charging: ChargingRulesConfig = Field(default_factory=ChargingRulesConfig, description="E-bike charging safety thresholds.")


class ZoneConfig(Section):
    """A watched zone (presence events from lane devices)."""

    name: str = Field(min_length=1, max_length=64, description="Zone name, as lane devices report it.")
    kind: Literal["night", "never"] = Field(description="night: tolerated overnight, must be empty by the deadline; never: a fire lane.")
    grace: Duration = Field(timedelta(minutes=10), description="For never zones: how long a vehicle may stand before the alert.")
    label: str = Field("", max_length=100, description="Name shown to people, e.g. 东侧临时停车带.")


class ChatConfig(Section):
    """One chat target (a group robot)."""

    kind: Literal["wecom", "dingtalk", "feishu", "webhook", "apprise"] = Field(
        description="wecom, dingtalk, feishu, webhook, or apprise (any Apprise URL, text only; needs the optional "
                    "apprise package).")
    url: str = Field(min_length=8, description="The webhook address as the chat app shows it (for apprise: an Apprise URL).")
    secret: str | None = Field(None, description="Signing secret where the service uses one (DingTalk, Feishu, webhook).")
    secret_file: Path | None = Field(None, description="File holding the signing secret, instead of secret.")
    name: str = Field("", max_length=64, description="Name of this target in the web view and logs.")
    mask: bool = Field(True, description="Mask plates in this target's messages (浙A·1**45); owner names and "
                                         "mobile numbers are never sent, whatever this says.")
    rate_per_minute: int | None = Field(None, ge=1, le=600, description="Messages a minute at most; default below the "
                                        "service's documented limit (15 for WeCom and DingTalk, 60 for Feishu).")
    markdown: bool = Field(False, description="WeCom only: send messages that mention nobody as markdown (4096 bytes); "
                                              "leave off when the group has personal-WeChat members, who cannot read it.")

    @field_validator("secret_file", mode="after")
    @classmethod
    def _relative_secret(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        base = (info.context or {}).get("base_dir")
        return value if value is None or value.is_absolute() or base is None else (Path(base) / value).resolve()


class WebConfig(Section):
    """The web view and JSON API."""

    listen: str = Field("127.0.0.1:8080", pattern=r"^[^\s:]*:\d{1,5}$", description="host:port the web view listens on.")
    public_url: str = Field("", description="Address people open (behind a proxy or tunnel), used in chat links.")
    inbox_key: str = Field("", pattern=r"^([A-Za-z0-9_-]{4,64})?$",
                           description="When set, a local chat inbox: a webhook chat target pointed at "
                                       "http://127.0.0.1:<port>/inbox/hook/<inbox_key> lands its messages on the "
                                       "web view's Inbox page (for the demo and for trying rules before the real group).")
    secure_cookies: Literal["auto", "always", "never"] = Field(
        "auto", description="Mark login cookies Secure: auto = when the request came over HTTPS (directly or "
                            "X-Forwarded-Proto from a trusted proxy); always behind an HTTPS proxy or tunnel.")
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list, max_length=16,
        description="Addresses or networks (127.0.0.1, 10.8.0.0/24) of reverse proxies (frp, nginx, Caddy) "
                    "whose X-Forwarded-For/-Proto headers are believed.")
    session_lifetime: Duration = Field(
        timedelta(days=14), ge=timedelta(minutes=5), le=timedelta(days=90),
        description="How long a login lasts before the user must sign in again.")
    login_window: Duration = Field(
        timedelta(minutes=15), ge=timedelta(seconds=10), le=timedelta(days=1),
        description="Window over which failed logins are counted for rate limiting.")
    login_max_failures_account: int = Field(
        5, ge=1, le=100, description="Failed logins for one account within login_window before it is locked for the window.")
    login_max_failures_address: int = Field(
        20, ge=1, le=1000, description="Failed logins from one client address within login_window before it is refused.")
    default_lang: Literal["zh", "en"] = Field("zh", description="Language of the web view until a user picks another: zh or en.")
    page_size: int = Field(50, ge=10, le=500, description="Rows per page in the web view and the JSON API's default page size.")


class AlertsConfig(Section):
    """Chat alerts: language, quiet hours, escalation, retries (docs/alerts.md)."""

    language: Literal["zh", "en"] = Field("zh", description="Language of chat messages: zh (Chinese) or en.")
    quiet_start: ClockTime | None = Field(time(22, 0), description="Local time quiet hours begin: information-level "
                                          "alerts wait until quiet_end; warnings and safety alerts never wait. Unset: none.")
    quiet_end: ClockTime = Field(time(7, 0), description="Local time quiet hours end.")
    escalate_after: Duration = Field(timedelta(minutes=15), ge=timedelta(minutes=1), le=timedelta(hours=24),
                                     description="An alert that mentions the warden and is not acknowledged within this "
                                                 "goes to the next warden, after as long again to the committee.")
    ack_link_lifetime: Duration = Field(timedelta(hours=12), ge=timedelta(minutes=5), le=timedelta(days=7),
                                        description="How long an acknowledgement link in a chat message stays valid.")
    digest_at: Literal["deadline"] | ClockTime = Field("deadline", description="When the morning digest goes out: "
                                                       "\"deadline\" (the overnight rule's deadline that morning) or a local time.")
    digest_delay: Duration = Field(timedelta(seconds=90), ge=timedelta(0), le=timedelta(minutes=30),
                                   description="Wait this long after digest_at (late events arrive; chat services "
                                               "throttle messages sent exactly on the hour).")
    device_debounce: Duration = Field(timedelta(minutes=3), ge=timedelta(0), le=timedelta(hours=2),
                                      description="A device offline or fault condition is alerted only once it lasted this long.")
    retry_first: Duration = Field(timedelta(seconds=15), ge=timedelta(seconds=1), le=timedelta(hours=1),
                                  description="First wait before re-sending a failed message; doubles each time.")
    retry_max: Duration = Field(timedelta(minutes=30), ge=timedelta(minutes=1), le=timedelta(hours=6),
                                description="Longest wait between re-sends (also the probe interval of a refusing target).")
    give_up_after: Duration = Field(timedelta(hours=24), ge=timedelta(hours=1), le=timedelta(days=30),
                                    description="A message still failing this long after it was queued is given up (dead, "
                                                "shown in the web view, can be re-sent from there).")
    http_timeout: Duration = Field(timedelta(seconds=10), ge=timedelta(seconds=1), le=timedelta(minutes=2),
                                   description="Timeout of one request to a chat service.")


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
