"""deploy/: the install scripts, the systemd units and the config skeletons.

The units pass `systemd-analyze verify` (no warning either) in a throwaway root that has the
distribution's units and a stub /opt/gatewarden/venv/bin/gatewarden, and `systemd-analyze
security --offline` rates each service's exposure at most 3.0 ("OK"); the scripts pass `bash -n`
and shellcheck; `install.sh --dry-run` plans what each role needs.  The tools come from Debian's
packages; the set-up installs them with apt-get when missing.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from edge.config import load_edge_config
from hub.config import load_hub_config

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").iterdir())
SERVICES = {"hub": "gatewarden-hub.service", "gate": "gatewarden-gate.service", "lane": "gatewarden-lane.service",
            "charging": "gatewarden-charging.service"}
SCRIPTS = [DEPLOY / "install.sh", DEPLOY / "uninstall.sh", DEPLOY / "upgrade-all.sh"]


def need(tool: str, package: str) -> str:
    """The tool's path, installing its Debian package first when it is missing."""
    found = shutil.which(tool)
    if found is None:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
        subprocess.run(prefix + ["apt-get", "update", "-qq"], env=env, check=True, capture_output=True, timeout=300)
        subprocess.run(prefix + ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package], env=env,
                       check=True, capture_output=True, timeout=300)
        found = shutil.which(tool)
    assert found, f"{tool} (Debian package {package}) could not be installed"
    return found


@pytest.fixture(scope="module")
def system_root(tmp_path_factory):
    """A throwaway root: the distribution's units, ours, and a stub gatewarden executable."""
    root = tmp_path_factory.mktemp("root")
    stub = root / "opt/gatewarden/venv/bin/gatewarden"
    stub.parent.mkdir(parents=True)
    stub.write_text("#!/bin/sh\nexit 0\n")
    stub.chmod(0o755)
    shutil.copytree("/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(unit, units / unit.name)
    return root


@pytest.mark.parametrize("unit", [u.name for u in UNITS])
def test_systemd_analyze_verify_passes_without_warnings(system_root, unit):
    analyze = need("systemd-analyze", "systemd")
    done = subprocess.run([analyze, "verify", "--man=no", f"--root={system_root}",
                           str(system_root / "etc/systemd/system" / unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


@pytest.mark.parametrize("role", SERVICES)
def test_services_are_hardened(system_root, role):
    analyze = need("systemd-analyze", "systemd")
    done = subprocess.run([analyze, "security", "--offline=yes", f"--root={system_root}", "--threshold=30",
                           "--no-pager", str(system_root / "etc/systemd/system" / SERVICES[role])],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((DEPLOY / "systemd" / name).read_text(), source=name)
    return parser


def multi(name: str, key: str) -> list[str]:
    """Every value of a key that may repeat (DeviceAllow=)."""
    return [line.split("=", 1)[1] for line in (DEPLOY / "systemd" / name).read_text().splitlines()
            if line.startswith(f"{key}=")]


@pytest.mark.parametrize("role", SERVICES)
def test_every_service_is_notify_watchdogged_restarted_and_confined(role):
    service = unit(SERVICES[role])["Service"]
    assert service["Type"] == "notify" and int(service["WatchdogSec"]) >= 20
    assert service["Restart"] == "on-failure" and service["User"] == "gatewarden"
    assert service["ProtectSystem"] == "strict" and service["ReadWritePaths"] == "/var/lib/gatewarden"
    for key in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert service[key] == "yes", key
    command = "hub" if role == "hub" else "edge"
    assert service["ExecStart"] == f"/opt/gatewarden/venv/bin/gatewarden {command} --config /etc/gatewarden/{role}.toml"


@pytest.mark.parametrize("role,groups,families,devices", [
    ("gate", {"gpio", "bluetooth"}, {"AF_BLUETOOTH", "AF_NETLINK", "AF_INET"}, {"char-gpiochip rw"}),
    ("lane", {"gpio", "bluetooth", "video"}, {"AF_BLUETOOTH", "AF_NETLINK"}, {"char-video4linux rw"}),
    ("charging", {"dialout", "spi", "gpio"}, {"AF_INET"}, {"char-ttyAMA rw", "char-ttyUSB rw", "char-spidev rw"}),
])
def test_edge_services_keep_gpio_bluetooth_and_serial_working(role, groups, families, devices):
    service = unit(SERVICES[role])["Service"]
    assert groups <= set(service["SupplementaryGroups"].split())
    assert families <= set(service["RestrictAddressFamilies"].split())
    assert service["DevicePolicy"] == "closed" and devices <= set(multi(SERVICES[role], "DeviceAllow"))
    assert "PrivateDevices" not in service  # it would hide /dev/gpiochip*
    if role in ("gate", "lane"):  # btmgmt power-cycles the adapter (docs/bluetooth.md)
        assert service["AmbientCapabilities"] == service["CapabilityBoundingSet"] == "CAP_NET_ADMIN"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_scripts_parse_and_pass_shellcheck(script):
    assert os.access(script, os.X_OK)
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True, timeout=30).returncode == 0
    shellcheck = need("shellcheck", "shellcheck")
    done = subprocess.run([shellcheck, "--severity=style", str(script)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout


@pytest.mark.parametrize("role", SERVICES)
def test_config_skeletons_are_valid_and_marked(role):
    path = DEPLOY / "config" / f"{role}.toml"
    assert path.read_text(encoding="utf-8").startswith("# gatewarden-skeleton:")
    if role == "hub":
        assert load_hub_config(path).storage.dir == Path("/var/lib/gatewarden")
    else:
        config = load_edge_config(path)
        assert config.device.kind == role and config.storage.dir == Path("/var/lib/gatewarden")


def dry_run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GATEWARDEN_LANG": "en"}
    return subprocess.run([str(DEPLOY / "install.sh"), *args, "--dry-run", "--no-hardware-check"], capture_output=True,
                          text=True, timeout=60, env=env)


@pytest.mark.parametrize("role,packages,groups", [
    ("hub", ["mosquitto", "mosquitto-clients"], []),
    ("gate", ["bluez"], ["gpio", "bluetooth", "video"]),
    ("lane", ["bluez"], ["gpio", "bluetooth", "video"]),
    ("charging", [], ["gpio", "dialout", "spi"]),
])
def test_install_dry_run_plans_the_role(role, packages, groups):
    done = dry_run(role)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    apt = next((line.split() for line in out.splitlines() if " apt-get install " in line), [])
    for package in packages:  # planned, or already installed on this machine
        assert package in apt or subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True,
                                                text=True).stdout == "install ok installed"
    if groups:
        assert f"usermod -a -G {','.join(groups)} gatewarden" in out
    assert f"cp {DEPLOY}/systemd/gatewarden-{role}.service /etc/systemd/system/" in out
    assert f"systemctl enable gatewarden-{role}.service" in out
    extras = {"hub": "hub", "gate": "gate", "lane": "lane,camera", "charging": "charging"}[role]
    assert f"pip install --prefer-binary --progress-bar on" in out and f"/opt/gatewarden/src[{extras}]" in out
    assert "-q" not in out.split()
    assert ("gatewarden-backup.timer" in out) is (role == "hub")
    assert not os.path.exists("/opt/gatewarden/src")  # a dry run changes nothing


@pytest.mark.parametrize("args,message", [
    ([], "name a role"), (["router"], "unknown argument 'router'"), (["hub", "gate"], "one role only"),
    (["hub", "--config", "/nonexistent.toml"], "no such file"),
])
def test_install_refuses_bad_arguments_with_one_line(args, message):
    done = dry_run(*args)
    assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_uninstall_keeps_data_unless_purged():
    keep = subprocess.run([str(DEPLOY / "uninstall.sh"), "--dry-run"], capture_output=True, text=True, timeout=30)
    purge = subprocess.run([str(DEPLOY / "uninstall.sh"), "--dry-run", "--purge"], capture_output=True, text=True,
                           timeout=30)
    assert keep.returncode == purge.returncode == 0
    assert "rm -rf /opt/gatewarden" in keep.stdout and "/var/lib/gatewarden" not in keep.stdout
    assert "rm -rf /var/lib/gatewarden /etc/gatewarden /etc/mosquitto/gatewarden" in purge.stdout
