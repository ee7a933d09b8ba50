"""A registry file with only its header row (issue 15) must not delete every vehicle unasked.

From the command line it is refused (exit 2, the reason in Chinese or English) unless ``--yes``;
from the web the page answers 409 and asks for the confirmation box.  Nothing changes meanwhile.
"""

from __future__ import annotations

import re

import httpx
import pytest

from gatewarden.cli import main
from hub.registry.guard import needs_confirmation
from tests.support.hubrun import rows
from tests.support.webhub import add_user, login, web_hub

HEADER = "车牌,房号,车主,手机,标签,备注\n"
ROWS = HEADER + "浙A12345,1-101,张三,13800138000,eid:car-1,\n浙GD12345,2-202,,,eid:car-2,\n浙B11111,3-303,,,,\n"


@pytest.mark.parametrize("current,removed,share,asks", [
    (0, 0, 0.5, False), (3, 0, 0.5, False), (3, 1, 0.5, False), (3, 2, 0.5, True), (3, 3, 1.0, True),
    (100, 50, 0.5, False), (100, 51, 0.5, True), (100, 99, 1.0, False), (1, 1, 0.5, True),
])
def test_needs_confirmation(current, removed, share, asks):
    assert needs_confirmation(current, removed, share=share) is asks


def write_config(tmp_path):
    storage = tmp_path / "hub"
    storage.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "hub.toml"
    config.write_text(f'[site]\nid = "wipe"\n[storage]\ndir = "{storage}"\n', encoding="utf-8")
    return config


def test_the_cli_refuses_a_header_only_file_without_yes(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GATEWARDEN_LANG", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    config = write_config(tmp_path)
    full, empty = tmp_path / "full.csv", tmp_path / "empty.csv"
    full.write_text(ROWS, encoding="utf-8")
    empty.write_text(HEADER, encoding="utf-8")
    assert main(["registry", "import", str(full), "--config", str(config)]) == 0
    assert main(["registry", "import", str(empty), "--config", str(config)]) == 2
    assert "会删除已登记的 3 辆车中的 3 辆" in capsys.readouterr().err
    out = tmp_path / "out.csv"
    assert main(["registry", "export", str(out), "--config", str(config)]) == 0
    assert out.read_text(encoding="utf-8-sig").count("\n") == 4  # header + 3 vehicles: nothing removed
    assert main(["registry", "import", str(empty), "--config", str(config), "--yes"]) == 0
    assert main(["registry", "export", str(out), "--config", str(config)]) == 0
    assert out.read_text(encoding="utf-8-sig").count("\n") == 1


def test_the_web_asks_for_confirmation_before_a_header_only_import(tmp_path, broker):
    hub = web_hub(tmp_path, broker)
    try:
        add_user(hub, "committee", "committee")
        with httpx.Client(base_url=f"http://127.0.0.1:{hub.server.port}") as client:
            login(client, "committee")

            def upload(text: str, **form):
                token = re.search(r'name="csrf" value="([^"]+)"', client.get("/registry").text).group(1)
                return client.post("/registry/import", data={"csrf": token, **form},
                                   files={"file": ("r.csv", text.encode("utf-8"), "text/csv")})
            assert upload(ROWS).status_code == 200
            refused = upload(HEADER)
            assert refused.status_code == 409 and "确认删除" in refused.text
            assert len(rows(hub, "SELECT plate FROM vehicles")) == 3
            assert upload(HEADER, confirm="yes").status_code == 200
            assert rows(hub, "SELECT plate FROM vehicles") == []
    finally:
        hub.stop()
