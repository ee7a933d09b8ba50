"""``gatewarden deploy wheelhouse``: the installer's offline tool (docs/install.md, "No internet")."""

from __future__ import annotations

import argparse
from pathlib import Path

from gatewarden import cliwords  # noqa: F401  (its table words these commands: gw.*)

from gatewarden.deploy.platforms import PLATFORMS, ROLES


def register(nested) -> None:
    house = nested.add_parser(
        "wheelhouse", help="download every wheel a role needs into a folder, for a Pi with no internet",
        description="On a machine with internet and this checkout: build gatewarden's own wheel and download "
                    "every wheel ROLE needs for PLATFORM at the pinned versions (deploy/constraints/) into DIR. "
                    "Then on the Pi: sudo deploy/install.sh ROLE --wheelhouse DIR.")
    house.add_argument("dir", type=Path, metavar="DIR", help="folder to fill (created when missing)")
    house.add_argument("--role", required=True, choices=ROLES, help="the Pi's role")
    house.add_argument("--platform", default="bookworm-aarch64", choices=sorted(PLATFORMS),
                       help="the Pi's system and processor (default: bookworm-aarch64, 64-bit Raspberry Pi OS)")
    cams = house.add_mutually_exclusive_group()
    cams.add_argument("--camera", dest="camera", action="store_true", default=None,
                      help="include the cameras (OpenCV) for a gate; a lane has them already")
    cams.add_argument("--no-camera", dest="camera", action="store_false", help="leave the cameras out")
    house.set_defaults(func=run_wheelhouse)


def run_wheelhouse(args: argparse.Namespace) -> int:
    import subprocess

    from gatewarden.deploy.wheelhouse import build
    from gwcommon.exc import ConfigError

    try:
        manifest = build(args.role, PLATFORMS[args.platform], args.dir, camera=args.camera)
    except subprocess.CalledProcessError as exc:
        raise ConfigError.said("gw.wheels.pip", code=exc.returncode) from None
    except OSError as exc:
        raise ConfigError.said("gw.wheels.cannot_write", dir=args.dir, error=exc.strerror or exc) from None
    wheels = len(list(args.dir.glob("*.whl")))
    from gatewarden.cliwords import say

    print(say("wheels.done", dir=args.dir, wheels=wheels, role=manifest["role"], platform=manifest["platform"],
              extras=",".join(manifest["extras"])))
    print(say("wheels.next", role=args.role, dir=args.dir))
    return 0
