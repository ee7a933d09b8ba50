"""The durable alert outbox (告警发件箱) in the hub database.

Every function here takes the hub's sqlite-utils ``db`` and runs on the writer thread — inside
another area's transaction (``queue_alert`` from an event handler or tick, so an alert commits
with the fact that caused it) or as a job the sender submits through ``Hub.writer``.

Alert life: ``new`` → (``held`` during quiet hours) → ``notified`` (outbox rows made), or
``suppressed`` (its device is offline) or ``cancelled`` (closed before it went out) or
``coalesced`` (one of many device alerts released together, told in one ``device_batch`` message).
Message life (one row per chat message to one target): ``pending`` → ``sending`` → ``sent``,
or ``failed`` (will retry at ``next_try``) or ``dead`` (given up; visible, can be re-queued).
A row found in ``sending`` at start may have gone out before a crash: it is sent again with
``resent`` set, and the text says so ([重发]).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable

from gwcommon.timefmt import parse_ts, stored_ts

from .escalation import backoff, give_up
from .lanes import lane_sql
from .render import SEVERITIES
from .verdict import Verdict

logger = logging.getLogger(__name__)

KINDS = ("digest", "reminder", "fire_lane", "charging", "device_offline", "device_fault",
         "target_fault", "notice", "resolved", "retracted", "device_batch")


def ts(moment: datetime) -> str:
    """How the alerts tables store an instant: RFC 3339, UTC, milliseconds (sorts as text)."""
    return stored_ts(moment)


def queue_alert(db: Any, *, kind: str, severity: str, dedup_key: str, now: datetime,
                payload: dict[str, Any] | None = None, subject: str | None = None,
                mention_warden: bool = False, images: Iterable[dict[str, str] | str] = (),
                follows: int | None = None) -> int:
    """Queue an alert for every chat target; returns its id.  A repeated ``dedup_key`` changes
    nothing and returns the first alert's id (so a re-run rule never alerts twice)."""
    if kind not in KINDS:
        raise ValueError(f"unknown alert kind {kind!r} (one of {', '.join(KINDS)})")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r} (info, warning or safety)")
    if not dedup_key:
        raise ValueError("an alert needs a dedup_key")
    found = db.execute("SELECT id FROM alerts WHERE dedup_key = ?", [dedup_key]).fetchone()
    if found:
        return found[0]
    pictures = [{"path": i, "caption": str(n)} if isinstance(i, str) else dict(i)
                for n, i in enumerate(images, 1)]
    cursor = db.execute(
        "INSERT INTO alerts (dedup_key, kind, severity, subject, payload, images, mention_warden, "
        "created_at, state, follows) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'new', ?)",
        [dedup_key, kind, severity, subject, json.dumps(payload or {}, ensure_ascii=False, default=_json_default),
         json.dumps(pictures, ensure_ascii=False), int(bool(mention_warden)), ts(now), follows])
    return cursor.lastrowid


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return ts(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def find_alert(db: Any, dedup_key: str) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM alerts WHERE dedup_key = ?", [dedup_key]))
    return rows[0] if rows else None


def _close(db: Any, dedup_key: str, *, closed: str, now: datetime, payload: dict[str, Any]) -> int | None:
    alert = find_alert(db, dedup_key)
    if alert is None or alert["closed"]:
        return None
    state = "cancelled" if alert["state"] in ("new", "held") else alert["state"]
    db.execute("UPDATE alerts SET closed = ?, closed_at = ?, state = ? WHERE id = ?",
               [closed, ts(now), state, alert["id"]])
    if alert["state"] != "notified":
        return None
    return queue_alert(db, kind=closed, severity="info", dedup_key=f"{dedup_key}#{closed}", now=now,
                       payload=payload, subject=alert["subject"], follows=alert["id"])


def resolve_alert(db: Any, dedup_key: str, *, now: datetime, note: str | None = None,
                  note_words: dict[str, Any] | None = None) -> int | None:
    """What an alert was about has ended: close it, and tell the chat (已恢复) if it had been told.
    An alert closed before it went out is cancelled silently.  Returns the follow-up's id.
    ``note_words``: ``note`` as facts (:func:`gwcommon.catalogue.words`), worded in the chat's language."""
    payload: dict[str, Any] = {"at": ts(now), "note": note}
    if note_words:
        payload["note_words"] = note_words
    return _close(db, dedup_key, closed="resolved", now=now, payload=payload)


def retract_alert(db: Any, dedup_key: str, *, now: datetime, reason: str | None = None) -> int | None:
    """An alert turned out wrong: close it and send a retraction (撤回) if it had gone out."""
    return _close(db, dedup_key, closed="retracted", now=now, payload={"reason": reason})


def retract_violation(db: Any, *, violation_id: str, plate: str | None, household: str | None,
                      now: datetime, reason: str | None = None) -> int | None:
    """A violation listed in a digest or reminder was retracted (docs/contract.md §2).

    If a digest/reminder naming it has already gone out, a retraction naming the (masked) plate is
    queued; if one is still waiting (quiet hours, not yet fanned out) the vehicle is taken off it."""
    told = False
    for alert in db.query("SELECT id, state, payload FROM alerts WHERE kind IN ('digest', 'reminder') "
                          "AND state IN ('new', 'held', 'notified') ORDER BY id DESC LIMIT 50"):
        payload = json.loads(alert["payload"])
        items = payload.get("items", [])
        kept = [i for i in items if i.get("id") != violation_id]
        if len(kept) == len(items):
            continue
        if alert["state"] == "notified":
            told = True
        else:
            payload["items"] = kept
            db.execute("UPDATE alerts SET payload = ? WHERE id = ?", [json.dumps(payload, ensure_ascii=False), alert["id"]])
    if not told:
        return None
    return queue_alert(db, kind="retracted", severity="info", dedup_key=f"violation:{violation_id}#retracted",
                       now=now, payload={"plate": plate, "household": household, "reason": reason},
                       subject=violation_id)


def acknowledge(db: Any, alert_id: int, *, by: str, now: datetime) -> str:
    """Record that someone took charge of an alert (确认): ``acked``, ``already`` or ``unknown``.
    Acknowledging stops the escalation."""
    row = db.execute("SELECT acked_at FROM alerts WHERE id = ?", [alert_id]).fetchone()
    if row is None:
        return "unknown"
    if row[0]:
        return "already"
    db.execute("UPDATE alerts SET acked_at = ?, acked_by = ?, esc_next = NULL WHERE id = ?",
               [ts(now), by[:64], alert_id])
    return "acked"


# --- the outbox rows: written by the dispatcher (fan-out) and the sender -------------------------

def add_message(db: Any, *, alert_id: int, dedup_key: str, target: str, audience: str, msg_type: str,
                body: dict[str, Any], now: datetime) -> bool:
    """One message to one target; False when the same ``dedup_key`` is already queued."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO alert_outbox (alert_id, dedup_key, target, audience, msg_type, body, state, "
        "attempts, next_try, created_at, updated_at, resent) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, 0)",
        [alert_id, dedup_key, target, audience, msg_type, json.dumps(body, ensure_ascii=False),
         ts(now), ts(now), ts(now)])
    return cursor.rowcount == 1


def due(db: Any, now: datetime, per_target: int = 50) -> list[dict[str, Any]]:
    """Messages whose turn has come, by priority lane (safety, violations, device health; see
    :mod:`hub.alerts.lanes`) and oldest first within a lane, at most ``per_target`` per target (so a
    long queue for one rate-limited robot never hides another target's messages, and no backlog
    holds back a safety alert)."""
    where = "state IN ('pending', 'failed') AND next_try <= ?"
    order = f"{lane_sql()} AS lane_rank"
    targets = [r[0] for r in db.execute(f"SELECT DISTINCT target FROM alert_outbox WHERE {where}", [ts(now)])]
    rows = [row for target in targets for row in db.query(
        f"SELECT *, {order} FROM alert_outbox WHERE {where} AND target = ? ORDER BY lane_rank, id LIMIT ?",
        [ts(now), target, per_target])]
    return sorted(rows, key=lambda r: (r.pop("lane_rank"), r["id"]))


def claim(db: Any, row_id: int, now: datetime) -> dict[str, Any] | None:
    """Mark a message ``sending`` (committed before the HTTP call); None if it is no longer due."""
    cursor = db.execute("UPDATE alert_outbox SET state = 'sending', attempts = attempts + 1, updated_at = ? "
                        "WHERE id = ? AND state IN ('pending', 'failed')", [ts(now), row_id])
    if cursor.rowcount != 1:
        return None
    return next(iter(db.query("SELECT * FROM alert_outbox WHERE id = ?", [row_id])))


@dataclass(frozen=True)
class RetryPolicy:
    first: timedelta = timedelta(seconds=15)
    cap: timedelta = timedelta(minutes=30)
    max_attempts: int = 50
    give_up_after: timedelta = timedelta(hours=24)


def record(db: Any, row_id: int, verdict: Verdict, now: datetime, policy: RetryPolicy) -> str:
    """Store what happened to a send; returns the message's new state."""
    row = next(iter(db.query("SELECT * FROM alert_outbox WHERE id = ?", [row_id])))
    if verdict.outcome == "ok":
        db.execute("UPDATE alert_outbox SET state = 'sent', sent_at = ?, updated_at = ?, last_error = NULL "
                   "WHERE id = ?", [ts(now), ts(now), row_id])
        clear_target_fault(db, row["target"], now)
        return "sent"
    if verdict.outcome == "target_fault":
        raise_target_fault(db, row["target"], verdict, now)
    dead = verdict.outcome == "reject" or give_up(
        parse_ts(row["created_at"]), now, attempts=row["attempts"], max_attempts=policy.max_attempts,
        give_up_after=policy.give_up_after)
    wait = max(backoff(row["attempts"], first=policy.first, cap=policy.cap), timedelta(seconds=verdict.block))
    if verdict.outcome == "target_fault":
        wait = max(wait, policy.cap)
    state = "dead" if dead else "failed"
    db.execute("UPDATE alert_outbox SET state = ?, next_try = ?, updated_at = ?, last_error = ? WHERE id = ?",
               [state, ts(now + wait), ts(now), verdict.detail[:500] or verdict.outcome, row_id])
    if dead:
        logger.error("alert message %d to %s given up after %d attempt(s): %s", row_id, row["target"],
                     row["attempts"], verdict.detail)
    return state


def recover_sending(db: Any, now: datetime) -> int:
    """After a crash: messages left ``sending`` may or may not have gone out; send them again,
    marked as resent.  Returns how many."""
    cursor = db.execute("UPDATE alert_outbox SET state = 'pending', resent = 1, next_try = ?, updated_at = ? "
                        "WHERE state = 'sending'", [ts(now), ts(now)])
    if cursor.rowcount:
        logger.warning("%d alert message(s) were being sent when the hub stopped; sending them again "
                       "marked as resent", cursor.rowcount)
    return cursor.rowcount


def requeue(db: Any, row_id: int, now: datetime) -> bool:
    """Send a dead or failed message again from scratch (the web view's "send again")."""
    cursor = db.execute("UPDATE alert_outbox SET state = 'pending', attempts = 0, next_try = ?, updated_at = ?, "
                        "created_at = ? WHERE id = ? AND state IN ('dead', 'failed')", [ts(now), ts(now), ts(now), row_id])
    return cursor.rowcount == 1


def kill(db: Any, row_id: int, reason: str, now: datetime) -> None:
    """Give a message up at once (its target is gone from the config, its picture is unreadable)."""
    db.execute("UPDATE alert_outbox SET state = 'dead', updated_at = ?, last_error = ? WHERE id = ?",
               [ts(now), reason[:500], row_id])
    logger.error("alert message %d given up: %s", row_id, reason)


# --- chat targets that refuse us (shown in the web view like a device fault) ---------------------

def raise_target_fault(db: Any, target: str, verdict: Verdict, now: datetime) -> bool:
    """Record a target's permanent refusal; True (and a warning to the other targets) when new."""
    row = db.execute("SELECT active FROM alert_target_faults WHERE target = ?", [target]).fetchone()
    if row and row[0]:
        db.execute("UPDATE alert_target_faults SET updated_at = ?, count = count + 1, detail = ? WHERE target = ?",
                   [ts(now), verdict.detail, target])
        return False
    db["alert_target_faults"].upsert({"target": target, "code": str(verdict.code), "detail": verdict.detail,
                                      "since": ts(now), "active": 1, "updated_at": ts(now),
                                      "cleared_at": None, "count": 1}, pk="target")
    logger.error("chat target %s refuses messages: %s (messages are kept and retried)", target, verdict.detail)
    queue_alert(db, kind="target_fault", severity="warning", dedup_key=f"target_fault:{target}:{ts(now)}",
                now=now, payload={"target": target, "code": verdict.code, "detail": verdict.detail},
                subject=target)
    return True


def clear_target_fault(db: Any, target: str, now: datetime) -> None:
    db.execute("UPDATE alert_target_faults SET active = 0, cleared_at = ?, updated_at = ? "
               "WHERE target = ? AND active = 1", [ts(now), ts(now), target])
