"""Overnight-rule scenarios: a TOML file describes a night, two back ends play it.

Format (see any ``*.toml`` next to this file)::

    name = "..."                       # what the scenario shows
    start = "2026-03-09T19:00:00+08:00"  # the hub's wall clock when it starts; devices report from then
    [config]                           # hub config overrides (zones, rules.overnight, hub.offline_after)
    [[registry]]                       # residents: plate, household, tag (";"-separated), owner, mobile
    [[devices]]                        # id, kind (gate | lane); each says online and beats at start
    [[steps]]                          # delivered in file order; ``at`` is the event time
      at = "..."; device = "gate-n"; passage = {lane, direction, tag, passed = true}
      at = "..."; device = "lane-e"; presence = {zone, tag | slot, present}
      at = "..."; heartbeat = "all" | ["gate-n", ...]     # devices report their watermark at ``at``
      at = "..."; status = {device = "gate-n", online = false}
      at = "..."; warden = {action = "register" | "clear", plate | zone + slot}
      repeat = 2                        # deliver the same message again (duplicate)
    [[expect]]                          # every violation at the end (none listed: none expected)
      plate | key, rule = "overnight", deadline = "...", state = "open", provisional = false,
      history = ["open", "retracted"]   # states in the order the diary recorded them (optional)

Event seqs are numbered per device in event-time order (as the edge numbers them); a heartbeat's
``last_seq`` counts the device's events with ``at`` up to the heartbeat and ``outbox`` those not
yet delivered.  The hub's wall clock follows the steps' ``at`` (never back).

:class:`Rig` plays deliveries through the hub's real ingest, device book, site clock and the
overnight area in-process (no MQTT, no threads) — fast enough for hypothesis;
:func:`run_hub` plays them through a real Mosquitto and a started hub.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from gwcommon.timefmt import format_ts, parse_ts

HERE = Path(__file__).resolve().parent
DEFAULT_CONFIG = {"hub": {"offline_after": "1d"},
                  "zones": [{"name": "east-strip", "kind": "night"},
                            {"name": "fire-lane", "kind": "never", "grace": "10m"}]}


@dataclass(frozen=True)
class Delivery:
    """One message as it reaches the hub: an event, heartbeat, status or warden action."""

    index: int
    at: datetime
    kind: str  # passage | presence | heartbeat | status | warden
    device: str | None
    body: dict[str, Any]


@dataclass
class Scenario:
    path: Path
    name: str
    start: datetime
    config: dict[str, Any]
    registry: list[dict[str, str]]
    devices: list[dict[str, str]]
    deliveries: list[Delivery]
    expect: list[dict[str, Any]]
    invariant: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def when(text: str) -> datetime:
    return parse_ts(text).astimezone(timezone.utc)


def load(path: Path) -> Scenario:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    config = json.loads(json.dumps(DEFAULT_CONFIG))
    for section, values in data.get("config", {}).items():
        if isinstance(values, dict) and isinstance(config.get(section), dict):
            config[section] = {**config[section], **values}
        else:
            config[section] = values
    devices = data.get("devices", [])
    return Scenario(path, data["name"], when(data["start"]), config, data.get("registry", []), devices,
                    _deliveries(data.get("steps", []), devices), data.get("expect", []),
                    invariant=data.get("invariant", True))


def _deliveries(steps: list[dict[str, Any]], devices: list[dict[str, str]]) -> list[Delivery]:
    events = [(when(s["at"]), i) for i, s in enumerate(steps) if "passage" in s or "presence" in s]
    seqs: dict[int, int] = {}
    counters: dict[str, int] = {}
    for _, i in sorted(events):
        device = steps[i]["device"]
        counters[device] = counters.get(device, 0) + 1
        seqs[i] = counters[device]
    out: list[Delivery] = []
    delivered: set[int] = set()
    for i, step in enumerate(steps):
        at = when(step["at"])
        for _ in range(int(step.get("repeat", 1))):
            out.extend(_step(i, at, step, steps, seqs, delivered, devices))
        delivered.add(i)
    return out


def _step(i, at, step, steps, seqs, delivered, devices) -> list[Delivery]:
    if "passage" in step:
        body = {"id": f"{step['device']}:{seqs[i]}", "ts": format_ts(at), "seq": seqs[i], "v": 1, "rssi": None,
                "decision": "open", "reason": "allowlisted", "passed": True, **step["passage"]}
        return [Delivery(i, at, "passage", step["device"], body)]
    if "presence" in step:
        body = {"id": f"{step['device']}:{seqs[i]}", "ts": format_ts(at), "seq": seqs[i], "v": 1, "rssi": None,
                "tag": None, **step["presence"]}
        return [Delivery(i, at, "presence", step["device"], body)]
    if "heartbeat" in step:
        names = [d["id"] for d in devices] if step["heartbeat"] == "all" else step["heartbeat"]
        return [Delivery(i, at, "heartbeat", name, _beat(name, at, steps, seqs, delivered)) for name in names]
    if "status" in step:
        status = dict(step["status"])
        device = status.pop("device")
        kind = next((d["kind"] for d in devices if d["id"] == device), None)
        body = {"online": True, "kind": kind, "version": "test", "ts": format_ts(at)} if status.get("online") \
            else {"online": False}
        return [Delivery(i, at, "status", device, body)]
    if "warden" in step:
        return [Delivery(i, at, "warden", None, dict(step["warden"]))]
    raise ValueError(f"step {i + 1} has nothing to deliver: {step}")


def _beat(name, at, steps, seqs, delivered) -> dict[str, Any]:
    mine = [i for i in seqs if steps[i]["device"] == name and when(steps[i]["at"]) <= at]
    last = max((seqs[i] for i in mine), default=0)
    return {"ts": format_ts(at), "last_seq": last, "outbox": sum(1 for i in mine if i not in delivered)}


def initial(scenario: Scenario) -> list[Delivery]:
    """What every device says at the start: online, and a heartbeat at the start time."""
    out = []
    for d in scenario.devices:
        out.append(Delivery(-1, scenario.start, "status", d["id"],
                            {"online": True, "kind": d["kind"], "version": "test", "ts": format_ts(scenario.start)}))
        out.append(Delivery(-1, scenario.start, "heartbeat", d["id"],
                            {"ts": format_ts(scenario.start), "last_seq": 0, "outbox": 0}))
    return out


def final_beats(scenario: Scenario) -> list[Delivery]:
    """Every device back online and reporting at the end (after every event was delivered)."""
    end = max([d.at for d in scenario.deliveries] + [scenario.start])
    total: dict[str, int] = {}
    for d in scenario.deliveries:
        if d.kind in ("passage", "presence"):
            total[d.device] = max(total.get(d.device, 0), d.body["seq"])
    out = []
    for dev in scenario.devices:
        out.append(Delivery(-2, end, "status", dev["id"], {"online": True, "kind": dev["kind"], "version": "test",
                                                           "ts": format_ts(end)}))
        out.append(Delivery(-2, end, "heartbeat", dev["id"],
                            {"ts": format_ts(end), "last_seq": total.get(dev["id"], 0), "outbox": 0}))
    return out


def registry_rows(scenario: Scenario):
    from hub.registry.csvfile import VehicleRow

    return [VehicleRow(n + 2, r["plate"], r["household"], r.get("owner", ""), r.get("mobile", ""), "",
                       tuple(t for t in r.get("tag", "").split(";") if t)) for n, r in enumerate(scenario.registry)]


def outcome_of(rows: list[dict[str, Any]]) -> set[tuple]:
    """Final violations as comparable tuples (key, rule, deadline, state, provisional)."""
    return {(r["key"], r["rule"], format_ts(parse_ts(r["deadline"])), r["state"], bool(r["provisional"]))
            for r in rows}


def expected(scenario: Scenario) -> set[tuple]:
    out = set()
    for e in scenario.expect:
        key = e.get("key") or f"plate:{e['plate']}"
        out.add((key, e.get("rule", "overnight"), format_ts(when(e["deadline"])), e.get("state", "open"),
                 bool(e.get("provisional", False))))
    return out


def histories(db_rows: list[dict[str, Any]], diary_rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The states each violation went through, from the diary, keyed like ``expected``."""
    by_id = {r["id"]: (r["key"], r["rule"], format_ts(parse_ts(r["deadline"]))) for r in db_rows}
    out: dict[tuple, list[str]] = {}
    for line in diary_rows:
        if line["violation_id"] in by_id and line["kind"].startswith("violation_"):
            out.setdefault(by_id[line["violation_id"]], []).append(line["kind"][len("violation_"):])
    return out


def check(scenario: Scenario, rows: list[dict[str, Any]], diary_rows: list[dict[str, Any]]) -> None:
    got, want = outcome_of(rows), expected(scenario)
    assert got == want, f"{scenario.path.name}: violations differ\n  got:  {sorted(got)}\n  want: {sorted(want)}"
    seen = histories(rows, diary_rows)
    for e in scenario.expect:
        if "history" in e:
            key = (e.get("key") or f"plate:{e['plate']}", e.get("rule", "overnight"), format_ts(when(e["deadline"])))
            assert seen.get(key) == e["history"], f"{scenario.path.name}: history of {key} is {seen.get(key)}"


def all_scenarios() -> list[Path]:
    return sorted(HERE.glob("*.toml"))
