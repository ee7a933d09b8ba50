"""deploy/constraints/<platform>.txt pin every package every role installs, within pyproject's bounds.

The resolution tests ask the package index (pip ``--dry-run --report`` for the platform's wheels:
nothing is downloaded but metadata, a few seconds here).  They run in CI with a generous time limit;
when the index cannot be reached at all they skip with the reason, and any resolver conflict or a
package missing from the pins fails.
"""

from __future__ import annotations

import importlib.util
import tomllib

import pytest
from packaging.requirements import Requirement

from gatewarden.deploy import platforms
from gatewarden.deploy.platforms import PLATFORMS, ROLES, normalise, pinned

spec = importlib.util.spec_from_file_location("update", platforms.CONSTRAINTS / "update.py")
update = importlib.util.module_from_spec(spec)
spec.loader.exec_module(update)

NETWORK_ERRORS = ("NewConnectionError", "Failed to establish a new connection", "Temporary failure in name",
                  "Could not fetch URL", "ConnectTimeout", "No route to host", "Network is unreachable")


def test_every_platform_has_its_constraints_and_armv7_is_refused():
    for platform in PLATFORMS.values():
        assert platform.constraints.is_file(), platform.constraints
    assert "armv7l" in platforms.REFUSED_MACHINES
    with pytest.raises(ValueError):
        platforms.platform_for("armv7l")
    assert platforms.platform_for("aarch64").name == "bookworm-aarch64"


@pytest.mark.parametrize("name", list(PLATFORMS))
def test_pins_lie_within_pyprojects_bounds(name):
    pins = pinned(PLATFORMS[name].constraints)
    project = tomllib.loads((platforms.SOURCE / "pyproject.toml").read_text())["project"]
    for req in update.requirements():
        r = Requirement(req)
        assert normalise(r.name) in pins, f"{r.name} is not pinned in {name}"
        assert r.specifier.contains(pins[normalise(r.name)], prereleases=True), f"{name}: {r.name} {r.specifier}"
    assert project["requires-python"] == ">=3.11"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", list(PLATFORMS))
def test_constraints_resolve_for_every_role_from_the_platforms_wheels(name):
    platform = PLATFORMS[name]
    pins = pinned(platform.constraints)
    try:
        found = update.resolve(platform, update.requirements(), constraints=platform.constraints)
    except RuntimeError as exc:
        if any(marker in str(exc) for marker in NETWORK_ERRORS):
            pytest.skip(f"the package index cannot be reached from here: {str(exc)[-300:]}")
        raise
    unpinned = {pkg for pkg in found if pkg not in pins and pkg not in update.SKIP}
    assert not unpinned, f"{name}: resolved but not pinned: {sorted(unpinned)} (run deploy/constraints/update.py)"
    assert all(found[pkg] == pins[pkg] for pkg in found if pkg in pins)
    assert set(ROLES) == {"hub", "gate", "lane", "charging"}
