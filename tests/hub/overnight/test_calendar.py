"""The deadline calendar: working days, weekends, statutory holidays, 调休, overrides, unknown years."""

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest

from hub.overnight import calendar
from hub.overnight.calendar import DeadlineRule, Override

TZ = ZoneInfo("Asia/Shanghai")
RULE = DeadlineRule(time(20, 0), time(8, 0), time(9, 0), TZ)
NO_HOLIDAY_RULE = DeadlineRule(time(20, 0), time(8, 0), None, TZ)


@pytest.mark.parametrize("day,kind,source", [
    (date(2026, 3, 10), "working", "calendar"),   # a Tuesday
    (date(2026, 3, 14), "holiday", "calendar"),   # a Saturday
    (date(2026, 10, 1), "holiday", "calendar"),   # National Day
    (date(2026, 10, 10), "working", "calendar"),  # Saturday, make-up working day (调休)
    (date(2026, 2, 14), "working", "calendar"),   # Saturday, 调休 before the Spring Festival
    (date(2026, 2, 17), "holiday", "calendar"),   # Spring Festival, a Tuesday
    (date(2027, 1, 4), "working", "weekday-fallback"),   # a year chinesecalendar does not know yet
    (date(2027, 1, 9), "holiday", "weekday-fallback"),
])
def test_classify(day, kind, source):
    info = calendar.classify(day)
    assert (info.kind, info.source) == (kind, source)


def test_make_up_day_is_labelled():
    assert calendar.classify(date(2026, 10, 10)).name == "调休（National Day）"
    assert calendar.classify(date(2026, 10, 1)).name == "National Day"


def test_override_wins_over_the_package_and_the_fallback():
    overrides = {date(2026, 10, 10): Override(date(2026, 10, 10), "holiday", None, "小区活动"),
                 date(2027, 2, 10): Override(date(2027, 2, 10), "holiday", time(10, 0), "春节")}
    assert calendar.classify(date(2026, 10, 10), overrides).kind == "holiday"
    assert calendar.classify(date(2027, 2, 10), overrides).source == "override"
    assert calendar.deadline_on(date(2027, 2, 10), RULE, overrides) == datetime(2027, 2, 10, 2, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("day,rule,local", [
    (date(2026, 10, 1), RULE, time(9, 0)),
    (date(2026, 10, 10), RULE, time(8, 0)),
    (date(2026, 3, 14), RULE, time(9, 0)),
    (date(2026, 3, 14), NO_HOLIDAY_RULE, time(8, 0)),   # holiday_deadline unset: the same deadline every day
])
def test_deadline_on(day, rule, local):
    assert calendar.deadline_on(day, rule) == datetime.combine(day, local, tzinfo=TZ).astimezone(timezone.utc)


def test_latest_next_and_between():
    now = datetime(2026, 10, 1, 8, 30, tzinfo=TZ)   # National Day, deadline 09:00 not yet reached
    assert calendar.latest_deadline(now, RULE) == datetime(2026, 9, 30, 8, 0, tzinfo=TZ)
    assert calendar.next_deadline(now, RULE) == datetime(2026, 10, 1, 9, 0, tzinfo=TZ)
    found = calendar.deadlines_between(datetime(2026, 10, 8, 12, 0, tzinfo=TZ), datetime(2026, 10, 11, 12, 0, tzinfo=TZ), RULE)
    assert [d.astimezone(TZ).strftime("%m-%d %H:%M") for d in found] == ["10-09 08:00", "10-10 08:00", "10-11 09:00"]
    assert calendar.night_start_for(found[0], RULE) == datetime(2026, 10, 8, 20, 0, tzinfo=TZ)


def test_year_known():
    assert calendar.year_known(2026) and not calendar.year_known(2027)
    assert calendar.unknown_years([date(2026, 5, 1), date(2027, 5, 1), date(2027, 6, 1)]) == [2027]


def test_overrides_in_the_database(tmp_path):
    from hub.core.db import open_db
    from hub.schema import all_sets

    db = open_db(tmp_path / "hub.db", migrations=all_sets())
    at = datetime(2026, 9, 1, tzinfo=timezone.utc)
    calendar.set_override(db, date(2026, 10, 10), "holiday", note="业委会决定", by="committee", at=at)
    calendar.set_override(db, date(2026, 10, 10), "holiday", deadline=time(9, 30), by="committee", at=at)
    loaded = calendar.load_overrides(db)
    assert loaded == {date(2026, 10, 10): Override(date(2026, 10, 10), "holiday", time(9, 30), "")}
    with pytest.raises(ValueError):
        calendar.set_override(db, date(2026, 10, 11), "weekend", by="committee", at=at)
    assert calendar.remove_override(db, date(2026, 10, 10)) and calendar.load_overrides(db) == {}
