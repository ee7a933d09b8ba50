"""``gatewarden registry import|export`` — with and without a running hub."""

import json
import threading
import uuid

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from gatewarden.cli import main
from tests.support.hubrun import make_hub, wait_until

ROWS = "车牌,房号,车主,手机,标签,备注\n浙A12345,1-101,张三,13800138000,eid:car-1,\n浙GD12345,2-202,,,eid:car-2,\n"


def write_config(tmp_path, site="reg-cli", storage=None):
    storage = storage or tmp_path / "hub"
    storage.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "hub.toml"
    config.write_text(f'[site]\nid = "{site}"\n[storage]\ndir = "{storage}"\n', encoding="utf-8")
    return config


def test_import_then_export_to_a_file_and_to_stdout(tmp_path, capsysbinary):
    config = write_config(tmp_path)
    source = tmp_path / "residents.csv"
    source.write_bytes(ROWS.encode("gb18030"))
    assert main(["registry", "import", str(source), "--config", str(config)]) == 0
    assert "已导入 2 户的 2 辆车、2 个标签" in capsysbinary.readouterr().out.decode()
    target = tmp_path / "out.csv"
    assert main(["registry", "export", str(target), "--config", str(config)]) == 0
    assert target.read_bytes().startswith("\ufeff车牌,房号,车主,手机,标签,备注\r\n浙A12345,1-101,张三,13800138000,eid:car-1,".encode())
    capsysbinary.readouterr()
    assert main(["registry", "export", "--config", str(config)]) == 0
    assert capsysbinary.readouterr().out == target.read_bytes()


def test_bad_file_lists_every_line_in_chinese_or_english_and_exits_nonzero(tmp_path, capsys, monkeypatch):
    config = write_config(tmp_path)
    source = tmp_path / "bad.csv"
    source.write_text("车牌,房号,手机\n浙A1,1-101,\n浙A12345,1-102,555\n", encoding="utf-8")
    for name in ("GATEWARDEN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert main(["registry", "import", str(source), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv: 第 2 行: 车牌“浙A1”有 3 个字符" in err and "bad.csv: 第 3 行: 手机号“555”不是" in err
    assert "共 2 处问题，没有做任何更改" in err
    monkeypatch.setenv("LANG", "en_US.UTF-8")  # a stock Pi's locale: still Chinese
    assert main(["registry", "import", str(source), "--config", str(config)]) == 2
    assert "第 2 行" in capsys.readouterr().err
    assert main(["--lang", "en", "registry", "import", str(source), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv: line 2: plate '浙A1'" in err and "bad.csv: line 3: mobile '555'" in err
    assert "2 bad line(s); nothing was changed" in err
    monkeypatch.setenv("GATEWARDEN_LANG", "zh")
    assert main(["registry", "import", str(source), "--config", str(config)]) == 2
    assert "第 2 行" in capsys.readouterr().err


def test_check_only_and_missing_file(tmp_path, capsys):
    config = write_config(tmp_path)
    source = tmp_path / "ok.csv"
    source.write_text(ROWS, encoding="utf-8")
    assert main(["registry", "import", str(source), "--check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "新增 2 辆，删除 0 辆" in out and "+ 浙A12345  1-101" in out and "没有做任何更改" in out
    assert main(["--lang", "en", "registry", "import", str(source), "--check", "--config", str(config)]) == 0
    assert "2 to add, 0 to remove" in capsys.readouterr().out
    assert main(["registry", "export", "--config", str(config)]) == 0
    assert "浙A12345" not in capsys.readouterr().out  # --check changed nothing
    assert main(["registry", "import", str(tmp_path / "nope.csv"), "--config", str(config)]) == 2
    assert "读不了这个文件" in capsys.readouterr().err


def test_bad_config_is_one_line(tmp_path, capsys):
    assert main(["registry", "export", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml：找不到这个文件" in capsys.readouterr().err  # Chinese by default
    assert main(["--lang", "en", "registry", "export", "--config", str(tmp_path / "missing.toml")]) == 2
    assert "no such file" in capsys.readouterr().err


def allowlist_listener(port, site):
    seen: list[dict] = []
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"al-{uuid.uuid4().hex[:8]}", protocol=paho.MQTTv5)
    subscribed = threading.Event()
    client.on_message = lambda c, u, msg: seen.append(json.loads(msg.payload))
    client.on_connect = lambda c, *a: c.subscribe(f"gatewarden/{site}/allowlist", qos=1)
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect("127.0.0.1", port, keepalive=5)
    client.loop_start()
    assert subscribed.wait(10)
    return client, seen


@pytest.mark.timeout(60)
def test_import_while_the_hub_runs_republishes_the_allowlist(tmp_path, broker):
    hub = make_hub(tmp_path, broker, areas=["hub.registry.area", "hub.overnight.area"])
    client, seen = allowlist_listener(broker.port, hub.config.site.id)
    try:
        first = wait_until(lambda: seen and seen[-1], message="no allowlist at start")
        assert first["entries"] == []
        config = write_config(tmp_path, site=hub.config.site.id, storage=hub.config.storage.dir)
        source = tmp_path / "residents.csv"
        source.write_bytes(b"\xef\xbb\xbf" + ROWS.encode())
        assert main(["registry", "import", str(source), "--config", str(config)]) == 0
        latest = wait_until(lambda: seen[-1] if seen[-1]["version"] > first["version"] else None,
                            message="the hub did not republish the allowlist after the import")
        assert sorted((e["tag"], e["vehicle"]) for e in latest["entries"]) == [("eid:car-1", "浙A12345"),
                                                                                ("eid:car-2", "浙GD12345")]
    finally:
        client.disconnect()
        client.loop_stop()
        hub.stop()


def test_an_import_that_removes_vehicles_needs_yes(tmp_path, capsys):
    """CONTRACT §3 v1.1: a 1-row file over a 2-vehicle registry (or a header-only file) changes
    nothing until --yes confirms the removals; the preview says which."""
    config = write_config(tmp_path)
    full, one, header = tmp_path / "full.csv", tmp_path / "one.csv", tmp_path / "header.csv"
    full.write_text(ROWS, encoding="utf-8")
    one.write_text(ROWS.splitlines()[0] + "\n" + ROWS.splitlines()[1] + "\n", encoding="utf-8")
    header.write_text(ROWS.splitlines()[0] + "\n", encoding="utf-8")
    assert main(["registry", "import", str(full), "--config", str(config)]) == 0
    capsys.readouterr()
    for source in (one, header):
        assert main(["registry", "import", str(source), "--config", str(config)]) == 1
        out, err = capsys.readouterr()
        assert "- 浙GD12345  2-202" in out and "加 --yes 再运行一次" in err and "没有做任何更改" in err
        assert main(["registry", "export", "--config", str(config)]) == 0
        assert "浙GD12345" in capsys.readouterr().out  # still registered
    assert main(["registry", "import", str(one), "--yes", "--config", str(config)]) == 0
    assert "删除 1 辆" in capsys.readouterr().out
    assert main(["registry", "export", "--config", str(config)]) == 0
    assert "浙GD12345" not in capsys.readouterr().out


def test_a_real_committee_sheet_imports_with_its_extra_columns_named(tmp_path, capsys):
    config = write_config(tmp_path)
    sheet = tmp_path / "登记表.csv"
    sheet.write_bytes("序号,楼栋,房号,车主姓名,联系电话,车牌号,标签,备注\n"
                      "1,3号楼,3-2-301,张三,13800138000.0,浙AO1234,eid:car-1,\n"
                      "2,5号楼,5-1-102,李四,0571-88886666/13900139000,浙B12345,,\n".encode("gb18030"))
    assert main(["registry", "import", str(sheet), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "这些列没有导入：序号、楼栋" in out and "车牌“浙AO1234”按 浙A01234 导入" in out
    assert main(["registry", "export", "--config", str(config)]) == 0
    exported = capsys.readouterr().out
    assert "浙A01234,3-2-301,张三,13800138000," in exported
    assert "浙B12345,5-1-102,李四,0571-88886666;13900139000," in exported
