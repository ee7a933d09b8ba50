"""The passages area on the writer thread: the check for copied Bluetooth tags (:mod:`hub.passages.clone`).

Each new passage (a gate lane) and each zone arrival (presence, ``present``) with a Bluetooth tag
is compared with the stored passages and arrivals of the same tag at other devices within the
longest configured travel time, before and after it (events may arrive late, out of order).  A
clash is stored once (``passage_clones``), shown on the Devices page as the hub's fault
``ble_possible_clone``, and told to the committee's chat once as a maintenance notice naming both
places and times.
"""

from __future__ import annotations

import json
import logging

from typing import Any

from gwcommon.timefmt import format_ts, parse_ts
from hub.alerts import queue_notice
from hub.core.labels import Labels, from_config
from hub.core.tagtext import short_tag
from hub.passages.clone import Sighting, checked, clash, longest

logger = logging.getLogger(__name__)
CODE = "ble_possible_clone"


class ClonesArea:
    def __init__(self, config: Any, labels: Labels | None = None, tz: Any = None):
        self.config = config
        self.labels = labels or Labels()
        self.tz = tz  # the site's zone, for the times people read (None: as stored)
        self.pairs = config.pairs()
        self.window = longest(self.pairs, config.between_gates)

    def on_passage(self, db: Any, event: Any, ctx: Any) -> None:
        self._check(db, Sighting(event.tag or "", ctx.device, event.lane, event.ts, "passage", event.id,
                                 event.direction or ""), ctx)

    def on_presence(self, db: Any, event: Any, ctx: Any) -> None:
        if event.present:
            self._check(db, Sighting(event.tag or "", ctx.device, event.zone, event.ts, "presence", event.id), ctx)

    def _check(self, db: Any, new: Sighting, ctx: Any) -> None:
        if not checked(new.tag):
            return
        other = clash(new, self._sightings(db, new), pairs=self.pairs, between_gates=self.config.between_gates)
        if other is None:
            return
        first, second = sorted((other, new), key=lambda s: (s.at, s.event_id))
        cur = db.execute(
            "INSERT OR IGNORE INTO passage_clones (tag, first_event, first_device, first_place, first_ts, second_event, "
            "second_device, second_place, second_ts, detected_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [new.tag, first.event_id, first.device, first.place, format_ts(first.at), second.event_id, second.device,
             second.place, format_ts(second.at), format_ts(ctx.received_at)])
        if not cur.rowcount:
            return
        logger.warning("tag %s at %s/%s %s and at %s/%s %s: too close in time for one car (possible clone)",
                       new.tag, first.device, first.place, format_ts(first.at), second.device, second.place,
                       format_ts(second.at))
        values = {"tag": new.tag, "seconds": round(abs((second.at - first.at).total_seconds()), 1),
                  "first": {"device": first.device, "place": first.place, "at": format_ts(first.at),
                            "label": self._place(first.device, first.place)},
                  "second": {"device": second.device, "place": second.place, "at": format_ts(second.at),
                             "label": self._place(second.device, second.place)}}
        queue_notice(db, dedup_key=f"{CODE}:{first.event_id}:{second.event_id}", now=ctx.received_at,
                     title=f"{CODE}: {new.tag}", severity="warning", path="/devices", topic=CODE, values=values)

    def _sightings(self, db: Any, new: Sighting) -> list[Sighting]:
        low, high = format_ts(new.at - self.window), format_ts(new.at + self.window)
        found = []
        for event_id, device, kind, ts, body in db.execute(
                "SELECT id, device, kind, ts, body FROM events WHERE kind IN ('passage', 'presence') "
                "AND ts >= ? AND ts <= ? AND device != ? AND json_extract(body, '$.tag') = ? LIMIT 200",
                [low, high, new.device, new.tag]).fetchall():
            data = json.loads(body)
            if kind == "presence" and not data.get("present"):
                continue
            found.append(Sighting(new.tag, device, str(data.get("lane") or data.get("zone") or ""), parse_ts(ts),
                                  kind, event_id, str(data.get("direction") or "") if kind == "passage" else ""))
        return found

    def active(self, db: Any, now: Any) -> list[dict]:
        """The suspicions detected within ``show_for``: the hub's faults for the Devices page."""
        since = format_ts(now - self.config.show_for)
        return [{"device": "hub", "code": CODE, "since": detected, "circuit": None,
                 "detail": f"{short_tag(tag)}: {self._place(d1, p1)} {self._time(t1)} ↔ {self._place(d2, p2)} "
                           f"{self._time(t2)}"}
                for tag, d1, p1, t1, d2, p2, t2, detected in db.execute(
                    "SELECT tag, first_device, first_place, first_ts, second_device, second_place, second_ts, "
                    "detected_at FROM passage_clones WHERE detected_at >= ? ORDER BY detected_at DESC LIMIT 50",
                    [since]).fetchall()]

    def _time(self, stored: str) -> str:
        return parse_ts(stored).astimezone(self.tz).strftime("%m-%d %H:%M:%S") if self.tz else stored

    def _place(self, device: str, place: str) -> str:
        """A device and its lane (or zone) by their labels, ids where there are none."""
        lane = self.labels.lane(place, device)
        return f"{self.labels.device(device)} {lane if lane != place else self.labels.zone(place)}"


def attach(hub: Any) -> ClonesArea:
    area = ClonesArea(hub.config.clone_check, from_config(hub.config), hub.config.site.tz)
    if hub.config.clone_check.enabled:
        hub.on_event("passage", area.on_passage)
        hub.on_event("presence", area.on_presence)
    return area



