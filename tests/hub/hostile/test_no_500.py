"""The inputs that gave HTTP 500 (issue 15) now give a clear 4xx: dates in year 1 or 9999,
non-ASCII digits in ack tokens and visitor hours, ids too big for SQLite, an unterminated CSV quote."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.webhub import add_user, csrf_of, login, web_hub

HUGE = "9" * 30


@pytest.fixture(scope="module")
def client(tmp_path_factory, broker):
    hub = web_hub(tmp_path_factory.mktemp("no500"), broker,
                  areas=("hub.overnight.area", "hub.web.app", "hub.alerts", "hub.charging.area"))
    add_user(hub, "admin", "admin")
    web = TestClient(hub.web, raise_server_exceptions=False)
    login(web, "admin")
    yield web
    hub.stop()


@pytest.mark.parametrize("path", [
    "/api/violations?from=0001-01-01", "/api/violations?to=9999-12-31", "/api/passages?from=0001-01-01T00:00:00Z",
    "/api/passages?to=9999-12-31", "/violations?from=0001-01-01", "/passages?to=9999-12-31",
    "/diary?from=0001-01-01", "/charging?day=0001-01-01", "/charging?day=9999-12-31", "/charging?day=２０２６-03-02",
    "/api/violations?from=２０２６-03-02", f"/audit?before={HUGE}", "/ack/٣.٣.x", "/ack/².1.x",
])
def test_gets_that_crashed_are_4xx(client, path):
    assert 400 <= client.get(path, follow_redirects=False).status_code < 500


@pytest.mark.parametrize("path,form", [
    (f"/alerts/{HUGE}/ack", {}), (f"/accounts/tokens/{HUGE}/revoke", {}), (f"/accounts/users/{HUGE}/active", {"active": "0"}),
    ("/registry/visitor", {"plate": "浙A12345", "household": "1-1", "tag": "eid:x", "hours": "²"}),
    ("/registry/visitor", {"plate": "浙A12345", "household": "1-1", "tag": "eid:x", "hours": "٣"}),
    ("/ack/１.１.x", {}),
])
def test_posts_that_crashed_are_4xx(client, path, form):
    response = client.post(path, data={**form, "csrf": csrf_of(client)}, follow_redirects=False)
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("path,data", [
    ("/registry/import", '车牌,房号\n"浙A12345,1-1\n'), ("/roster/import", 'name,mobile\n"abc,1\n'),
])
def test_an_unterminated_csv_quote_is_a_clear_refusal(client, path, data):
    response = client.post(path, data={"csrf": csrf_of(client)}, files={"file": ("f.csv", data.encode(), "text/csv")})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/report?month=0000-01", "/report?month=9999-12", "/charging/bill?month=0001-01"])
def test_a_month_out_of_range_is_a_4xx(client, path):
    assert 400 <= client.get(path, follow_redirects=False).status_code < 500
