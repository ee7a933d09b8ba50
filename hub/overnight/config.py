"""The overnight area's config: ``[rules.overnight]`` (the 8 a.m. rule) and ``[[zones]]`` (the
watched zones, from lane devices' presence events)."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Literal

from pydantic import Field, model_validator

from gwcommon.config import ClockTime, Duration, Section


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


class ZoneConfig(Section):
    """A watched zone (presence events from lane devices)."""

    name: str = Field(min_length=1, max_length=64, description="Zone name, as lane devices report it.")
    kind: Literal["night", "never"] = Field(description="night: tolerated overnight, must be empty by the deadline; never: a fire lane.")
    grace: Duration = Field(timedelta(minutes=10), description="For never zones: how long a vehicle may stand before the alert.")
    label: str = Field("", max_length=100, description="Name shown to people, e.g. 东侧临时停车带.")
