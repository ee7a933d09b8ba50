"""A registry file with only its header row (issue 15) must not delete every vehicle unasked.

From the command line the import shows what it would remove and changes nothing (exit 1) until
``--yes``; on the web the preview names the removals and the confirmation needs its own tick.
"""

from __future__ import annotations

import re

import httpx

from gatewarden.cli import main
from tests.support.hubrun import rows
from tests.support.webhub import add_user, login, web_hub

HEADER = "车牌,房号,车主,手机,标签,备注\n"
ROWS = HEADER + "浙A12345,1-101,张三,13800138000,eid:car-1,\n浙GD12345,2-202,,,eid:car-2,\n浙B11111,3-303,,,,\n"


def write_config(tmp_path):
    storage = tmp_path / "hub"
    storage.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "hub.toml"
    config.write_text(f'[site]\nid = "wipe"\n[storage]\ndir = "{storage}"\n', encoding="utf-8")
    return config


def test_the_cli_refuses_a_header_only_file_without_yes(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GATEWARDEN_LANG", raising=False)
    config = write_config(tmp_path)
    full, empty = tmp_path / "full.csv", tmp_path / "empty.csv"
    full.write_text(ROWS, encoding="utf-8")
    empty.write_text(HEADER, encoding="utf-8")
    assert main(["registry", "import", str(full), "--config", str(config)]) == 0
    capsys.readouterr()
    assert main(["registry", "import", str(empty), "--config", str(config)]) == 1
    out, err = capsys.readouterr()
    assert "删除 3 辆" in out and "这次导入会删除 3 辆车" in err
    target = tmp_path / "out.csv"
    assert main(["registry", "export", str(target), "--config", str(config)]) == 0
    assert target.read_text(encoding="utf-8-sig").count("\n") == 4  # header + 3 vehicles: nothing removed
    assert main(["registry", "import", str(empty), "--config", str(config), "--yes"]) == 0
    assert main(["registry", "export", str(target), "--config", str(config)]) == 0
    assert target.read_text(encoding="utf-8-sig").count("\n") == 1


def test_the_web_asks_for_confirmation_before_a_header_only_import(tmp_path, broker):
    hub = web_hub(tmp_path, broker)
    try:
        add_user(hub, "committee", "committee")
        with httpx.Client(base_url=f"http://127.0.0.1:{hub.server.port}") as client:
            login(client, "committee")

            def csrf() -> str:
                return re.search(r'name="csrf" value="([^"]+)"', client.get("/registry").text).group(1)

            def preview(text: str) -> str:
                page = client.post("/registry/import", data={"csrf": csrf()},
                                   files={"file": ("r.csv", text.encode("utf-8"), "text/csv")}).text
                return re.search(r'name="token" value="([^"]+)"', page).group(1)

            assert client.post("/registry/import/confirm", data={"csrf": csrf(), "token": preview(ROWS)}).status_code == 200
            refused = client.post("/registry/import/confirm", data={"csrf": csrf(), "token": preview(HEADER)})
            assert refused.status_code == 400 and "请勾选确认" in refused.text
            assert len(rows(hub, "SELECT plate FROM vehicles")) == 3
            done = client.post("/registry/import/confirm", data={"csrf": csrf(), "token": preview(HEADER), "removals": "1"})
            assert done.status_code == 200
            assert rows(hub, "SELECT plate FROM vehicles") == []
    finally:
        hub.stop()
