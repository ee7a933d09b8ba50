"""Every shape of committee sheet imports (CONTRACT §3 v1.1), and the import preview is exact."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.registry import csvfile, diff
from hub.registry.csvfile import RegistryFileError, VehicleRow
from hub.core.plates import BadMobile, parse_phones

HEADER = ["序号", "楼栋", "房号", "车主姓名", "联系电话", "车牌号", "标签", "备注"]
ROWS = [[1, "3号楼", "3-2-301", "张三", 13800138000, "浙A12345", "eid:car-1", ""],
        [2, "5号楼", "5-1-102", "李四", "0571-88886666", "浙GD12345", "", "访客车位"]]


def text_sheet(delimiter: str) -> str:
    return "\n".join(delimiter.join(str(c) for c in row) for row in [HEADER, *ROWS]) + "\n"


def xlsx_sheet(rows=None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows or [HEADER, *ROWS]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("data", [
    pytest.param(text_sheet(",").encode("gb18030"), id="gb18030-comma"),
    pytest.param(text_sheet(",").encode("utf-8-sig"), id="utf8-bom"),
    pytest.param(text_sheet(";").encode("utf-8"), id="semicolon"),
    pytest.param(text_sheet("\t").encode("utf-16"), id="excel-unicode-text"),
    pytest.param(text_sheet("\t").encode("utf-16-le"), id="utf16-no-bom"),
    pytest.param(xlsx_sheet(), id="xlsx"),
])
def test_every_sheet_shape_reads_the_same(data):
    found = csvfile.read(data)
    assert [(r.plate, r.household, r.owner, r.mobile, r.tags) for r in found.rows] == [
        ("浙A12345", "3-2-301", "张三", "13800138000", ("eid:car-1",)),
        ("浙GD12345", "5-1-102", "李四", "0571-88886666", ())]
    assert found.ignored == ("序号", "楼栋")


def test_a_workbook_keeps_a_mobile_typed_as_a_number():
    rows = [["车牌", "房号", "手机"], ["浙A12345", "1-101", 13800138000.0]]
    assert csvfile.read(xlsx_sheet(rows)).rows[0].mobile == "13800138000"


@pytest.mark.parametrize("header, column", [
    ("车牌号码", "plate"), ("房号（必填）", "household"), ("*房号", "household"), ("门牌", "household"),
    ("姓名", "owner"), ("车主姓名", "owner"), ("电话", "mobile"), ("联系电话", "mobile"), ("手机号", "mobile"),
    ("Plate", "plate"), (" 车牌 ", "plate"), ("\ufeff车牌", "plate"), ("颜色", None), ("序号", None),
])
def test_header_synonyms(header, column):
    assert csvfile.header_key(header) == column


@pytest.mark.parametrize("cell, stored", [
    ("13800138000", "13800138000"), ("13800138000.0", "13800138000"), ("'13800138000", "13800138000"),
    ("+86 138 0013 8000", "13800138000"), ("13800138000/13900139000", "13800138000;13900139000"),
    ("13800138000、0571-88886666", "13800138000;0571-88886666"), ("13800138000 13900139000", "13800138000;13900139000"),
    ("0571-88886666转123", "0571-88886666转123"), ("88886666", "88886666"),
])
def test_phone_cells_as_excel_writes_them(cell, stored):
    assert parse_phones(cell) == stored


@pytest.mark.parametrize("cell, code", [("1.38001E+10", "mobile_scientific"), ("12345", "mobile_invalid"),
                                        ("13800138000/abc", "mobile_invalid")])
def test_bad_phone_cells_say_why(cell, code):
    with pytest.raises(BadMobile) as caught:
        parse_phones(cell)
    assert caught.value.code == code


def test_scientific_notation_is_explained_in_the_report():
    with pytest.raises(RegistryFileError) as caught:
        csvfile.read("车牌,房号,手机\n浙A12345,1-101,1.38001E+10\n".encode())
    assert "Excel 把号码变成了科学计数法" in caught.value.problems[0].text("zh")
    assert caught.value.problems[0].line == 2


def test_o_and_i_in_the_number_are_read_as_digits_with_a_note():
    found = csvfile.read("车牌,房号\n浙AO12I4,1-101\n".encode())
    assert found.rows[0].plate == "浙A01214"
    assert [n.code for n in found.notes] == ["plate_folded"] and found.notes[0].line == 2


@pytest.mark.parametrize("data, code", [
    (b'\xe8\xbd\xa6\xe7\x89\x8c,\xe6\x88\xbf\xe5\x8f\xb7\n"\xe6\xb5\x99A12345,1-101\n', "unterminated_quote"),
    (b"PK\x03\x04not really a workbook", "xlsx_unreadable"),
])
def test_a_broken_file_is_a_clear_refusal(data, code):
    with pytest.raises(RegistryFileError) as caught:
        csvfile.read(data)
    assert caught.value.problems[0].code == code and caught.value.problems[0].text("zh")


# --- the preview ---------------------------------------------------------------------------------

PLATES = st.sampled_from([f"浙A{n:05d}" for n in range(12)])
VEHICLE = st.fixed_dictionaries({
    "household": st.sampled_from(["1-101", "2-202", "3-303"]), "owner": st.sampled_from(["", "张三"]),
    "mobile": st.sampled_from(["", "13800138000"]), "note": st.just(""),
    "tags": st.lists(st.sampled_from([f"eid:t{n}" for n in range(6)]), max_size=2, unique=True)})
REGISTRY = st.dictionaries(PLATES, VEHICLE, max_size=8)


def unique_tags(registry: dict) -> dict:
    seen: set[str] = set()
    out = {}
    for plate, v in registry.items():
        tags = [t for t in v["tags"] if t not in seen]
        seen.update(tags)
        out[plate] = {**v, "tags": tags}
    return out


@settings(max_examples=300, deadline=None)
@given(REGISTRY, REGISTRY)
def test_the_preview_is_exactly_what_the_import_does(before, after):
    before, after = unique_tags(before), unique_tags(after)
    current = [{"plate": p, **v} for p, v in before.items()]
    rows = [VehicleRow(i + 2, p, v["household"], v["owner"], v["mobile"], v["note"], tuple(v["tags"]))
            for i, (p, v) in enumerate(after.items())]
    change = diff.compare(current, rows)
    # applying the preview to the registry as it is gives the file
    result = {v["plate"]: v for v in current}
    for v in change.removed:
        del result[v["plate"]]
    for v in change.added:
        result[v["plate"]] = v
    for c in change.changed:
        result[c.plate] = {**result[c.plate], **{f: new for f, (old, new) in c.fields.items()}}
    assert {p: sorted(v["tags"]) for p, v in result.items()} == {p: sorted(v["tags"]) for p, v in after.items()}
    assert {p: v["household"] for p, v in result.items()} == {p: v["household"] for p, v in after.items()}
    assert len(change.added) + len(change.changed) + change.unchanged == len(after)
    assert change.needs_confirmation == bool(set(before) - set(after))
    assert all(line[0] in "+-~>" for line in diff.lines(change))
    assert "13800138000" not in "\n".join(diff.lines(change))  # mobiles masked


def test_moved_tags_are_named():
    current = [{"plate": "浙A00001", "household": "1-101", "owner": "", "mobile": "", "note": "", "tags": ["eid:a"]}]
    rows = [VehicleRow(2, "浙A00001", "1-101", tags=()), VehicleRow(3, "浙A00002", "1-102", tags=("eid:a",))]
    change = diff.compare(current, rows)
    assert change.moved_tags == [("eid:a", "浙A00001", "浙A00002")]
    assert "> eid:a: 浙A00001 → 浙A00002" in diff.lines(change)


def test_a_damaged_workbook_is_a_clear_refusal_not_a_crash():
    """Review finding: openpyxl reads lazily, so a damaged sheet shows only while its rows are read."""
    import zipfile

    good = io.BytesIO(xlsx_sheet())
    broken = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    with pytest.raises(RegistryFileError) as caught:
        csvfile.read(broken.getvalue())
    assert caught.value.problems[0].code == "xlsx_unreadable"


def test_the_web_preview_shows_tags_short_unless_a_change_would_look_like_none():
    beacon = "ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:1:{}"
    other_uuid = "ibeacon:0a0a0a0a-a4e2-4fb1-afcf-c6eb07647825:1:7"
    current = [{"plate": "浙A00001", "household": "1-101", "owner": "", "mobile": "", "note": "", "tags": [beacon.format(7)]}]
    rows = [VehicleRow(2, "浙A00001", "1-101", tags=(other_uuid,)),
            VehicleRow(3, "浙A00002", "1-102", tags=(beacon.format(101),))]
    shown = diff.lines(diff.compare(current, rows), short=True)
    assert "+ 浙A00002  1-102  标签：蓝牙标签 …1:101" in shown
    assert f"~ 浙A00001  标签 {beacon.format(7)} → {other_uuid}" in shown   # both would read …1:7
    assert beacon.format(101) in "\n".join(diff.lines(diff.compare(current, rows)))  # the CLI keeps full ids
