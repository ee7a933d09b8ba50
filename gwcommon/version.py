"""The installed gatewarden version, for heartbeats, /healthz, Home Assistant and ``--version``."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

UNKNOWN = "0+unknown"


def package_version() -> str:
    """The version of the installed ``gatewarden`` distribution; ``0+unknown`` when run from a
    source tree that was never installed."""
    try:
        return version("gatewarden")
    except PackageNotFoundError:
        return UNKNOWN
