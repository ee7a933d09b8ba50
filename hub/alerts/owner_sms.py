"""Which owners get a text, and when (挪车短信): at the reminder before the deadline, to the owner
of each car still parked off-space; at the deadline, to the owner of each car *confirmed* still
there (a provisional violation is never texted — nobody is told off on incomplete data).

A text goes to the vehicle's registered mobile numbers (landlines are skipped), at most
``daily_cap`` a day to one number, never to a household on the opt-out list, and only with an
approved template configured for that moment.  The plate in the text is masked like everywhere
else outside the web view.  Queued in the durable alert outbox under the target ``sms``, so a
restart neither loses nor doubles a text (one dedup key per mobile, plate and deadline).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from gwcommon.timefmt import parse_ts

from .outbox import add_message, ts
from .render import mask_plate

logger = logging.getLogger(__name__)

TARGET = "sms"


@dataclass(frozen=True)
class Text:
    mobile: str
    template: str          # reminder | deadline
    params: dict[str, str]
    dedup_key: str


@dataclass(frozen=True)
class OwnerSms:
    """The planner, with what it needs from the ``[sms]`` config."""

    tz: ZoneInfo
    templates: frozenset[str]        # the moments with an approved template
    daily_cap: int = 3
    opt_out: frozenset[str] = frozenset()

    def plan(self, template: str, items: Iterable[dict[str, Any]], *, deadline: datetime,
             owners: dict[str, tuple[str, str]], sent_today: dict[str, int]) -> list[Text]:
        """Texts for ``items`` (each ``plate``, ``zone``); ``owners`` maps a plate to (household,
        phones ``;``-joined); ``sent_today`` counts texts per mobile since local midnight.  Pure."""
        if template not in self.templates:
            return []
        counts = dict(sent_today)
        texts = []
        for item in items:
            plate = item.get("plate")
            household, phones = owners.get(plate or "", ("", ""))
            if not plate or not phones or household in self.opt_out:
                continue
            params = {"plate": mask_plate(plate), "time": deadline.astimezone(self.tz).strftime("%H:%M"),
                      "place": str(item.get("zone") or "")[:20]}
            for mobile in mobiles(phones):
                if counts.get(mobile, 0) >= self.daily_cap:
                    logger.info("owner text to %s… skipped: daily cap of %d reached", mobile[:3], self.daily_cap)
                    continue
                counts[mobile] = counts.get(mobile, 0) + 1
                texts.append(Text(mobile, template, params, f"sms:{template}:{ts(deadline)}:{plate}:{mobile}"))
        return texts

    def queue(self, db: Any, template: str, items: list[dict[str, Any]], *, deadline: datetime, now: datetime,
              alert_id: int | None = None) -> int:
        """Plan and queue texts in the outbox (writer thread); returns how many were queued."""
        plates = [i["plate"] for i in items if i.get("plate")]
        owners = registered_owners(db, plates)
        texts = self.plan(template, items, deadline=deadline, owners=owners,
                          sent_today=sent_today(db, now, self.tz))
        queued = 0
        for text in texts:
            body = {"text": "", "mobiles": [text.mobile], "meta": {"template": text.template, "params": text.params,
                                                                    "kind": f"owner_sms_{text.template}"}}
            queued += int(add_message(db, alert_id=alert_id, dedup_key=text.dedup_key, target=TARGET,
                                      audience="owner", msg_type="sms", body=body, now=now))
        return queued

    def on_violation(self, db: Any, data: dict[str, Any], now: datetime) -> int:
        """A violation notice: text the owner when an overnight violation opens, confirmed."""
        if data.get("rule") != "overnight" or data.get("state") != "open" or data.get("provisional"):
            return 0
        if not data.get("plate") or not data.get("deadline"):
            return 0
        return self.queue(db, "deadline", [data], deadline=parse_ts(data["deadline"]), now=now)


    @staticmethod
    def cancel(db: Any, data: dict[str, Any], now: datetime) -> int:
        """A violation retracted, excused or resolved: its texts still waiting (pending, or failed and
        due again) are given up, so an owner whose car had left is never told to move it."""
        if not data.get("plate") or not data.get("deadline"):
            return 0
        deadline = ts(parse_ts(data["deadline"]))
        cursor = db.execute(
            "UPDATE alert_outbox SET state = 'dead', last_error = ?, updated_at = ? WHERE target = ? AND "
            "state IN ('pending', 'failed') AND (dedup_key LIKE ? OR dedup_key LIKE ?)",
            [f"violation {data.get('state')}", ts(now), TARGET,
             f"sms:deadline:{deadline}:{data['plate']}:%", f"sms:reminder:{deadline}:{data['plate']}:%"])
        if cursor.rowcount:
            logger.info("%d owner text(s) for %s given up: the violation was %s", cursor.rowcount,
                        data["plate"][:3], data.get("state"))
        return cursor.rowcount


def mobiles(phones: str) -> list[str]:
    """The mobile numbers among a vehicle's ``;``-joined phones (landlines cannot take a text)."""
    return [p for p in phones.split(";") if len(p) == 11 and p.startswith("1") and p.isdigit()]


def registered_owners(db: Any, plates: list[str]) -> dict[str, tuple[str, str]]:
    if not plates or not db["vehicles"].exists():
        return {}
    marks = ",".join("?" * len(plates))
    return {p: (h, m or "") for p, h, m in db.execute(
        f"SELECT plate, household, mobile FROM vehicles WHERE plate IN ({marks})", plates)}


def sent_today(db: Any, now: datetime, tz: ZoneInfo) -> dict[str, int]:
    """Texts queued per mobile since local midnight (whatever became of them)."""
    local = now.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    counts: dict[str, int] = {}
    for (body,) in db.execute("SELECT body FROM alert_outbox WHERE target = ? AND created_at >= ?",
                              [TARGET, ts(midnight)]):
        for mobile in json.loads(body).get("mobiles", []):
            counts[mobile] = counts.get(mobile, 0) + 1
    return counts


def from_config(cfg: Any, tz: ZoneInfo) -> OwnerSms | None:
    """The planner for an ``[sms]`` config, or None when texting is off."""
    if cfg is None or cfg.provider == "off":
        return None
    templates = frozenset(t for t in ("reminder", "deadline") if getattr(cfg, f"{t}_template"))
    return OwnerSms(tz=tz, templates=templates, daily_cap=cfg.daily_cap, opt_out=frozenset(cfg.opt_out))


