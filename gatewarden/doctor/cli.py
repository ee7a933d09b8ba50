"""``gatewarden doctor``: check a Pi and say, in plain words, what is wrong and what to do."""

from __future__ import annotations

import argparse
import os
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor", help="check this Pi: config, broker, clock, storage and its hardware",
        description="Check everything this Pi's role needs (the config, the MQTT broker with its "
                    "credentials and TLS, the clock, storage; for gate and lane devices Bluetooth, "
                    "GPIO pins and inputs, cameras; for charging devices the meters) and explain "
                    "each problem. Exit status 1 when anything fails. Stop the device's own service "
                    "first: the doctor needs its pins.")
    parser.add_argument("--config", metavar="FILE",
                        help="the Pi's TOML config file (default: $GATEWARDEN_CONFIG or the one /etc/gatewarden/*.toml)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON (for scripts)")
    parser.add_argument("--lang", choices=("zh", "en"), default=None,
                        help="language of the report: zh (default) or en; else GATEWARDEN_LANG")
    parser.add_argument("--hub", metavar="URL", default=None,
                        help="the hub's web address (http://HUB:8080), to measure this Pi's clock offset to it")
    parser.add_argument("--pulse", choices=("open", "close"), default=None,
                        help="relay test instead of the checks: pulse one lane's open or close relay once "
                             "(reads the loops and photo-eye first; refuses a close while one is active)")
    parser.add_argument("--lane", metavar="NAME", default=None, help="the lane to pulse (needed with several lanes)")
    parser.add_argument("--yes", action="store_true", help="do not ask before pulsing")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .report import as_json, as_text, exit_code
    from .run import run_checks
    from .seams import Env
    from gwcommon.lang import choose

    if args.pulse:
        from .pulse import pulse

        return pulse(args.config, args.pulse, args.lane, Env(), yes=args.yes, lang=args.lang)
    checks = run_checks(args.config, Env(), hub_url=args.hub)
    render = as_json if args.json else as_text
    lang = choose(flag=args.lang, environ=os.environ)
    print(render(checks, config=args.config, lang=lang), file=sys.stdout)
    return exit_code(checks)
