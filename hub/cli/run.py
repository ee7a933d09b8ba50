"""``gatewarden hub``: run the hub, and the hub's own sub-commands.

``gatewarden hub --config F`` runs the hub until SIGTERM or Ctrl-C, then stops cleanly (what the
broker handed over is stored and acked, or left for the next session).  Other areas add nested
commands (``gatewarden hub token create …``) by listing a module in :data:`HUB_SUBCOMMANDS`; each
such module has ``register(hub_subparsers)``, which adds its parser (use
:func:`hub.cli.common.add_config_argument` for ``--config``) and sets ``func(args) -> exit code``.
"""

from __future__ import annotations

import argparse
import importlib

from hub.cli.common import add_config_argument, config_path

HUB_SUBCOMMANDS: list[str] = [  # modules with register(hub_subparsers)
    "hub.cli.accounts",
    "hub.cli.backup",
]


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "hub", help="run the hub (MQTT ingest, rules, alerts, web view)",
        description="Without a COMMAND: run the hub (store what the edge devices report, run the "
                    "rules, serve the web view) until SIGTERM or Ctrl-C. With a COMMAND: one of the "
                    "hub's maintenance commands below.")
    add_config_argument(parser, nested=False)
    parser.set_defaults(func=run)
    if HUB_SUBCOMMANDS:
        nested = parser.add_subparsers(dest="hub_command", metavar="COMMAND")
        for name in HUB_SUBCOMMANDS:
            importlib.import_module(name).register(nested)


def run(args: argparse.Namespace, *, prepare=None) -> int:
    """Run the hub until SIGTERM/SIGINT; ``prepare(hub)`` runs before it starts (the simulator's
    seam: :mod:`gatewarden.sim.hubproc`)."""
    import signal
    import sqlite3
    import threading

    from gwcommon.clock import clock_from_env
    from gwcommon.exc import ConfigError, GatewardenError
    from gwcommon.logsetup import setup_logging
    from gwcommon.sdnotify import Notifier
    from hub.app import Hub
    from hub.config import load_hub_config

    config = load_hub_config(config_path(args))
    setup_logging(config.log)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        hub = Hub(config, clock=clock_from_env())
        if prepare is not None:
            prepare(hub)
        hub.start()
    except (OSError, sqlite3.Error) as exc:  # storage.dir unwritable, disk full …
        if isinstance(exc, GatewardenError):  # e.g. web.listen taken: already one clear line
            raise
        from hub.cli.saying import WORDS  # noqa: F401  (contributes hubcli.*)

        raise ConfigError.said("hubcli.storage_unusable", folder=config.storage.dir,
                               error=getattr(exc, "strerror", None) or exc) from None
    notifier = Notifier.from_environment()
    notifier.ready(f"site {config.site.id}")
    try:
        while not stop.wait(1.0):
            if hub.writer_alive():  # a dead writer stops the pings: systemd restarts us
                notifier.ping()
    finally:
        notifier.stopping()
        hub.stop()
    return 0
