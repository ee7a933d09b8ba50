"""Installed size and install time per role from a wheelhouse, and idle memory (RSS) per role.

For each role: ``gatewarden deploy wheelhouse`` for this machine's platform (bookworm-x86_64 here;
a Pi's aarch64 wheels are about the same size), then a fresh virtualenv and ``pip install
--no-index`` from it, as ``install.sh --wheelhouse`` does, timed; the sizes are the wheelhouse and
the virtualenv less an empty one.  Idle RSS: a simulated compound (the hub and the simulated gate,
lane and charging devices, the real daemon code on mock pins) runs for 40 s of quiet evening, then
each process's resident memory is read.  A Pi 4 installs several times slower than this machine
(its SD card more than its CPU); its RSS is about the same.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gatewarden.deploy import platforms, wheelhouse  # noqa: E402

IDLE_SECONDS = 40


def du_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def quiet(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=1800)


def install_role(role: str, work: Path, base_mb: float) -> tuple[float, float, float, int]:
    house = work / f"wheels-{role}"
    platform = platforms.platform_for("x86_64")
    wheelhouse.build(role, platform, house, run=quiet)
    venv = work / f"venv-{role}"
    started = time.monotonic()
    quiet([sys.executable, "-m", "venv", str(venv)])
    target = next(house.glob("gatewarden-*.whl"))
    quiet([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-index", "--find-links", str(house),
           "-c", str(house / "constraints.txt"), f"{target}[{','.join(platforms.extras(role))}]"])
    took = time.monotonic() - started
    return du_mb(house), du_mb(venv) - base_mb, took, len(list(house.glob("*.whl")))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def idle_rss() -> dict[str, float]:
    from gatewarden.localbroker import free_port
    from gatewarden.sim.runner import Runner
    from gwcommon.clock import ScaledClock

    runner = Runner(None, seed=7, evening=date(2026, 3, 2), web_port=free_port(), prefix="gatewarden-bench-")
    try:
        runner.prepare()
        night = runner.nights[0]
        clock = ScaledClock(night.start - timedelta(hours=2), real_start=time.time() + 2, speed=1.0)
        runner.start(clock)
        time.sleep(IDLE_SECONDS)
        dead = runner.dead()
        if dead:
            raise RuntimeError(f"{dead[0]} stopped (exit {dead[1]})")
        return {name: rss_mb(proc.pid) for name, proc in runner.procs.items()}
    finally:
        runner.stop()
        shutil.rmtree(runner.dir, ignore_errors=True)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="gatewarden-install-bench-") as tmp:
        work = Path(tmp)
        quiet([sys.executable, "-m", "venv", str(work / "empty")])
        base = du_mb(work / "empty")
        print("| role | extras | wheels | wheelhouse | installed (venv less an empty one) | install time |")
        print("|---|---|---:|---:|---:|---:|")
        for role in platforms.ROLES:
            house_mb, venv_mb, took, wheels = install_role(role, work, base)
            print(f"| {role} | `[{','.join(platforms.extras(role))}]` | {wheels} | {house_mb:.0f} MB | "
                  f"{venv_mb:.0f} MB | {took:.1f} s |")
    print()
    print(f"Idle resident memory after {IDLE_SECONDS} s of a quiet simulated evening:")
    print()
    print("| process | role | RSS |")
    print("|---|---|---:|")
    from gatewarden.sim.runner import DEVICES

    for name, mb in idle_rss().items():
        role = {"shed": "charging"}.get(DEVICES.get(name, "hub"), DEVICES.get(name, "hub"))
        print(f"| {name} | {role} | {mb:.0f} MB |")
    print()
    print("Goal (issue 22): each role installs only its own packages — no OpenCV on the hub, a gate "
          "without cameras or the charging shed; only the lane (cameras) carries OpenCV and NumPy. "
          "install.sh asks for 250 MB free in /opt (400 MB hub, 650 MB with cameras): the new "
          "virtualenv beside the previous one during an upgrade.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
