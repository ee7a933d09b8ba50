"""The alerts area's tables (a sqlite-utils Migrations set; never edit a released migration).

- ``alerts``: one row per alert other areas raise (unique ``dedup_key``): its kind, severity,
  payload, whether it has gone out (``state``), acknowledgement, escalation and closing.
- ``alert_outbox``: one row per chat message to one target (unique ``dedup_key``):
  pending → sending → sent | failed | dead, with attempts, next try, last error and ``resent``.
- ``alert_target_faults``: chat targets that refuse messages for good (web view shows them).
- ``alert_conditions``: device offline/fault conditions being debounced.
- ``duty_roster``: the duty roster (值班表) and the committee's contacts.
- ``alert_cursors``: how far the alerts area has read other areas' logs (``rule_notices``).
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations


migrations = Migrations("alerts")


@migrations()
def m001_alerts(db: Database) -> None:
    db["alerts"].create({
        "id": int, "dedup_key": str, "kind": str, "severity": str, "subject": str, "payload": str,
        "images": str, "mention_warden": int, "created_at": str, "state": str, "hold_until": str,
        "notified_at": str, "esc_step": int, "esc_next": str, "acked_at": str, "acked_by": str,
        "closed": str, "closed_at": str, "follows": int, "note": str,
    }, pk="id", not_null={"dedup_key", "kind", "severity", "state", "created_at"},
        defaults={"state": "new", "esc_step": 0, "mention_warden": 0, "payload": "{}", "images": "[]"})
    db["alerts"].create_index(["dedup_key"], unique=True)
    db["alerts"].create_index(["state"])
    db["alerts"].create_index(["kind", "subject"])
    db["alert_outbox"].create({
        "id": int, "alert_id": int, "dedup_key": str, "target": str, "audience": str, "msg_type": str,
        "body": str, "state": str, "attempts": int, "next_try": str, "created_at": str,
        "updated_at": str, "sent_at": str, "last_error": str, "resent": int,
    }, pk="id", not_null={"dedup_key", "target", "msg_type", "body", "state", "next_try", "created_at"},
        defaults={"state": "pending", "attempts": 0, "resent": 0}, foreign_keys=[("alert_id", "alerts", "id")])
    db["alert_outbox"].create_index(["dedup_key"], unique=True)
    db["alert_outbox"].create_index(["state", "next_try"])
    db["alert_outbox"].create_index(["alert_id"])
    db["alert_target_faults"].create({
        "target": str, "code": str, "detail": str, "since": str, "active": int, "updated_at": str,
        "cleared_at": str, "count": int,
    }, pk="target")
    db["alert_conditions"].create({
        "key": str, "kind": str, "device": str, "device_kind": str, "code": str, "detail": str,
        "since": str, "active": int, "alerted": int, "updated_at": str,
    }, pk="key", defaults={"alerted": 0})
    db["duty_roster"].create({
        "id": int, "name": str, "mobile": str, "feishu_id": str, "role": str, "day": str,
        "start": str, "end": str, "position": int, "note": str,
    }, pk="id", not_null={"name", "role"}, defaults={"position": 1, "day": "", "note": ""})
    db["alert_cursors"].create({"name": str, "value": int}, pk="name")
