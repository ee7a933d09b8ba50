"""The registry's config: ``[registry]``."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from gwcommon.config import Duration, Section


class RegistryConfig(Section):
    """The resident registry and its tags."""

    tag_silent_after: Duration = Field(
        timedelta(days=14), ge=timedelta(days=1), le=timedelta(days=365),
        description="A registered tag not heard at any gate or zone for this long is listed under Tag health "
                    "(标签健康) and in the monthly report: a flat battery, or a tag that fell off, e.g. \"14d\".")
    tag_low_battery_mv: int = Field(
        2600, ge=1000, le=4000,
        description="A tag whose newest battery voltage (Eddystone-TLM, where the tag sends it and the edge can tie "
                    "it to the tag) is below this many millivolts is flagged low (电量低) under Tag health and in the "
                    "monthly report. 2600 suits a CR2032-class coin cell (3.0 V new, nearly flat by 2.6 V).")
