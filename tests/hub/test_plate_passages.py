"""Passages recorded by a plate camera (tag ``plate:<plate>``) show the vehicle and its household in
the API and are found by the plate filter (hub.web.pages.sections)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from fastapi.testclient import TestClient

from hub.web.auth import create_token_job
from tests.support.webhub import web_hub

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)


def seed(db):
    from hub.registry import csvfile, store

    store.replace_all(db, csvfile.parse("车牌,房号,标签\n浙A12345,1-101,eid:car-1\n".encode()), at=T0)
    for i, tag in enumerate(["eid:car-1", "plate:浙A12345", "plate:沪B66666"]):
        at = T0.isoformat(timespec="milliseconds")
        body = {"lane": "in-1", "direction": "in", "tag": tag, "decision": "open", "reason": "allowlisted", "passed": True}
        db.execute("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES (?,?,?,?,?,?,?,?)",
                   [f"p-{i}", "s", "gate-1", i + 1, "passage", at, at, json.dumps(body)])


def test_plate_passages_in_the_api(tmp_path, broker):
    hub = web_hub(tmp_path, broker)
    try:
        hub.writer.call(seed)
        api, viewer = (client(hub, role) for role in ("warden", "viewer"))
        items = {i["id"]: (i["plate"], i["household"]) for i in api.get("/api/passages").json()["items"]}
        assert items == {"p-0": ("浙A12345", "1-101"), "p-1": ("浙A12345", "1-101"), "p-2": ("沪B66666", None)}
        by_plate = api.get("/api/passages", params={"plate": "浙A·12345"}).json()["items"]
        assert sorted(i["id"] for i in by_plate) == ["p-0", "p-1"]
        masked = {i["id"]: (i["plate"], i["tag"]) for i in viewer.get("/api/passages").json()["items"]}
        assert masked == {"p-0": ("浙A·1**45", "eid:car-1"), "p-1": ("浙A·1**45", "plate:浙A·1**45"),
                          "p-2": ("沪B·6**66", "plate:沪B·6**66")}  # a viewer's, as the Passages page shows them
    finally:
        hub.stop()


def client(hub, role: str) -> TestClient:
    token, store = create_token_job(role, "test", hub.clock.now())
    hub.writer.call(store)
    return TestClient(hub.web, headers={"Authorization": f"Bearer {token}"})
