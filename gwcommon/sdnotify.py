"""Tell systemd how the process is doing (``sd_notify``), without any extra library.

The units in ``deploy/systemd/`` run the hub and the edge daemons as ``Type=notify`` with
``WatchdogSec``: systemd waits for ``READY=1`` before it counts the service as started, and
restarts it when the ``WATCHDOG=1`` pings stop (a hung process, a dead writer thread).  systemd
passes the address of its notification socket in ``NOTIFY_SOCKET`` (a path, or ``@name`` for an
abstract socket) and the watchdog period in ``WATCHDOG_USEC``.  Without ``NOTIFY_SOCKET`` (a
terminal, the tests, the demo) every call here does nothing.

    notifier = Notifier.from_environment()
    notifier.ready()
    while running:
        if healthy():
            notifier.ping()      # rate-limited to a quarter of the watchdog period
    notifier.stopping()
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Callable, Mapping

logger = logging.getLogger(__name__)


def socket_address(value: str) -> str | bytes:
    """The address to send to: a file path, or an abstract socket for ``@name``."""
    return b"\0" + value[1:].encode() if value.startswith("@") else value


def watchdog_interval(environ: Mapping[str, str], pid: int) -> float | None:
    """Seconds between pings (a quarter of ``WATCHDOG_USEC``), or None without a watchdog for us."""
    usec = environ.get("WATCHDOG_USEC", "")
    owner = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (owner.isdigit() and int(owner) != pid):
        return None
    return int(usec) / 1_000_000 / 4


class Notifier:
    """Sends ``READY=1``, ``WATCHDOG=1`` and ``STOPPING=1`` to systemd; a no-op without a socket."""

    def __init__(self, address: str | None, *, watchdog: float | None = None,
                 monotonic: Callable[[], float] = time.monotonic):
        self.address = address
        self.watchdog = watchdog
        self._monotonic = monotonic
        self._last_ping: float | None = None
        self._warned = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> "Notifier":
        env = os.environ if environ is None else environ
        return cls(env.get("NOTIFY_SOCKET") or None, watchdog=watchdog_interval(env, os.getpid()))

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def ready(self, status: str = "") -> bool:
        return self.send("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def ping(self) -> bool:
        """``WATCHDOG=1``, at most once per quarter watchdog period; False when not sent."""
        if self.watchdog is None:
            return False
        now = self._monotonic()
        if self._last_ping is not None and now - self._last_ping < self.watchdog:
            return False
        self._last_ping = now
        return self.send("WATCHDOG=1")

    def send(self, message: str) -> bool:
        """Send one datagram; failures are logged once and never raised (systemd may be gone)."""
        if self.address is None:
            return False
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.sendto(message.encode(), socket_address(self.address))
        except OSError as exc:
            if not self._warned:
                logger.warning("cannot notify systemd at %s: %s", self.address, exc)
                self._warned = True
            return False
        return True
