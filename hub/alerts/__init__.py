"""Alerts (告警): what reaches the committee's chat group and the warden on duty — once, in time,
politely.  See docs/alerts.md.

Public API for the other areas — call these on the writer thread *inside your own transaction*
(an event handler or a tick), so the alert commits together with the fact that caused it; a
repeated ``dedup_key`` changes nothing, so a rule that runs twice alerts once::

    from hub.alerts import queue_alert, resolve_alert, retract_alert
    from hub.alerts import queue_digest, queue_reminder, queue_fire_lane, queue_charging, queue_notice

    queue_alert(db, kind="charging", severity="safety", dedup_key="charging:shed-a:overload:<since>",
                now=now, payload={"circuit": "shed-a", "reason": "overload", "power_w": 2300, "limit_w": 2000},
                subject="shed-a", mention_warden=True)
    queue_charging(db, key="shed-a:overload:<since>", circuit="充电棚A路", reason="overload", now=now,
                   power_w=2300, limit_w=2000)
    resolve_alert(db, "charging:shed-a:overload:<since>", now=now)      # → 已恢复, if it had gone out

- ``kind``: digest | reminder | fire_lane | charging | device_offline | device_fault |
  target_fault | notice | resolved | retracted (the texts are in :mod:`hub.alerts.render`).
- ``severity``: ``info`` (waits out quiet hours) | ``warning`` | ``safety`` (never waits).
- ``mention_warden``: mention the warden on duty (in the service's mention field, never in the
  text), add an acknowledgement link, and escalate when nobody acknowledges.
- ``images``: snapshot paths relative to ``Hub.snapshots_dir`` (or ``{"path", "caption"}``);
  WeCom and the plain webhook get them as one contact sheet.
- Payloads hold plates (normalised; masked per target when rendered) and households — never owner
  names or mobile numbers.

``acknowledge(db, alert_id, by=..., now=...)`` records an acknowledgement (the web view's button;
the chat link goes through :mod:`hub.alerts.pages.ack`).  ``attach(hub)`` is in :mod:`hub.alerts.area`.
"""

from .api import queue_charging, queue_digest, queue_fire_lane, queue_notice, queue_reminder
from .outbox import acknowledge, queue_alert, resolve_alert, retract_alert, retract_violation

__all__ = ["acknowledge", "queue_alert", "resolve_alert", "retract_alert", "retract_violation", "attach",
           "queue_charging", "queue_digest", "queue_fire_lane", "queue_notice", "queue_reminder"]


def attach(hub):  # noqa: ANN001, ANN201  (hub.areas calls hub.alerts.attach(hub))
    """Attach the alerts area to ``hub`` (see :mod:`hub.alerts.area`)."""
    from .area import attach as _attach

    return _attach(hub)
