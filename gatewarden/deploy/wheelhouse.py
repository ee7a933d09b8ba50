"""``gatewarden deploy wheelhouse``: a folder of wheels to install a Pi with no network.

On any machine with the network and this checkout: the project's own wheel (``pip wheel``), then
every wheel the role needs for the Pi's platform at the pinned versions (``pip download
--only-binary=:all: --platform …`` with ``deploy/constraints/<platform>.txt``), the constraints file
and a ``wheelhouse.json`` saying what it is for.  Copy the folder to the Pi (USB stick) and run
``sudo deploy/install.sh ROLE --wheelhouse DIR``, which installs with ``pip --no-index``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

from gatewarden.deploy.platforms import SOURCE, Platform, extras, pip_platform_args

Runner = Callable[[list[str]], None]


def _run(cmd: list[str]) -> None:
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    subprocess.run(cmd, check=True)


def build(role: str, platform: Platform, out: Path, *, camera: bool | None = None, source: Path = SOURCE,
          run: Runner = _run, python: str = sys.executable) -> dict:
    """Fill ``out`` with the role's wheels for ``platform``; the manifest written there."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("gatewarden-*.whl"):
        old.unlink()
    run([python, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(source)])
    wheels = sorted(out.glob("gatewarden-*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"pip wheel left {len(wheels)} gatewarden wheels in {out}")
    chosen = extras(role, camera=camera)
    run([python, "-m", "pip", "download", "--progress-bar", "on", "--dest", str(out), "--find-links", str(out),
         *pip_platform_args(platform), "-c", str(platform.constraints), f"{wheels[0]}[{','.join(chosen)}]"])
    shutil.copyfile(platform.constraints, out / "constraints.txt")
    manifest = {"role": role, "platform": platform.name, "extras": list(chosen), "wheel": wheels[0].name,
                "python": "3.11"}
    (out / "wheelhouse.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest
