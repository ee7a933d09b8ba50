"""The allowlist carries every registered vehicle's plate for plate-camera lanes (hub.registry.plate_entries),
and a warden's visitor pass may be by plate alone (no tag)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from edge.allowlist import Allowlist
from gwcommon import wire
from gwcommon.clock import FakeClock
from hub.core.db import open_db
from hub.registry import store
from hub.registry.csvfile import VehicleRow
from hub.schema import all_sets
from tests.support.hubrun import rows
from tests.support.webhub import add_user, csrf_of, login, web_hub

AT = datetime(2026, 3, 9, 12, 0, tzinfo=timezone.utc)
TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:{}"


@pytest.fixture
def db(tmp_path):
    handle = open_db(tmp_path / "hub.db", migrations=all_sets())
    yield handle
    handle.close()


def test_every_vehicle_has_a_plate_entry_of_its_kind(db):
    store.replace_all(db, [VehicleRow(2, "浙A12345", "1-101", "", "", "", (TAG.format(1),)),
                           VehicleRow(3, "浙B12345", "2-202", "", "", "", ()),
                           VehicleRow(4, "浙C12345", "3-303", "", "", "", (TAG.format(3),))], at=AT)
    store.set_revoked(db, TAG.format(3))
    store.save_vehicle(db, "浙D12345", household="1-101", note="访客", at=AT)
    store.add_tag(db, "浙D12345", "plate:浙D12345", expires=AT + timedelta(hours=4), at=AT)
    message = store.allowlist(db, at=AT)
    plates = {p.plate: (p.kind, p.revoked, p.expires) for p in message.plates}
    assert plates == {"浙A12345": ("resident", False, None), "浙B12345": ("plate_only", False, None),
                      "浙C12345": ("resident", True, None), "浙D12345": ("visitor", False, AT + timedelta(hours=4))}
    assert [e.tag for e in message.entries] == [TAG.format(1), TAG.format(3)]  # plate rows are not tag entries
    decoded = wire.decode_payload("allowlist", wire.encode(message))
    assert decoded.plates == message.plates


def test_the_gate_looks_plates_up_and_an_old_gate_ignores_them(db, tmp_path):
    store.replace_all(db, [VehicleRow(2, "浙B12345", "2-202", "", "", "", ())], at=AT)
    store.save_vehicle(db, "浙D12345", household="1-101", at=AT)
    store.add_tag(db, "浙D12345", "plate:浙D12345", expires=AT + timedelta(hours=1), at=AT)
    clock = FakeClock(AT)
    gate = Allowlist(tmp_path / "allowlist.json", clock=clock)
    assert gate.update_from_payload(wire.encode(store.allowlist(db, at=AT)))
    assert gate.lookup("plate:浙B12345") == "allowed" and gate.entry("plate:浙B12345").kind == "plate_only"
    assert gate.lookup("plate:浙D12345") == "allowed" and gate.lookup("plate:沪A00000") == "unknown_tag"
    clock.advance(timedelta(hours=2))
    assert gate.lookup("plate:浙D12345") == "expired"
    assert gate.vehicle_of("plate:浙B12345") == "浙B12345"


def test_a_visitor_pass_by_plate_needs_no_tag(tmp_path, broker):
    hub = web_hub(tmp_path, broker)
    try:
        add_user(hub, "warden", "warden")
        client = TestClient(hub.web)
        login(client, "warden")
        answer = client.post("/registry/visitor", data={"plate": "浙e·54321", "household": "1-101", "tag": "",
                                                         "hours": "3", "csrf": csrf_of(client)}, follow_redirects=False)
        assert answer.status_code == 303
        assert rows(hub, "SELECT tag, plate, kind FROM tags") == [
            {"tag": "plate:浙E54321", "plate": "浙E54321", "kind": "plate"}]
        assert "凭车牌通行" in client.get("/registry").text
    finally:
        hub.stop()


def test_a_bad_plate_tag_in_the_file_is_reported_in_both_languages():
    from hub.registry import csvfile

    with pytest.raises(csvfile.RegistryFileError) as err:
        csvfile.parse("车牌,房号,标签\n浙A12345,1-101,plate:ABC\n".encode())
    (problem,) = err.value.problems
    assert problem.text() == "标签“plate:ABC”不是有效的车牌（格式 plate:车牌号，例如 plate:浙A12345）"
    assert "not a valid plate" in problem.text("en")
