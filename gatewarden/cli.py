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


class Parser(argparse.ArgumentParser):
    """argparse in the language of the one policy: its usage line and refusals in Chinese or English
    (``lang`` is set by :func:`gatewarden.cliwords.translate`; sub-command parsers are this class too)."""

    lang = "en"

    def format_usage(self) -> str:
        return self._in_language(super().format_usage())

    def format_help(self) -> str:
        return self._in_language(super().format_help())

    def error(self, message: str):
        from gatewarden import cliwords

        self.print_usage(sys.stderr)
        word = "错误" if self.lang != "en" else "error"
        self.exit(2, f"{self.prog}: {word}: {cliwords.refusal(message, self.lang)}\n")

    def _in_language(self, text: str) -> str:
        from gatewarden import cliwords

        return cliwords.USAGE["zh"] + text[len("usage: "):] if self.lang != "en" and text.startswith("usage: ") else text


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    """Every command's parser, its help texts in ``lang`` (docs/cli.md is generated in English)."""
    parser = Parser(
        prog="gatewarden",
        description="Gates, overnight parking and e-bike charging safety for a residential compound.",
    )
    parser.add_argument("--version", action="version", version=f"gatewarden {version()}")
    parser.add_argument("--lang", choices=LANGS, default=None, dest="global_lang",
                        help="language of messages: zh (default) or en; same as GATEWARDEN_LANG=en")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(subparsers)
    from gatewarden import cliwords

    cliwords.translate(parser, lang)
    return parser


def lang_of(argv: list[str], environ) -> str:
    """The command line's language before it is parsed (so ``--help`` speaks it too): the last
    ``--lang X`` / ``--lang=X`` anywhere on it, else ``GATEWARDEN_LANG``, else Chinese."""
    flag = None
    for i, word in enumerate(argv):
        if word == "--lang" and i + 1 < len(argv):
            flag = argv[i + 1]
        elif word.startswith("--lang="):
            flag = word.split("=", 1)[1]
    return choose(flag=flag, environ=environ)


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
    words = list(sys.argv[1:] if argv is None else argv)
    lang = lang_of(words, os.environ)
    before = os.environ.get(ENV_LANG)
    if any(w == "--lang" or w.startswith("--lang=") for w in words):
        os.environ[ENV_LANG] = lang  # already while parsing: an argument's refusal speaks the asked language
    try:
        args = build_parser(lang).parse_args(words)
    except SystemExit:
        _restore(ENV_LANG, before)
        raise
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
