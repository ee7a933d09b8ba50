"""The JSON API of docs/contract.md §5: shapes, keyset pages, filters, and clear 400s for odd input."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.web import filters
from hub.web.auth import create_token_job
from tests.support.webhub import web_hub

TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:{}"
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def seed(db):
    from hub.registry import csvfile, store

    rows = csvfile.parse(("车牌,房号,标签\n" + "".join(
        f"浙A1234{i},{i}-101,{TAG.format(i)}\n" for i in range(5))).encode())
    store.replace_all(db, rows, at=T0)
    for i in range(120):
        at = (T0 + timedelta(hours=i)).isoformat(timespec="milliseconds")
        body = {"lane": "in-1" if i % 2 else "out-1", "direction": "in", "tag": TAG.format(i % 5), "decision": "open",
                "reason": "allowlisted", "passed": True,
                "evidence": {"ambiguous": False, "tags": [{"tag": TAG.format(i % 5), "rssi": -55, "rise_db": 20,
                                                           "before_s": 4.0, "why_not": None}]}}
        if i == 118:  # a plate camera's read (a plate tag heard, too: the contract allows any tag id)
            body = {**body, "tag": "plate:浙A12343",
                    "evidence": {"ambiguous": False, "tags": [{**body["evidence"]["tags"][0], "tag": "plate:浙A12343"}]}}
        if i == 119:  # the newest: a warden's remote open, a plate typed into the reason
            body = {**body, "reason": "remote", "by": "老李", "note": "业主忘带标签，浙a·12344 是他家的", "evidence": None}
        db.execute("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES (?,?,?,?,?,?,?,?)",
                   [f"p-{i:03d}", "s", "gate-1", i + 1, "passage", at, at, json.dumps(body)])
        if i < 60:
            db.execute("INSERT INTO violations (id, key, rule, deadline, plate, household, zone, state, provisional, "
                       "evidence, ts, created_at, updated_at) VALUES (?, ?, 'overnight', ?, ?, ?, 'east', ?, 0, ?, ?, ?, ?)",
                       [f"v-{i:03d}", f"k{i}", at, f"浙A1234{i % 5}", f"{i % 5}-101",
                        ("open", "resolved", "excused")[i % 3], '["p-001"]', at, at, at])


@pytest.fixture(scope="module")
def api_hub(tmp_path_factory, broker):
    hub = web_hub(tmp_path_factory.mktemp("web-api"), broker)
    hub.writer.call(seed)
    yield hub
    hub.stop()


def client_of(hub, role: str) -> TestClient:
    token, store = create_token_job(role, "test", hub.clock.now())
    hub.writer.call(store)
    return TestClient(hub.web, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture(scope="module")
def api(api_hub):
    """A viewer's token."""
    return client_of(api_hub, "viewer")


@pytest.fixture(scope="module")
def warden_api(api_hub):
    return client_of(api_hub, "warden")


def walk(client, path: str, **params) -> list[dict]:
    items, cursor = [], None
    while True:
        body = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})}).json()
        items += body["items"]
        cursor = body["next"]
        if cursor is None:
            return items


def test_passages_page_through_everything_newest_first(warden_api):
    items = walk(warden_api, "/api/passages", limit=7)
    assert (items[0]["by"], items[0]["note"], items[0]["evidence"]) == ("老李", "业主忘带标签，浙a·12344 是他家的", None)
    assert items[1]["by"] is None and items[1]["evidence"]["tags"][0]["rssi"] == -55  # the lane's evidence
    assert [i["id"] for i in items] == [f"p-{i:03d}" for i in range(119, -1, -1)]
    assert items[0]["plate"] == "浙A12344" and items[0]["household"] == "4-101"
    assert (items[1]["plate"], items[1]["tag"], items[1]["evidence"]["tags"][0]["tag"]) == ("浙A12343",) + ("plate:浙A12343",) * 2


def test_a_viewer_reads_every_plate_masked_as_the_passages_page_shows_it(api, warden_api):
    """The plate, a plate tag, a plate tag in the evidence and a plate typed into a person's reason."""
    items = walk(api, "/api/passages", limit=50)
    assert [i["id"] for i in items] == [f"p-{i:03d}" for i in range(119, -1, -1)]
    assert (items[0]["plate"], items[0]["household"], items[0]["note"]) == ("浙A·1**44", "4-101", "业主忘带标签，浙A·1**44 是他家的")
    assert (items[1]["plate"], items[1]["tag"], items[1]["evidence"]["tags"][0]["tag"]) == ("浙A·1**43",) + ("plate:浙A·1**43",) * 2
    assert items[2]["plate"] == "浙A·1**42" and items[2]["tag"] == TAG.format(2)  # a Bluetooth tag's id as it is
    assert {i["evidence"]["tags"][0]["rssi"] for i in items[1:]} == {-55}
    assert not re.search(r"浙A\W?1234\d", json.dumps(items, ensure_ascii=False), re.I)
    assert walk(warden_api, "/api/passages", limit=500)[2]["plate"] == "浙A12342"  # a warden reads them whole


def test_passage_filters(api):
    assert {i["lane"] for i in walk(api, "/api/passages", lane="in-1")} == {"in-1"}
    by_plate = walk(api, "/api/passages", plate="浙A·12342")
    assert len(by_plate) == 24 and {i["plate"] for i in by_plate} == {"浙A·1**42"}  # a viewer's token
    day = walk(api, "/api/passages", **{"from": "2026-03-02", "to": "2026-03-02"})  # a whole local day
    assert len(day) == 24


def test_violations_shape_and_filters(api):
    items = walk(api, "/api/violations", state="open", limit=5)
    assert len(items) == 20 and {i["state"] for i in items} == {"open"}
    first = items[0]
    assert set(first) >= {"id", "plate", "household", "rule", "deadline", "state", "provisional", "evidence", "ts"}
    assert first["evidence"] == ["/snapshots/p-001"]
    assert {i["household"] for i in walk(api, "/api/violations", household="3-101")} == {"3-101"}
    assert len(walk(api, "/api/violations", plate="12340")) == 12  # part of a plate matches anywhere


@pytest.mark.parametrize("path,params,message", [
    ("/api/violations", {"state": "closed"}, "state:"),
    ("/api/violations", {"from": "2026-02-30"}, "from:"),
    ("/api/violations", {"from": "yesterday"}, "from:"),
    ("/api/violations", {"from": "2026-03-05", "to": "2026-03-01"}, "to:"),
    ("/api/violations", {"plate": "浙A<1>"}, "plate:"),
    ("/api/violations", {"cursor": "not-a-cursor"}, "cursor:"),
    ("/api/violations", {"cursor": "WzEsMl0"}, "cursor:"),
    ("/api/violations", {"limit": "0"}, "limit:"),
    ("/api/violations", {"limit": "many"}, "limit:"),
    ("/api/violations", {"rule": "speeding"}, "rule:"),
    ("/api/passages", {"lane": "\x01"}, "lane:"),
    ("/api/passages", {"to": "2026-03-01T08:00:00"}, "to:"),  # no offset: ambiguous
    ("/api/passages", {"limit": "501"}, "limit:"),
])
def test_bad_parameters_get_400_with_the_reason(api, path, params, message):
    response = api.get(path, params=params)
    assert response.status_code == 400
    assert response.json()["error"].startswith(message)


def test_no_token_no_data(api):
    bare = TestClient(api.app)
    for path in ("/api/violations", "/api/passages"):
        response = bare.get(path)
        assert response.status_code == 401 and "items" not in response.text


def test_openapi_schema_lists_the_contract_endpoints(api):
    paths = api.get("/openapi.json").json()["paths"]
    assert {"/api/violations", "/api/passages"} <= set(paths)
    assert not any(p.startswith(("/login", "/registry", "/violations")) for p in paths)


@settings(max_examples=200, deadline=None)
@given(ts=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc)),
       key=st.one_of(st.text(max_size=40), st.integers(min_value=-2**53, max_value=2**53)))
def test_cursor_round_trips(ts, key):
    text = ts.isoformat(timespec="milliseconds")
    assert filters.decode_cursor(filters.encode_cursor(text, key)) == (text, key)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_odd_filter_text_is_either_used_or_refused_cleanly(text):
    from zoneinfo import ZoneInfo

    for parse in (lambda: filters.parse_plate(text), lambda: filters.parse_label("lane", text),
                  lambda: filters.parse_window(text, None, ZoneInfo("Asia/Shanghai")),
                  lambda: filters.decode_cursor(text), lambda: filters.parse_limit(text, 50)):
        try:
            parse()
        except filters.FilterError as exc:
            assert ":" in str(exc) and "\n" not in str(exc)
