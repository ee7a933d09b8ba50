"""A local chat inbox (本地消息箱): chat messages kept on the hub instead of a real group.

With ``[web] inbox_key`` set, a ``[[chat]]`` target of kind ``webhook`` pointed at
``http://127.0.0.1:<port>/inbox/hook/<inbox_key>`` lands its messages here, and the web view's
Inbox page shows them as the committee would see them in the group.  ``gatewarden demo`` uses it;
an installer can use it to try the rules before connecting the real group robot.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from gwcommon.exc import GatewardenError
from gwcommon.timefmt import format_ts

MAX_TEXT = 20_000
MAX_IMAGE = 2 * 1024 * 1024

migrations = Migrations("inbox")


@migrations()
def m001_inbox(db: Database) -> None:
    db.execute("""CREATE TABLE inbox (
        id INTEGER PRIMARY KEY, received_at TEXT NOT NULL, type TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '', text TEXT NOT NULL DEFAULT '',
        mentions TEXT NOT NULL DEFAULT '[]', image BLOB)""")


class BadInboxMessage(GatewardenError, ValueError):
    """A message posted to the inbox is not what the webhook chat target sends."""


def parse(body: Any) -> dict[str, Any]:
    """Check one webhook message (the ``webhook`` chat target's JSON) and return the row to keep."""
    if not isinstance(body, dict):
        raise BadInboxMessage("the message must be a JSON object")
    kind = body.get("type")
    if kind not in ("text", "markdown", "image"):
        raise BadInboxMessage("type must be text, markdown or image")
    text, title = body.get("text", ""), body.get("title", "")
    mentions = body.get("mention_mobiles", [])
    if not isinstance(text, str) or not isinstance(title, str) or not isinstance(mentions, list):
        raise BadInboxMessage("text and title must be strings, mention_mobiles a list")
    return {"type": kind, "title": title[:500], "text": text[:MAX_TEXT],
            "mentions": json.dumps([str(m)[:20] for m in mentions[:50]]), "image": _image(body, kind)}


def _image(body: dict[str, Any], kind: str) -> bytes | None:
    if kind != "image":
        return None
    try:
        raw = base64.b64decode(str((body.get("image") or {}).get("base64", "")), validate=True)
    except (binascii.Error, AttributeError):
        raise BadInboxMessage("image.base64 is not base64") from None
    if not raw.startswith(b"\xff\xd8") or len(raw) > MAX_IMAGE:
        raise BadInboxMessage("image must be a JPEG of at most 2 MB")
    return raw


def add(db: Database, row: dict[str, Any], now: datetime) -> int:
    """Keep one message (on the hub's writer thread)."""
    return db["inbox"].insert({**row, "received_at": format_ts(now)}).last_pk


def latest(db: Database, *, limit: int = 200) -> list[dict[str, Any]]:
    """The newest messages first, without image bytes (``has_image`` tells)."""
    rows = db.execute("SELECT id, received_at, type, title, text, mentions, image IS NOT NULL "
                      "FROM inbox ORDER BY id DESC LIMIT ?", [limit]).fetchall()
    return [{"id": r[0], "received_at": r[1], "type": r[2], "title": r[3], "text": r[4],
             "mentions": json.loads(r[5]), "has_image": bool(r[6])} for r in rows]


def image(db: Database, message_id: int) -> bytes | None:
    row = db.execute("SELECT image FROM inbox WHERE id = ?", [message_id]).fetchone()
    return row[0] if row else None
