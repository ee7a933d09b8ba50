"""Reading and writing the charging tables (run on the hub's writer thread for writes)."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from gwcommon.timefmt import parse_ts, stored_ts
from hub.charging.rules import Change, CircuitState, Incident, Observation


def _ts(moment: datetime | None) -> str | None:
    return None if moment is None else stored_ts(moment)


def _dt(text: str | None) -> datetime | None:
    return None if text is None else parse_ts(text)


def dump_state(state: CircuitState) -> str:
    """The rules' state as JSON (datetimes as RFC 3339)."""
    data = asdict(state)
    data["last"] = None if state.last is None else {**asdict(state.last), "ts": _ts(state.last.ts)}
    data["sessions"] = [_ts(s) for s in state.sessions]
    for key in ("load_low_since", "trickle_since", "outside_since", "flying_since"):
        data[key] = _ts(getattr(state, key))
    data["incidents"] = [{**asdict(i), "since": _ts(i.since)} for i in state.incidents]
    return json.dumps(data, ensure_ascii=False)


def load_state(circuit: str, text: str | None) -> CircuitState:
    """The inverse of :func:`dump_state`; an empty or missing state is a fresh one."""
    if not text or text == "{}":
        return CircuitState(circuit)
    data = json.loads(text)
    last = data.get("last")
    return CircuitState(
        circuit=circuit,
        last=None if last is None else Observation(**{**last, "ts": parse_ts(last["ts"])}),
        sessions=tuple(parse_ts(s) for s in data.get("sessions", [])),
        load_low_since=_dt(data.get("load_low_since")), trickle_since=_dt(data.get("trickle_since")),
        outside_since=_dt(data.get("outside_since")), flying_since=_dt(data.get("flying_since")),
        port_suspect_w=data.get("port_suspect_w"),
        incidents=tuple(Incident(**{**i, "since": parse_ts(i["since"])}) for i in data.get("incidents", [])),
        stale=data.get("stale", 0),
    )


def load_all(db: Any) -> dict[str, tuple[CircuitState, datetime | None, str | None]]:
    """Every circuit's state, when it was last heard (hub clock) and from which device."""
    rows = db.execute("SELECT circuit, state, received_at, device FROM charging_circuits").fetchall()
    return {c: (load_state(c, s), _dt(r), d) for c, s, r, d in rows}


def save_reading(db: Any, circuit: str, state: CircuitState, *, device: str | None,
                 received_at: datetime | None, event: Any | None) -> None:
    """Upsert the circuit's row: its state, and the event's values when there is one."""
    values: dict[str, Any] = {"circuit": circuit, "state": dump_state(state)}
    if device is not None:
        values["device"] = device
    if event is not None:
        values.update(ts=_ts(event.ts), received_at=_ts(received_at), power_w=event.power_w,
                      current_a=event.current_a, loads=event.loads, voltage_v=event.voltage_v,
                      energy_wh=event.energy_wh)
    cols = list(values)
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c != "circuit")
    db.execute(f"INSERT INTO charging_circuits ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
               f"ON CONFLICT(circuit) DO UPDATE SET {updates}", [values[c] for c in cols])


def alert_key(change: Change) -> str:
    """One alert per incident: circuit, rule and when it began."""
    return f"{change.circuit}:{change.rule}:{_ts(change.since)}"


def record(db: Any, change: Change, *, device: str | None, now: datetime) -> int:
    """Write the change into ``charging_incidents``; returns the incident id."""
    row = db.execute("SELECT id FROM charging_incidents WHERE state = 'open' AND circuit = ? AND rule = ? "
                     "ORDER BY id DESC LIMIT 1", [change.circuit, change.rule]).fetchone()
    if change.action == "open" or row is None:
        cur = db.execute(
            "INSERT INTO charging_incidents (circuit, rule, level, state, since, opened_at, updated_at, closed_at, "
            "value, message, device, alert_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [change.circuit, change.rule, change.level, "closed" if change.action == "close" else "open",
             _ts(change.since), _ts(change.ts), _ts(change.ts), _ts(change.ts) if change.action == "close" else None,
             change.value, change.message, device, alert_key(change)])
        return int(cur.lastrowid)
    if change.action == "raise":
        db.execute("UPDATE charging_incidents SET level = ?, updated_at = ?, value = ?, message = ? WHERE id = ?",
                   [change.level, _ts(change.ts), change.value, change.message, row[0]])
    else:
        db.execute("UPDATE charging_incidents SET state = 'closed', closed_at = ?, updated_at = ? WHERE id = ?",
                   [_ts(change.ts), _ts(change.ts), row[0]])
    return int(row[0])


INCIDENT_COLS = ("id", "circuit", "rule", "level", "state", "since", "opened_at", "updated_at", "closed_at",
                 "value", "message", "device")


def incidents(db: Any, *, state: str | None = None, circuit: str | None = None,
              since: datetime | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Incidents, newest first."""
    where, args = ["1 = 1"], []
    for clause, value in (("state = ?", state), ("circuit = ?", circuit), ("since >= ?", _ts(since))):
        if value is not None:
            where.append(clause)
            args.append(value)
    rows = db.execute(f"SELECT {', '.join(INCIDENT_COLS)} FROM charging_incidents WHERE {' AND '.join(where)} "
                      "ORDER BY since DESC, id DESC LIMIT ?", args + [limit]).fetchall()
    return [dict(zip(INCIDENT_COLS, r)) for r in rows]
