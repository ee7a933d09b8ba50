"""Every route × every role: allowed, or refused as intended.

ROUTES is the one table of who may use what.  ``test_every_route_is_in_the_table`` fails when
an area adds a route to the hub's app without a row here.
"""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from hub.areas import AREAS
from hub.registry import csvfile, store
from hub.web.roles import ROLES, allows
from tests.support.webhub import add_user, csrf_of, login, web_hub

PUBLIC = "public"
ANON = "anonymous"

# (method, route path, path to request, role needed, form fields)
ROUTES = [
    ("GET", "/healthz", "/healthz", PUBLIC, None),
    ("GET", "/openapi.json", "/openapi.json", PUBLIC, None),
    ("GET", "/static", "/static/web.css", PUBLIC, None),
    ("GET", "/login", "/login", PUBLIC, None),
    ("POST", "/login", "/login", PUBLIC, None),  # no form token: refused with 400, the route is open
    ("GET", "/lang", "/lang?to=en", PUBLIC, None),
    # the alerts area's acknowledgement links: the signed token in the link is the credential
    ("GET", "/ack/{token}", "/ack/forged-token", PUBLIC, None),
    ("POST", "/ack/{token}", "/ack/forged-token", PUBLIC, None),
    # the metrics area: public when [metrics] public = true (as here), else it needs a token
    ("GET", "/metrics", "/metrics", PUBLIC, None),
    ("POST", "/logout", "/logout", "viewer", {}),
    ("GET", "/", "/", "viewer", None),
    ("GET", "/devices", "/devices", "viewer", None),
    ("POST", "/stays", "/stays", "warden", {"op": "register", "plate": "浙A12345"}),
    ("POST", "/stays/contacted", "/stays/contacted", "warden", {"plate": "浙A12345"}),
    ("POST", "/occupancy", "/occupancy", "warden", {"inside": "80"}),
    ("POST", "/lanes/open", "/lanes/open", "warden", {"target": "gate-1/in-1", "reason": "救护车"}),
    ("GET", "/violations", "/violations?state=open", "viewer", None),
    ("GET", "/violations/{violation_id}", "/violations/v-1", "viewer", None),
    ("POST", "/violations/{violation_id}/resolve", "/violations/v-1/resolve", "warden", {"reason": "已挪车"}),
    ("POST", "/violations/{violation_id}/excuse", "/violations/v-2/excuse", "committee", {"reason": "急诊"}),
    ("POST", "/violations/{violation_id}/identify", "/violations/v-1/identify", "warden", {"plate": "浙A12345"}),
    ("GET", "/diary", "/diary", "viewer", None),
    ("POST", "/diary/notes", "/diary/notes", "warden", {"text": "楼道堆物"}),
    ("GET", "/api/violations", "/api/violations", "viewer", None),
    ("GET", "/passages", "/passages", "viewer", None),
    ("GET", "/snapshots/{event_id}", "/snapshots/ev-1", "viewer", None),
    ("GET", "/api/passages", "/api/passages", "viewer", None),
    ("GET", "/api/charging", "/api/charging", "viewer", None),
    ("GET", "/charging", "/charging?day=2026-03-02", "viewer", None),
    ("POST", "/charging/restore", "/charging/restore", "warden", {"circuit": "shed-a", "reason": "已拔下"}),
    ("GET", "/charging/bill", "/charging/bill?month=2026-03", "viewer", None),
    ("GET", "/registry", "/registry?q=1-1", "warden", None),
    ("GET", "/phone", "/phone", "viewer", None),
    ("GET", "/account", "/account", "viewer", None),
    ("POST", "/account/password", "/account/password", "viewer", {"current": "x", "new": "y", "again": "z"}),
    ("POST", "/accounts/users/{user_id}/reset", "/accounts/users/999/reset", "admin", {}),
    ("GET", "/registry/export.csv", "/registry/export.csv", "warden", None),
    ("POST", "/registry/import", "/registry/import", "committee", None),  # multipart, below
    ("POST", "/registry/import/confirm", "/registry/import/confirm", "committee", {"token": "not-a-preview"}),
    ("POST", "/registry/tags/revoke", "/registry/tags/revoke", "warden",
     {"tag": "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:2", "revoked": "1"}),
    ("POST", "/registry/visitor", "/registry/visitor", "warden",
     {"plate": "浙B12345", "household": "2-202", "tag": "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:9:9"}),
    ("POST", "/registry/visitor/end", "/registry/visitor/end", "warden", {"plate": "浙B12345"}),
    ("GET", "/registry/visitors.csv", "/registry/visitors.csv", "warden", None),
    ("GET", "/registry/vehicle", "/registry/vehicle?plate=浙A12345", "warden", None),
    ("POST", "/registry/vehicle", "/registry/vehicle", "committee",
     {"plate": "浙A12345", "household": "1-101", "original": "浙A12345"}),
    ("POST", "/registry/vehicle/remove", "/registry/vehicle/remove", "committee", {"plate": "浙C99999", "sure": "1"}),
    ("POST", "/registry/vehicle/tag", "/registry/vehicle/tag", "committee", {"plate": "浙A12345", "tag": "eid:route-1"}),
    ("POST", "/registry/vehicle/tag/remove", "/registry/vehicle/tag/remove", "committee",
     {"plate": "浙A12345", "tag": "eid:not-there"}),
    ("GET", "/registry/health", "/registry/health", "committee", None),
    ("GET", "/roster", "/roster", "viewer", None),
    ("GET", "/roster/export.csv", "/roster/export.csv", "viewer", None),
    ("POST", "/roster/import", "/roster/import", "committee", None),  # multipart, below
    ("GET", "/violations.{fmt}", "/violations.csv?state=open", "committee", None),
    ("GET", "/diary.{fmt}", "/diary.xlsx", "committee", None),
    ("GET", "/diary/print", "/diary/print", "viewer", None),
    ("GET", "/passages.{fmt}", "/passages.csv", "committee", None),
    ("GET", "/charging/incidents.{fmt}", "/charging/incidents.xlsx", "committee", None),
    ("POST", "/roster/shifts", "/roster/shifts", "committee",
     {"name": "赵六", "mobile": "13700003333", "day": "fri", "start": "20:00", "end": "08:00"}),
    ("GET", "/roster/shifts/{shift_id}", "/roster/shifts/999", "committee", None),
    ("POST", "/roster/shifts/{shift_id}", "/roster/shifts/999", "committee", {"name": "赵六", "mobile": "13700003333"}),
    ("POST", "/roster/shifts/{shift_id}/remove", "/roster/shifts/999/remove", "committee", {}),
    ("POST", "/roster/swap", "/roster/swap", "warden", {"first": "998", "second": "999"}),
    ("POST", "/alerts/{alert_id}/ack", "/alerts/1/ack", "warden", {}),
    ("GET", "/calendar", "/calendar", "viewer", None),
    ("POST", "/calendar/overrides", "/calendar/overrides", "committee",
     {"day": "2026-03-20", "kind": "holiday", "deadline": "09:30", "note": "小区活动"}),
    ("POST", "/calendar/overrides/remove", "/calendar/overrides/remove", "committee", {"day": "2026-03-20"}),
    ("GET", "/report", "/report?month=2026-03", "committee", None),
    ("GET", "/report.csv", "/report.csv", "committee", None),
    ("GET", "/audit", "/audit", "committee", None),
    ("GET", "/accounts", "/accounts", "admin", None),
    ("POST", "/accounts/users", "/accounts/users", "admin",
     {"name": "newbie", "password": "long enough 1", "role": "viewer"}),
    ("POST", "/accounts/users/{user_id}/active", "/accounts/users/999/active", "admin", {"active": "1"}),
    ("POST", "/accounts/tokens", "/accounts/tokens", "admin", {"role": "viewer", "name": "t"}),
    ("POST", "/accounts/tokens/{token_id}/revoke", "/accounts/tokens/999/revoke", "admin", {}),
    # the local chat inbox ([web] inbox_key): the hook takes messages from the hub itself (loopback only)
    ("POST", "/inbox/hook/{given}", "/inbox/hook/testkey", PUBLIC, None),
    ("GET", "/inbox", "/inbox", "viewer", None),
    ("GET", "/inbox/{message_id}.jpg", "/inbox/1.jpg", "viewer", None),
]


UPLOADS = {
    "/registry/import": "车牌,房号,标签\n浙A12345,1-101,ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:2\n".encode(),
    "/roster/import": "姓名,手机,角色,开始,结束\n王五,13800001111,值班,20:00,08:00\n".encode(),
}


# allowed, but answering other than 200/303 for the sample request
OK_STATUS = {
    ("POST", "/login"): (400,),  # no form token
    ("GET", "/ack/{token}"): (400,), ("POST", "/ack/{token}"): (400,),  # a forged link
    ("POST", "/violations/{violation_id}/resolve"): (303, 400),  # 400 once it is no longer open
    ("POST", "/violations/{violation_id}/excuse"): (303, 400),
    ("POST", "/inbox/hook/{given}"): (404,),  # the test client is not on the loopback: refused
    ("POST", "/calendar/overrides/remove"): (303, 400),  # 400 once there is nothing left to remove
    ("POST", "/registry/import/confirm"): (400,),  # no preview under that token
    ("POST", "/account/password"): (400,),  # the new passwords differ
    ("POST", "/accounts/users/{user_id}/reset"): (400,),  # no such account
    ("POST", "/charging/restore"): (400,),  # no circuit is cut here
    # no shift 999 in the roster: refused with the page's 'no longer in the roster' (the role check passed)
    ("GET", "/roster/shifts/{shift_id}"): (404,), ("POST", "/roster/shifts/{shift_id}"): (400,),
    ("POST", "/roster/shifts/{shift_id}/remove"): (400,), ("POST", "/roster/swap"): (400,),
    ("POST", "/registry/visitor/end"): (303, 400),  # 400 once the pass has ended
    ("POST", "/registry/vehicle/remove"): (404,),  # no such car
    ("POST", "/registry/vehicle/tag/remove"): (400,),  # that car has no such tag
}


def flat_routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        path = getattr(route, "path", None)
        methods = getattr(route, "methods", None) or {"GET"}
        if isinstance(route, APIRoute) or path:
            found.update((m, path) for m in methods if m != "HEAD")
        else:  # an include_router branch of another area: look inside
            inner = route.original_router
            prefix = getattr(route.include_context, "prefix", "") or ""
            found.update((m, prefix + r.path) for r in inner.routes for m in r.methods if m != "HEAD")
    return found


def seed_gate_and_violations(db):
    db.execute("INSERT INTO devices (device, kind) VALUES ('gate-1', 'gate')")
    db.execute("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES "
               "('p-1', 's', 'gate-1', 1, 'passage', '2026-03-02T22:00:00.000+00:00', '', ?)",
               ['{"lane": "in-1", "direction": "in", "tag": null, "decision": "deny", "reason": "no_tag", "passed": false}'])
    for vid in ("v-1", "v-2"):
        db.execute("INSERT INTO violations (id, key, rule, deadline, plate, household, zone, state, provisional, "
                   "evidence, ts, created_at, updated_at) VALUES (?, ?, 'overnight', '2026-03-03T00:00:00.000+00:00', "
                   "NULL, NULL, 'east', 'open', 0, '[]', '2026-03-03T00:00:00.000+00:00', 'x', 'x')", [vid, vid])


@pytest.fixture(scope="module")
def site(tmp_path_factory, broker):
    hub = web_hub(tmp_path_factory.mktemp("web-routes"), broker, areas=AREAS,  # every area's routes
                  web={"inbox_key": "testkey"}, overrides={"metrics": {"public": True}})
    hub.writer.call(lambda db: db["inbox"].insert({"received_at": "2026-03-02T23:00:00.000+00:00", "type": "image",
                                                   "image": b"\xff\xd8\xff\xd9"}))
    for role in ROLES:
        add_user(hub, role, role)
    hub.writer.call(lambda db: store.replace_all(db, csvfile.parse(UPLOADS["/registry/import"]), at=hub.clock.now()))
    hub.writer.call(lambda db: db.execute(
        "INSERT INTO alerts (dedup_key, kind, severity, created_at, state) VALUES "
        "('x', 'fire_lane', 'safety', '2026-03-02T22:59:00.000+00:00', 'sent')"))
    hub.writer.call(seed_gate_and_violations)
    hub.snapshots_dir.joinpath("ev-1.jpg").write_bytes(b"\xff\xd8\xff\xd9")
    hub.writer.call(lambda db: db.execute(
        "INSERT INTO snapshots (event_id, device, path, bytes, received_at) VALUES "
        "('ev-1', 'gate-1', 'ev-1.jpg', 4, '2026-03-02T23:00:00.000+00:00')"))
    clients = {ANON: TestClient(hub.web)}
    for role in ROLES:
        clients[role] = TestClient(hub.web)
        login(clients[role], role)
    yield hub, clients
    hub.stop()


def test_every_route_is_in_the_table(site):
    hub, _ = site
    assert flat_routes(hub.web) == {(m, p) for m, p, *_ in ROUTES}


def expected(needed: str, who: str) -> bool:
    return needed == PUBLIC or (who != ANON and allows(who, needed))


@pytest.mark.parametrize("who", [ANON, *ROLES])
@pytest.mark.parametrize("method,route,path,needed,form", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
def test_route_allows_or_refuses(site, who, method, route, path, needed, form):
    hub, clients = site
    client = clients[who]
    if method == "GET":
        response = client.get(path, follow_redirects=False)
    else:
        data = dict(form or {})
        if who != ANON:
            data["csrf"] = csrf_of(client)
        files = {"file": ("f.csv", UPLOADS[path], "text/csv")} if path in UPLOADS else None
        response = client.post(path, data=data, files=files, follow_redirects=False)
    if route == "/logout" and who != ANON:
        login(client, who)  # it worked: log back in for the next rows
    if expected(needed, who):
        ok = OK_STATUS.get((method, route), (200, 303))
        assert response.status_code in ok, (response.status_code, response.text[:300])
        assert response.headers.get("location", "").split("?")[0] != "/login" or route == "/logout"
        if method == "GET" and response.status_code == 303:  # only /login and /lang redirect a GET
            assert route in ("/login", "/lang")
    elif who == ANON:
        if path.startswith("/api/"):
            assert response.status_code == 401
        else:
            assert response.status_code == 303 and response.headers["location"].startswith("/login")
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_api_tokens_read_the_api_and_cannot_submit_forms(site, role):
    from hub.web.auth import create_token_job

    hub, _ = site
    token, store = create_token_job(role, "script", hub.clock.now())
    hub.writer.call(store)
    client = TestClient(hub.web)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/passages", headers=headers).status_code == 200
    assert client.post("/accounts/tokens", data={"role": "admin"}, headers=headers).status_code == 403
    wrong = {"Authorization": f"Bearer {token[:-2]}xx"}
    assert client.get("/api/passages", headers=wrong).status_code == 401


def test_the_schema_is_served_and_the_online_docs_are_not(site):
    hub, clients = site
    assert clients[ANON].get("/docs").status_code == 404
    assert "/api/passages" in clients[ANON].get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("path", ["/registry/export.csv", "/roster/export.csv", "/report.csv"])
def test_csv_downloads_hold_personal_data_and_are_never_cached(site, path):
    _, clients = site
    response = clients["admin"].get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
