"""The overnight rule's notices (table ``rule_notices``): what the rule tells the alerts area
(violations opened or changed, reminders, calendar warnings), read in order by
:func:`notices_after` — the alerts area words them for the chat group."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from gwcommon.timefmt import stored_ts


def notice_many(db: Any, kind: str, payloads: list[dict[str, Any]], *, at: datetime) -> None:
    """Queue many notices of one kind (no dedup keys)."""
    created = stored_ts(at)
    db.conn.executemany("INSERT INTO rule_notices(kind, dedup, payload, created_at) VALUES (?, NULL, ?, ?)",
                        [[kind, json.dumps(p, ensure_ascii=False), created] for p in payloads])


def notice(db: Any, kind: str, payload: dict[str, Any], *, at: datetime, dedup: str | None = None) -> int | None:
    """Queue something for the alerting engine (table ``rule_notices``); a repeated ``dedup`` is ignored."""
    cur = db.execute("INSERT OR IGNORE INTO rule_notices(kind, dedup, payload, created_at) VALUES (?, ?, ?, ?)",
                     [kind, dedup, json.dumps(payload, ensure_ascii=False), stored_ts(at)])
    return int(cur.lastrowid) if cur.rowcount else None


def notices_after(db: Any, after_id: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """Notices with id > ``after_id``, oldest first (the alerting engine keeps its own cursor)."""
    return [{"id": i, "kind": k, "dedup": d, "payload": json.loads(p), "created_at": c}
            for i, k, d, p, c in db.execute("SELECT id, kind, dedup, payload, created_at FROM rule_notices "
                                            "WHERE id > ? ORDER BY id LIMIT ?", [after_id, limit])]
