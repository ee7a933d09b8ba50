"""Ready-made alerts for the other areas (call on the writer thread, inside your transaction).

Each takes only what a chat message may show: plates go in normalised and are masked per target
when rendered; households are shown; owner names and mobiles are not accepted at all (unknown
item keys are dropped here, so a careless caller cannot leak them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from .outbox import queue_alert, ts

ITEM_KEYS = ("id", "plate", "household", "since", "zone")


def _item(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: (ts(v) if isinstance(v, datetime) else v) for k, v in raw.items() if k in ITEM_KEYS and v is not None}


def queue_digest(db: Any, *, deadline: datetime, items: Iterable[dict[str, Any]], now: datetime,
                 provisional: bool = False, images: Iterable[dict[str, str] | str] = (),
                 part: int = 0, unreported: Iterable[str] = ()) -> int:
    """The morning digest (违停晨报) for ``deadline``: one list message plus one contact sheet.
    ``part`` > 0 makes a supplement for violations found after the digest went out;
    ``unreported``: the gate and lane devices that had not reported up to the deadline."""
    key = f"digest:{ts(deadline)}" + (f":{part}" if part else "")
    payload = {"deadline": ts(deadline), "items": [_item(i) for i in items], "provisional": provisional,
               "path": f"/violations?deadline={ts(deadline)[:10]}"}
    if unreported:
        payload["unreported"] = sorted(unreported)
    return queue_alert(db, kind="digest", severity="warning", dedup_key=key, now=now, payload=payload,
                       subject=ts(deadline), images=images)


def queue_reminder(db: Any, *, deadline: datetime, items: Iterable[dict[str, Any]], now: datetime) -> int:
    """The reminder before the deadline (挪车提醒), mentioning the warden on duty."""
    payload = {"deadline": ts(deadline), "items": [_item(i) for i in items], "path": "/"}
    return queue_alert(db, kind="reminder", severity="warning", dedup_key=f"reminder:{ts(deadline)}", now=now,
                       payload=payload, subject=ts(deadline), mention_warden=True)


def queue_fire_lane(db: Any, *, violation_id: str, zone: str, now: datetime, plate: str | None = None,
                    household: str | None = None, since: datetime | None = None,
                    images: Iterable[dict[str, str] | str] = ()) -> int:
    """A vehicle in a fire lane (占用消防通道) beyond its grace: a safety alert, warden mentioned."""
    payload = _item({"plate": plate, "household": household, "since": since})
    payload.update({"zone": zone, "path": f"/violations/{violation_id}"})
    return queue_alert(db, kind="fire_lane", severity="safety", dedup_key=f"fire_lane:{violation_id}", now=now,
                       payload=payload, subject=violation_id, mention_warden=True, images=images)


def queue_charging(db: Any, *, key: str, circuit: str, reason: str, now: datetime, power_w: float | None = None,
                   limit_w: float | None = None, since: datetime | None = None, detail: str | None = None,
                   severity: str = "safety", label: str = "", words: dict[str, Any] | None = None) -> int:
    """An e-bike charging alert (充电告警), titled with the circuit's ``label`` when it has one:
    ``reason`` overload | long_charge | unattended |
    meter_offline (others are shown as given).  ``key`` identifies this occurrence (e.g.
    ``"shed-a:overload:<since>"``); resolve it later with ``resolve_alert(db, "charging:" + key)``.
    ``words`` is ``detail`` as facts (:func:`gwcommon.catalogue.words`), worded in the chat's language."""
    payload = {"circuit": circuit, "label": label, "reason": reason, "power_w": power_w, "limit_w": limit_w,
               "since": ts(since) if since else None, "detail": detail, "severity": severity}
    if words:
        payload["words"] = words
    return queue_alert(db, kind="charging", severity=severity, dedup_key=f"charging:{key}", now=now,
                       payload=payload, subject=circuit, mention_warden=severity != "info")


def queue_notice(db: Any, *, dedup_key: str, title: str, now: datetime, lines: Iterable[str] = (),
                 severity: str = "info", path: str | None = None, topic: str | None = None,
                 values: dict[str, Any] | None = None) -> int:
    """A notice (e.g. the yearly calendar maintenance alert).  Write no personal data.  With a
    ``topic`` that :mod:`hub.alerts.render` knows, the message is worded from ``values`` in the alerts
    language; otherwise (or for an unknown topic) ``title`` and ``lines`` are sent as they are."""
    payload = {"title": title, "lines": list(lines), "severity": severity, "path": path}
    if topic:
        payload.update(topic=topic, values=dict(values or {}))
    return queue_alert(db, kind="notice", severity=severity, dedup_key=dedup_key, now=now, payload=payload)
