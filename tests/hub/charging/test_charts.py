"""The charging page's pictures, rendered from a simulated night of five circuits."""

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from gwcommon.clock import FakeClock
from hub.web import timechart
from tests.support.webhub import add_user, login, web_hub

from tests.support.chargingnight import CIRCUITS, DAY, START, night_of_events  # noqa: F401


@pytest.fixture(scope="module")
def page(tmp_path_factory, broker):
    hub = web_hub(tmp_path_factory.mktemp("charts"), broker, clock=FakeClock(START + timedelta(hours=20)),
                  overrides={"circuits": CIRCUITS}, areas=("hub.web.app", "hub.alerts", "hub.charging.area"))
    add_user(hub, "viewer", "viewer")
    hub.writer.call(night_of_events)
    client = TestClient(hub.web)
    login(client, "viewer")
    text = client.get(f"/charging?day={DAY}").text
    yield text
    hub.stop()


def svgs(text):
    return re.findall(r"<svg.*?</svg>", text, re.S)


def test_one_overview_and_one_chart_per_circuit_named_by_label(page):
    charts = svgs(page)
    assert len(charts) == 1 + len(CIRCUITS)
    legend = " ".join(re.findall(r'<g class="legend">.*?<text[^>]*>([^<]*)</text>', charts[0]))
    for c in CIRCUITS:
        assert c["label"] in legend and c["name"] not in legend
    assert "3号楼楼道（禁止充电）" in charts[-1]


def test_five_circuits_never_share_a_colour(page):
    overview = svgs(page)[0]
    strokes = re.findall(r'<polyline class="series" fill="none" stroke="(#[0-9a-f]{6})"', overview)
    assert len(strokes) == 5 and len(set(strokes)) == 5


def test_each_circuit_has_breaker_alarm_night_count_and_markers(page):
    shed_a = svgs(page)[1]
    assert "空开 16 A ≈ 3520 W" in shed_a and "告警线 80% ≈ 2816 W" in shed_a
    assert shed_a.count('<g class="band">') == 2 and "夜间" in shed_a   # 00:00–08:00 and 20:00–24:00
    assert '<polyline class="steps"' in shed_a and "在充数" in shed_a
    assert '<g class="marker">' in shed_a and "充电过载" in shed_a
    right = re.findall(r'class="tick-right"[^>]*>([^<]*)<', shed_a)
    assert right and all(t.isdigit() for t in right)          # counts: whole numbers only
    stairs = svgs(page)[-1]
    assert "自动断电" in stairs                                  # the cut's marker


@pytest.mark.parametrize("top, integer, expected", [
    (2.5, True, [0, 1, 2, 3]), (3, True, [0, 1, 2, 3]), (0, True, [0, 1]), (0, False, [0, 1]), (7, True, [0, 2, 4, 6, 8]),
    (3520, False, [0, 1000, 2000, 3000, 4000]), (1, False, [0, 0.5, 1]),
])
def test_axis_ticks(top, integer, expected):
    assert timechart.axis_ticks(top, integer=integer) == expected


def test_colours_are_distinct_for_thirty_series_and_labels_are_escaped():
    assert len({timechart.colour(k) for k in range(30)}) == 30
    svg = timechart.render(timechart.TimeChart(
        title="<t>", x_span=(0, 10), x_ticks=[(0, "<x>")], series=[timechart.Series("<script>", [(0, 1), (5, 2)])],
        markers=[timechart.Marker(5, "<m>")], bands=[timechart.Band(1, 2, "<b>")],
        steps=timechart.Series("<s>", [(0, 1)])))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "<m>" not in svg


def test_incidents_are_named_by_label(page):
    incidents = page.split("充电异常")[-1]
    assert "充电棚A路" in incidents and ">shed-a<" not in incidents


def test_count_bars_have_whole_number_ticks_and_distinct_colours():
    from hub.web import charts

    svg = charts.stacked_bars(["w1", "w2"], [(f"zone {k}", [k % 2, 1]) for k in range(5)], title="t")
    ticks = re.findall(r'text-anchor="end">([^<]*)<', svg)
    assert ticks and all(t.isdigit() for t in ticks)
    fills = re.findall(r'<rect x="\d+" y="2" width="10" height="10" fill="(#[0-9a-f]{6})"', svg)
    assert len(fills) == 5 and len(set(fills)) == 5
