"""The audit log (审计日志): every login, manual open, edit, excuse and account change.

``record`` runs inside a writer job — in the same transaction as the change it describes, so
the log and the data never disagree.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlite_utils import Database

from gwcommon.timefmt import format_ts

ACTIONS = (
    "login", "login_failed", "login_refused", "logout", "lane_open", "violation_resolve",
    "violation_excuse", "violation_identify", "stay_register", "occupancy_count", "diary_note", "stay_clear", "alert_ack", "registry_import", "roster_import",
    "tag_revoke", "visitor_pass", "user_add", "user_disable", "user_enable", "token_create",
    "token_revoke", "calendar_override", "calendar_override_remove", "owner_contacted", "power_restore", "password_change", "password_reset",
    "roster_shift_add", "roster_shift_edit", "roster_shift_remove", "roster_swap",
    "vehicle_save", "vehicle_remove", "tag_add", "tag_remove", "visitor_pass_end",
)


def record(db: Database, now: datetime, actor: str, action: str, *, target: str = "",
           detail: dict | str = "", address: str = "") -> None:
    """Append one entry (``action`` from :data:`ACTIONS`)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False, sort_keys=True)
    db.execute("INSERT INTO web_audit (ts, actor, action, target, detail, address) VALUES (?,?,?,?,?,?)",
               [format_ts(now), actor[:100], action, str(target)[:200], text[:2000], address[:64]])


def page(db: Database, *, before_id: int | None, limit: int, actor: str = "", action: str = "") -> list[dict]:
    """Newest entries first, keyset-paged by id."""
    where, args = ["1=1"], []
    if before_id is not None:
        where.append("id < ?")
        args.append(before_id)
    if actor:
        where.append("actor = ?")
        args.append(actor)
    if action:
        where.append("action = ?")
        args.append(action)
    rows = db.execute(f"SELECT id, ts, actor, action, target, detail, address FROM web_audit "
                      f"WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?", [*args, limit])
    return [dict(zip(("id", "ts", "actor", "action", "target", "detail", "address"), r)) for r in rows]
