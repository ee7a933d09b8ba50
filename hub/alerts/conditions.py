"""Device offline and fault alerts (设备离线/故障), after a debounce (writer thread).

Conditions live in ``alert_conditions``, one row per (device, offline) or (device, fault code):
- fault events (``Hub.on_event("fault", …)``) raise or clear a fault condition;
- each tick compares the ``devices`` table (kept by the ingest area) with the contract's online
  rule and raises or clears the device's offline condition.
A condition that lasts ``debounce`` becomes an alert; one that ends before that is forgotten;
an alerted one that ends sends "已恢复".  While a device is offline its fault alerts are
suppressed (the dispatcher's inhibition), so a dead gate is one message, not five.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Mapping

from gwcommon.timefmt import parse_ts

from .escalation import Condition, condition_action
from .outbox import queue_alert, resolve_alert, ts

logger = logging.getLogger(__name__)

SAFETY_FAULTS = {"safety_input_stuck"}
OWN_ALERTS = {"power_cut"}  # a feature area alerts these itself (hub.charging.cuts), per circuit


def _upsert(db: Any, key: str, *, kind: str, device: str, code: str, detail: str, active: bool,
            now: datetime) -> None:
    row = db.execute("SELECT active FROM alert_conditions WHERE key = ?", [key]).fetchone()
    if row is None:
        if not active:
            return
        db["alert_conditions"].insert({"key": key, "kind": kind, "device": device, "device_kind": _kind_of(db, device),
                                       "code": code, "detail": detail, "since": ts(now), "active": 1,
                                       "alerted": 0, "updated_at": ts(now)})
    elif bool(row[0]) != active:
        since = ", since = ?" if active else ""
        args = [int(active), detail, ts(now)] + ([ts(now)] if active else []) + [key]
        db.execute(f"UPDATE alert_conditions SET active = ?, detail = ?, updated_at = ?{since} WHERE key = ?", args)


def _kind_of(db: Any, device: str) -> str | None:
    if not db["devices"].exists():
        return None
    row = db.execute("SELECT kind FROM devices WHERE device = ?", [device]).fetchone()
    return row[0] if row else None


def on_fault(db: Any, event: Any, ctx: Any) -> None:
    """``Hub.on_event("fault")`` handler: a device raised or cleared a fault."""
    if event.code in OWN_ALERTS:
        return
    _upsert(db, f"fault:{ctx.device}:{event.code}", kind="fault", device=ctx.device, code=event.code,
            detail=event.detail, active=event.active, now=ctx.received_at)


def watch_devices(db: Any, now: datetime, *, offline_after: timedelta) -> None:
    """Raise or clear each known device's offline condition from the ``devices`` table."""
    if not db["devices"].exists():
        return
    for device, status_online, last_seen, ahead in db.execute(
            "SELECT device, status_online, last_seen, clock_ahead FROM devices"):
        # the device's clock runs ahead of the hub's beyond hub.clock_tolerance (docs/contract.md §2)
        _upsert(db, f"fault:{device}:clock_ahead", kind="fault", device=device, code="clock_ahead",
                detail="", active=bool(ahead), now=now)
        seen = parse_ts(last_seen) if last_seen else None
        online = status_online != 0 and seen is not None and now - seen <= offline_after
        # the debounce counts from when the hub noticed (a restarted hub sees stale last_seen
        # values for a few seconds); the message says when the device was last heard from
        _upsert(db, f"offline:{device}", kind="offline", device=device, code="offline",
                detail=last_seen or "", active=not online, now=now)


def watch_ingest(db: Any, now: datetime, *, failing: bool, errors: int) -> None:
    """The hub's own ingest: storage errors that keep rising are a fault of the device ``hub``."""
    _upsert(db, "fault:hub:ingest_errors", kind="fault", device="hub", code="ingest_errors",
            detail="", active=failing, now=now)


def watch_disk(db: Any, now: datetime, *, low: bool) -> None:
    """Free space below the floor kept for events: pictures are being dropped (a hub fault)."""
    _upsert(db, "fault:hub:snapshot_disk_low", kind="fault", device="hub", code="snapshot_disk_low",
            detail="", active=low, now=now)


def watch_storage(db: Any, since: datetime, *, full: bool) -> None:
    """The hub's database is (or was, since ``since``) full: nothing is stored, the edges keep it all."""
    _upsert(db, "fault:hub:storage_full", kind="fault", device="hub", code="storage_full",
            detail="", active=full, now=since)


def conflicts_before(db: Any, now: datetime) -> int:
    """Where a starting hub begins looking for seq conflicts: the last hour is looked at again
    (the dedup key makes that harmless), anything older was alerted by the previous run."""
    row = db.execute("SELECT COALESCE(MAX(id), 0) FROM quarantine WHERE received_at < ?",
                     [ts(now - timedelta(hours=1))]).fetchone()
    return row[0]


def watch_conflicts(db: Any, now: datetime, *, after_id: int) -> int:
    """Two different events claiming one device's seq (a forged event, or two devices configured
    with one id): a maintenance alert per device and day, never silent.  The refused event is kept
    whole in the quarantine.  Returns the newest quarantine id looked at."""
    newest = after_id
    for row_id, topic, received in db.execute(
            "SELECT id, topic, received_at FROM quarantine WHERE id > ? AND code IN ('seq_conflict', 'id_conflict')"
            " ORDER BY id LIMIT 1000", [after_id]).fetchall():
        newest = row_id
        parts = topic.split("/")
        device = parts[2] if len(parts) > 2 else "?"
        payload = {"device": device, "device_kind": _kind_of(db, device) or "", "code": "seq_conflict",
                   "since": received, "detail": "", "severity": "warning"}
        queue_alert(db, kind="device_fault", severity="warning", dedup_key=f"seq_conflict:{device}:{received[:10]}",
                    now=now, payload=payload, subject=device)
    return newest


def _alert_key(row: dict[str, Any]) -> str:
    return f"{row['key']}@{row['since']}"


def check(db: Any, now: datetime, *, debounce: timedelta, labels: Mapping[str, str] | None = None) -> None:
    """Turn conditions that lasted ``debounce`` into alerts, resolve ended ones, forget the rest.
    ``labels`` (device id → the name people read, ``[[devices]]``) name the device in the alert."""
    for row in list(db.query("SELECT * FROM alert_conditions")):
        cond = Condition(active=bool(row["active"]), since=parse_ts(row["since"]), alerted=bool(row["alerted"]))
        action = condition_action(cond, now, debounce=debounce)
        if action == "alert":
            _alert(db, row, now, (labels or {}).get(row["device"], ""))
        elif action == "resolve":
            resolve_alert(db, _alert_key(row), now=now)
            db.execute("DELETE FROM alert_conditions WHERE key = ?", [row["key"]])
        elif action == "forget":
            db.execute("DELETE FROM alert_conditions WHERE key = ?", [row["key"]])


def _alert(db: Any, row: dict[str, Any], now: datetime, label: str = "") -> None:
    offline = row["kind"] == "offline"
    severity = "safety" if row["code"] in SAFETY_FAULTS else "warning"
    payload = {"device": row["device"], "label": label, "device_kind": row["device_kind"] or "", "code": row["code"],
               "since": (row["detail"] or row["since"]) if offline else row["since"],
               "detail": "" if offline else row["detail"] or "", "severity": severity}
    queue_alert(db, kind="device_offline" if offline else "device_fault", severity=severity,
                dedup_key=_alert_key(row), now=now, payload=payload, subject=row["device"],
                mention_warden=severity == "safety")
    db.execute("UPDATE alert_conditions SET alerted = 1, updated_at = ? WHERE key = ?", [ts(now), row["key"]])
