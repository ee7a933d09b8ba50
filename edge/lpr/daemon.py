"""Starting the plate-camera listener beside a gate or lane device (``[lpr]`` in its config).

The gate daemon (:mod:`edge.gate.daemon`) and the lane daemon (:mod:`edge.lane.daemon`) call
:func:`start` with their device when the config has an ``[lpr]`` section: the reads need the
device they feed, so ``[lpr]`` is not a source of its own.  A one-second ticker watches for silent
cameras.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from gwcommon.clock import Clock
from gwcommon.exc import ConfigError

from .receiver import Receiver
from .server import LprServer

logger = logging.getLogger(__name__)


class LprHandle:
    """The running listener; ``stop()`` ends the server and the ticker."""

    def __init__(self, server: LprServer, receiver: Receiver, link: Any):
        self.server, self.receiver, self.link = server, receiver, link
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="lpr-health", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.receiver.tick()
            except Exception:  # the watch must not die on one bad tick
                logger.exception("plate camera health check failed")

    def stop(self) -> None:
        self._stop.set()
        self.server.stop()
        self._ticker.join(5)


def start(config: Any, sink: Any, clock: Clock, *, gate_device: Any = None, lane_device: Any = None,
          host: str | None = None, port: int | None = None, allowlist: Any = None) -> LprHandle:
    """Start the listener for ``config.lpr``, feeding ``gate_device`` or ``lane_device``; returns at once.

    ``allowlist``: a lane device's copy of the site allowlist, whose registered plates the
    OCR-tolerant zone cameras match doubtful reads against (:mod:`edge.lpr.ocrmatch`)."""
    lpr = config.lpr
    link = strip = None
    if gate_device is not None:
        from .gatelink import GateLink

        link = GateLink(gate_device, lpr.cameras, clock)
    if lane_device is not None:
        from .strip import StripLink

        link = strip = StripLink(lane_device, lpr.cameras, sink=sink, clock=clock,
                                 state_file=config.storage.dir / f"lpr-strip-{config.device.id}.json",
                                 registered=(lambda: registered_plates(allowlist)) if allowlist is not None else None)
    receiver = Receiver(lpr, sink=sink, clock=clock, gate=link if gate_device is not None else None,
                        strip=strip, allowlist=getattr(gate_device, "allowlist", None))
    secrets = {camera.id: camera.secret() for camera in lpr.cameras}
    try:
        server = LprServer(lpr, receiver.handle, secrets=secrets, counters=receiver.counters, host=host, port=port)
    except OSError as exc:
        raise ConfigError(f"lpr.listen: cannot listen on {lpr.listen}: {exc.strerror or exc}") from None
    return LprHandle(server.start(), receiver, link)


def registered_plates(allowlist: Any) -> list[str]:
    """Every plate on the allowlist (revoked or expired ones too: presence is about who, not may)."""
    return [tag[len("plate:"):] for tag in allowlist.tags() if tag.startswith("plate:")]
