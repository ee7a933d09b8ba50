"""Alerts from the overnight area's records (writer thread, in the alerts tick).

The overnight area writes what the chat should hear into ``rule_notices`` (kind, payload) and
keeps ``violations`` and ``ovn_deadlines``; this module turns them into alerts:

- ``violation`` notices: a fire-lane violation opening → fire-lane alert (safety, warden
  mentioned); one ending → "resolved"/"retracted" follow-up; an overnight violation retracted
  after a digest or reminder named it → a retraction naming the masked plate.
- ``reminder`` notices (``{"deadline", "items": [{id, plate, household, since, zone}]}``) → the
  reminder before the deadline.
- ``maintenance``/``notice`` notices (``{"title", "lines", "severity"}``, optionally ``"topic"`` and
  ``"values"``) → a notice, worded in the alerts language when render knows the topic (e.g.
  ``calendar_unknown_year``), else sent as the free text it is.
- the morning digest: once a deadline is decided (``ovn_deadlines``) and the *site clock*
  (docs/contract.md §2) has passed ``digest_at`` (+ delay) — so every gate and lane device has
  delivered its backlog up to then, or is offline — one digest of that deadline's open overnight
  violations with one contact sheet; it names the devices that had not reported up to the
  deadline (offline, or a clock ahead) and is then provisional.  Violations decided later for the
  same deadline get a supplement; one retracted after the digest, a retraction.  A morning decided
  late (a backlog, a replay) gets its digest when it is decided.

Other notice kinds are counted and logged once, never sent raw (they might hold personal data).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Callable
from zoneinfo import ZoneInfo

from gwcommon.timefmt import parse_ts

from .api import queue_digest, queue_fire_lane, queue_notice, queue_reminder
from .outbox import resolve_alert, retract_alert, retract_violation, ts

logger = logging.getLogger(__name__)


@dataclass
class NoticeReader:
    """Consumes ``rule_notices`` in id order; its position is kept in ``alert_cursors``."""

    tz: ZoneInfo
    zones: dict[str, tuple[str, timedelta]] = field(default_factory=dict)  # name → (label, grace)
    digest_at: str | time = "deadline"
    digest_delay: timedelta = timedelta(seconds=90)
    ignored: dict[str, int] = field(default_factory=dict)
    owner_sms: Any = None  # hub.alerts.owner_sms.OwnerSms when texting owners is configured

    def tick(self, db: Any, now: datetime, *, site_now: datetime | None = None,
             unreported: Callable[[datetime], list[str]] | None = None) -> None:
        """``site_now``: the site clock (defaults to ``now``); ``unreported(deadline)``: the gate
        and lane devices that have not reported up to ``deadline`` (named in its digest)."""
        if db["rule_notices"].exists():
            self.consume(db, now)
        if db["ovn_deadlines"].exists() and db["violations"].exists():
            self.digests(db, now, site_now=site_now, unreported=unreported)

    # --- notices -----------------------------------------------------------------------------

    def consume(self, db: Any, now: datetime) -> int:
        row = db.execute("SELECT value FROM alert_cursors WHERE name = 'rule_notices'").fetchone()
        if row is None:  # first start: earlier notices were never meant for this hub's chat
            top = db.execute("SELECT COALESCE(MAX(id), 0) FROM rule_notices").fetchone()[0]
            db.execute("INSERT INTO alert_cursors (name, value) VALUES ('rule_notices', ?)", [top])
            return 0
        cursor = row[0]
        notices = list(db.execute("SELECT id, kind, payload FROM rule_notices WHERE id > ? ORDER BY id LIMIT 200",
                                  [cursor]))
        for notice_id, kind, payload in notices:
            self.handle(db, kind, json.loads(payload), notice_id, now)
            cursor = notice_id
        if notices:
            db.execute("UPDATE alert_cursors SET value = ? WHERE name = 'rule_notices'", [cursor])
        return len(notices)

    def handle(self, db: Any, kind: str, data: dict[str, Any], notice_id: int, now: datetime) -> None:
        if kind == "violation":
            self.violation(db, data, now)
            if self.owner_sms is not None:
                self.owner_sms.on_violation(db, {**data, "zone": self._label(data.get("zone"))}, now)
                if data.get("state") in ("retracted", "excused", "resolved"):
                    self.owner_sms.cancel(db, data, now)  # a text still waiting must not go out now
        elif kind == "reminder" and data.get("deadline"):
            items = [{**i, "zone": self._label(i.get("zone"))} for i in data.get("items", [])]
            alert_id = queue_reminder(db, deadline=parse_ts(data["deadline"]), items=items, now=now)
            if self.owner_sms is not None and not data.get("provisional"):  # never on incomplete data
                self.owner_sms.queue(db, "reminder", items, deadline=parse_ts(data["deadline"]), now=now,
                                     alert_id=alert_id or None)
        elif kind in ("maintenance", "notice") and data.get("title"):
            queue_notice(db, dedup_key=f"notice:{data.get('dedup') or notice_id}", title=str(data["title"]),
                         lines=[str(x) for x in data.get("lines", [])], severity=data.get("severity", "info"),
                         path=data.get("path"), now=now, topic=data.get("topic"),
                         values=data.get("values") if isinstance(data.get("values"), dict) else None)
        else:
            self.ignored[kind] = self.ignored.get(kind, 0) + 1
            if self.ignored[kind] == 1:
                logger.warning("rule notice kind %r is not something the chat is told about; counted, not sent", kind)

    def violation(self, db: Any, v: dict[str, Any], now: datetime) -> None:
        state, vid = v.get("state"), v.get("id")
        if v.get("rule") == "fire_lane":
            key = f"fire_lane:{vid}"
            if state == "open":
                label, grace = self.zones.get(v.get("zone", ""), (v.get("zone", ""), timedelta(0)))
                since = parse_ts(v["deadline"]) - grace if v.get("deadline") else None
                queue_fire_lane(db, violation_id=vid, zone=label or v.get("zone", ""), plate=v.get("plate"),
                                household=v.get("household"), since=since, now=now,
                                images=_pictures(db, v.get("evidence", []))[:4])
            elif state == "retracted":
                retract_alert(db, key, now=now, reason=v.get("reason") or None)
            elif state in ("resolved", "excused"):
                resolve_alert(db, key, now=now, note=v.get("reason") or None)
        elif state == "retracted":
            retract_violation(db, violation_id=vid, plate=v.get("plate"), household=v.get("household"), now=now,
                              reason=v.get("reason") or None)

    # --- the morning digest ------------------------------------------------------------------

    def due_at(self, deadline: datetime) -> datetime:
        """When the digest of ``deadline`` goes out: digest_at that morning (never before the deadline)."""
        at = deadline
        if isinstance(self.digest_at, time):
            local = deadline.astimezone(self.tz)
            at = max(deadline, local.replace(hour=self.digest_at.hour, minute=self.digest_at.minute,
                                             second=0, microsecond=0))
        return at + self.digest_delay

    def digests(self, db: Any, now: datetime, *, site_now: datetime | None = None,
                unreported: Callable[[datetime], list[str]] | None = None) -> None:
        site_now = site_now or now
        since = ts(now - timedelta(hours=36))  # decided in the last 36 h of the hub's own clock
        for (deadline_text,) in list(db.execute("SELECT deadline FROM ovn_deadlines WHERE decided_at >= ? "
                                                "AND deadline <= ?", [since, ts(site_now)])):
            deadline = parse_ts(deadline_text)
            if site_now >= self.due_at(deadline):
                self.digest(db, deadline, now, unreported=unreported(deadline) if unreported else [])

    def digest(self, db: Any, deadline: datetime, now: datetime, *, unreported: list[str] | None = None) -> int | None:
        told = set()
        parts = 0
        for (payload,) in db.execute("SELECT payload FROM alerts WHERE kind = 'digest' AND subject = ?", [ts(deadline)]):
            told.update(i.get("id") for i in json.loads(payload).get("items", []))
            parts += 1
        rows = [r for r in db.query("SELECT id, plate, household, zone, evidence, provisional, created_at FROM violations "
                                    "WHERE rule = 'overnight' AND deadline = ? AND state = 'open' ORDER BY created_at, id",
                                    [ts(deadline)]) if r["id"] not in told]
        if not rows:
            return None
        items = [{"id": r["id"], "plate": r["plate"], "household": r["household"], "zone": self._label(r["zone"]),
                  "since": _night_since(db, r["id"])} for r in rows]
        images = []
        for n, r in enumerate(rows, 1):
            found = _pictures(db, json.loads(r["evidence"] or "[]"))
            if found:
                images.append({"path": found[0]["path"], "caption": str(n)})
        return queue_digest(db, deadline=deadline, items=items, now=now, images=images, part=parts,
                            provisional=any(r["provisional"] for r in rows) or bool(unreported),
                            unreported=unreported or [])

    def _label(self, zone: str | None) -> str:
        return self.zones.get(zone or "", (zone or "", timedelta(0)))[0]


def _night_since(db: Any, violation_id: str) -> str | None:
    row = db.execute("SELECT k.night_since FROM violations v JOIN ovn_keys k ON k.key = v.key WHERE v.id = ?",
                     [violation_id]).fetchone() if db["ovn_keys"].exists() else None
    return row[0] if row and row[0] else None


def _pictures(db: Any, evidence: list[str]) -> list[dict[str, str]]:
    """Snapshot files (relative to snapshots_dir) for evidence event ids, in the given order."""
    if not evidence or not db["snapshots"].exists():
        return []
    found = []
    for event_id in evidence:
        row = db.execute("SELECT path FROM snapshots WHERE event_id = ?", [event_id]).fetchone()
        if row:
            found.append({"path": row[0], "caption": str(len(found) + 1)})
    return found
