"""Power cuts (断电) the charging device made, on the hub: the diary, the chat, and a warden's restore.

The device decides and cuts on its own (docs/charging.md); it reports each cut and each restore as
a ``fault`` event with code ``power_cut`` (``active`` true while cut), the ``circuit`` and a
``detail`` of ``"<circuit>: <reason>: <numbers>"``.  Here each becomes a diary line and a chat
alert worded with the circuit's label and the reason in words; a restore resolves the cut's alert
(已恢复).  What is cut now is read back from the stored events (:func:`current`), and
:func:`restore_command` builds the ``restore`` command a warden sends from the phone (an additive
extension of the contract's ``cmd``, docs/mqtt.md).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gwcommon import catalogue, wire
from gwcommon.timefmt import format_ts, parse_ts

logger = logging.getLogger(__name__)

CODE = "power_cut"
SAFETY = ("overload", "no_charging")
WORDS = {  # reason → (zh, en): the power cuts' part of the one catalogue (keys cut.*)
    "overload": ("充电过载，自动断电", "overload: power cut"),
    "no_charging": ("禁充线路上疑似飞线充电，自动断电", "charger on a no-charging circuit: power cut"),
    "outside_hours": ("非允许时段充电，自动断电", "charging outside the allowed hours: power cut"),
    "full": ("电池已充满，自动断电", "battery full: power cut"),
    "warden": ("值班人员恢复供电", "power restored by a warden"),
    "hours_began": ("充电时段开始，恢复供电", "charging hours began: power restored"),
    "full_restore_after": ("充满断电后定时恢复供电", "power restored after the full-battery cut"),
}


@dataclass(frozen=True)
class Cut:
    """One power_cut event, read: ``active`` while cut; ``reason`` a key of :data:`WORDS`."""

    circuit: str
    active: bool
    reason: str
    numbers: str
    ts: datetime
    device: str | None = None
    event_id: str | None = None


def read(event: Any, device: str | None = None) -> Cut | None:
    """A ``power_cut`` fault as a :class:`Cut` (None for other faults or one naming no circuit)."""
    if event.code != CODE:
        return None
    match = re.match(r"^([A-Za-z0-9_.:-]{1,64}): (?:([a-z_]+): )?(.*)$", event.detail or "", re.S)
    circuit = getattr(event, "circuit", None) or (match.group(1) if match else None)
    if circuit is None:
        return None
    reason = match.group(2) if match and match.group(2) else "unknown"
    numbers = match.group(3) if match else (event.detail or "")
    return Cut(circuit, event.active, reason, numbers, event.ts, device, getattr(event, "id", None))


catalogue.contribute("power cuts", {**{f"reason.{k}": v for k, v in WORDS.items()},
                                    "sentence": ("{label}：{said}{numbers}", "{label}: {said}{numbers}"),
                                    "numbers": ("（{numbers}）", " ({numbers})")}, prefix="cut.")


def words(cut: Cut, label: str) -> dict[str, Any]:
    """The cut's sentence as facts (:func:`gwcommon.catalogue.words`), for the diary and the chat."""
    said = catalogue.words(f"cut.reason.{cut.reason}") if cut.reason in WORDS else cut.reason
    numbers = catalogue.words("cut.numbers", numbers=cut.numbers) if cut.numbers else ""
    return catalogue.words("cut.sentence", label=label, said=said, numbers=numbers)


def sentence(cut: Cut, label: str, lang: str = "zh") -> str:
    """``充电棚A路：充电过载，自动断电（14.5 A ≥ 12.8 A (16 A × 80 %)）`` — label, reason, numbers."""
    return catalogue.say(words(cut, label), lang)


def on_fault(db: Any, event: Any, ctx: Any, *, labels: dict[str, str], now: datetime) -> Cut | None:
    """The hub's handler: a diary line and a chat alert (or its 已恢复) for a power_cut event."""
    cut = read(event, ctx.device)
    if cut is None:
        if event.code == CODE:
            logger.warning("power_cut fault from %s names no circuit: %r", ctx.device, event.detail)
        return None
    label = labels.get(cut.circuit) or cut.circuit
    said = words(cut, label)
    text = catalogue.say(said, "zh")
    _diary(db, cut, text, said)
    _chat(db, cut, text, said, label, now)
    logger.info("power %s on %s (%s): %s", "cut" if cut.active else "restored", cut.circuit, ctx.device, text)
    return cut


def _diary(db: Any, cut: Cut, text: str, said: dict[str, Any]) -> None:
    from hub.overnight import add_diary_line

    add_diary_line(db, ts=cut.ts, kind="charging", text=text, zone=cut.circuit, by=cut.device or "hub",
              detail={"circuit": cut.circuit, "rule": CODE, "reason": cut.reason, "active": cut.active,
                      "numbers": cut.numbers, "words": said})


def _chat(db: Any, cut: Cut, text: str, said: dict[str, Any], label: str, now: datetime) -> None:
    try:
        from hub.alerts import resolve_alert
        from hub.alerts import queue_charging
    except ImportError:
        return
    if cut.active:
        queue_charging(db, key=f"{cut.circuit}:{CODE}:{cut.event_id}", circuit=cut.circuit, reason=CODE, now=now,
                       since=cut.ts, detail=text, severity="safety" if cut.reason in SAFETY else "warning",
                       label=label, words=said)
        return
    before = _latest(db, cut.circuit, active=True, before=cut.ts)
    if before is not None:
        resolve_alert(db, f"charging:{cut.circuit}:{CODE}:{before[0]}", now=now, note=text, note_words=said)


def _latest(db: Any, circuit: str, *, active: bool | None = None, before: datetime | None = None):
    """The newest stored power_cut event of ``circuit``: (id, device, ts, body) or None."""
    sql = ("SELECT id, device, ts, body FROM events WHERE kind = 'fault' AND json_extract(body, '$.code') = ? "
           "AND json_extract(body, '$.circuit') = ?")
    args: list[Any] = [CODE, circuit]
    if active is not None:
        sql += " AND json_extract(body, '$.active') = ?"
        args.append(1 if active else 0)
    if before is not None:
        sql += " AND ts <= ?"
        args.append(format_ts(before))
    return db.execute(sql + " ORDER BY ts DESC, seq DESC LIMIT 1", args).fetchone()


def current(db: Any) -> dict[str, Cut]:
    """Every circuit whose newest power_cut event says it is cut now, by circuit."""
    rows = db.execute(
        "SELECT id, device, ts, body FROM events WHERE kind = 'fault' AND json_extract(body, '$.code') = ? "
        "ORDER BY ts, seq", [CODE]).fetchall()
    latest: dict[str, Cut] = {}
    for event_id, device, ts, body in rows:
        data = json.loads(body)
        cut = read(_Fault(data, event_id, parse_ts(ts)), device)
        if cut is not None:
            latest[cut.circuit] = cut
    return {c: cut for c, cut in latest.items() if cut.active}


@dataclass(frozen=True)
class _Fault:
    data: dict
    id: str
    ts: datetime

    @property
    def code(self) -> str:
        return self.data.get("code", "")

    @property
    def active(self) -> bool:
        return bool(self.data.get("active"))

    @property
    def detail(self) -> str:
        return self.data.get("detail", "")

    @property
    def circuit(self) -> str | None:
        return self.data.get("circuit")


def restore_command(circuit: str, *, by: str, note: str, now: datetime) -> wire.Command:
    """The ``restore`` command for the device that cut ``circuit``."""
    return wire.Command(id=f"cmd-{uuid.uuid4().hex[:16]}", ts=now, op="restore", circuit=circuit,
                        by=by[:64], reason=note.strip()[:500])


def attach(hub: Any) -> None:
    """Register the power_cut handler on the hub (called by the charging area's attach)."""
    labels = {c.name: c.display for c in hub.config.circuits}
    hub.on_event("fault", lambda db, event, ctx: on_fault(db, event, ctx, labels=labels, now=hub.clock.now()))
