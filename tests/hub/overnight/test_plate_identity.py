"""A ``plate:`` tag (a plate camera's read) is the vehicle with that plate (hub.overnight.stays.for_tag)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from hub.overnight import stays
from hub.core.db import open_db
from hub.registry import store
from hub.registry.csvfile import VehicleRow
from hub.schema import all_sets

AT = datetime(2026, 3, 9, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def db(tmp_path):
    handle = open_db(tmp_path / "hub.db", migrations=all_sets())
    store.replace_all(handle, [VehicleRow(2, "浙A12345", "1-101", "", "", "", ("eid:car-1",)),
                               VehicleRow(3, "浙B12345", "2-202", "", "", "", ())], at=AT)
    yield handle
    handle.close()


@pytest.mark.parametrize("tag,key,plate,household", [
    ("plate:浙A12345", "plate:浙A12345", "浙A12345", "1-101"),  # the same key as its tag: one vehicle
    ("eid:car-1", "plate:浙A12345", "浙A12345", "1-101"),
    ("plate:浙B12345", "plate:浙B12345", "浙B12345", "2-202"),  # registered without a tag
    ("plate:沪C99999", "plate:沪C99999", "沪C99999", None),  # unregistered: named by its plate
    ("eid:stranger", "tag:eid:stranger", None, None),
])
def test_plate_tags_resolve_to_the_vehicle(db, tag, key, plate, household):
    who = stays.for_tag(db, tag)
    assert (who.key, who.plate, who.household) == (key, plate, household)
