"""Priority lanes of the alert outbox (告警优先级) — pure.

A backlog must never hold back a fire alert: 1,000 phantom devices going offline at 15 messages a
minute is an hour of chat.  So the outbox is not first-in first-out but three lanes, each
first-in first-out within itself:

0. **safety** — fire lane (消防通道), overload, flying wire (飞线充电), fire mode, a stuck safety
   input: every alert of severity ``safety``;
1. **violations** — the morning digest, reminders, their retractions, other warnings;
2. **device health** — devices offline or faulty, chat targets refusing us, maintenance notices.

A follow-up (已恢复, 撤回) travels in the lane of the alert it follows (:func:`follow_up_lane`), so
it can never overtake that alert: "设备已恢复" never arrives before "设备离线" with a health backlog.

And when many device alerts come at once (:func:`coalesce`) they go out as one message naming
the first few, not one message each.
"""

from __future__ import annotations

SAFETY, VIOLATIONS, HEALTH = 0, 1, 2
HEALTH_KINDS = ("device_offline", "device_fault", "device_batch", "target_fault", "notice")
COALESCE_AT = 5  # this many device alerts released in one pass go out as one message
COALESCE_KINDS = ("device_offline", "device_fault")


def lane(kind: str, severity: str) -> int:
    """The lane of an alert (or of its message): lower goes first."""
    if severity == "safety" or kind == "fire_lane":
        return SAFETY
    if kind in HEALTH_KINDS:
        return HEALTH
    return VIOLATIONS


def follow_up_lane(kind: str, severity: str, original: tuple[str, str] | None) -> int:
    """The lane of an alert that may follow another: a follow-up (``original`` = the followed
    alert's kind and severity) takes its original's lane; any other alert its own."""
    return lane(*original) if original is not None else lane(kind, severity)


def lane_sql(body: str = "body") -> str:
    """The lane as an SQL expression over an ``alert_outbox`` row's JSON ``body``: its
    ``meta.lane`` where the dispatcher wrote one, else :func:`lane` of its ``meta``'s kind and
    severity (messages queued before lanes were written down)."""
    kinds = ", ".join(f"'{k}'" for k in HEALTH_KINDS)
    return (f"CASE WHEN json_extract({body}, '$.meta.lane') IS NOT NULL "
            f"THEN CAST(json_extract({body}, '$.meta.lane') AS INTEGER) "
            f"WHEN json_extract({body}, '$.meta.severity') = 'safety' "
            f"OR json_extract({body}, '$.meta.kind') = 'fire_lane' THEN {SAFETY} "
            f"WHEN json_extract({body}, '$.meta.kind') IN ({kinds}) THEN {HEALTH} ELSE {VIOLATIONS} END")


def coalesce(alerts: list[dict]) -> tuple[list[dict], list[dict]]:
    """Split alerts released together into (sent one by one, coalesced into one message): device
    alerts below safety, when there are at least :data:`COALESCE_AT` of them."""
    batch = [a for a in alerts if a["kind"] in COALESCE_KINDS and a["severity"] != "safety"]
    if len(batch) < COALESCE_AT:
        return alerts, []
    ids = {a["id"] for a in batch}
    return [a for a in alerts if a["id"] not in ids], batch
