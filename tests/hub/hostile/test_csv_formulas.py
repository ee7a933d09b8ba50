"""Formula cells in every CSV export (issue 15): neutralised the OWASP way, and a round trip keeps them.

Excel and WPS run a cell beginning with = + - @ (or a tab / carriage return) as a formula; the
committee opens these files.  Every export prefixes such a cell with ``'``; every importer takes
that quote off again, so a note, an owner or a ``+86`` mobile come back as they were.
"""

from __future__ import annotations

import csv
import io

import pytest

from hub.alerts import roster
from hub.core.csvsafe import neutralise, restore
from hub.registry import csvfile
from hub.overnight.pages.report import to_csv

EVIL = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("text,safe", [
    ("=1+1", "'=1+1"), ("+86 138", "'+86 138"), ("-", "'-"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("浙A12345", "浙A12345"), ("'quoted", "''quoted"), ("", ""), (3, 3),
])
def test_neutralise_and_restore(text, safe):
    assert neutralise(text) == safe
    if isinstance(text, str):
        assert restore(neutralise(text)) == text


def test_registry_export_neutralises_and_reimports_unchanged():
    vehicles = [{"plate": "浙A12345", "household": "=1+1", "owner": "@王", "mobile": "+8613800001111",
                 "tags": ["eid:car-1"], "note": EVIL[0]}]
    data = csvfile.render(vehicles)
    row = cells(data)[1]
    assert all(not c.startswith(("=", "+", "-", "@")) for c in row)
    (back,) = csvfile.parse(data)
    assert (back.household, back.owner, back.note) == ("=1+1", "@王", EVIL[0])
    assert back.mobile in ("+8613800001111", "13800001111")


def test_roster_export_neutralises_and_reimports_unchanged():
    entries = [roster.Entry(name="=李", mobile="13800001111", note="-早班 @all")]
    data = roster.export_csv(entries)
    assert cells(data)[1][0] == "'=李" and cells(data)[1][-1] == "'-早班 @all"
    (back,) = roster.parse_csv(data)
    assert (back.name, back.note) == ("=李", "-早班 @all")


def test_monthly_report_export_neutralises_formula_cells():
    report = {"weeks": [], "counts": {}, "vehicles": [{"vehicle": "=cmd|' /C calc'!A0", "count": 2}],
              "households": [{"household": "+3-101", "count": 1}], "denials": [], "charging": []}
    rows = cells(to_csv(report))
    assert rows[1][1] == "'=cmd|' /C calc'!A0" and rows[2][1] == "'+3-101"
