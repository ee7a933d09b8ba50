"""Visitor passes (hub.registry.visitors): a loaner tag is free again once its pass has expired by the
hub's clock or a warden ended it; visitors never land in the committee's file, leave the allowlist
when their pass ends, and the passages of an earlier holder still name that car."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from hub.core.db import open_db
from hub.registry import csvfile, diff, store, visitors
from hub.registry.csvfile import VehicleRow
from hub.schema import all_sets

AT = datetime(2026, 3, 9, 12, 0, tzinfo=timezone.utc)
LOANER = "eid:loaner-1"
TAG = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:{}"


@pytest.fixture
def db(tmp_path):
    handle = open_db(tmp_path / "hub.db", migrations=all_sets())
    store.replace_all(handle, [VehicleRow(2, "浙A12345", "1-101", "王", "13800138000", "", (TAG.format(1),))], at=AT)
    yield handle
    handle.close()


def allowlisted(db, at):
    message = store.allowlist(db, at=at)
    return {e.tag: e.vehicle for e in message.entries}, {p.plate for p in message.plates}


def test_a_loaner_tag_is_refused_while_its_pass_runs_and_free_once_it_expired(db):
    visitors.issue(db, "浙B11111", household="2-202", tag=LOANER, expires=AT + timedelta(hours=4), at=AT)
    with pytest.raises(store.TagTaken) as taken:
        visitors.issue(db, "浙C22222", household="3-303", tag=LOANER, expires=AT + timedelta(hours=9),
                       at=AT + timedelta(hours=3, minutes=59))
    assert taken.value.text() == (f"标签 {LOANER} 已经绑定车辆 浙B11111（2-202）：一个标签只能给一辆车，"
                                  "请先在那辆车的页面上去掉它")
    assert "浙C22222" not in {v["plate"] for v in store.export_rows(db)} and store.vehicle(db, "浙C22222") is None
    later = AT + timedelta(hours=4)  # the expiry itself: the pass is over
    visitors.issue(db, "浙C22222", household="3-303", tag=LOANER, expires=later + timedelta(hours=2), at=later)
    assert store.plate_for_tag(db, LOANER) == "浙C22222"
    assert store.vehicle(db, "浙B11111") is None  # the earlier visitor left the registry ...
    tags, plates = allowlisted(db, later)
    assert tags == {TAG.format(1): "浙A12345", LOANER: "浙C22222"} and "浙B11111" not in plates
    assert [(h["plate"], h["end"]) for h in visitors.holders(db, [LOANER])] == [  # ... and stays on record
        ("浙B11111", store.stored_ts(later)), ("浙C22222", store.stored_ts(later + timedelta(hours=2)))]


def test_the_hubs_clock_ends_passes_and_moves_the_version(db):
    visitors.issue(db, "浙B11111", household="2-202", tag=LOANER, expires=AT + timedelta(hours=1), at=AT)
    version = store.version(db)
    assert store.expire_passes(db, at=AT + timedelta(minutes=59)) == 0 and store.version(db) == version
    tags, _ = allowlisted(db, AT + timedelta(minutes=30))
    assert LOANER in tags
    assert store.expire_passes(db, at=AT + timedelta(hours=1)) == 1 and store.version(db) > version
    tags, plates = allowlisted(db, AT + timedelta(hours=1))
    assert LOANER not in tags and plates == {"浙A12345"}
    assert visitors.current(db, at=AT + timedelta(hours=1)) == []


def test_a_warden_ends_a_pass_early(db):
    visitors.issue(db, "浙B11111", household="2-202", tag=LOANER, expires=AT + timedelta(hours=8), at=AT)
    assert [v["plate"] for v in visitors.current(db, at=AT)] == ["浙B11111"]
    assert visitors.end(db, "浙b·11111", at=AT + timedelta(hours=1), by="xiaozhang") == [LOANER]
    assert store.vehicle(db, "浙B11111") is None and store.plate_for_tag(db, LOANER) is None
    assert db.execute("SELECT ended_by FROM visitor_passes").fetchall() == [("xiaozhang",)]
    with pytest.raises(store.UnknownVehicle) as none:
        visitors.end(db, "浙B11111", at=AT + timedelta(hours=1), by="xiaozhang")
    assert none.value.text() == "浙B11111 没有访客通行证"
    with pytest.raises(store.UnknownVehicle):
        visitors.end(db, "浙A12345", at=AT, by="x")  # a resident's car has no pass to end


def test_visitors_never_land_in_the_committees_file_and_an_import_keeps_them(db):
    visitors.issue(db, "浙B11111", household="2-202", tag=LOANER, expires=AT + timedelta(hours=8), at=AT)
    visitors.issue(db, "浙D33333", household="1-101", expires=AT + timedelta(hours=8), at=AT)  # by plate
    assert [v["plate"] for v in store.export_rows(db)] == ["浙A12345"]
    assert b"\xe6\xb5\x99B11111" not in csvfile.render(store.export_rows(db))
    again = csvfile.read(csvfile.render(store.export_rows(db))).rows
    assert diff.compare(store.export_rows(db), again).empty  # the round trip shows no change ...
    store.replace_all(db, again, at=AT)
    assert store.plate_for_tag(db, LOANER) == "浙B11111"  # ... and removes no visitor
    assert store.plate_for_tag(db, "plate:浙D33333") == "浙D33333"
    # a file that gives the loaner tag to a resident wins: that pass ends
    store.replace_all(db, [*again, VehicleRow(3, "浙E44444", "4-404", "", "", "", (LOANER,))], at=AT)
    assert store.plate_for_tag(db, LOANER) == "浙E44444" and store.vehicle(db, "浙B11111") is None
    assert db.execute("SELECT ended_by FROM visitor_passes WHERE plate = '浙B11111'").fetchall() == [("import",)]
    # a file that registers the visitor's car: a resident's now, its pass over
    store.replace_all(db, [*again, VehicleRow(3, "浙D33333", "1-101", "", "", "", ())], at=AT)
    assert store.vehicle(db, "浙D33333")["visitor"] == 0 and store.tags_of(db, "浙D33333") == []
    assert visitors.current(db, at=AT) == [] and [v["plate"] for v in store.export_rows(db)] == ["浙A12345", "浙D33333"]


def test_a_pass_for_a_residents_car_does_not_make_it_a_visitor(db):
    visitors.issue(db, "浙A12345", household="1-101", tag=LOANER, expires=AT + timedelta(hours=1), at=AT)
    store.expire_passes(db, at=AT + timedelta(hours=2))
    assert store.vehicle(db, "浙A12345")["visitor"] == 0 and store.tags_of(db, "浙A12345") == [TAG.format(1)]


def test_an_import_that_takes_a_loaner_tag_off_a_residents_car_ends_its_pass_on_record(db):
    visitors.issue(db, "浙A12345", household="1-101", tag=LOANER, expires=AT + timedelta(hours=8), at=AT)
    again = csvfile.read(csvfile.render(store.export_rows(db))).rows  # the file lists the loaner tag
    store.replace_all(db, again, at=AT + timedelta(hours=1))
    assert [v["tag"] for v in visitors.current(db, at=AT + timedelta(hours=1))] == [LOANER]  # it keeps its pass
    store.replace_all(db, [VehicleRow(2, "浙A12345", "1-101", "王", "", "", (TAG.format(1),))],
                      at=AT + timedelta(hours=2))
    assert store.plate_for_tag(db, LOANER) is None and visitors.current(db, at=AT + timedelta(hours=2)) == []
    assert db.execute("SELECT ended_at, ended_by FROM visitor_passes").fetchall() == [
        (store.stored_ts(AT + timedelta(hours=2)), "import")]


def test_a_pass_on_a_residents_own_tag_or_plate_entry_is_refused_and_the_tag_stays(db):
    store.save_vehicle(db, "浙B12345", household="3-301", at=AT)
    store.add_tag(db, "浙B12345", "plate:浙B12345", at=AT)  # a resident let in by the plate camera alone
    with pytest.raises(store.BadChange) as own:
        visitors.issue(db, "浙A12345", household="1-101", tag=TAG.format(1), expires=AT + timedelta(hours=1), at=AT)
    assert own.value.text() == f"标签 {TAG.format(1)} 是 浙A12345（1-101）的长期标签，不需要访客通行证"
    with pytest.raises(store.BadChange) as plate:
        visitors.issue(db, "浙B12345", household="3-301", expires=AT + timedelta(hours=1), at=AT)
    assert plate.value.text("en") == ("vehicle 浙B12345 is registered to 3-301 for good and opens by its plate: "
                                      "no visitor pass is needed")
    with pytest.raises(store.BadChange):
        store.add_tag(db, "浙A12345", TAG.format(1), expires=AT + timedelta(hours=1), at=AT)
    store.expire_passes(db, at=AT + timedelta(hours=2))
    assert store.tags_of(db, "浙A12345") == [TAG.format(1)] and store.tags_of(db, "浙B12345") == ["plate:浙B12345"]
    assert db.execute("SELECT count(*) FROM tags WHERE expires IS NOT NULL").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM visitor_passes").fetchone() == (0,)


def test_the_committee_edits_a_visitors_car_or_registers_it_as_a_residents(db):
    visitors.issue(db, "浙B11111", household="2-202", tag=LOANER, expires=AT + timedelta(hours=8), at=AT)
    edited, _ = csvfile.check_row({"plate": "浙B11111", "household": "2-202", "note": "岳父的车"})
    store.save_row(db, edited, original="浙B11111", at=AT)
    store.add_tag(db, "浙B11111", "eid:spare-1", at=AT)  # a tag with no expiry on a visitor's car opens too
    car = store.vehicle(db, "浙B11111")
    assert (car["visitor"], car["note"]) == (1, "岳父的车") and store.plate_for_tag(db, LOANER) == "浙B11111"
    assert {LOANER, "eid:spare-1"} <= set(allowlisted(db, AT)[0])
    renamed, _ = csvfile.check_row({"plate": "浙B11112", "household": "2-202"})
    with pytest.raises(store.BadChange) as rename:
        store.save_row(db, renamed, original="浙B11111", at=AT)  # a visitor's car is never renamed into a resident
    assert rename.value.text("en").startswith("浙B11111 is a visitor's car and its plate cannot be changed here")
    assert store.vehicle(db, "浙B11112") is None and store.vehicle(db, "浙B11111")["visitor"] == 1
    store.save_row(db, edited, original="", at=AT)  # 登记一辆车 with the visitor's plate: a resident now
    assert store.vehicle(db, "浙B11111")["visitor"] == 0 and store.tags_of(db, "浙B11111") == ["eid:spare-1"]
    assert [v["plate"] for v in store.export_rows(db)] == ["浙A12345", "浙B11111"]
    with pytest.raises(store.BadChange) as taken:
        store.save_row(db, edited, original="", at=AT)  # and now the plate is a resident's: refused
    assert taken.value.text() == "车牌 浙B11111 已经登记在 2-202：请打开那辆车的页面修改"


def test_taking_a_visitors_pass_tag_off_ends_the_pass_on_record(db):
    visitors.issue(db, "浙B11111", household="2-202", tag=LOANER, expires=AT + timedelta(hours=4), at=AT)
    store.remove_tag(db, "浙B11111", LOANER, at=AT + timedelta(hours=1))
    ended = db.execute("SELECT ended_at, ended_by FROM visitor_passes WHERE tag = ?", [LOANER]).fetchall()
    assert [by for _, by in ended] == ["removed"] and all(at for at, _ in ended)
    assert store.vehicle(db, "浙B11111") is None  # a visitor with no pass left leaves the registry
    store.remove_tag(db, "浙A12345", TAG.format(1), at=AT)  # a resident's own tag: simply taken off
    assert store.vehicle(db, "浙A12345") is not None and store.plate_for_tag(db, TAG.format(1)) is None
