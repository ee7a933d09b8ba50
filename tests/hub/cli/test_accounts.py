"""``gatewarden hub user add|list`` and ``gatewarden hub token create``, through the real CLI."""

from __future__ import annotations

import io
import sys

import pytest

from gatewarden.cli import main
from hub.core.db import open_reader
from hub.web.auth import find_user, token_principal, verify_password


@pytest.fixture
def config(tmp_path):
    (tmp_path / "data").mkdir()
    path = tmp_path / "hub.toml"
    path.write_text('[site]\nid = "cli-test"\n[storage]\ndir = "data"\n', encoding="utf-8")
    return path


def reader(config):
    return open_reader(config.parent / "data" / "hub.db")


def test_first_admin_from_standard_input(config, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("a long password\n"))
    assert main(["hub", "user", "add", "laowang", "--role", "admin", "--config", str(config)]) == 0
    assert "已添加管理员账号 laowang" in capsys.readouterr().out  # Chinese unless English is asked for
    user = find_user(reader(config), "laowang")
    assert user["role"] == "admin" and verify_password(user["password_hash"], "a long password")
    assert main(["hub", "user", "list", "--config", str(config)]) == 0
    assert "laowang\tadmin" in capsys.readouterr().out


def test_password_file_duplicate_and_replace(config, tmp_path, capsys):
    secret = tmp_path / "pw"
    secret.write_text("first password\n")
    args = ["hub", "user", "add", "w1", "--role", "warden", "--password-file", str(secret), "--config", str(config)]
    assert main(args) == 0
    assert main(args) == 2
    assert "已经存在" in capsys.readouterr().err
    secret.write_text("second password\n")
    assert main(args + ["--replace"]) == 0
    assert verify_password(find_user(reader(config), "w1")["password_hash"], "second password")


@pytest.mark.parametrize("argv,message", [
    (["hub", "user", "add", "bad name", "--role", "viewer"], "用户名应是"),
    (["hub", "user", "add", "ok", "--role", "viewer"], "密码至少 8 位"),
])
def test_bad_input_is_one_line_and_changes_nothing(config, monkeypatch, capsys, argv, message):
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(argv + ["--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_bad_role_is_refused_by_the_parser(config, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["hub", "token", "create", "--role", "king", "--config", str(config)])
    assert exit_info.value.code == 2


def test_token_create_prints_a_token_that_is_stored_hashed(config, capsys):
    assert main(["hub", "token", "create", "--role", "viewer", "--name", "ha", "--config", str(config)]) == 0
    token = capsys.readouterr().out.strip()
    db = reader(config)
    assert token_principal(db, token).role == "viewer"
    stored = [r[0] for r in db.execute("SELECT token_hash FROM web_tokens")]
    assert token not in stored and len(stored) == 1
    assert [r[0] for r in db.execute("SELECT action FROM web_audit")] == ["token_create"]


def test_missing_config_is_a_clear_error(tmp_path, capsys):
    assert main(["hub", "token", "create", "--role", "viewer", "--config", str(tmp_path / "nope.toml")]) == 2
    assert "nope.toml：找不到这个文件" in capsys.readouterr().err  # Chinese unless asked
    assert main(["--lang", "en", "hub", "token", "create", "--role", "viewer", "--config",
                 str(tmp_path / "nope.toml")]) == 2
    assert "no such file" in capsys.readouterr().err
