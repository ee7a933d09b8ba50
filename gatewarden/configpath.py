"""Which config file a command uses when ``--config`` is not given (docs/cli.md).

``GATEWARDEN_CONFIG`` when set; else the one of ``/etc/gatewarden/<role>.toml`` that exists for
the roles the command serves (the hub's commands: ``hub.toml``; ``gatewarden edge``: the gate's,
lane's or charging shed's; ``gatewarden doctor``: any of them).  None, or several, is a one-line
error that says what to give.  ``GATEWARDEN_ETC`` moves /etc/gatewarden (tests).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from gwcommon.exc import ConfigError

ENV = "GATEWARDEN_CONFIG"
ETC = Path("/etc/gatewarden")
HUB = ("hub",)
EDGE = ("gate", "lane", "charging")
ROLES_OF_COMMAND: dict[str, tuple[str, ...]] = {
    "hub": HUB, "registry": HUB, "roster": HUB, "alerts": HUB, "deploy": HUB,
    "edge": EDGE, "doctor": HUB + EDGE,
}


def etc_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("GATEWARDEN_ETC") or ETC)


def default_config(roles: tuple[str, ...], environ: Mapping[str, str]) -> Path:
    """The config for a command serving ``roles`` given no ``--config``; ConfigError (in both
    languages) when unclear."""
    from gatewarden import cliwords  # noqa: F401  (its table words these errors: gw.config.*)

    if environ.get(ENV):
        return Path(environ[ENV])
    etc = etc_dir(environ)
    candidates = [etc / f"{role}.toml" for role in roles]
    found = [path for path in candidates if path.is_file()]
    if len(found) == 1:
        return found[0]
    names = ", ".join(str(path) for path in (found or candidates))
    if found:
        raise ConfigError.said("gw.config.several", names=names)
    raise ConfigError.said("gw.config.none", names=names, env=ENV)


def fill_in(args, environ: Mapping[str, str]) -> None:
    """Set ``args.config`` to the default when the command takes a config and none was given."""
    roles = ROLES_OF_COMMAND.get(getattr(args, "command", ""), ())
    if not roles or getattr(args, "config", None):
        return
    if args.command == "deploy" and not hasattr(args, "config"):
        return  # deploy wheelhouse: no config
    args.config = default_config(roles, environ)
