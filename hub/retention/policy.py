"""How long the hub keeps what it records (数据保留期限): the ``[retention]`` section and its rules.

Sightings are personal data: a resident's tag seen in the night strip says where their car was.
The hub keeps them only as long as the committee configured, and then deletes them, once a day,
in small batches so the edges' events never wait long for the writer.  What is never deleted:
an event or snapshot that is evidence of an *open* violation (a warden may still need to show
it), fault events (the devices page shows the newest fault of each device and code), and each
circuit's last charging reading before every month start (the bill's energy totals).

This module only decides (no database, no files): which kinds are due, their cut-off instants, and
which ids the open violations protect.  ``hub.retention.area`` does the deleting.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Annotated, Iterable
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field

from gwcommon.config import ClockTime, Section
from gwcommon.timefmt import parse_duration

FOREVER = "forever"
_DAY, _DECADE = timedelta(days=1), timedelta(days=3650)


def _keep(value: object) -> object:
    """``"90d"`` or a number of seconds → timedelta (1 day to 10 years); ``"forever"`` → None."""
    if value is None or (isinstance(value, str) and value.strip().lower() == FOREVER):
        return None
    span = parse_duration(value) if isinstance(value, (str, int, float)) else value
    if isinstance(span, timedelta) and not _DAY <= span <= _DECADE:
        raise ValueError('keep between "1d" and "3650d", or "forever"')
    return span


Keep = Annotated[timedelta | None, BeforeValidator(_keep)]


class RetentionConfig(Section):
    """How long recorded sightings, readings, passages and pictures are kept."""

    presence: Keep = Field(timedelta(days=90),
                           description="Keep presence events (tags and vehicles seen in zones) this long by event "
                                       "time, e.g. \"90d\"; \"forever\" keeps them.")
    charging: Keep = Field(timedelta(days=30),
                           description="Keep charging-shed readings this long (\"forever\" keeps them); each "
                                       "circuit's last reading before every month start is kept anyway (the monthly "
                                       "bill's energy totals).")
    passages: Keep = Field(timedelta(days=365),
                           description="Keep gate passages this long (\"forever\" keeps them); monthly reports "
                                       "need at least the last month.")
    snapshots: Keep = Field(timedelta(days=30),
                            description="Keep pictures this long after they arrived (\"forever\" keeps them); "
                                        "evidence of an open violation is always kept.")
    run_at: ClockTime = Field(time(3, 30), description="Local time of day after which the daily clean-up runs.")
    batch: int = Field(2000, ge=100, le=100_000,
                       description="Most rows deleted per kind in one transaction (small batches keep the "
                                   "hub responsive on an SD card).")


EVENT_KINDS = ("presence", "charging", "passages")
KIND_OF = {"presence": "presence", "charging": "charging", "passages": "passage"}


def cutoffs(config: RetentionConfig, now: datetime) -> dict[str, datetime]:
    """``{setting: instant}``: what is older than the instant goes (settings kept forever are absent)."""
    found = {}
    for name in (*EVENT_KINDS, "snapshots"):
        keep = getattr(config, name)
        if keep is not None:
            found[name] = now - keep
    return found


def due(last_day: date | None, now: datetime, *, run_at: time, tz: ZoneInfo) -> bool:
    """True once per local day, after ``run_at``."""
    local = now.astimezone(tz)
    return local.time() >= run_at and last_day != local.date()


def local_day(now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date()


def evidence_ids(values: Iterable[object]) -> set[str]:
    """Event ids named by violations' evidence: plain ids, or URLs whose last segment is the id."""
    ids = set()
    for value in values:
        if isinstance(value, str) and value:
            ids.add(value)
            ids.add(value.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0])
    return ids


def month_starts(first: datetime, cutoff: datetime, tz: ZoneInfo) -> list[datetime]:
    """The local month starts after ``first``, up to the first one after ``cutoff`` (UTC instants)."""
    local = first.astimezone(tz)
    year, month = local.year, local.month
    starts: list[datetime] = []
    while not starts or starts[-1] <= cutoff:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        starts.append(datetime(year, month, 1, tzinfo=tz).astimezone(timezone.utc))
    return starts
