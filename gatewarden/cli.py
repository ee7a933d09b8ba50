"""The ``gatewarden`` command: one entry point, sub-commands registered by each part.

Each module in :data:`COMMANDS` has ``register(subparsers)``, which adds its sub-command and sets
``func`` to a function taking the parsed arguments and returning an exit code.  Modules import
their heavy libraries inside ``func``, so ``gatewarden --help`` and an edge Pi stay light.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys

from gatewarden.configpath import fill_in
from gwcommon.exc import GatewardenError
from gwcommon.lang import ENV_LANG, LANGS, choose

COMMANDS = [
    "hub.cli.run",
    "edge.cli",
    "edge.charging.cli",
    "gatewarden.demo",
    "gatewarden.simulate",
    "hub.cli.registry",
    "hub.cli.alerts",
    "gatewarden.deploy.cli",
    "gatewarden.doctor.cli",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gatewarden",
        description="Gates, overnight parking and e-bike charging safety for a residential compound.",
    )
    parser.add_argument("--version", action="version", version=f"gatewarden {version()}")
    parser.add_argument("--lang", choices=LANGS, default=None, dest="global_lang",
                        help="language of messages: zh (default) or en; same as GATEWARDEN_LANG=en")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(subparsers)
    return parser


def version() -> str:
    from gwcommon.version import package_version

    return package_version()


def error_text(exc: GatewardenError, lang: str) -> str:
    """An error's words in ``lang`` where it has both languages (config errors do), else as raised."""
    text = getattr(exc, "text", None)
    return text(lang) if callable(text) else str(exc)


def _interrupt(signum: int, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    before = os.environ.get(ENV_LANG)
    if args.global_lang:  # one policy: --lang before the command speaks for the whole command
        os.environ[ENV_LANG] = args.global_lang
    # SIGTERM (systemd, `timeout`, a closed terminal) stops a command as Ctrl-C does, so its clean-up
    # runs; the hub and edge daemons install their own handlers when they start.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        fill_in(args, os.environ)  # --config left out: GATEWARDEN_CONFIG or /etc/gatewarden/<role>.toml
        return int(args.func(args) or 0)
    except GatewardenError as exc:
        lang = choose(flag=getattr(args, "lang", None), environ=os.environ)
        print(f"gatewarden {args.command}: {error_text(exc, lang)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        _restore(ENV_LANG, before)


def _restore(name: str, value: str | None) -> None:
    """Put an environment variable back as it was (main() may run in-process, as in the tests)."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


if __name__ == "__main__":
    sys.exit(main())
