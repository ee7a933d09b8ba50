"""The month's electricity per circuit and the printable bill-sharing table (电费分摊表)."""

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter, ValidationError

from gwcommon.clock import FakeClock
from gwcommon.timefmt import format_ts
from hub.charging import bill
from hub.charging.config import Circuits
from hub.charging.pages import kwh_per_month
from tests.support.webhub import add_user, login, web_hub

CIRCUITS = [{"name": "shed-a", "label": "充电棚A路"}, {"name": "shed-b", "label": "充电棚B路"},
            {"name": "port-7", "label": "7号插座", "ports": 1},
            {"name": "port-9", "label": "9号插座", "ports": 1, "part_of": "shed-a"}]  # its own meter, on shed-a
MARCH = datetime(2026, 2, 28, 16, 0, tzinfo=timezone.utc)  # 2026-03-01 00:00 in Shanghai


def test_a_socket_with_its_own_meter_is_a_row_under_its_circuit_and_counted_once():
    rows, total = bill.share({"a": 30.0, "p1": 4.0, "p2": 6.0, "b": 10.0, "lost": 1.0}, 0.5,
                             {"p1": "a", "p2": "a", "lost": "gone"})
    assert [r.circuit for r in rows] == ["a", "b", "lost"]          # a socket whose circuit was not heard stands alone
    assert [(p.circuit, p.kwh, p.yuan) for p in rows[0].ports] == [("p2", 6.0, 3.0), ("p1", 4.0, 2.0), (bill.REST, 20.0, 10.0)]
    assert total.kwh == 41.0 and rows[1].ports == ()
    assert bill.total_kwh({"a": 30.0, "p1": 4.0}, {"p1": "a"}) == 30.0


def test_share_splits_kwh_and_yuan():
    rows, total = bill.share({"a": 30.0, "b": 10.0, "c": 0.0}, 0.6)
    assert [(r.circuit, r.kwh, round(r.share, 3), r.yuan) for r in rows] == [
        ("a", 30.0, 0.75, 18.0), ("b", 10.0, 0.25, 6.0), ("c", 0.0, 0.0, 0.0)]
    assert (total.kwh, total.yuan) == (40.0, 24.0)
    rows, total = bill.share({"a": 1.0}, None)
    assert rows[0].yuan is None and total.yuan is None
    assert bill.share({}, 0.6) == ([], bill.Share("", 0, 0.0, 0.0))


def seed(db):
    """Energy totals: before March, during March (a device restart kept the total), into April."""
    rows = []
    series = {"shed-a": [(-2, 1000.0), (0.1, 1200.0), (15, 21_200.0), (30.9, 41_200.0), (32, 50_000.0)],
              "shed-b": [(3, 500.0), (20, 10_500.0)],          # first heard in March
              "port-7": [(-5, 7000.0)],                       # silent all March
              "port-9": [(1, 100.0), (20, 5100.0)]}           # 5 kWh of shed-a's 40.2 through socket 9
    for circuit, points in series.items():
        for n, (days, wh) in enumerate(points):
            at = MARCH + timedelta(days=days)
            rows.append((f"{circuit}-{n}", "s", "shed-1", len(rows) + 1, "charging", format_ts(at), format_ts(at),
                         json.dumps({"circuit": circuit, "power_w": 100.0, "current_a": 0.5, "loads": 1,
                                     "energy_wh": wh})))
    db.conn.executemany("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES (?,?,?,?,?,?,?,?)",
                        rows)


@pytest.fixture(scope="module")
def hub(tmp_path_factory, broker):
    running = web_hub(tmp_path_factory.mktemp("bill"), broker, clock=FakeClock(MARCH + timedelta(days=40)),
                      overrides={"circuits": CIRCUITS, "rules": {"charging": {"tariff_yuan_per_kwh": 0.55}}},
                      areas=("hub.web.app", "hub.charging.area"))
    add_user(running, "viewer", "viewer")
    running.writer.call(seed)
    yield running
    running.stop()


def test_month_kwh_from_the_energy_totals(hub):
    kwh = hub.writer.call(lambda db: bill.month_kwh(db, MARCH, MARCH + timedelta(days=31)))
    assert kwh == {"shed-a": 40.2, "shed-b": 10.0, "port-7": 0.0, "port-9": 5.0}


def test_the_printable_table(hub):
    client = TestClient(hub.web)
    login(client, "viewer")
    page = client.get("/charging/bill?month=2026-03").text
    assert "2026-03 充电棚电费分摊表" in page and "<svg" in page
    table = page.split('<table id="bill">')[1].split("</table>")[0]
    cells = [re.sub(r"<[^>]+>", "", row).split("\n")[0] for row in table.split("<tr>")[2:]]
    assert "充电棚A路" in cells[0] and "40.20" in table and "80.1 %" in table and "22.11" in table
    assert "充电棚B路" in table and "5.50" in table and "合计" in table and "27.61" in table
    assert "shed-a" not in table
    # socket 9 under its circuit, then the rest of shed-a; the total counts its kWh once
    port_rows = re.findall(r'<tr class="port"><td>　└ ([^<]+)</td><td>([0-9.]+)</td>', table)
    assert port_rows == [("9号插座", "5.00"), ("其余插座（未单独计量）", "35.20")]
    assert table.index("充电棚A路") < table.index("9号插座") < table.index("充电棚B路")
    assert "0.55 元/千瓦时" in page
    assert "没有电表读数" in client.get("/charging/bill?month=2025-01").text
    assert client.get("/charging/bill?month=2026-13").status_code == 400


def test_kwh_month_by_month_in_one_pass(hub):
    bounds = [MARCH - timedelta(days=28), MARCH, MARCH + timedelta(days=31), MARCH + timedelta(days=61)]
    spans = hub.writer.call(lambda db: bill.months_kwh(db, bounds))
    assert spans[1] == hub.writer.call(lambda db: bill.month_kwh(db, MARCH, MARCH + timedelta(days=31)))
    assert spans[0] == {"shed-a": 0.0, "port-7": 0.0}
    assert spans[2] == {"shed-a": 8.8, "shed-b": 0.0, "port-7": 0.0, "port-9": 0.0}
    assert hub.writer.call(lambda db: kwh_per_month(db, bounds, {"port-9": "shed-a"})) == [0.0, 50.2, 8.8]
    assert hub.writer.call(lambda db: kwh_per_month(db, bounds)) == [0.0, 55.2, 8.8]   # without part_of: twice


@pytest.mark.parametrize("circuits, words", [
    ([{"name": "a"}, {"name": "p", "part_of": "b"}], "part_of = 'b' names no other [[circuits]] entry"),
    ([{"name": "p", "part_of": "p"}], "names no other"),
    ([{"name": "a"}, {"name": "p", "part_of": "a"}, {"name": "q", "part_of": "p"}], "is itself part of 'a'"),
])
def test_part_of_must_name_a_circuit(circuits, words):
    with pytest.raises(ValidationError, match=re.escape(words)):
        TypeAdapter(Circuits).validate_python(circuits)
    TypeAdapter(Circuits).validate_python([{"name": "a"}, {"name": "p", "part_of": "a"}])
