"""The architecture's import rules (DESIGN.md §5), checked on the source."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IO_LIBRARIES = {"paho", "sqlite3", "sqlite_utils", "fastapi", "starlette", "uvicorn", "gpiozero",
                "bleak", "cv2", "httpx", "requests", "socket", "pymodbus", "subprocess"}

# Modules that decide: pure functions of (state, event, now); they import no I/O library.
DECISION_MODULES = [
    "gwcommon/tagid.py",
    "gwcommon/timefmt.py",
    "gwcommon/wire.py",
    "edge/sendwindow.py",
    "edge/envelope.py",
    "edge/ble/decode.py",
    "edge/ble/eid.py",
    "edge/ble/presence.py",
    "edge/ble/pipeline.py",
    "edge/ble/tlm.py",
    "edge/ble/watchdog.py",
    "edge/lane/pairing.py",
    "edge/lane/schedule.py",
    "edge/gate/associate.py",
    "edge/gate/decide.py",
    "edge/gate/fsm.py",
    "edge/gate/lane.py",
    "edge/gate/model.py",
    "edge/gate/plates.py",
    "edge/lpr/health.py",
    "edge/lpr/model.py",
    "edge/spots.py",
    "hub/alerts/ratelimit.py",
    "hub/alerts/escalation.py",
    "hub/alerts/render.py",
    "hub/alerts/verdict.py",
    "hub/integrations/ha_discovery.py",
    "gwcommon/redact.py",
    "gatewarden/doctor/report.py",
    "gatewarden/doctor/texts.py",
    "hub/web/roles.py",
    "hub/web/ratelimit.py",
    "hub/web/timechart.py",
    "hub/web/i18n.py",
    "hub/web/filters.py",
    "hub/web/charts.py",
    "hub/web/csrf.py",
    "hub/overnight/rules.py",
    "hub/core/plates.py",
    "hub/registry/csvfile.py",
    "hub/overnight/calendar.py",
    "hub/retention/policy.py",
    "gatewarden/deploy/render.py",
    "edge/charging/counting.py",
    "edge/charging/particles.py",
    "edge/charging/energy.py",
    "edge/charging/track.py",
    "edge/charging/plugs.py",
    "edge/charging/simulator.py",
    "edge/charging/model.py",
    "hub/charging/rules.py",
    "hub/core/watermark.py",
    "hub/core/words.py",
    "edge/charging/cutoff.py",
    "gatewarden/sim/score.py",
    "gatewarden/sim/outages.py",
    "hub/overnight/calendar_edits.py",
    "hub/overnight/problems.py",
    "hub/alerts/roster_problems.py",
    "hub/alerts/lanes.py",
    "hub/alerts/devicetext.py",
    "hub/core/csvsafe.py",
    "hub/core/ingest_health.py",
    "edge/selffaults.py",
]


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package,forbidden", [
    ("gwcommon", {"edge", "hub", "gatewarden"}),
    ("edge", {"hub", "gatewarden"}),
    ("hub", {"edge", "gatewarden"}),
])
def test_packages_meet_only_at_the_wire(package, forbidden):
    offenders = {str(p.relative_to(ROOT)): sorted(imported_roots(p) & forbidden)
                 for p in sources(package) if imported_roots(p) & forbidden}
    assert offenders == {}


@pytest.mark.parametrize("module", DECISION_MODULES)
def test_decision_modules_import_no_io(module):
    path = ROOT / module
    assert path.exists(), f"{module} is listed as a decision module but does not exist"
    assert imported_roots(path) & IO_LIBRARIES == set()


def test_modules_stay_small():
    big = {str(p.relative_to(ROOT)): n for pkg in ("gwcommon", "edge", "hub", "gatewarden")
           for p in sources(pkg) if (n := len(p.read_text(encoding="utf-8").splitlines())) > 600}
    assert big == {}, f"modules over 600 lines (split them): {big}"


def test_no_test_module_imports_another():
    """Shared test code lives in tests/support/ (and tests/conftest.py), never in a test module."""
    tests = ROOT / "tests"
    offenders = {}
    for path in sorted(tests.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        bad = [n for n in names if n.startswith("tests.") and n.split(".")[-1].startswith("test_")]
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert offenders == {}


def test_every_test_folder_is_a_package():
    tests = ROOT / "tests"
    missing = [str(d.relative_to(ROOT)) for d in sorted(tests.rglob("*"))
               if d.is_dir() and any(d.glob("test_*.py")) and not (d / "__init__.py").exists()]
    assert missing == []
