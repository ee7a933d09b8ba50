"""Which daemons an edge device runs: one *source* per config section.

A source is what produces events on this device: the gate lane controller, the lane scanner, the
charging-shed meter reader, or the replay tool.  :data:`SOURCES` maps a config section name to
the source's start function as ``"module:function"`` (imported only when that section is present
in the config, so a charging Pi never imports OpenCV).  ``gatewarden edge`` starts the source of
every section present, in the order listed here.

To add a source (e.g. the gate's):

1. Write the section model next to your code and add it to :class:`edge.config.EdgeConfig` as an
   optional field: ``gate: GateConfig | None = Field(None, description="...")``.
2. Write ``start(config, sink, publisher, clock, stop_event) -> handle`` in your module, where
   ``config`` is the whole :class:`~edge.config.EdgeConfig`, ``sink`` the durable outbox
   (:class:`edge.events.EventSink`: ``emit(kind, fields)``, ``snapshot(event_id, jpeg)``),
   ``publisher`` the :class:`edge.publisher.Publisher` (``on_command(handler)``,
   ``on_allowlist(handler)``), ``clock`` the edge's :class:`~gwcommon.clock.Clock` and
   ``stop_event`` a ``threading.Event`` set when the daemon shuts down.  Start your threads and
   return at once; the handle's ``stop()`` ends them (it is called on SIGTERM/SIGINT).
3. Add one line below: ``"gate": "edge.gate.daemon:start",``.
"""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any, Callable, Protocol

from gwcommon.clock import Clock

logger = logging.getLogger(__name__)

SOURCES: dict[str, str] = {
    "replay": "edge.replay:start",
    "gate": "edge.gate.daemon:start",
    "lane": "edge.lane.daemon:start",
    "charging": "edge.charging.device:start",
}


class SourceHandle(Protocol):
    """What a source's start function returns."""

    def stop(self) -> None:
        """Stop the source's threads (called once, at shutdown)."""


Starter = Callable[[Any, Any, Any, Clock, threading.Event], SourceHandle]


def configured(config: Any) -> list[str]:
    """Names of the sources whose section is present in ``config``, in :data:`SOURCES` order."""
    return [name for name in SOURCES if getattr(config, name, None) is not None]


def starter(name: str) -> Starter:
    """Import the start function registered for ``name``."""
    module_name, _, function = SOURCES[name].partition(":")
    return getattr(importlib.import_module(module_name), function)


def start_all(config: Any, sink: Any, publisher: Any, clock: Clock,
              stop_event: threading.Event) -> list[tuple[str, SourceHandle]]:
    """Start every configured source; if one fails to start, stop the others and re-raise."""
    started: list[tuple[str, SourceHandle]] = []
    try:
        for name in configured(config):
            started.append((name, starter(name)(config, sink, publisher, clock, stop_event)))
            logger.info("source %s started", name)
    except BaseException:
        stop_all(started)
        raise
    return started


def stop_all(handles: list[tuple[str, SourceHandle]]) -> None:
    """Stop sources in reverse start order; a failing stop is logged and the rest still stop."""
    for name, handle in reversed(handles):
        try:
            handle.stop()
        except Exception:
            logger.exception("source %s did not stop cleanly", name)
