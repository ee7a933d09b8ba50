"""``--config`` is optional: GATEWARDEN_CONFIG, else the role's /etc/gatewarden/<role>.toml."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gatewarden.configpath import EDGE, HUB, default_config
from gwcommon.exc import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_the_environment_wins(tmp_path):
    (tmp_path / "hub.toml").touch()
    env = {"GATEWARDEN_CONFIG": "/srv/x.toml", "GATEWARDEN_ETC": str(tmp_path)}
    assert default_config(HUB, env) == Path("/srv/x.toml")


def test_the_roles_file_in_etc(tmp_path):
    (tmp_path / "lane.toml").touch()
    (tmp_path / "hub.toml").touch()
    env = {"GATEWARDEN_ETC": str(tmp_path)}
    assert default_config(EDGE, env) == tmp_path / "lane.toml"
    assert default_config(HUB, env) == tmp_path / "hub.toml"


def test_none_or_several_is_a_clear_error(tmp_path):
    env = {"GATEWARDEN_ETC": str(tmp_path)}
    with pytest.raises(ConfigError, match="no --config given and no .*hub.toml") as caught:
        default_config(HUB, env)
    assert "没有 --config，也找不到" in caught.value.text("zh")
    (tmp_path / "gate.toml").touch()
    (tmp_path / "charging.toml").touch()
    with pytest.raises(ConfigError, match="several config files") as caught:
        default_config(EDGE, env)
    assert "有多个配置文件" in caught.value.text("zh")


def gatewarden(tmp_path, *args, **env):
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "GATEWARDEN_ETC": str(tmp_path), **env}
    environ.pop("GATEWARDEN_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "gatewarden", *args], capture_output=True, text=True,
                          env=environ, timeout=120, cwd=tmp_path)


def test_commands_find_their_config_without_the_option(tmp_path):
    shutil.copy(ROOT / "deploy" / "config" / "gate.toml", tmp_path / "gate.toml")
    done = gatewarden(tmp_path, "edge", "--check")
    assert done.returncode == 0, done.stderr
    assert f"{tmp_path / 'gate.toml'}：正常" in done.stdout


def test_a_hub_command_without_any_config_says_what_to_give(tmp_path):
    done = gatewarden(tmp_path, "hub", "user", "list", LANG="zh_CN.UTF-8")
    assert done.returncode == 2
    assert done.stderr.strip() == (f"gatewarden hub: 没有 --config，也找不到 {tmp_path / 'hub.toml'}："
                                   "用 --config 文件 指定，或设置 GATEWARDEN_CONFIG")


def hub_config(tmp_path: Path, storage: Path) -> Path:
    text = (ROOT / "deploy" / "config" / "hub.toml").read_text(encoding="utf-8")
    path = tmp_path / "hub.toml"
    path.write_text(text.replace('dir = "/var/lib/gatewarden"', f'dir = "{storage}"'), encoding="utf-8")
    return path


def test_a_missing_storage_directory_gets_a_hint_not_a_bare_refusal(tmp_path):
    hub_config(tmp_path, tmp_path / "data")
    done = gatewarden(tmp_path, "registry", "export", LANG="zh_CN.UTF-8")
    assert done.returncode == 2
    assert f"数据目录 storage.dir {tmp_path / 'data'} 不存在" in done.stderr
    assert f"sudo install -d -o gatewarden -g gatewarden -m 0750 {tmp_path / 'data'}" in done.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, as the installer is")
def test_root_running_a_maintenance_command_leaves_the_database_to_the_service_user(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    os.chown(data, 65534, 65534)  # the service user (nobody here)
    hub_config(tmp_path, data)
    done = gatewarden(tmp_path, "registry", "export")
    assert done.returncode == 0, done.stderr
    assert (data / "hub.db").stat().st_uid == 65534 and (data / "hub.db").stat().st_gid == 65534
