"""When the lane device photographs its zones (定时拍照).  Pure: both instants are passed in."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def due(previous: datetime, now: datetime, times: list[time], tz: ZoneInfo) -> list[datetime]:
    """The local instants of ``times`` in (previous, now], oldest first (both aware).

    A clock jump forward (NTP after a cold boot) fires what it skipped, at most one day's worth;
    a jump backwards fires nothing until the clock passes ``previous`` again.
    """
    if now <= previous:
        return []
    start = max(previous, now - timedelta(days=1))
    found = []
    day = start.astimezone(tz).date()
    while day <= now.astimezone(tz).date():
        for moment in times:
            at = datetime.combine(day, moment, tzinfo=tz)
            if start < at <= now:
                found.append(at)
        day += timedelta(days=1)
    return sorted(found)
