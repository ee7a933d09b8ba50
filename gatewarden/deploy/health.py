"""Small helpers deploy/install.sh runs with the new virtualenv's Python (no config validation).

    python -m gatewarden.deploy.health storage CONFIG      print the config's storage.dir
    python -m gatewarden.deploy.health check ROLE CONFIG   the upgrade's health check (exit 0 = healthy)

The hub is healthy when its ``/healthz`` answers 200 within the time limit (the unit is
``Type=notify``, so systemd has already seen READY=1); an edge device when its unit is still active.
"""

from __future__ import annotations

import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

DEFAULT_STORAGE = Path("/var/lib/gatewarden")


def storage_dir(config: Path) -> Path:
    """``[storage] dir`` of ``config`` (relative to the config file), or the default."""
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return DEFAULT_STORAGE
    raw = (data.get("storage") or {}).get("dir")
    if not isinstance(raw, str) or not raw:
        return DEFAULT_STORAGE
    path = Path(raw)
    return path if path.is_absolute() else (config.parent / path).resolve()


def hub_url(config: Path) -> str:
    """The local address of the hub's web view (``[web] listen``, 0.0.0.0 read as 127.0.0.1)."""
    try:
        web = tomllib.loads(config.read_text(encoding="utf-8")).get("web") or {}
    except (OSError, tomllib.TOMLDecodeError):
        web = {}
    host, _, port = str(web.get("listen", "127.0.0.1:8080")).rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/healthz"


def healthy(role: str, config: Path, *, timeout: float = 90.0, interval: float = 2.0, steady: float = 15.0) -> bool:
    """Wait up to ``timeout`` s for the service of ``role`` to look healthy: the hub's /healthz
    answers 200; an edge unit stays active for ``steady`` seconds in a row."""
    deadline = time.monotonic() + timeout
    active_since: float | None = None
    while time.monotonic() < deadline:
        if role == "hub":
            try:
                with urllib.request.urlopen(hub_url(config), timeout=5) as answer:
                    if answer.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
        else:
            unit = f"gatewarden-{role}.service"
            if subprocess.run(["systemctl", "is-active", "--quiet", unit]).returncode == 0:
                active_since = active_since if active_since is not None else time.monotonic()
                if time.monotonic() - active_since >= steady:
                    return True
            else:
                active_since = None
        time.sleep(interval)
    return False


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "storage":
        print(storage_dir(Path(argv[1])))
        return 0
    if len(argv) in (3, 4) and argv[0] == "check":
        timeout = float(argv[3]) if len(argv) == 4 else 90.0
        return 0 if healthy(argv[1], Path(argv[2]), timeout=timeout) else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
