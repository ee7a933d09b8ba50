"""Which checks a Pi needs, from its config: every Pi the basics, then what its role uses."""

from __future__ import annotations

import logging
from typing import Any

from . import basics, hardware, meters
from .report import Check
from .seams import Env

logger = logging.getLogger(__name__)


def run_checks(path: str, env: Env, *, hub_url: str | None = None) -> list[Check]:
    """All checks for the config at ``path``, in the order an installer would look."""
    first, edge, hub = basics.load_configs(path)
    checks = [first]
    if edge is None and hub is None:
        return checks
    common = edge or hub
    who = edge.device.id if edge is not None else "hub"
    checks.append(basics.check_storage(common.storage.dir))
    checks.append(basics.check_broker(common.mqtt, who, env))
    checks.append(basics.check_clock(env, hub_url=hub_url))
    if edge is not None:
        checks += device_checks(edge, env)
    return checks


def device_checks(config: Any, env: Env) -> list[Check]:
    """The role's own hardware: Bluetooth, pins and cameras for gate and lane, meters for charging."""
    kind = config.device.kind
    checks: list[Check] = []
    if kind == "gate" and config.scanner is not None or kind == "lane":
        checks.append(hardware.check_bluetooth(config, env))
    if kind == "gate" and config.gate is not None:
        checks += hardware.check_pins(config.gate, env)
    if kind in ("gate", "lane"):
        for name, source, settings in hardware.camera_sources(config):
            checks.append(hardware.check_camera(name, source, settings, config.storage.dir, env))
    if kind == "charging":
        checks += meters.check_meters(config, env)
    return checks
