"""Building one edge event from its fields: the envelope and the full check (a decision module).

Both the outbox and the replay tool use :func:`make_event`, so a replay file is checked by exactly
the rules that the outbox applies when the event is emitted.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from gwcommon import wire
from gwcommon.exc import InvalidMessage
from gwcommon.timefmt import format_ts

ENVELOPE_KEYS = frozenset({"id", "seq", "v"})


def make_event(kind: str, fields: dict[str, Any], *, seq: int, event_id: str,
               now: datetime) -> wire.Envelope:
    """The validated wire model for an event of ``kind`` with ``fields`` (docs/contract.md §1).

    ``fields`` carries the event's own fields; ``ts`` in it is kept (a replayed recording),
    otherwise ``now`` is used.  ``id``, ``seq`` and ``v`` are refused (the outbox assigns them),
    as are fields the kind does not have (a typo would otherwise vanish silently).
    Raises :class:`InvalidMessage` with a one-line reason.
    """
    if not isinstance(kind, str) or kind not in wire.EVENT_MODELS:
        raise InvalidMessage(f"unknown event kind {kind!r} (one of {', '.join(wire.EVENT_KINDS)})")
    if not isinstance(fields, dict):
        raise InvalidMessage(f"{kind}: fields must be a mapping, got {type(fields).__name__}")
    model = wire.EVENT_MODELS[kind]
    unknown = sorted((set(fields) - set(model.model_fields)) | (set(fields) & ENVELOPE_KEYS))
    if unknown:
        raise InvalidMessage(f"{kind}: field(s) {', '.join(map(str, unknown))} not allowed "
                             "(unknown to this kind, or assigned by the outbox)")
    ts = fields.get("ts", now)
    if isinstance(ts, datetime):
        ts = format_ts(ts) if ts.tzinfo else ts.isoformat()
    data = {**fields, "id": event_id, "ts": ts, "seq": seq, "v": wire.V}
    try:
        text = json.dumps(data, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidMessage(f"{kind}: fields are not plain JSON values: {exc}") from None
    return wire.decode_payload(kind, text)
