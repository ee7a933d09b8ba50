"""Each role imports only what its extras install (pyproject.toml, docs/install.md).

Every role's entry modules are imported in a fresh interpreter in which the packages of the other
roles' extras are blocked (a ``sys.meta_path`` finder that refuses them), as on a Pi that installed
only ``gatewarden[ROLE]``: the hub never needs OpenCV, NumPy, bleak, gpiozero or pymodbus; a gate
without cameras never needs OpenCV, FastAPI or pymodbus; and so on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

# distribution → the top-level modules it installs (every dependency must be listed here)
MODULES = {
    "paho-mqtt": ["paho"], "pydantic": ["pydantic", "pydantic_core"], "tzdata": ["tzdata"],
    "prometheus-client": ["prometheus_client"], "httpx": ["httpx"],
    "sqlite-utils": ["sqlite_utils"], "fastapi": ["fastapi", "starlette"], "uvicorn": ["uvicorn"],
    "jinja2": ["jinja2"], "python-multipart": ["multipart", "python_multipart"],
    "chinesecalendar": ["chinese_calendar"], "argon2-cffi": ["argon2"], "cryptography": ["cryptography"],
    "pillow": ["PIL"], "openpyxl": ["openpyxl"], "defusedxml": ["defusedxml"], "segno": ["segno"], "gpiozero": ["gpiozero"], "bleak": ["bleak"], "pymodbus": ["pymodbus"],
    "pyserial": ["serial"], "numpy": ["numpy"], "opencv-python-headless": ["cv2"], "apprise": ["apprise"],
}
ROLES = ("hub", "gate", "lane", "charging", "camera")

# what starts each role: the CLI (every role has it), then the role's daemon and its parts
CLI = ["gatewarden.cli", "gatewarden.doctor.run", "gatewarden.deploy.cli"]
EDGE = ["edge.daemon", "edge.config", "edge.outbox", "edge.publisher", "edge.metrics"]
ENTRY = {
    "hub": CLI + ["hub.*"],  # every module of the hub
    "gate": CLI + EDGE + ["edge.gate.daemon", "edge.gate.device", "edge.gate.barrier", "edge.ble.build",
                          "edge.ble.scanner", "edge.ble.pipeline", "edge.allowlist"],
    "lane": CLI + EDGE + ["edge.lane.daemon", "edge.lane.device", "edge.ble.build", "edge.ble.scanner"],
    "charging": CLI + EDGE + ["edge.charging.device", "edge.charging.pzem", "edge.charging.ctclamp",
                              "edge.charging.counting", "edge.charging.particles"],
    "gate+camera": CLI + EDGE + ["edge.gate.daemon", "edge.camera", "edge.spots"],
}

PROBE = r"""
import importlib, importlib.abc, json, pkgutil, sys
blocked, wanted = set(json.loads(sys.argv[1])), json.loads(sys.argv[2])
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"{name} is not installed for this role", name=name)
sys.meta_path.insert(0, Blocker())
names = []
for item in wanted:
    if item.endswith(".*"):
        package = importlib.import_module(item[:-2])
        names += [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
    else:
        names.append(item)
for name in names:
    importlib.import_module(name)
if "gatewarden.cli" in names:
    importlib.import_module("gatewarden.cli").build_parser()
print(len(names))
"""


def requirement_names(reqs: list[str]) -> set[str]:
    return {Requirement(r).name.lower() for r in reqs if Requirement(r).name != "gatewarden"}


def extra(name: str) -> set[str]:
    return requirement_names(PROJECT["optional-dependencies"][name])


def modules(dists: set[str]) -> set[str]:
    return {module for dist in dists for module in MODULES[dist]}


def blocked_for(roles: list[str]) -> set[str]:
    everything = set().union(*(extra(role) for role in ROLES))
    allowed = requirement_names(PROJECT["dependencies"]).union(*(extra(role) for role in roles))
    return modules(everything) - modules(allowed)


def test_every_dependency_names_its_modules_here():
    listed = requirement_names(PROJECT["dependencies"]).union(*map(extra, [*ROLES, "apprise"]))
    assert listed <= set(MODULES), f"add the modules of {listed - set(MODULES)} to MODULES"


def test_the_hub_needs_no_opencv_and_test_pulls_every_role():
    assert not extra("hub") & {"opencv-python-headless", "numpy", "bleak", "gpiozero", "pymodbus"}
    test = PROJECT["optional-dependencies"]["test"]
    assert any(r.replace(" ", "").startswith("gatewarden[hub,gate,lane,charging,camera]") for r in test)


def test_every_requirement_has_an_upper_bound_except_tzdata():
    for req in PROJECT["dependencies"] + sum(PROJECT["optional-dependencies"].values(), []):
        r = Requirement(req)
        if r.name in ("gatewarden", "tzdata"):  # tzdata: the newest time zone rules are always wanted
            continue
        assert any(s.operator in ("<", "<=", "==", "~=") for s in r.specifier), f"{req}: no upper bound"


@pytest.mark.parametrize("role", list(ENTRY))
def test_a_role_imports_with_the_other_roles_packages_missing(role):
    blocked = blocked_for(role.split("+"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(sorted(blocked)), json.dumps(ENTRY[role])],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, f"{role} (without {sorted(blocked)}):\n{done.stderr[-3000:]}"
    assert int(done.stdout.split()[-1]) >= len(ENTRY[role])


def test_the_probe_catches_a_blocked_import():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(["cv2"]), json.dumps(["edge.camera"])],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode != 0 and "cv2 is not installed for this role" in done.stderr
