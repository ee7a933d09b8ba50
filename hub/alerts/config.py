"""The alerts area's config: ``[[chat]]`` (the chat targets) and ``[alerts]``."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from gwcommon.config import ClockTime, Duration, Section


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
