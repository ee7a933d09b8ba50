"""deploy/install.sh checks the Pi before touching anything; `gatewarden deploy wheelhouse` asks pip
for exactly the role's pinned wheels for the Pi's platform (the pip calls recorded, no network)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from gatewarden.deploy import wheelhouse
from gatewarden.deploy.platforms import PLATFORMS, SOURCE

INSTALL = SOURCE / "deploy" / "install.sh"


def fake_root(tmp_path: Path, *, machine: str = "aarch64", codename: str = "bookworm", devices=()) -> dict:
    """A stand-in / (os-release, /dev, /sys) and a PATH whose uname prints ``machine``."""
    root, bin_dir = tmp_path / "root", tmp_path / "bin"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text(f'ID=debian\nVERSION_CODENAME={codename}\n')
    for device in devices:
        (root / device).parent.mkdir(parents=True, exist_ok=True)
        (root / device).touch()
    bin_dir.mkdir()
    (bin_dir / "uname").write_text(f"#!/bin/sh\necho {machine}\n")
    (bin_dir / "uname").chmod(0o755)
    return {**os.environ, "GATEWARDEN_ROOT": str(root), "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def install(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(INSTALL), *args, "--dry-run"], capture_output=True, text=True, env=env, timeout=120)


def test_a_32_bit_pi_is_refused_in_chinese_before_anything_changes(tmp_path):
    done = install(fake_root(tmp_path, machine="armv7l"), "hub")
    assert done.returncode == 3
    assert "32 位系统（armv7l）" in done.stderr and "64 位 Raspberry Pi OS" in done.stderr
    assert "什么都没有改动" in done.stderr and "+ " not in done.stdout


def test_the_wrong_system_and_missing_hardware_are_all_listed_at_once(tmp_path):
    env = {**fake_root(tmp_path, codename="bullseye"), "GATEWARDEN_LANG": "en"}
    done = install(env, "gate")
    assert done.returncode == 3 and done.stdout == ""
    assert "not Debian 12" in done.stderr and "no GPIO" in done.stderr and "no Bluetooth adapter" in done.stderr


def test_the_roles_hardware_present_passes_the_checks(tmp_path):
    env = fake_root(tmp_path, devices=["dev/gpiochip0", "sys/class/bluetooth/hci0"])
    done = install(env, "gate")
    assert done.returncode == 0, done.stderr
    assert "检查通过：bookworm-aarch64" in done.stderr
    assert "/opt/gatewarden/src[gate]" in done.stdout and "camera" not in done.stdout
    assert "第一个管理员" not in done.stderr and "gatewarden doctor" in done.stderr


def test_the_hub_ends_with_the_next_steps_in_chinese(tmp_path):
    done = install(fake_root(tmp_path), "hub")
    assert done.returncode == 0, done.stderr
    for step in ("第一个管理员", "hub user add", "registry import", "alerts test", "网页：http://"):
        assert step in done.stderr


def test_a_wheelhouse_without_gatewarden_is_refused(tmp_path):
    (tmp_path / "wh").mkdir()
    done = install({**fake_root(tmp_path), "GATEWARDEN_LANG": "en"}, "hub", "--wheelhouse", str(tmp_path / "wh"))
    assert done.returncode == 3 and "has no gatewarden wheel" in done.stderr


def test_an_offline_install_uses_only_the_wheelhouse(tmp_path):
    house = tmp_path / "wh"
    house.mkdir()
    (house / "gatewarden-0.1.0-py3-none-any.whl").touch()
    (house / "wheelhouse.json").write_text(json.dumps({"platform": "bookworm-aarch64"}))
    done = install(fake_root(tmp_path), "charging", "--wheelhouse", str(house), "--no-hardware-check")
    assert done.returncode == 0, done.stderr
    pip = next(line for line in done.stdout.splitlines() if " -m pip install " in line)
    assert f"--no-index --find-links {house}" in pip and "--prefer-binary" in pip
    assert pip.endswith(f"{house}/gatewarden-0.1.0-py3-none-any.whl[charging]")


@pytest.mark.parametrize("role,camera,expected", [
    ("hub", None, "[hub]"), ("gate", None, "[gate]"), ("gate", True, "[gate,camera]"), ("lane", None, "[lane,camera]"),
    ("lane", False, "[lane]"), ("charging", None, "[charging]"),
])
def test_a_wheelhouse_asks_pip_for_the_roles_pinned_wheels_of_the_platform(tmp_path, role, camera, expected):
    calls: list[list[str]] = []

    def run(cmd: list[str]) -> None:
        calls.append(cmd)
        if cmd[3] == "wheel":
            (tmp_path / "gatewarden-0.1.0-py3-none-any.whl").touch()

    platform = PLATFORMS["bookworm-aarch64"]
    manifest = wheelhouse.build(role, platform, tmp_path, camera=camera, run=run, python="python3")
    build, download = calls
    assert build[:5] == ["python3", "-m", "pip", "wheel", "--no-deps"] and build[-1] == str(SOURCE)
    assert download[3] == "download" and "--only-binary=:all:" in download
    assert "manylinux_2_17_aarch64" in download and "manylinux_2_36_aarch64" in download
    assert download[download.index("-c") + 1] == str(platform.constraints)
    assert download[download.index("--python-version") + 1] == "3.11"
    assert download[-1] == f"{tmp_path}/gatewarden-0.1.0-py3-none-any.whl{expected}"
    assert manifest["platform"] == "bookworm-aarch64" and manifest["role"] == role
    assert json.loads((tmp_path / "wheelhouse.json").read_text()) == manifest
    assert (tmp_path / "constraints.txt").read_text() == platform.constraints.read_text()
    assert shutil.which("bash")


def test_upgrade_all_does_the_hub_first_then_each_pi_with_its_role(tmp_path):
    pis = tmp_path / "pis.txt"
    pis.write_text("# the compound\ngw-gate-north.local gate\n\ngw-hub.local hub\ngw-shed.local charging\n")
    done = subprocess.run([str(SOURCE / "deploy" / "upgrade-all.sh"), str(pis), "--dry-run"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    ssh = [line for line in done.stdout.splitlines() if line.startswith("+ ssh")]
    assert ssh == [f"+ ssh {host} sudo /tmp/gatewarden-upgrade/src/deploy/install.sh {role} --upgrade"
                   for host, role in [("gw-hub.local", "hub"), ("gw-gate-north.local", "gate"),
                                      ("gw-shed.local", "charging")]]
    pis.write_text("gw-x.local router\n")
    bad = subprocess.run([str(SOURCE / "deploy" / "upgrade-all.sh"), str(pis), "--dry-run"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "unknown role 'router'" in bad.stderr


@pytest.mark.parametrize("web,url", [
    ("", "http://127.0.0.1:8080/healthz"),
    ('[web]\nlisten = "0.0.0.0:9000"\n', "http://127.0.0.1:9000/healthz"),
    ('[web]\nlisten = "[::1]:8081"\n', "http://[::1]:8081/healthz"),
    ('[web]\nlisten = "192.168.1.10:8080"\n', "http://192.168.1.10:8080/healthz"),
])
def test_the_upgrade_health_check_asks_the_hubs_own_address(tmp_path, web, url):
    from gatewarden.deploy.health import hub_url

    (tmp_path / "hub.toml").write_text(web)
    assert hub_url(tmp_path / "hub.toml") == url


def test_the_storage_folder_is_read_without_validating_the_config(tmp_path):
    from gatewarden.deploy.health import DEFAULT_STORAGE, storage_dir

    config = tmp_path / "gate.toml"
    config.write_text('# gatewarden-skeleton: edit me\n[storage]\ndir = "data"\n[gate]\nunknown = 1\n')
    assert storage_dir(config) == tmp_path / "data"
    config.write_text("not toml [")
    assert storage_dir(config) == DEFAULT_STORAGE
    assert storage_dir(tmp_path / "missing.toml") == DEFAULT_STORAGE


def test_an_unhealthy_hub_is_reported_after_the_time_limit(tmp_path):
    from gatewarden.deploy.health import healthy

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "hub.toml").write_text(f'[web]\nlisten = "127.0.0.1:{port}"\n')
    assert healthy("hub", tmp_path / "hub.toml", timeout=1.0, interval=0.2) is False
