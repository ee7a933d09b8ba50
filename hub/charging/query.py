"""What ``GET /api/charging`` returns: the current state of every circuit (docs/contract.md §5).

The web area exposes it; call it with a read connection (``hub.db.open_reader``)::

    from hub.charging.query import charging_state
    @router.get("/api/charging")
    def api_charging(...):  # viewer role or above
        return charging_state(reader, hub.config, now=hub.clock.now())

Shape::

    {"circuits": [{"circuit": "shed-a", "label": "充电棚A路", "configured": true, "device": "shed-1",
                   "ts": "…", "received_at": "…", "power_w": 812.3, "current_a": 5.1, "loads": 6,
                   "voltage_v": 221.4, "energy_wh": 15234.0, "breaker_a": 16.0, "load_pct": 31.9,
                   "no_charging": false, "allowed_hours": "06:00-23:00" | null,
                   "status": "ok" | "warn" | "alarm" | "critical" | "silent" | "unknown",
                   "power_cut": {"reason": "overload", "since": "…", "device": "shed-1"} | null,
                   "incidents": [{"id", "rule", "title", "level", "since", "message", …}]}…],
     "open_incidents": 2, "ts": "…"}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gwcommon.timefmt import stored_ts
from hub.charging import store
from hub.charging.rules import LEVELS, TITLES

_COLS = ("circuit", "device", "ts", "received_at", "power_w", "current_a", "loads", "voltage_v", "energy_wh")


def charging_state(db: Any, config: Any, *, now: datetime) -> dict[str, Any]:
    """Every configured or reporting circuit, with its latest reading and open incidents."""
    rows = {r[0]: dict(zip(_COLS, r)) for r in db.execute(f"SELECT {', '.join(_COLS)} FROM charging_circuits")}
    open_incidents = store.incidents(db, state="open", limit=1000)
    names = [c.name for c in config.circuits] + sorted(set(rows) - {c.name for c in config.circuits})
    cuts = current_cuts(db)
    names += sorted(set(cuts) - set(names))
    circuits = [{**_circuit(name, rows.get(name), config, open_incidents), "power_cut": cuts.get(name)}
                for name in names]
    return {"circuits": circuits, "open_incidents": len(open_incidents), "ts": stored_ts(now)}


def current_cuts(db: Any) -> dict[str, dict[str, Any]]:
    """The circuits the charging device has cut now (hub.charging.cuts), as JSON."""
    from hub.charging import cuts

    return {c: {"reason": cut.reason, "since": stored_ts(cut.ts), "device": cut.device}
            for c, cut in cuts.current(db).items()}


def _circuit(name: str, row: dict | None, config: Any, incidents: list[dict]) -> dict[str, Any]:
    c = next((c for c in config.circuits if c.name == name), None)
    row = row or {k: None for k in _COLS}
    breaker = c.breaker_a if c else 16.0
    mine = [{**i, "title": TITLES.get(i["rule"], i["rule"])} for i in incidents if i["circuit"] == name]
    window = f"{c.allowed_from:%H:%M}-{c.allowed_until:%H:%M}" if c and c.allowed_from else None
    return {
        **{k: row[k] for k in _COLS if k != "circuit"}, "circuit": name, "label": (c.label if c else "") or name,
        "configured": c is not None, "breaker_a": breaker,
        "load_pct": None if row["current_a"] is None else round(100 * row["current_a"] / breaker, 1),
        "no_charging": bool(c and c.no_charging), "allowed_hours": window,
        "status": _status(row, mine), "incidents": mine,
    }


def _status(row: dict, incidents: list[dict]) -> str:
    if any(i["rule"] in ("meter_silent", "meter_unreadable") for i in incidents):
        return "silent"
    if row["ts"] is None:
        return "unknown"
    if not incidents:
        return "ok"
    return max((i["level"] for i in incidents), key=LEVELS.index)
