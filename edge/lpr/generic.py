"""Our own JSON webhook, for every camera (or camera server) that can post a template or a script.

POST ``application/json``::

    {"plate": "浙A·12345", "confidence": 93, "colour": "blue", "time": "2026-03-01T22:41:07+08:00",
     "picture": "<base64 JPEG>", "id": "read-123", "offline": false, "slot": "E-07"}

Only ``plate`` is required (``"color"`` is accepted for ``"colour"``; ``time`` may be RFC 3339 or
Unix seconds; ``confidence`` is 0–100, default 100).  ``{"heartbeat": true}`` says the camera is
alive.  The reply is ``{"open": true|false}``: a camera that drives the barrier opens it on
``"open": true``.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from gwcommon.exc import BadTimestamp
from gwcommon.timefmt import parse_ts

from .formats import json_object, jpeg_b64, number
from .model import COLOURS, BadPush, Push, read

SLOT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def parse(body: bytes, content_type: str) -> Push:
    data = json_object(body, "generic")
    if data.get("heartbeat") is True and "plate" not in data:
        return Push(heartbeat=True)
    plate = data.get("plate")
    if not isinstance(plate, str) or not plate.strip():
        raise BadPush("generic: 'plate' (a string) is required")
    colour = str(data.get("colour", data.get("color", "unknown"))).lower().replace("-", "_")
    slot = data.get("slot")
    return Push(reads=(read(plate, number(data.get("confidence", 100), 0.0),
                            colour=colour if colour in COLOURS else "unknown", taken=_taken(data.get("time")),
                            jpeg=jpeg_b64(data.get("picture")), offline=data.get("offline") is True,
                            ref=str(data["id"])[:32] if isinstance(data.get("id"), (str, int)) else None,
                            slot=slot if _slot_ok(slot) else None),))


def _slot_ok(slot: Any) -> bool:
    return isinstance(slot, str) and 0 < len(slot) <= 64 and set(slot) <= SLOT_CHARS


def _taken(value: Any) -> datetime | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 2**32:
        return datetime.fromtimestamp(value, timezone.utc)
    if isinstance(value, str):
        try:
            return parse_ts(value)
        except (BadTimestamp, ValueError):
            return None
    return None


def reply(push: Push, opened: bool | None) -> tuple[str, bytes]:
    return "application/json", json.dumps({"open": bool(opened)}).encode()
