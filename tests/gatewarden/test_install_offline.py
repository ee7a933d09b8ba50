"""deploy/install.sh for real, with the system's own steps stubbed and pip real but offline.

The system commands (apt-get, systemctl, useradd, chown, runuser …) are recording stubs on PATH and
GATEWARDEN_ROOT stands for /.  pip runs for real with ``--no-index`` from a wheelhouse holding
gatewarden's wheel (built here, offline) and a constraints file; the dependencies come from a folder
that holds only what ``gatewarden[ROLE]`` needs (linked from this test's environment) — so a role
that asked for another role's extras would fail to install.  Then an upgrade that fails its health
check rolls back (link and database), and one that passes switches.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from gatewarden.deploy.platforms import SOURCE, extras

INSTALL = SOURCE / "deploy" / "install.sh"
STUBS = {
    "apt-get": "", "apt-cache": "exit 1", "dpkg-query": "echo 'install ok installed'", "useradd": "",
    "groupadd": "", "usermod": "", "chown": "", "timedatectl": "", "uname": "echo x86_64",
    "systemctl": 'if [ "$1" = restart ] && [ -x "$STUB_DIR/on_restart" ]; then "$STUB_DIR/on_restart"; fi\n'
                 'if [ "$1" = restart ]; then exit "$(cat "$STUB_DIR/restart_rc" 2>/dev/null || echo 0)"; fi',
    "runuser": 'while [ "$1" != -- ]; do shift; done; shift; exec "$@"',
    "sqlite3": "cp \"$1\" \"$(printf '%s' \"$2\" | sed \"s/^.backup '//; s/'$//\")\"",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """gatewarden's wheel, built offline from a copy of this checkout."""
    src, house = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("wheels")
    with tarfile.open(src / "s.tar", "w") as tar:
        for name in ("pyproject.toml", "README.md", "gwcommon", "edge", "hub", "gatewarden"):
            tar.add(SOURCE / name, arcname=name, filter=lambda t: None if "__pycache__" in t.name else t)
    with tarfile.open(src / "s.tar") as tar:
        tar.extractall(src / "tree", filter="data")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "--wheel-dir", str(house), str(src / "tree")], check=True, capture_output=True, timeout=600)
    return next(house.glob("gatewarden-*.whl"))


def requires(name: str) -> list[str]:
    """A distribution's requirements; gatewarden's own from this checkout's pyproject.toml."""
    if name != "gatewarden":
        return metadata.requires(name) or []
    project = tomllib.loads((SOURCE / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + [f"{r}; extra == '{e}'" for e, reqs in project["optional-dependencies"].items()
                                      for r in reqs]


def needed(role: str) -> set[str]:
    """Every distribution gatewarden[role] pulls in (and nothing of the other roles)."""
    todo = [Requirement(f"gatewarden[{','.join(extras(role))}]")]
    seen: set[str] = set()
    while todo:
        req = todo.pop()
        for extra in req.extras or {""}:
            for raw in requires(req.name):
                dep = Requirement(raw)
                if dep.marker is None or dep.marker.evaluate({"extra": extra}):
                    if canonicalize_name(dep.name) not in seen and dep.name != "gatewarden":
                        seen.add(canonicalize_name(dep.name))
                        todo.append(dep)
    return seen


def deps_folder(role: str, where: Path) -> tuple[Path, str]:
    """A folder with only the role's dependencies (links), and constraints pinning them."""
    where.mkdir()
    pins = []
    for name in sorted(needed(role)):
        dist = metadata.distribution(name)
        pins.append(f"{name}=={dist.version}")
        base = Path(dist.locate_file(""))
        for top in {Path(str(f)).parts[0] for f in dist.files or []}:
            if not top.startswith("..") and (base / top).exists() and not (where / top).exists():
                (where / top).symlink_to(base / top)
    return where, "\n".join(pins) + "\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Healthz(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


class Pi:
    """A stand-in Pi: its /, the stubs, the wheelhouse and the role's dependencies."""

    def __init__(self, tmp: Path, role: str, wheel: Path):
        self.role, self.root, self.stubs, self.house = role, tmp / "root", tmp / "stubs", tmp / "house"
        for path in (self.root / "etc", self.stubs, self.house):
            path.mkdir(parents=True)
        shutil.copy("/etc/os-release", self.root / "etc" / "os-release")
        (self.root / "etc" / "os-release").write_text('ID=debian\nVERSION_CODENAME=bookworm\n')
        for name, body in STUBS.items():
            (self.stubs / name).write_text(f'#!/bin/bash\necho "{name} $*" >> "$STUB_DIR/log"\n{body}\n')
            (self.stubs / name).chmod(0o755)
        shutil.copy(wheel, self.house)
        self.deps, constraints = deps_folder(role, tmp / "deps")
        (self.house / "constraints.txt").write_text(constraints)
        self.port = free_port()
        text = (SOURCE / "deploy" / "config" / f"{role}.toml").read_text(encoding="utf-8").split("\n", 1)[1]
        text = text.replace('dir = "/var/lib/gatewarden"', f'dir = "{self.root}/var/lib/gatewarden"')
        text = text.replace('listen = "127.0.0.1:8080"', f'listen = "127.0.0.1:{self.port}"')
        self.config = tmp / f"{role}.toml"
        self.config.write_text(text, encoding="utf-8")

    def install(self, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "GATEWARDEN_ROOT": str(self.root), "STUB_DIR": str(self.stubs),
               "PATH": f"{self.stubs}:{os.environ['PATH']}", "PYTHONPATH": str(self.deps),
               "GATEWARDEN_PYTHON": sys.executable, "GATEWARDEN_HEALTH_TIMEOUT": "4", "PIP_NO_INDEX": "1",
               "PIP_CONFIG_FILE": os.devnull, "GATEWARDEN_LANG": "en"}
        return subprocess.run([str(INSTALL), self.role, "--wheelhouse", str(self.house), "--no-hardware-check",
                               "--config", str(self.config), *args], capture_output=True, text=True, env=env,
                              timeout=900)

    @property
    def log(self) -> str:
        return (self.stubs / "log").read_text()

    def current(self) -> Path:
        return (self.root / "opt/gatewarden/venv").resolve()


@pytest.mark.timeout(900)
@pytest.mark.parametrize("role", ["gate", "lane", "charging"])
def test_an_edge_role_installs_offline_with_its_extras_only(tmp_path, wheel, role):
    pi = Pi(tmp_path, role, wheel)
    done = pi.install("--no-start")
    assert done.returncode == 0, done.stderr[-3000:]
    venv = pi.current()
    assert venv.parent == pi.root / "opt/gatewarden/venvs"
    assert list(venv.glob("lib/python3.11/site-packages/gatewarden-*.dist-info"))
    absent = {"gate": {"fastapi", "pymodbus", "opencv-python-headless"}, "lane": {"fastapi", "pymodbus", "gpiozero"},
              "charging": {"fastapi", "bleak", "opencv-python-headless"}}[role]
    assert not absent & needed(role)  # so pip --no-index could not have installed them
    assert "--no-index" in done.stdout + done.stderr or "Processing" in done.stdout
    assert f"useradd --system --user-group" in pi.log and "apt-get" not in pi.log
    assert f"chown gatewarden:gatewarden {pi.root}/var/lib/gatewarden" in pi.log
    assert f"systemctl enable gatewarden-{role}.service" in pi.log
    assert (pi.root / f"etc/systemd/system/gatewarden-{role}.service").is_file()
    assert (pi.root / f"etc/gatewarden/{role}.toml").read_text() == pi.config.read_text()


@pytest.mark.timeout(900)
def test_the_hub_installs_upgrades_and_rolls_back_a_failed_upgrade(tmp_path, wheel):
    pi = Pi(tmp_path, "hub", wheel)
    server = http.server.HTTPServer(("127.0.0.1", pi.port), Healthz)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        first = pi.install()
        assert first.returncode == 0, first.stderr[-3000:]
        assert "gatewarden-hub is running" in first.stderr and "the first admin" in first.stderr
        installed = pi.current()
        db = pi.root / "var/lib/gatewarden/hub.db"
        db.write_bytes(b"the compound's records")
    finally:
        server.shutdown()
        server.server_close()
    # the new version "migrates" the database at start, then never answers /healthz: rolled back
    link = pi.root / "opt/gatewarden/venv"
    (pi.stubs / "on_restart").write_text(f'#!/bin/sh\n[ "$(readlink -f {link})" = "{installed}" ] '
                                         f'|| echo migrated > {db}\n')
    (pi.stubs / "on_restart").chmod(0o755)
    failed = pi.install("--upgrade")
    assert failed.returncode == 2 and "rolled back to the old version" in failed.stderr
    assert pi.current() == installed and db.read_bytes() == b"the compound's records"
    assert len(list((pi.root / "opt/gatewarden/venvs").iterdir())) == 1
    # an upgrade that passes its health check switches, keeping the previous version for next time
    (pi.stubs / "on_restart").unlink()
    server = http.server.HTTPServer(("127.0.0.1", pi.port), Healthz)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        good = pi.install("--upgrade")
    finally:
        server.shutdown()
        server.server_close()
    assert good.returncode == 0, good.stderr[-3000:]
    assert pi.current() != installed and pi.current().parent == installed.parent
    assert sorted(p.name for p in installed.parent.iterdir()) == sorted([installed.name, pi.current().name])
    assert re.search(r"sqlite3 \S+/hub.db \.backup", pi.log)
