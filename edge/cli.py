"""The ``gatewarden edge`` sub-command (heavy imports happen inside ``run``)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "edge", help="run one edge device (gate, lane or charging)",
        description="Run one edge device's daemons: the durable outbox, the MQTT publisher and "
                    "the sources its config names (replay, gate, lane, charging). Stops cleanly "
                    "on SIGTERM or Ctrl-C.")
    parser.add_argument("--config", metavar="FILE",
                        help="the device's TOML config file (default: $GATEWARDEN_CONFIG or the one "
                             "/etc/gatewarden/gate|lane|charging.toml)")
    parser.add_argument("--check", action="store_true",
                        help="only check the config (and a replay file), print a summary and exit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from edge.daemon import main

    return main(args.config, check=args.check)
