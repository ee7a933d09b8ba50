"""Turning queued alerts into chat messages (on the writer thread, in the alerts tick).

Each tick: new alerts are suppressed (their device is offline), held (quiet hours, information
alerts only) or fanned out — rendered per target (language, masking, byte limit), with the warden
on duty in the service's mention field and an acknowledgement link — into ``alert_outbox`` rows;
held alerts whose quiet hours ended go out; unacknowledged alerts escalate.  No network here:
the sender thread does that.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from gwcommon.timefmt import parse_ts

from . import ack, roster
from .escalation import EscalationState, hold_until, inhibited, next_escalation, start_escalation
from .lanes import coalesce, follow_up_lane
from .outbox import add_message, queue_alert, ts
from .render import Context, Message, format_markdown, format_text, mask_mobiles, render, render_escalation

logger = logging.getLogger(__name__)

BATCH_NAMES = 10  # device names a device_batch message lists (then "and N more")


@dataclass(frozen=True)
class Settings:
    """What the dispatcher needs from the config."""

    lang: str = "zh"
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")
    quiet_start: time | None = time(22, 0)
    quiet_end: time = time(7, 0)
    escalate_after: timedelta = timedelta(minutes=15)
    ack_lifetime: timedelta = timedelta(hours=12)
    base_url: str = ""
    site_name: str = ""
    site_id: str = ""


@dataclass(frozen=True)
class TargetInfo:
    """What the dispatcher needs to know of a chat target to lay a message out for it."""

    name: str
    kind: str
    text_limit: int
    supports_images: bool = False
    mask: bool = True
    markdown: bool = False


class Dispatcher:
    """Fans alerts out to targets, holds, suppresses and escalates them."""

    def __init__(self, targets: Sequence[TargetInfo], *, settings: Settings, ack_secret: bytes | None = None):
        self.targets = list(targets)
        self.settings = settings
        self.ack_secret = ack_secret
        self._warned_no_targets = False

    def tick(self, db: Any, now: datetime) -> int:
        """One pass; returns how many alerts went out."""
        sent = self.release_new(db, now) + self.release_held(db, now)
        self.escalate(db, now)
        return sent

    # --- new and held alerts -----------------------------------------------------------------

    def release_new(self, db: Any, now: datetime) -> int:
        count = 0
        alerts = list(db.query("SELECT * FROM alerts WHERE state = 'new' ORDER BY id"))
        alerts.sort(key=lambda a: self._lane(db, a))  # safety first (stable: by id within a lane)
        for alert in self._coalesce(db, alerts, now):
            if alert["kind"] == "device_offline":
                db.execute("UPDATE alerts SET state = 'suppressed', note = 'device offline' WHERE kind = "
                           "'device_fault' AND subject = ? AND state IN ('new', 'held')", [alert["subject"]])
            if inhibited(alert["kind"], alert["subject"], self._offline(db)):
                db.execute("UPDATE alerts SET state = 'suppressed', note = 'device offline' WHERE id = ?", [alert["id"]])
                continue
            s = self.settings
            held = hold_until(alert["severity"], now, s.tz, s.quiet_start, s.quiet_end)
            if held is not None:
                db.execute("UPDATE alerts SET state = 'held', hold_until = ? WHERE id = ?", [ts(held), alert["id"]])
                continue
            self.fan_out(db, alert, now)
            count += 1
        return count

    def _coalesce(self, db: Any, alerts: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
        """Many device alerts at once (a power cut, a flood of phantom devices) become one
        ``device_batch`` message; returns the alerts still to release one by one."""
        single, batch = coalesce(alerts)
        if not batch:
            return single
        offline = sorted({_named(a) for a in batch if a["kind"] == "device_offline"})
        faulty = sorted({_named(a) for a in batch if a["kind"] == "device_fault"})
        db.conn.executemany("UPDATE alerts SET state = 'coalesced', note = 'one message for many devices' WHERE id = ?",
                       [[a["id"]] for a in batch])
        payload = {"offline": offline[:BATCH_NAMES], "faulty": faulty[:BATCH_NAMES],
                   "offline_count": len(offline), "faulty_count": len(faulty)}
        queue_alert(db, kind="device_batch", severity="warning", dedup_key=f"device_batch:{batch[0]['id']}:{len(batch)}",
                    now=now, payload=payload, subject=str(len(batch)))
        logger.warning("%d device alerts at once: sent as one message (%d offline, %d faulty)",
                       len(batch), len(offline), len(faulty))
        return single

    def release_held(self, db: Any, now: datetime) -> int:
        rows = list(db.query("SELECT * FROM alerts WHERE state = 'held' AND hold_until <= ? ORDER BY id", [ts(now)]))
        for alert in rows:
            self.fan_out(db, alert, now)
        return len(rows)

    @staticmethod
    def _offline(db: Any) -> set[str]:
        return {r[0] for r in db.execute("SELECT subject FROM alerts WHERE kind = 'device_offline' AND closed IS NULL "
                                         "AND state IN ('new', 'held', 'notified', 'coalesced')")}

    # --- fan-out -------------------------------------------------------------------------------

    def fan_out(self, db: Any, alert: dict[str, Any], now: datetime) -> None:
        """Make the messages of an alert's first sending and start its escalation timer."""
        self.messages(db, alert, now, audience="warden", step=0)
        state = start_escalation(now, after=self.settings.escalate_after, enabled=bool(alert["mention_warden"]))
        db.execute("UPDATE alerts SET state = 'notified', notified_at = ?, esc_step = 0, esc_next = ? WHERE id = ?",
                   [ts(now), ts(state.next_at) if state.next_at else None, alert["id"]])

    def messages(self, db: Any, alert: dict[str, Any], now: datetime, *, audience: str, step: int) -> int:
        """Queue one alert's messages for every target; returns how many."""
        if not self.targets and not self._warned_no_targets:
            logger.warning("no [[chat]] targets configured: alerts are only shown in the web view")
            self._warned_no_targets = True
        alert = {**alert, "lane": self._lane(db, alert)}  # once per alert, not once per target
        payload = self._payload(db, alert)
        people = self._mentions(db, alert, now, audience)
        link = self._ack_link(alert, now)
        count = 0
        for target in self.targets:
            if alert["kind"] == "target_fault" and payload.get("target") == target.name:
                continue
            message = self._message(alert["kind"], payload, now, target, audience, step)
            count += self._queue(db, alert, target, message, people, link, now, audience, step)
        return count

    @staticmethod
    def _lane(db: Any, alert: dict[str, Any]) -> int:
        """The alert's priority lane; a follow-up takes the lane of the alert it follows."""
        original = None
        if alert.get("follows"):
            row = next(iter(db.query("SELECT kind, severity FROM alerts WHERE id = ?", [alert["follows"]])), None)
            original = (row["kind"], row["severity"]) if row is not None else None
        return follow_up_lane(alert["kind"], alert["severity"], original)

    def _payload(self, db: Any, alert: dict[str, Any]) -> dict[str, Any]:
        payload = json.loads(alert["payload"] or "{}")
        if alert["follows"]:
            original = next(iter(db.query("SELECT * FROM alerts WHERE id = ?", [alert["follows"]])), None)
            if original is not None:
                ctx = Context(lang=self.settings.lang, tz=self.settings.tz, now=parse_ts(original["created_at"]))
                payload.setdefault("original_title",
                                   render(original["kind"], json.loads(original["payload"] or "{}"), ctx).title)
        return payload

    def _message(self, kind: str, payload: dict[str, Any], now: datetime, target: TargetInfo,
                 audience: str, step: int) -> Message:
        s = self.settings
        ctx = Context(lang=s.lang, tz=s.tz, now=now, mask=target.mask, base_url=s.base_url)
        message = render(kind, payload, ctx)
        if step > 0:
            minutes = int(s.escalate_after.total_seconds() // 60) * step
            message = render_escalation(message, minutes=minutes, audience=audience, lang=s.lang)
        return message

    def _mentions(self, db: Any, alert: dict[str, Any], now: datetime, audience: str) -> list[roster.Entry]:
        if not alert["mention_warden"]:
            return []
        people = roster.audience(roster.load(db), now.astimezone(self.settings.tz), audience)
        if not people:
            logger.warning("alert %s should mention the warden on duty but the roster has nobody for now",
                           alert["dedup_key"])
        return people

    def _ack_link(self, alert: dict[str, Any], now: datetime) -> str | None:
        if not (alert["mention_warden"] and self.ack_secret and self.settings.base_url):
            return None
        token = ack.sign(self.ack_secret, alert["id"], now + self.settings.ack_lifetime)
        return f"{self.settings.base_url.rstrip('/')}/ack/{token}"

    def _queue(self, db: Any, alert: dict[str, Any], target: TargetInfo, message: Message,
               people: list[roster.Entry], link: str | None, now: datetime, audience: str, step: int) -> int:
        s = self.settings
        mobiles = [p.mobile for p in people if p.mobile]
        markdown = target.markdown and target.kind == "wecom" and not mobiles
        if markdown:
            text = format_markdown(message, limit=4096, lang=s.lang, ack_link=link)
        else:
            text = format_text(message, limit=target.text_limit, lang=s.lang, ack_link=link)
        meta = {"site": s.site_id, "alert_id": alert["id"], "kind": alert["kind"],
                "severity": message.severity, "audience": audience, "link": message.link,
                "lane": alert["lane"]}
        body = {"text": text, "title": mask_mobiles(message.title), "mobiles": mobiles,
                "feishu_ids": [p.feishu_id for p in people if p.feishu_id], "meta": meta}
        key = f"{alert['dedup_key']}|{target.name}|{step}"
        count = int(add_message(db, alert_id=alert["id"], dedup_key=f"{key}|text", target=target.name,
                                audience=audience, msg_type="markdown" if markdown else "text", body=body, now=now))
        images = json.loads(alert["images"] or "[]")
        if images and target.supports_images and step == 0:
            count += int(add_message(db, alert_id=alert["id"], dedup_key=f"{key}|image", target=target.name,
                                     audience=audience, msg_type="image", now=now,
                                     body={"images": images, "title": mask_mobiles(message.title), "meta": meta, "text": ""}))
        return count

    # --- escalation --------------------------------------------------------------------------

    def escalate(self, db: Any, now: datetime) -> int:
        """Re-post unacknowledged alerts to the next audience; returns how many escalated."""
        count = 0
        for alert in list(db.query("SELECT * FROM alerts WHERE state = 'notified' AND mention_warden = 1 AND "
                                   "acked_at IS NULL AND closed IS NULL AND esc_next IS NOT NULL AND esc_next <= ?",
                                   [ts(now)])):
            state = EscalationState(alert["esc_step"], parse_ts(alert["esc_next"]))
            new, audience = next_escalation(state, now, after=self.settings.escalate_after)
            if audience is not None:
                self.messages(db, alert, now, audience=audience, step=new.step)
                count += 1
            db.execute("UPDATE alerts SET esc_step = ?, esc_next = ? WHERE id = ?",
                       [new.step, ts(new.next_at) if new.next_at else None, alert["id"]])
        return count


def _named(alert: dict[str, Any]) -> str:
    """A device alert's device as people read it: its label when it has one, else its id."""
    try:
        label = json.loads(alert.get("payload") or "{}").get("label")
    except (ValueError, AttributeError):
        label = None
    return str(label or alert["subject"])
