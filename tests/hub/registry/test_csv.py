"""The resident registry file (docs/contract.md §3): plates, mobiles, encodings, every bad-row reason,
all-or-nothing import, export."""

from datetime import datetime, timezone

import pytest

from hub.core.db import open_db
from hub.registry import csvfile
from hub.core import words as problems
from hub.registry import store
from hub.registry.csvfile import RegistryFileError
from hub.core.plates import BadMobile, BadPlate, mask_plate, parse_mobile, parse_plate
from hub.schema import all_sets

AT = datetime(2026, 3, 1, tzinfo=timezone.utc)
GOOD = ("车牌,房号,车主,手机,标签,备注\n"
        "浙A12345,27-2-301,吴美桂,13800138000,eid:car-1,\n"
        "浙GD12345,27-2-301,吴美桂,,eid:car-2;ibeacon:F7826DA6-4FA2-4E98-8024-BC5B71E0893E:1:42,新能源\n"
        "浙B·5678学,3-1-101,江京福,138 0013 8001,,教练车\n")


@pytest.mark.parametrize("text,plate", [
    ("浙A12345", "浙A12345"), ("浙a 12345", "浙A12345"), ("浙A·12345", "浙A12345"), ("浙A-1234-5", "浙A12345"),
    ("浙ＡＤ１２３４５", "浙AD12345"), ("浙GD12345", "浙GD12345"), ("浙G12345F", "浙G12345F"), ("浙B5678学", "浙B5678学"),
    ("京AFA1234", "京AFA1234"),
])
def test_valid_plates(text, plate):
    assert parse_plate(text) == plate


@pytest.mark.parametrize("text,why", [
    ("", "empty"), ("A12345", "province"), ("浙A1234", "7, or 8"), ("浙A123456789", "7, or 8"),
    ("浙112345", "city letter"), ("浙AI2345", "I and O"), ("浙A12O45", "I and O"), ("浙GX12345", "D or F"),
    ("浙A1234挂X", "D or F"),
])
def test_malformed_plates(text, why):
    with pytest.raises(BadPlate, match=why):
        parse_plate(text)


@pytest.mark.parametrize("text,mobile", [("13800138000", "13800138000"), ("+86 138-0013-8000", "13800138000"),
                                         ("0086 13800138000", "13800138000")])
def test_mobiles(text, mobile):
    assert parse_mobile(text) == mobile


@pytest.mark.parametrize("text", ["12345", "1.38E+10", "23800138000", "1380013800a", "0571-88888888"])
def test_bad_mobiles(text):
    with pytest.raises(BadMobile):
        parse_mobile(text)


def test_masked_plate_for_chat():
    assert mask_plate("浙A12345") == "浙A·1**45" and mask_plate(None) == "无牌"


@pytest.mark.parametrize("encoding,prefix", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b""), ("gbk", b"")])
def test_encodings_excel_and_wps_save(encoding, prefix):
    rows = csvfile.parse(prefix + GOOD.encode(encoding))
    assert [r.plate for r in rows] == ["浙A12345", "浙GD12345", "浙B5678学"]
    assert rows[0].owner == "吴美桂" and rows[2].mobile == "13800138001"
    assert rows[1].tags == ("eid:car-2", "ibeacon:f7826da6-4fa2-4e98-8024-bc5b71e0893e:1:42")


def test_english_headers_in_any_order_and_crlf_and_blank_rows():
    data = "Household,PLATE,tag\r\n1-101,浙A12345,eid:car-1\r\n,,\r\n2-202,浙A54321,\r\n".encode()
    rows = csvfile.parse(data)
    assert [(r.line, r.plate, r.household) for r in rows] == [(2, "浙A12345", "1-101"), (4, "浙A54321", "2-202")]


@pytest.mark.parametrize("body,line,code,zh,en", [
    ("浙A1234,1-101,,,,", 2, "plate_length", "车牌“浙A1234”有 6 个字符（普通车牌 7 个，新能源车牌 8 个）",
     "7, or 8 for new-energy"),
    ("浙GX12345,1-101,,,,", 2, "plate_shape_new_energy", "新能源车牌字母后面应是 D 或 F", "D or F and five more"),
    ("浙A12345,1-101,,1380013800,,", 2, "mobile_invalid", "手机号“1380013800”不是以 1 开头的 11 位手机号",
     "mobile '1380013800' is not an 11-digit"),
    ("浙A12345,1-101,,,,\n浙A 12345,1-102,,,,", 3, "duplicate_plate", "车牌 浙A12345 重复（第 2 行已有）",
     "duplicate plate 浙A12345 (already on line 2)"),
    ("浙A12345,1-101,,,eid:car-1,\n浙A54321,1-102,,,eid:car-1,", 3, "tag_taken",
     "标签 eid:car-1 已经绑定车辆 浙A12345（第 2 行）", "tag eid:car-1 is already bound to vehicle 浙A12345 (line 2)"),
    ("浙A12345,1-101,,,blue-tag,", 2, "tag_scheme", "标签“blue-tag”应以 ibeacon:、eddystone:、eid: 或 mac: 开头",
     "must start with one of"),
    ("浙A12345,1-101,,,ibeacon:f7826da6-4fa2-4e98-8024-bc5b71e0893e:1:70000,", 2, "tag_ibeacon",
     "不是有效的 iBeacon 编号", "is not a valid ibeacon id"),
    ("浙A12345,1-101,,,MAC:12:34,", 2, "tag_mac", "标签“MAC:12:34”不是有效的 MAC 地址", "is not a valid mac id"),
    (",1-101,,,,", 2, "plate_missing", "车牌没有填", "plate is missing"),
    ("浙A12345,,,,,", 2, "household_missing", "房号没有填", "household (房号) is missing"),
    ("浙A12345,1-101,,,,,extra", 2, "too_many_cells", "这一行有 7 格，但表头只有 6 列",
     "has 7 cells but the header has 6 columns"),
    ("浙A12345,1-101,,,," + "长" * 501, 2, "too_long", "备注超过 500 个字", "note is longer than 500 characters"),
])
def test_every_bad_row_reason_with_its_line_in_chinese_and_english(body, line, code, zh, en):
    data = ("车牌,房号,车主,手机,标签,备注\n" + body + "\n").encode()
    with pytest.raises(RegistryFileError) as err:
        csvfile.parse(data)
    found = [p for p in err.value.problems if p.line == line and p.code == code]
    assert found, err.value.problems
    assert zh in found[0].text() and zh in found[0].text("zh") and en in found[0].text("en")
    assert str(found[0]) == f"line {line}: {found[0].text('en')}"


@pytest.mark.parametrize("header,code,zh,en", [
    ("车牌,车主", "missing_column", "缺少“房号”列", "missing column 房号/household"),
    ("plate,车牌,房号", "duplicate_column", "列“车牌”出现了两次", "column '车牌' appears twice"),
])
def test_header_problems(header, code, zh, en):
    with pytest.raises(RegistryFileError) as err:
        csvfile.parse((header + "\n浙A12345,1-101,x\n").encode())
    found = [p for p in err.value.problems if p.line == 1 and p.code == code]
    assert found and zh in found[0].text("zh") and en in found[0].text("en")


def test_every_code_has_both_languages_and_the_cli_language_follows_the_environment():
    assert all(zh and en and zh != en for zh, en in problems.MESSAGES.values())
    assert problems.text("fr", "plate_missing") == "车牌没有填"
    # one policy for every command: GATEWARDEN_LANG, else Chinese — the locale is never consulted
    # (Raspberry Pi OS ships with en_GB.UTF-8, and the people reading are Chinese)
    for env, lang in [({}, "zh"), ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LANG": "C.UTF-8"}, "zh"),
                      ({"LANG": "en_GB.UTF-8"}, "zh"), ({"LC_MESSAGES": "en_US.UTF-8"}, "zh"),
                      ({"LANG": "en_GB.UTF-8", "GATEWARDEN_LANG": "zh"}, "zh"), ({"GATEWARDEN_LANG": "EN"}, "en"),
                      ({"GATEWARDEN_LANG": "en_US.UTF-8"}, "en"), ({"GATEWARDEN_LANG": "fr", "LANG": "en_US"}, "zh")]:
        assert problems.cli_lang(env) == lang, env


def test_every_bad_row_is_reported_not_just_the_first():
    data = "车牌,房号,手机\n浙A1,1-101,\n浙A12345,1-102,\n浙B12345,,123\n".encode()
    with pytest.raises(RegistryFileError) as err:
        csvfile.parse(data)
    assert [p.line for p in err.value.problems] == [2, 4, 4]


def test_neither_utf8_nor_gb18030():
    with pytest.raises(RegistryFileError, match="neither UTF-8 nor GB18030") as err:
        csvfile.parse("车牌,房号\n".encode("gb18030") + b"\x81\x20\xff\n")
    assert [(p.line, p.code) for p in err.value.problems] == [(2, "bad_encoding")]
    assert "既不是 UTF-8 也不是 GB18030/GBK" in err.value.problems[0].text()


def test_empty_file():
    with pytest.raises(RegistryFileError, match="empty") as err:
        csvfile.parse(b"\xef\xbb\xbf")
    assert err.value.problems[0].text().startswith("文件是空的")


@pytest.fixture
def db(tmp_path):
    handle = open_db(tmp_path / "hub.db", migrations=all_sets())
    yield handle
    handle.close()


def test_import_replaces_the_registry_and_bumps_the_version(db):
    before = store.version(db)
    summary = store.replace_all(db, csvfile.parse(GOOD.encode()), at=AT)
    assert summary == {"vehicles": 3, "tags": 3, "households": 2, "version": before + 1}
    assert store.plate_for_tag(db, "eid:car-2") == "浙GD12345"
    store.set_revoked(db, "eid:car-2")
    store.replace_all(db, csvfile.parse(GOOD.replace("浙A12345,27-2-301", "浙A12345,5-5-505").encode()), at=AT)
    assert store.vehicle(db, "浙A12345")["household"] == "5-5-505"
    entries = {e.tag: e for e in store.allowlist(db, at=AT).entries}
    assert entries["eid:car-2"].revoked is True           # a revoked tag stays revoked across a re-import
    assert entries["ibeacon:f7826da6-4fa2-4e98-8024-bc5b71e0893e:1:42"].weak is True
    assert store.allowlist(db, at=AT).version == before + 3


def test_a_bad_file_changes_nothing(db, tmp_path):
    from gatewarden.cli import main

    store.replace_all(db, csvfile.parse(GOOD.encode()), at=AT)
    snapshot = (store.version(db), store.export_rows(db))
    config = _config(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_bytes((GOOD + "浙Z99999,9-9-909,,12,,\n").encode("gb18030"))
    assert main(["registry", "import", str(bad), "--config", str(config)]) == 2
    assert (store.version(db), store.export_rows(db)) == snapshot


def _config(tmp_path):
    config = tmp_path / "hub.toml"
    config.write_text(f'[site]\nid = "csv-test"\n[storage]\ndir = "{tmp_path}"\n', encoding="utf-8")
    return config


def test_export_is_utf8_with_bom_and_chinese_headers_and_reimports(db):
    store.replace_all(db, csvfile.parse(GOOD.encode("gb18030")), at=AT)
    data = csvfile.render(store.export_rows(db))
    assert data.startswith("\ufeff车牌,房号,车主,手机,标签,备注\r\n".encode())
    again = csvfile.parse(data)
    assert [(r.plate, r.household, r.tags) for r in again] == [
        (r["plate"], r["household"], tuple(r["tags"])) for r in store.export_rows(db)]
    english = csvfile.render(store.export_rows(db), "en")  # the English web view's export reimports too
    assert english.startswith("\ufeffplate,household,owner,mobile,tag,note\r\n".encode())
    assert [(r.plate, r.tags) for r in csvfile.parse(english)] == [(r.plate, r.tags) for r in again]


def test_changes_from_the_web_view(db):
    store.save_vehicle(db, "浙a 11111", household="8-1-101", mobile="13900139000", at=AT)
    store.add_tag(db, "浙A11111", "eid:visitor-1", expires=datetime(2026, 3, 2, tzinfo=timezone.utc), at=AT)
    with pytest.raises(store.UnknownVehicle):
        store.add_tag(db, "浙A22222", "eid:visitor-2", at=AT)
    store.save_vehicle(db, "浙A22222", household="8-1-102", at=AT)
    with pytest.raises(store.TagTaken):
        store.add_tag(db, "浙A22222", "eid:visitor-1", at=AT)
    entry = store.allowlist(db, at=AT).entries[0]
    assert entry.expires == datetime(2026, 3, 2, tzinfo=timezone.utc) and entry.vehicle == "浙A11111"
    store.remove_vehicle(db, "浙A11111", at=AT)
    assert store.allowlist(db, at=AT).entries == []
