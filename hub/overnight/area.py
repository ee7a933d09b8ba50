"""The overnight area (8 a.m. rule) plugged into the hub: event handlers and the tick.

``attach(hub)`` registers:

* handlers for ``presence`` and ``passage`` events, which turn each new event into a mark of the
  vehicle it concerns (:mod:`hub.overnight.stays`) inside the transaction that stores the event,
  and keep the running count of cars inside (余位, :mod:`hub.overnight.occupancy`);
* one tick that, in order: hands committed violation messages to MQTT (``ovn_outbox``),
  decides every morning deadline the site clock has passed,
  re-decides vehicles whose marks came late, raises fire-lane violations whose grace ran out,
  confirms provisional violations once every gate and lane device has reported past their
  deadline, queues the reminder before the deadline, and watches the holiday calendar.

Decisions are made by :mod:`hub.overnight.rules`; this module only reads and writes.  (The
allowlist is published by the registry area, :mod:`hub.registry.area`.)
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from gwcommon import wire
from gwcommon.timefmt import parse_ts
from hub.core.watermark import CLOCK_KINDS
from hub.overnight import calendar, diary, notices, occupancy, rules, stays, violations, warden_actions
from hub.overnight.rules import Mark

logger = logging.getLogger(__name__)

MAX_CATCH_UP = 14  # mornings decided in one tick; the rest, in order, on the next ticks
MAX_BACKFILL = timedelta(days=400)  # mornings further back than this behind the site clock are not decided


def attach(hub: Any) -> "OvernightArea":
    area = OvernightArea(hub)
    hub.on_event("presence", area.on_presence)
    hub.on_event("passage", area.on_passage)
    hub.on_event("passage", occupancy.on_passage)
    hub.add_tick(area.tick)
    return area


class OvernightArea:
    """State the area keeps between ticks; everything that matters is in the database."""

    def __init__(self, hub: Any):
        cfg = hub.config
        self.hub = hub
        self.site = cfg.site.id
        self.rule = calendar.DeadlineRule.from_config(cfg.rules.overnight, cfg.site.tz)
        self.reminder_before: timedelta = cfg.rules.overnight.reminder_before
        self.zone_kinds = {z.name: z.kind for z in cfg.zones}
        self.zone_labels = {z.name: z.label for z in cfg.zones if z.label}
        self.grace = {z.name: z.grace for z in cfg.zones if z.kind == "never"}
        self.latest_decided: datetime | None = None  # the furthest deadline decided (the high-water mark)
        self.ticks = 0
        self.unknown_zones: dict[str, int] = {}
        self._calendar_checked: str | None = None
        self._skipped: set[datetime] = set()
        self.horizon: datetime | None = None  # the earliest time a gate or lane device reported
        self._through: datetime | None = None  # every morning after the horizon up to here is decided
        self._cut_logged = False
        self._repaired = False
        self.tolerance: timedelta = getattr(cfg.hub, "clock_tolerance", timedelta(minutes=2))

    # -- events (writer thread, inside the event's transaction) ----------------------------------

    def high_water(self) -> datetime | None:
        return self.latest_decided

    def on_presence(self, db: Any, event: wire.Presence, ctx: Any) -> None:
        kind = self.zone_kinds.get(event.zone)
        if kind is None:
            self._unknown_zone(event.zone)
            return
        who = stays.for_tag(db, event.tag) if event.tag else stays.for_slot(event.zone, event.slot or "")
        source = event.tag or f"slot:{event.slot}"
        mark = Mark(event.ts, event.id, "present" if event.present else "absent", event.zone, kind, source)
        stays.record(db, who, mark, event_id=event.id, grace=self.grace, high_water=self._latest_decided(db))

    def on_passage(self, db: Any, event: wire.Passage, ctx: Any) -> None:
        if event.tag is None or not event.passed:
            return
        who = stays.for_tag(db, event.tag)
        mark = Mark(event.ts, event.id, event.direction, "", "", event.lane)
        stays.record(db, who, mark, event_id=event.id, grace=self.grace, high_water=self._latest_decided(db))

    def _unknown_zone(self, zone: str) -> None:
        self.unknown_zones[zone] = self.unknown_zones.get(zone, 0) + 1
        if self.unknown_zones[zone] == 1:
            logger.info("presence in zone %r is not a configured [[zones]] entry: stored, not a stay", zone)

    def _latest_decided(self, db: Any) -> datetime | None:
        if self.latest_decided is None:
            row = db.execute("SELECT max(m) FROM (SELECT max(deadline) AS m FROM ovn_deadlines "
                             "UNION ALL SELECT max(deadline) FROM violations)").fetchone()
            self.latest_decided = parse_ts(row[0]) if row and row[0] else None
        return self.latest_decided

    def _raise_latest_decided(self, moment: datetime) -> None:
        if self.latest_decided is None or moment > self.latest_decided:
            self.latest_decided = moment

    # -- the tick (writer thread, its own transaction) -------------------------------------------

    def tick(self, db: Any, site_time: Any) -> None:
        self._flush_outbox(db)
        overrides = calendar.load_overrides(db)
        if not self._repaired:
            self._repaired = True
            self._repair_early(db, site_time)
        self._latest_decided(db)
        self._decide_deadlines(db, site_time, overrides)
        self._rechecks(db, site_time)
        self._fire_due(db, site_time)
        self._confirm(db, site_time)
        self._reminder(db, site_time, overrides)
        self._watch_calendar(db, site_time, overrides)
        self.ticks += 1

    def _flush_outbox(self, db: Any) -> None:
        rows = db.execute("SELECT id, topic, payload, retain FROM ovn_outbox ORDER BY id LIMIT 1000").fetchall()
        for _, topic, payload, retain in rows:
            self.hub.publish(topic, bytes(payload), retain=bool(retain))
        if rows:
            db.execute("DELETE FROM ovn_outbox WHERE id <= ?", [rows[-1][0]])

    def _horizon(self, db: Any) -> datetime | None:
        """The earliest time the hub holds from a gate or lane device (docs/contract.md §2): its oldest
        passage or presence event, or the first watermark the site clock saw; None before any
        such device has reported (then nothing is decided).  Kept in ``ovn_meta`` as
        ``data_horizon``; it only moves back (an older backlog arrives)."""
        if self.horizon is None:
            row = db.execute("SELECT value FROM ovn_meta WHERE name = 'data_horizon'").fetchone()
            self.horizon = parse_ts(row[0]) if row else None
        found = [self.horizon] if self.horizon is not None else []
        for kind in ("passage", "presence"):
            row = db.execute("SELECT min(ts) FROM events WHERE kind = ?", [kind]).fetchone()
            if row and row[0]:
                found.append(parse_ts(row[0]))
        found += [v.watermark for v in self.hub.book.views()
                  if v.kind in CLOCK_KINDS and v.watermark is not None and not v.clock_ahead]
        earliest = min(found) if found else None
        if earliest is not None and earliest != self.horizon:
            db.execute("INSERT OR REPLACE INTO ovn_meta(name, value) VALUES ('data_horizon', ?)",
                       [stays.ts_text(earliest)])
            self.horizon, self._through = earliest, None  # look again at every morning from there
        return self.horizon

    def _decide_deadlines(self, db: Any, site_time: Any, overrides: dict) -> None:
        """Decide, oldest first, every morning after the data horizon that the site clock has passed
        and that is not decided yet — each exactly once, whenever the data arrives."""
        horizon = self._horizon(db)
        if horizon is None:
            return  # no gate or lane device has ever reported: nothing to decide from
        start = max(horizon, self._through) if self._through is not None else horizon
        floor = site_time.now - MAX_BACKFILL
        if start < floor:
            if not self._cut_logged:
                self._cut_logged = True
                logger.warning("data reaches back to %s: mornings before %s are not decided (more than %d days "
                               "behind the site clock)", stays.ts_text(start), stays.ts_text(floor), MAX_BACKFILL.days)
            start = floor
        if site_time.now <= start:
            return
        due = self._undecided_days(db, calendar.deadlines_between(start, site_time.now, self.rule, overrides))
        for deadline in due[:MAX_CATCH_UP]:
            self.decide(db, deadline, site_time, overrides)
        self._through = due[MAX_CATCH_UP - 1] if len(due) > MAX_CATCH_UP else site_time.now

    def _repair_early(self, db: Any, site_time: Any) -> None:
        """Mornings an older hub decided before its own clock reached them (a device's clock from
        the future moved the site clock): their violations are retracted and the morning is decided
        again when the site clock — now bounded by the hub's clock — really passes it."""
        early = [(parse_ts(d), parse_ts(at)) for d, at in db.execute("SELECT deadline, decided_at FROM ovn_deadlines")]
        early = [d for d, at in early if d - at > self.tolerance]
        for deadline in early:
            text = stays.ts_text(deadline)
            rows = db.execute("SELECT id, provisional FROM violations WHERE rule = 'overnight' AND deadline = ? "
                              "AND state != 'retracted'", [text]).fetchall()
            for vid, provisional in rows:
                violations.transition(db, rules.Transition(vid, "retracted", bool(provisional),
                                                           "判定过早：设备时钟超前，到截止时间后重新判定（decided before the "
                                                           "deadline by a device clock ahead; decided again at the deadline）"),
                                      at=self.hub.clock.now(), site=self.site)
            db.execute("DELETE FROM ovn_deadlines WHERE deadline = ?", [text])
            logger.warning("deadline %s had been decided before the hub's clock reached it (a device clock ahead): "
                           "%d violation(s) retracted; it will be decided again", text, len(rows))
        if early:
            self.latest_decided, self._through = None, None

    def _undecided_days(self, db: Any, due: list[datetime]) -> list[datetime]:
        """``due`` without the mornings already decided: an override changed after its morning was
        decided (moving that deadline later) must not decide the same morning twice."""
        if not due:
            return due
        days = [d.astimezone(self.rule.tz).date().isoformat() for d in due]
        rows = db.execute(f"SELECT day, deadline FROM ovn_deadlines WHERE day IN ({', '.join('?' * len(days))})",
                          days).fetchall()
        decided = {day for day, _ in rows}
        same = {parse_ts(text) for _, text in rows}
        for deadline, day in zip(due, days):
            if day in decided and deadline not in same and deadline not in self._skipped:
                self._skipped.add(deadline)
                logger.warning("deadline %s not decided: the morning of %s was decided already (its calendar "
                               "override changed afterwards)", deadline.astimezone(self.rule.tz).isoformat(), day)
        return [d for d, day in zip(due, days) if day not in decided]

    def decide(self, db: Any, deadline: datetime, site_time: Any, overrides: dict) -> int:
        """Decide one morning deadline: a violation for every vehicle still parked off-space."""
        self._raise_latest_decided(deadline)
        info = calendar.classify(deadline.astimezone(self.rule.tz).date(), overrides)
        if info.source == "weekday-fallback":
            self._calendar_alert(db, info.day.year, site_time.now)
        known = dict(db.execute("SELECT key, state FROM violations WHERE rule = 'overnight' AND deadline = ?",
                                [stays.ts_text(deadline)]).fetchall())
        parked = stays.parked_at_deadline(db, deadline)
        keys = [k for k in parked if k not in known]
        for key in [k for k in parked if known.get(k) == "retracted"]:  # retracted as decided early: reopen
            db.execute("INSERT INTO ovn_recheck(key, since) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
                       "SET since = min(since, excluded.since)", [key, stays.ts_text(deadline - timedelta(milliseconds=1))])
        who = stays.identities(db, keys)
        since = calendar.night_start_for(deadline, self.rule)
        proof = violations.evidence_many(db, {k: who[k].zone or "" for k in keys}, deadline, since)
        items = [(who[k], rules.Create("overnight", deadline, site_time.provisional, who[k].zone or ""), proof.get(k, []))
                 for k in keys]
        violations.create_many(db, items, at=max(site_time.now, deadline), site=self.site)
        made = len(items)
        reminded = db.execute("SELECT value FROM ovn_meta WHERE name = ?",
                              [f"reminded:{stays.ts_text(deadline)}"]).fetchone()
        db.execute("INSERT OR REPLACE INTO ovn_deadlines(deadline, day, day_kind, day_source, decided_at, provisional, "
                   "violations, reminded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [stays.ts_text(deadline), info.day.isoformat(), info.kind, info.source,
                    stays.ts_text(self.hub.clock.now()), int(site_time.provisional), made, reminded[0] if reminded else None])
        logger.info("deadline %s decided: %d violation(s)%s", deadline.astimezone(self.rule.tz).isoformat(),
                    made, " (provisional)" if site_time.provisional else "")
        return made

    def _create(self, db: Any, who: stays.Identity, action: rules.Create, site_time: Any) -> str:
        since = calendar.night_start_for(action.deadline, self.rule) if action.rule == "overnight" \
            else action.deadline - self.grace.get(action.zone, timedelta(0))
        proof = violations.evidence(db, who.key, action.zone or who.zone or "", action.deadline, since)
        self._raise_latest_decided(action.deadline)
        return violations.create(db, who, action, evidence=proof, at=max(site_time.now, action.deadline), site=self.site)

    def _apply(self, db: Any, key: str, actions: list, site_time: Any) -> None:
        who = stays.identity(db, key)
        for action in actions:
            if isinstance(action, rules.Create):
                self._create(db, who, action, site_time)
                continue
            proof = None
            if action.state == "open":
                current = violations.get(db, action.violation_id)
                since = parse_ts(current["deadline"]) - timedelta(hours=12)
                proof = violations.evidence(db, key, current["zone"], parse_ts(current["deadline"]), since)
            violations.transition(db, action, at=site_time.now, site=self.site, evidence=proof)

    def recheck(self, db: Any, key: str, site_time: Any, since: datetime | None) -> None:
        """Re-decide ``key`` for every decided deadline after ``since`` and all its fire-lane stays."""
        marks = stays.marks_of(db, key)
        zone = stays.zone_of(db, key)
        args = [stays.ts_text(since)] if since else []
        deadlines = [parse_ts(d) for (d,) in db.execute(
            "SELECT deadline FROM ovn_deadlines" + (" WHERE deadline > ?" if since else ""), args)]
        scope: set = {("overnight", d) for d in deadlines}
        desired = {("overnight", d): zone for d in deadlines if rules.parked_at(marks, d)}
        fire = rules.fire_deadlines(marks, self.grace, site_time.now)
        desired.update({("fire_lane", limit): z for z, limit in fire})
        existing = violations.existing(db, key)
        scope |= {("fire_lane", limit) for _, limit in fire}
        scope |= {(e.rule, e.deadline) for e in existing if e.rule == "fire_lane" and e.deadline <= site_time.now}
        self._apply(db, key, rules.reconcile(existing, desired, scope, provisional=site_time.provisional), site_time)
        # from every stay, not only the open ones: a stay whose marks all came before the site clock
        # reached its grace (a lane device catching up) must still be looked at then
        stays.set_fire_due(db, key, rules.fire_due_after(marks, self.grace, site_time.now))

    def _rechecks(self, db: Any, site_time: Any) -> None:
        for key, since in db.execute("SELECT key, since FROM ovn_recheck ORDER BY key").fetchall():
            self.recheck(db, key, site_time, parse_ts(since))
            db.execute("DELETE FROM ovn_recheck WHERE key = ?", [key])

    def _fire_due(self, db: Any, site_time: Any) -> None:
        for (key,) in db.execute("SELECT key FROM ovn_keys WHERE fire_due <= ? ORDER BY fire_due",
                                 [stays.ts_text(site_time.now)]).fetchall():
            self.recheck(db, key, site_time, site_time.now)

    def _confirm(self, db: Any, site_time: Any) -> None:
        if site_time.provisional:
            return
        # a retraction needs no announcement when it is confirmed: it already told the chat
        db.execute("UPDATE violations SET provisional = 0 WHERE provisional = 1 AND state = 'retracted' "
                   "AND deadline <= ?", [stays.ts_text(site_time.now)])
        rows = db.execute("SELECT key, min(deadline) FROM violations WHERE provisional = 1 AND deadline <= ? "
                          "GROUP BY key", [stays.ts_text(site_time.now)]).fetchall()
        for key, first in rows:
            self.recheck(db, key, site_time, parse_ts(first) - timedelta(milliseconds=1))

    def _reminder(self, db: Any, site_time: Any, overrides: dict) -> None:
        deadline = calendar.next_deadline(site_time.now, self.rule, overrides)
        name = f"reminded:{stays.ts_text(deadline)}"
        sent = db.execute("SELECT 1 FROM ovn_meta WHERE name = ?", [name]).fetchone() is not None
        if not rules.reminder_due(site_time.now, deadline, self.reminder_before, sent):
            return
        db.execute("INSERT INTO ovn_meta(name, value) VALUES (?, ?)", [name, stays.ts_text(site_time.now)])
        items = [{"id": p["key"], "plate": p["plate"], "household": p["household"], "since": p["night_since"],
                  "zone": p["zone"], "slot": p["slot"]} for p in stays.parked_now(db)]
        if not items:
            return
        notices.notice(db, "reminder", {"deadline": stays.ts_text(deadline), "items": items,
                                      "provisional": site_time.provisional}, at=site_time.now, dedup=name)
        detail = {"deadline": stays.ts_text(deadline), "count": len(items)}
        diary.add(db, ts=site_time.now, kind="reminder", text=diary.line_text({"kind": "reminder", "detail": detail}, "zh"),
                  detail=detail)

    def _watch_calendar(self, db: Any, site_time: Any, overrides: dict) -> None:
        if not getattr(site_time, "from_data", True):
            return  # the hub's own clock, before any device reported: not a date to act on
        today = site_time.now.astimezone(self.rule.tz).date()
        if self._calendar_checked == today.isoformat():
            return
        self._calendar_checked = today.isoformat()
        if not calendar.year_known(today.year):
            self._calendar_alert(db, today.year, site_time.now)
        elif today.month == 12 and not calendar.year_known(today.year + 1):
            self._calendar_alert(db, today.year + 1, site_time.now, ahead=True)

    def _calendar_alert(self, db: Any, year: int, at: datetime, *, ahead: bool = False) -> None:
        """The yearly maintenance notice; the chat words it in the alerts language from ``topic`` and
        ``values`` (hub.alerts.render), ``title``/``lines`` are the Chinese words for other readers."""
        title = diary.line_text({"kind": "calendar", "detail": {"year": year, "ahead": ahead}}, "zh")
        lines = [f"已安装的节假日数据（chinesecalendar）还没有 {year} 年：请安装维护人员升级"
                 "（pip install -U chinesecalendar）。升级前按周一至周五上班、周末休息判定，法定节假日和调休不会识别。"]
        payload = {"title": title, "lines": lines, "severity": "warning", "dedup": f"calendar:{year}",
                   "topic": "calendar_unknown_year", "values": {"year": year, "ahead": ahead}}
        if notices.notice(db, "maintenance", payload, at=at, dedup=f"calendar:{year}"):
            diary.add(db, ts=at, kind="calendar", text=title, detail={"year": year, "ahead": ahead})
            logger.warning("holiday calendar: chinesecalendar does not know %d; upgrade it "
                           "(pip install -U chinesecalendar); until then deadlines follow weekday rules", year)

    # -- warden actions (any thread: run on the writer) ------------------------------------------

    def register_offspace(self, **kw: Any) -> dict:
        return self.hub.writer.call(lambda db: warden_actions.register_offspace(db, self, at=self.hub.clock.now(), **kw))

    def clear_offspace(self, **kw: Any) -> dict:
        return self.hub.writer.call(lambda db: warden_actions.clear_offspace(db, self, at=self.hub.clock.now(), **kw))

    def resolve(self, violation_id: str, **kw: Any) -> dict:
        return self.hub.writer.call(lambda db: warden_actions.resolve(db, self, violation_id, at=self.hub.clock.now(), **kw))

    def excuse(self, violation_id: str, **kw: Any) -> dict:
        return self.hub.writer.call(lambda db: warden_actions.excuse(db, self, violation_id, at=self.hub.clock.now(), **kw))

    def identify(self, violation_id: str, **kw: Any) -> dict:
        return self.hub.writer.call(lambda db: warden_actions.identify(db, self, violation_id, at=self.hub.clock.now(), **kw))

    def add_note(self, text: str, **kw: Any) -> int:
        return self.hub.writer.call(lambda db: warden_actions.add_note(db, text, at=self.hub.clock.now(), **kw))

    def occupancy(self) -> dict:
        """Cars inside and free spaces (余位) now, by the site clock."""
        at = self.hub.site_time().now
        return self.hub.writer.call(lambda db: occupancy.snapshot(db, spaces=self.hub.config.site.spaces, at=at))

    def count_cars(self, inside: int, *, by: str, note: str = "") -> int:
        """A warden's count of the cars inside, the new base of the 余位 figure."""
        at = self.hub.site_time().now
        return self.hub.writer.call(lambda db: occupancy.correct(db, inside, by=by, at=at, note=note))
