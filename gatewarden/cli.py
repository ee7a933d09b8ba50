"""The ``gatewarden`` command: one entry point, sub-commands registered by each part.

Each module in :data:`COMMANDS` has ``register(subparsers)``, which adds its sub-command and sets
``func`` to a function taking the parsed arguments and returning an exit code.  Modules import
their heavy libraries inside ``func``, so ``gatewarden --help`` and an edge Pi stay light.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

from gwcommon.exc import GatewardenError

COMMANDS = [
    "hub.cli",
    "edge.cli",
    "edge.charging.cli",
    "gatewarden.demo",
    "gatewarden.simulate",
    "hub.registry.cli",
    "hub.alerts.cli",
    "gatewarden.deploy.cli",
    "gatewarden.doctor.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gatewarden",
        description="Gates, overnight parking and e-bike charging safety for a residential compound.",
    )
    parser.add_argument("--version", action="version", version=f"gatewarden {version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("gatewarden")
    except PackageNotFoundError:
        return "0+unknown"


def _interrupt(signum: int, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # SIGTERM (systemd, `timeout`, a closed terminal) stops a command as Ctrl-C does, so its clean-up
    # runs; the hub and edge daemons install their own handlers when they start.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return int(args.func(args) or 0)
    except GatewardenError as exc:
        print(f"gatewarden {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
