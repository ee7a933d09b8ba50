"""Power-cycling the Bluetooth adapter: the second rung of the recovery ladder.

``btmgmt`` (BlueZ's management tool, package ``bluez``) talks to the kernel's management socket,
below bluetoothd, so it works even when bluetoothd is wedged; ``bluetoothctl`` is the fallback
(it only reaches the default adapter).  Both must run as root or with CAP_NET_ADMIN — the systemd
unit in docs/bluetooth.md grants it.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from typing import Protocol

from gwcommon.exc import GatewardenError

logger = logging.getLogger(__name__)


class AdapterError(GatewardenError, OSError):
    """The adapter could not be power-cycled."""


class AdapterControl(Protocol):
    """What the scanner may do to its adapter."""

    def power_cycle(self, adapter: str) -> None:
        """Switch the adapter off and on again; raise AdapterError when that fails."""


class SystemAdapterControl:
    """The real one: ``btmgmt --index N power off/on``, else ``bluetoothctl power off/on``."""

    def __init__(self, *, timeout: float = 10.0, pause: float = 1.0):
        self.timeout = timeout
        self.pause = pause

    def power_cycle(self, adapter: str) -> None:
        index = adapter.removeprefix("hci")
        if shutil.which("btmgmt"):
            commands = [["btmgmt", "--index", index, "power", "off"], ["btmgmt", "--index", index, "power", "on"]]
        elif shutil.which("bluetoothctl"):
            commands = [["bluetoothctl", "power", "off"], ["bluetoothctl", "power", "on"]]
        else:
            raise AdapterError("neither btmgmt nor bluetoothctl is installed (apt install bluez)")
        for n, command in enumerate(commands):
            self._run(command)
            if n == 0:
                time.sleep(self.pause)

    def _run(self, command: list[str]) -> None:
        logger.info("running %s", " ".join(command))
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=self.timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AdapterError(f"{' '.join(command)}: {exc}") from None
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise AdapterError(f"{' '.join(command)} failed ({done.returncode}): {reason[0]}")
