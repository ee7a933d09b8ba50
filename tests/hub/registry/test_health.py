"""Tag health (hub.registry.health): a tag not heard at any gate or zone for longer than
``tag_silent_after`` is listed, counted from its last passage or presence, else from when it was
registered; revoked, expired and plate tags are not."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from gwcommon.timefmt import stored_ts
from hub.core.db import open_db
from hub.registry import health, store, visitors
from hub.registry.csvfile import VehicleRow
from hub.schema import all_sets

AT = datetime(2026, 3, 1, tzinfo=timezone.utc)
NOW = AT + timedelta(days=30)
TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:{}"


def heard(db, tag: str, when: datetime, kind: str = "passage", n: list = [0]) -> None:
    n[0] += 1
    db.execute("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES (?, 's', 'gate-1', ?, ?, ?, '', ?)",
               [f"e{n[0]}", n[0], kind, stored_ts(when), json.dumps({"tag": tag})])


@pytest.fixture
def db(tmp_path):
    handle = open_db(tmp_path / "hub.db", migrations=all_sets())
    store.replace_all(handle, [VehicleRow(2, "浙A12345", "1-101", "", "", "", (TAG.format(1), TAG.format(2))),
                               VehicleRow(3, "浙B12345", "2-202", "", "", "", (TAG.format(3), TAG.format(4))),
                               VehicleRow(4, "浙C12345", "3-303", "", "", "", ("plate:浙C12345",))], at=AT)
    yield handle
    handle.close()


def test_silent_tags_longest_first(db):
    heard(db, TAG.format(1), NOW - timedelta(days=2))                    # heard lately: fine
    heard(db, TAG.format(2), NOW - timedelta(days=20), kind="presence")  # silent 20 days
    heard(db, TAG.format(2), NOW - timedelta(days=25))
    store.set_revoked(db, TAG.format(4))                                 # revoked: not a health question
    found = health.silent_tags(db, now=NOW, silent_after=timedelta(days=14))
    assert [(s["plate"], s["tag"], s["days"]) for s in found] == [
        ("浙B12345", TAG.format(3), 30),  # never heard: counted from when it was registered
        ("浙A12345", TAG.format(2), 20)]
    assert found[0]["last_heard"] is None and found[1]["last_heard"] == stored_ts(NOW - timedelta(days=20))
    assert health.silent_tags(db, now=NOW, silent_after=timedelta(days=21)) == [
        {"tag": TAG.format(3), "plate": "浙B12345", "household": "2-202", "last_heard": None, "days": 30}]


def test_a_new_tag_waits_its_turn_and_an_expired_pass_is_not_listed(db):
    visitors.issue(db, "浙D12345", household="1-101", tag="eid:loaner-1", expires=NOW + timedelta(days=1),
                   at=NOW - timedelta(days=20))
    store.add_tag(db, "浙A12345", "eid:new-1", at=NOW - timedelta(days=3))
    for n in (1, 2, 3, 4):
        heard(db, TAG.format(n), NOW - timedelta(days=1))
    found = health.silent_tags(db, now=NOW, silent_after=timedelta(days=14))
    assert [(s["tag"], s["days"]) for s in found] == [("eid:loaner-1", 20)]  # a running pass's tag counts
    later = NOW + timedelta(days=12)  # the pass has expired; the new tag has been silent 15 days
    assert [(s["tag"], s["days"]) for s in health.silent_tags(db, now=later, silent_after=timedelta(days=14))] == [
        ("eid:new-1", 15)]


def test_batteries_lowest_first_for_tags_in_use_only(db):
    def reading(tag, mv, hours_ago):
        event = SimpleNamespace(tag=tag, battery_mv=mv, ts=NOW - timedelta(hours=hours_ago))
        health.on_event(db, event, SimpleNamespace(device="gate-1"))

    for tag, mv in ((TAG.format(1), 2990), (TAG.format(2), 2510), (TAG.format(3), 2300), (TAG.format(4), None)):
        reading(tag, mv, 1)
    reading(TAG.format(1), 2400, 5)  # older, arriving late: ignored
    store.set_revoked(db, TAG.format(3))  # a revoked tag is no health question
    found = health.batteries(db, now=NOW, low_mv=2600)
    assert [(b["tag"], b["mv"], b["low"]) for b in found] == [(TAG.format(2), 2510, True), (TAG.format(1), 2990, False)]
    assert [b["tag"] for b in health.batteries(db, now=NOW, low_mv=2600, only_low=True)] == [TAG.format(2)]
    assert health.batteries(db, now=NOW - timedelta(hours=2), low_mv=2600) == []  # as it stood before any reading
