"""The Today page's night curve: cars inside from the evening to after the deadline, deadline marked."""

import json
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from gwcommon.clock import FakeClock
from gwcommon.timefmt import format_ts
from hub.overnight import calendar, occupancy
from hub.overnight.pages import night_chart
from tests.support.webhub import add_user, login, web_hub

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 3, 7, 30, tzinfo=SH)        # a Tuesday morning, before the 08:00 deadline
RULE = calendar.DeadlineRule(datetime.strptime("20:00", "%H:%M").time(), datetime.strptime("08:00", "%H:%M").time(),
                             None, SH)


@pytest.mark.parametrize("now, start, deadline", [
    (NOW, "2026-03-02T20:00:00+08:00", "2026-03-03T08:00:00+08:00"),                             # under way
    (datetime(2026, 3, 3, 12, 0, tzinfo=SH), "2026-03-02T20:00:00+08:00", "2026-03-03T08:00:00+08:00"),  # last one
    (datetime(2026, 3, 3, 21, 0, tzinfo=SH), "2026-03-03T20:00:00+08:00", "2026-03-04T08:00:00+08:00"),
])
def test_which_night(now, start, deadline):
    a, b = night_chart.night_of(now.astimezone(timezone.utc), RULE, {})
    assert (a.astimezone(SH).isoformat(), b.astimezone(SH).isoformat()) == (start, deadline)


def seed(db):
    occupancy.correct(db, 100, by="warden", at=datetime(2026, 3, 2, 18, 0, tzinfo=SH).astimezone(timezone.utc))
    rows = []
    for n, (hh, mm, direction) in enumerate([(19, 30, "in"), (20, 15, "in"), (21, 0, "in"), (23, 40, "in"),
                                               (6, 50, "out"), (7, 10, "out")]):
        day = 2 if hh >= 12 else 3
        at = datetime(2026, 3, day, hh, mm, tzinfo=SH).astimezone(timezone.utc)
        rows.append((f"p{n}", "s", "gate-1", n + 1, "passage", format_ts(at), format_ts(at), json.dumps(
            {"lane": "in-1", "direction": direction, "tag": None, "decision": "open", "reason": "manual", "passed": True})))
    db.conn.executemany("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES (?,?,?,?,?,?,?,?)",
                        rows)
    occupancy.rebuild(db)


@pytest.fixture(scope="module")
def hub(tmp_path_factory, broker):
    running = web_hub(tmp_path_factory.mktemp("night"), broker, clock=FakeClock(NOW.astimezone(timezone.utc)),
                      areas=("hub.overnight.area", "hub.web.app"))
    add_user(running, "viewer", "viewer")
    running.writer.call(seed)
    yield running
    running.stop()


def test_inside_curve_follows_the_gates(hub):
    start = datetime(2026, 3, 2, 19, 0, tzinfo=SH).astimezone(timezone.utc)
    end = NOW.astimezone(timezone.utc)
    curve = hub.writer.call(lambda db: night_chart.inside_curve(db, spaces=102, start=start, end=end))
    assert [int(n) for _, n in curve] == [100, 101, 102, 103, 104, 103, 102, 102]


def test_today_shows_the_curve_with_the_deadline_and_the_spaces(hub):
    client = TestClient(hub.web)
    login(client, "viewer")
    page = client.get("/").text
    block = page.split('id="night"')[1].split("</section>")[0]
    assert "余位曲线" in block and "截止 08:00" in block and "车位 102 个" in block and "夜间" in block
    ticks = re.findall(r'class="tick-left"[^>]*>([^<]*)<', block)
    assert ticks and all(t.isdigit() for t in ticks)
    client.get("/lang?to=en")
    assert "deadline 08:00" in client.get("/").text


def test_steps_hold_each_count_until_the_next_change():
    assert night_chart.steps([(0, 1), (5, 2), (9, 2)]) == [(0, 1), (5, 1), (5, 2), (9, 2)]
