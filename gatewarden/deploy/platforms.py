"""Where gatewarden installs, and what each role installs there (docs/install.md).

A *platform* is an operating system release and a processor: the Pi's ``uname -m`` and Python.
Each has a constraints file, ``deploy/constraints/<platform>.txt``, pinning every package any role
installs, so two Pis installed a month apart run the same stack, and ``gatewarden deploy
wheelhouse`` downloads exactly those wheels.  32-bit Raspberry Pi OS (armv7l) is refused: PyPI has
no OpenCV, NumPy or pydantic-core wheels to match for it, so pip would compile for hours or run
out of memory; every Pi that runs gatewarden (3B, 4, 5, Zero 2 W) runs the 64-bit system.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2]          # a checkout: pyproject.toml and deploy/ here
CONSTRAINTS = SOURCE / "deploy" / "constraints"
PYTHON = "3.11"                                       # Debian 12 Bookworm's python3


@dataclass(frozen=True)
class Platform:
    """One operating system release on one processor."""

    name: str
    machine: str                  # what ``uname -m`` prints
    wheel_tags: tuple[str, ...]   # pip --platform values (the manylinux levels glibc 2.36 runs)

    @property
    def constraints(self) -> Path:
        return CONSTRAINTS / f"{self.name}.txt"


def _manylinux(arch: str) -> tuple[str, ...]:
    return (f"manylinux2014_{arch}",) + tuple(f"manylinux_2_{minor}_{arch}" for minor in range(17, 37))


PLATFORMS: dict[str, Platform] = {
    "bookworm-aarch64": Platform("bookworm-aarch64", "aarch64", _manylinux("aarch64")),
    "bookworm-x86_64": Platform("bookworm-x86_64", "x86_64", _manylinux("x86_64")),
}
REFUSED_MACHINES = {"armv7l": "32-bit", "armv6l": "32-bit", "i686": "32-bit"}

ROLES = ("hub", "gate", "lane", "charging")
EXTRAS: dict[str, tuple[str, ...]] = {   # what each role installs by default
    "hub": ("hub",),
    "gate": ("gate",),
    "lane": ("lane", "camera"),
    "charging": ("charging",),
}


def extras(role: str, *, camera: bool | None = None) -> tuple[str, ...]:
    """The extras for ``role``; ``camera`` True/False adds or drops the cameras (edge roles)."""
    chosen = list(EXTRAS[role])
    if camera and role != "hub" and "camera" not in chosen:
        chosen.append("camera")
    if camera is False and "camera" in chosen:
        chosen.remove("camera")
    return tuple(chosen)


def requirement(role: str, *, camera: bool | None = None, target: str = "gatewarden") -> str:
    """``gatewarden[hub]``-style requirement for pip (``target`` may be a path or a wheel)."""
    return f"{target}[{','.join(extras(role, camera=camera))}]"


def platform_for(machine: str) -> Platform:
    """The platform for ``uname -m``; ValueError for a refused or unknown one."""
    for platform in PLATFORMS.values():
        if platform.machine == machine:
            return platform
    raise ValueError(machine)


def pip_platform_args(platform: Platform) -> list[str]:
    """pip arguments that choose wheels for ``platform`` from any machine."""
    args = ["--only-binary=:all:", "--python-version", PYTHON, "--implementation", "cp"]
    for tag in platform.wheel_tags:
        args += ["--platform", tag]
    return args


def pinned(path: Path) -> dict[str, str]:
    """``name == version`` lines of a constraints file (names normalised)."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[normalise(name)] = version.strip()
    return pins


def normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")
