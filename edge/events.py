"""What edge components need from the outbox: a place to put events and snapshots.

Sensors, scanners and lane logic depend only on :class:`EventSink`; the durable outbox
(``edge.outbox``) is the real one, and tests may use :class:`ListSink`.
"""

from __future__ import annotations

from typing import Any, Protocol


class EventSink(Protocol):
    """Accepts edge events; ``emit`` returns the new event's id once it is durably stored."""

    def emit(self, kind: str, fields: dict[str, Any]) -> str:
        """Store one event (``kind``: passage, presence, charging or fault) and queue it for sending.

        ``fields`` are the event's own fields (docs/contract.md §1) without the envelope; the sink adds
        ``id``, ``ts``, ``seq`` and ``v``.
        """

    def snapshot(self, event_id: str, jpeg: bytes) -> None:
        """Queue the JPEG picture taken for ``event_id`` (best effort: pictures are not events)."""


class ListSink:
    """An in-memory sink for tests: keeps ``(kind, fields)`` and snapshots in lists."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.snapshots: list[tuple[str, bytes]] = []

    def emit(self, kind: str, fields: dict[str, Any]) -> str:
        self.events.append((kind, dict(fields)))
        return f"test-{len(self.events)}"

    def snapshot(self, event_id: str, jpeg: bytes) -> None:
        self.snapshots.append((event_id, jpeg))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [fields for k, fields in self.events if k == kind]
