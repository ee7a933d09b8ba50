"""Violations in the hub database: recorded, moved between states, published, written in the diary.

Every change goes three ways in the same transaction: the ``violations`` row, a diary line
(巡查日记), and a message in ``ovn_outbox`` (published on ``gatewarden/<site>/hub/violation`` by the
next tick, after the commit) plus a ``rule_notices`` row for the alerting engine.
"""

from __future__ import annotations

from hub.core import glossary

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any, Iterable

from gwcommon import wire
from gwcommon.timefmt import parse_ts
from hub.overnight import diary
from hub.overnight import notices
from hub.core.plates import mask_plate
from hub.overnight.rules import Create, Existing, Transition
from hub.overnight.stays import Identity, ts_text

COLUMNS = ("id", "key", "rule", "deadline", "plate", "household", "zone", "slot", "state", "provisional",
           "evidence", "ts", "created_at", "updated_at", "reason", "by")


def violation_id(key: str, rule: str, deadline: datetime | str) -> str:
    """The same vehicle, rule and deadline always get the same id (replays agree)."""
    text = deadline if isinstance(deadline, str) else ts_text(deadline)
    return "v-" + hashlib.sha256(f"{key}|{rule}|{text}".encode()).hexdigest()[:20]


def existing(db: Any, key: str) -> list[Existing]:
    return [Existing(i, r, parse_ts(d), s, bool(p), z or "") for i, r, d, s, p, z in db.execute(
        "SELECT id, rule, deadline, state, provisional, zone FROM violations WHERE key = ?", [key])]


def get(db: Any, violation_id_: str) -> dict[str, Any] | None:
    row = db.execute(f"SELECT {', '.join(COLUMNS)} FROM violations WHERE id = ?", [violation_id_]).fetchone()
    return None if row is None else _row(row)


def _row(row: Iterable[Any]) -> dict[str, Any]:
    data = dict(zip(COLUMNS, row))
    data["evidence"] = json.loads(data["evidence"])
    data["provisional"] = bool(data["provisional"])
    return data


def create(db: Any, who: Identity, action: Create, *, evidence: list[str], at: datetime, site: str) -> str:
    return create_many(db, [(who, action, evidence)], at=at, site=site)[0]


def create_many(db: Any, items: list[tuple[Identity, Create, list[str]]], *, at: datetime, site: str) -> list[str]:
    """Record new open violations in bulk (a morning deadline may make thousands at once)."""
    now = ts_text(at)
    rows, texts = [], {}
    for who, action, proof in items:
        if action.deadline not in texts:
            texts[action.deadline] = (ts_text(action.deadline), ts_text(max(action.deadline, at)))
        deadline, began = texts[action.deadline]
        rows.append({"id": violation_id(who.key, action.rule, deadline), "key": who.key, "rule": action.rule,
                     "deadline": deadline, "plate": who.plate, "household": who.household,
                     "zone": action.zone or who.zone or "", "slot": who.slot, "state": "open",
                     "provisional": bool(action.provisional), "evidence": proof,
                     "ts": began, "created_at": now, "updated_at": now, "reason": "", "by": "hub"})
    db.conn.executemany(f"INSERT INTO violations({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                        [[json.dumps(r[c]) if c == "evidence" else (int(r[c]) if c == "provisional" else r[c])
                          for c in COLUMNS] for r in rows])
    _announce_many(db, rows, at=at, site=site, by="hub", reason="")
    return [r["id"] for r in rows]


def transition(db: Any, action: Transition, *, at: datetime, site: str, by: str = "hub",
               evidence: list[str] | None = None) -> None:
    previous = db.execute("SELECT ts FROM violations WHERE id = ?", [action.violation_id]).fetchone()
    at = max(at, parse_ts(previous[0])) if previous else at  # a state never begins before the one it ends
    now = ts_text(at)
    sets = "state = ?, provisional = ?, ts = ?, updated_at = ?, reason = ?, by = ?"
    args: list[Any] = [action.state, int(action.provisional), now, now, action.reason, by]
    if evidence is not None:
        sets += ", evidence = ?"
        args.append(json.dumps(evidence))
    db.execute(f"UPDATE violations SET {sets} WHERE id = ?", args + [action.violation_id])
    _announce(db, action.violation_id, at=at, site=site, by=by, reason=action.reason)


def republish(db: Any, vid: str, *, at: datetime, site: str, by: str, reason: str) -> None:
    """Publish and diarise a violation again after a change that is not a state change."""
    _announce(db, vid, at=at, site=site, by=by, reason=reason, kind="identified")


def _announce(db: Any, vid: str, *, at: datetime, site: str, by: str, reason: str, kind: str | None = None) -> None:
    data = get(db, vid)
    assert data is not None
    _announce_many(db, [data], at=at, site=site, by=by, reason=reason, kind=kind)


def payload(data: dict[str, Any]) -> bytes:
    """The violation message of docs/contract.md §1, as ``wire.encode(wire.Violation(...))`` writes it."""
    return json.dumps({"id": data["id"], "plate": data["plate"], "household": data["household"],
                       "rule": data["rule"], "deadline": data["deadline"], "state": data["state"],
                       "provisional": bool(data["provisional"]), "evidence": list(data["evidence"]),
                       "ts": data["ts"]}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _announce_many(db: Any, rows: list[dict[str, Any]], *, at: datetime, site: str, by: str, reason: str,
                   kind: str | None = None) -> None:
    topic = wire.topic(site, wire.HUB_DEVICE, "violation")
    outbox, lines, to_alerts = [], [], []
    when = ts_text(at)
    for data in rows:
        message = payload(data)
        outbox.append((topic, message))
        lines.append(dict(ts=when, kind=kind or f"violation_{data['state']}", plate=data["plate"],
                          household=data["household"], zone=data["zone"], slot=data["slot"], violation_id=data["id"],
                          by=by, text=_diary_text(data, reason),
                          detail={"rule": data["rule"], "deadline": data["deadline"], "provisional": data["provisional"],
                                  "evidence": data["evidence"], "reason": reason, "state": data["state"]}))
        to_alerts.append({"id": data["id"], "plate": data["plate"], "household": data["household"],
                          "rule": data["rule"], "deadline": data["deadline"], "state": data["state"],
                          "provisional": bool(data["provisional"]), "evidence": list(data["evidence"]),
                          "ts": data["ts"], "zone": data["zone"], "slot": data["slot"],
                          "masked_plate": mask_plate(data["plate"]), "reason": reason})
    db.conn.executemany("INSERT INTO ovn_outbox(topic, payload, retain) VALUES (?, ?, 0)", outbox)
    diary.add_many(db, lines)
    notices.notice_many(db, "violation", to_alerts, at=at)


def _diary_text(data: dict[str, Any], reason: str) -> str:
    """The line's Chinese, as the diary keeps it (hub.overnight.diary words it again for a reader)."""
    return diary.violation_text(rule=data["rule"], state=data["state"], plate=data["plate"], zone=data["zone"],
                                slot=data["slot"], provisional=bool(data["provisional"]), reason=reason)


def evidence(db: Any, key: str, zone: str, deadline: datetime, since: datetime) -> list[str]:
    """Snapshot ids: the zone's nearest the deadline, the vehicle's own in the zone, its last gate passages."""
    return evidence_many(db, {key: zone}, deadline, since).get(key, [])


def evidence_many(db: Any, zones: dict[str, str], deadline: datetime, since: datetime) -> dict[str, list[str]]:
    """Evidence for many vehicles ({key: zone}) at one deadline, in a few queries."""
    if not zones:
        return {}
    join = "FROM ovn_marks m JOIN snapshots s ON s.event_id = m.event_id"
    lo, hi, at = ts_text(since - timedelta(hours=36)), ts_text(deadline), ts_text(deadline)
    nearest = {}
    for zone in sorted(set(zones.values()) - {""}):
        row = db.execute(f"SELECT m.event_id {join} WHERE m.zone = ? AND m.ts >= ? AND m.ts <= ? "
                         "ORDER BY abs(julianday(m.ts) - julianday(?)), m.ts LIMIT 1",
                         [zone, ts_text(since), ts_text(deadline + timedelta(hours=1)), at]).fetchone()
        nearest[zone] = row[0] if row else None
    own: dict[str, list[str]] = {}
    for key, event_id in db.execute(f"SELECT m.key, m.event_id FROM (SELECT m.key, m.event_id, row_number() OVER "
                                    f"(PARTITION BY m.key ORDER BY m.ts DESC) AS n {join} WHERE m.op = 'present' "
                                    "AND m.ts >= ? AND m.ts < ?) m WHERE m.n = 1", [lo, hi]):
        own.setdefault(key, []).append(event_id)
    for key, event_id in db.execute(f"SELECT m.key, m.event_id FROM (SELECT m.key, m.event_id, row_number() OVER "
                                    f"(PARTITION BY m.key ORDER BY m.ts DESC) AS n {join} WHERE m.op IN ('in', 'out') "
                                    "AND m.ts >= ? AND m.ts < ?) m WHERE m.n <= 2", [lo, hi]):
        own.setdefault(key, []).append(event_id)
    found = {}
    for key, zone in zones.items():
        ids = [i for i in [nearest.get(zone)] + own.get(key, []) if i]
        found[key] = list(dict.fromkeys(ids))
    return found

