"""E-bike charging safety rules (充电安全规则), per circuit: pure functions, no I/O.

``(state, observation, limits) → (state, changes)``.  Each rule keeps at most one open incident
per circuit; a change opens it, raises its level (warn → alarm → critical; never lowers it while
open) or closes it.  Rules, by code:

* ``overload`` — current vs the breaker rating: warn 70 %, alarm 80 %, critical 100 %; closes after
  ``load_clear_after`` below 95 % of the warning level.
* ``long_charge`` — one charge longer than 8 h (warn) or 12 h (alarm).  The hub sees only the
  circuit's ``loads``; sessions are matched first-in first-out (a rise opens sessions, a fall
  closes the oldest) — exact for one-socket meters (``ports = 1``).
* ``port_overpower`` — one socket over 400 W (warn) or 1100 W (alarm): the power itself on a
  one-socket meter; on a shared circuit the power added per new load when ``loads`` rises.
* ``full_plugged`` — no load, power in the trickle band (3–15 W above baseline) for 2 h: a full
  battery still plugged in (充满未拔).
* ``outside_hours`` — loads outside the circuit's allowed hours for ``outside_grace``.
* ``flying_wire`` — a charger-like load (40–450 W per load) on a ``no_charging`` circuit for
  ``flying_wire_after`` (飞线充电): alarm.
* ``meter_silent`` — no charging event for ``silent_after`` (the hub's wall clock, see
  :func:`on_silence`); ``meter_unreadable`` — the device's ``sensor_unreadable`` fault.

Event-driven rules use the events' own ``ts`` (event time), so a replay decides the same; an event
older than the newest one seen for the circuit changes nothing (it is counted in ``stale``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gwcommon import catalogue
from gwcommon.timefmt import parse_ts
from hub.core import glossary

LEVELS = ("info", "warn", "alarm", "critical")
RULES = ("overload", "long_charge", "port_overpower", "full_plugged", "outside_hours", "flying_wire",
         "meter_silent", "meter_unreadable")


@dataclass(frozen=True)
class Limits:
    """One circuit's configuration and the rule thresholds, flattened (built from config)."""

    circuit: str
    label: str = ""
    breaker_a: float = 16.0
    ports: int = 0
    baseline_w: float = 0.0
    no_charging: bool = False
    allowed: tuple[time, time] | None = None
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")
    load_pct: tuple[float, float, float] = (70.0, 80.0, 100.0)
    load_clear_after: timedelta = timedelta(minutes=2)
    session: tuple[timedelta, timedelta] = (timedelta(hours=8), timedelta(hours=12))
    port_w: tuple[float, float] = (400.0, 1100.0)
    trickle_w: tuple[float, float] = (3.0, 15.0)
    full_after: timedelta = timedelta(hours=2)
    outside_grace: timedelta = timedelta(minutes=5)
    flying_wire_after: timedelta = timedelta(minutes=3)
    charger_w: tuple[float, float] = (40.0, 450.0)
    silent_after: timedelta = timedelta(minutes=5)

    @property
    def name(self) -> str:
        return self.label or self.circuit


@dataclass(frozen=True)
class Observation:
    """One charging event, as the rules need it."""

    ts: datetime
    power_w: float
    current_a: float
    loads: int
    voltage_v: float | None = None
    energy_wh: float | None = None


@dataclass(frozen=True)
class Incident:
    """An open incident of one rule on the circuit."""

    rule: str
    level: str
    since: datetime
    value: float | None = None


@dataclass(frozen=True)
class Change:
    """What to record: an incident opened, raised to a higher level, or closed."""

    circuit: str
    rule: str
    action: str  # open | raise | close
    level: str
    ts: datetime
    since: datetime
    value: float | None
    message: str
    words: dict[str, Any] | None = None  # the message as facts (gwcommon.catalogue.words), for any language


@dataclass(frozen=True)
class CircuitState:
    """What the rules remember about one circuit."""

    circuit: str
    last: Observation | None = None
    sessions: tuple[datetime, ...] = ()
    load_low_since: datetime | None = None
    trickle_since: datetime | None = None
    outside_since: datetime | None = None
    flying_since: datetime | None = None
    port_suspect_w: float | None = None
    incidents: tuple[Incident, ...] = ()
    stale: int = 0

    def open(self, rule: str) -> Incident | None:
        return next((i for i in self.incidents if i.rule == rule), None)


Result = tuple[CircuitState, list[Change]]


def _rank(level: str) -> int:
    return LEVELS.index(level)


def settle(state: CircuitState, rule: str, level: str | None, ts: datetime, limits: Limits,
           *, since: datetime | None = None, value: float | None = None) -> Result:
    """Open, raise or close ``rule``'s incident so that it matches ``level`` (None: closed)."""
    current = state.open(rule)
    others = tuple(i for i in state.incidents if i.rule != rule)
    if level is None:
        if current is None:
            return state, []
        said = words(rule, "close", limits, value, current.since, ts)
        change = Change(state.circuit, rule, "close", current.level, ts, current.since, value,
                        catalogue.say(said, "zh"), said)
        return replace(state, incidents=others), [change]
    if current is not None and _rank(level) <= _rank(current.level):
        return state, []
    start = current.since if current else (since or ts)
    action = "raise" if current else "open"
    opened = Incident(rule, level, start, value)
    said = words(rule, level, limits, value, start, ts)
    change = Change(state.circuit, rule, action, level, ts, start, value, catalogue.say(said, "zh"), said)
    return replace(state, incidents=others + (opened,)), [change]


def on_charging(state: CircuitState, obs: Observation, limits: Limits) -> Result:
    """Every event-time rule, for one new charging event of the circuit."""
    if state.last is not None and obs.ts < state.last.ts:
        return replace(state, stale=state.stale + 1), []
    changes: list[Change] = []
    state, prev = replace(state, sessions=_sessions(state, obs)), state.last
    for rule in (_meter_back, _overload, _long_charge, _port, _full, _outside, _flying):
        state, more = rule(state, obs, limits, prev)
        changes += more
    return replace(state, last=obs), changes


def _sessions(state: CircuitState, obs: Observation) -> tuple[datetime, ...]:
    sessions = state.sessions
    if obs.loads > len(sessions):
        return sessions + (obs.ts,) * (obs.loads - len(sessions))
    return sessions[len(sessions) - obs.loads:]


def _meter_back(state: CircuitState, obs: Observation, limits: Limits, prev) -> Result:
    state, closed = settle(state, "meter_silent", None, obs.ts, limits)
    state, more = settle(state, "meter_unreadable", None, obs.ts, limits)
    return state, closed + more


def _overload(state: CircuitState, obs: Observation, limits: Limits, prev) -> Result:
    pct = 100.0 * obs.current_a / limits.breaker_a
    warn, alarm, critical = limits.load_pct
    level = "critical" if pct >= critical else "alarm" if pct >= alarm else "warn" if pct >= warn else None
    if level is not None:
        return settle(replace(state, load_low_since=None), "overload", level, obs.ts, limits, value=obs.current_a)
    if state.open("overload") is None:
        return replace(state, load_low_since=None), []
    if pct >= 0.95 * warn:
        return replace(state, load_low_since=None), []
    low = state.load_low_since or obs.ts
    if obs.ts - low < limits.load_clear_after:
        return replace(state, load_low_since=low), []
    return settle(replace(state, load_low_since=None), "overload", None, obs.ts, limits, value=obs.current_a)


def _long_charge(state: CircuitState, obs: Observation, limits: Limits, prev) -> Result:
    if not state.sessions:
        return settle(state, "long_charge", None, obs.ts, limits)
    oldest = state.sessions[0]
    age = obs.ts - oldest
    warn, alarm = limits.session
    level = "alarm" if age >= alarm else "warn" if age >= warn else None
    current = state.open("long_charge")
    if level is None or (current is not None and current.since != oldest):
        state, closed = settle(state, "long_charge", None, obs.ts, limits)
        if level is None:
            return state, closed
        state, opened = settle(state, "long_charge", level, obs.ts, limits, since=oldest, value=age.total_seconds())
        return state, closed + opened
    return settle(state, "long_charge", level, obs.ts, limits, since=oldest, value=age.total_seconds())


def _port(state: CircuitState, obs: Observation, limits: Limits, prev) -> Result:
    warn, alarm = limits.port_w
    if limits.ports == 1:
        level = "alarm" if obs.power_w > alarm else "warn" if obs.power_w > warn else None
        if level is None and state.open("port_overpower") and obs.power_w > 0.9 * warn:
            return state, []
        return settle(state, "port_overpower", level, obs.ts, limits, value=obs.power_w)
    if obs.loads == 0:
        return settle(replace(state, port_suspect_w=None), "port_overpower", None, obs.ts, limits)
    if prev is not None and obs.loads > prev.loads:
        per = (obs.power_w - prev.power_w) / (obs.loads - prev.loads)
        level = "alarm" if per > alarm else "warn" if per > warn else None
        if level is not None:
            state = replace(state, port_suspect_w=per)
            return settle(state, "port_overpower", level, obs.ts, limits, value=per)
    suspect = state.port_suspect_w
    if prev is not None and suspect and obs.loads < prev.loads and prev.power_w - obs.power_w >= 0.8 * suspect:
        return settle(replace(state, port_suspect_w=None), "port_overpower", None, obs.ts, limits)
    return state, []


def _full(state: CircuitState, obs: Observation, limits: Limits, prev) -> Result:
    low, high = limits.trickle_w
    extra = obs.power_w - limits.baseline_w
    if obs.loads != 0 or not low <= extra <= high:
        return settle(replace(state, trickle_since=None), "full_plugged", None, obs.ts, limits)
    since = state.trickle_since or obs.ts
    state = replace(state, trickle_since=since)
    if obs.ts - since < limits.full_after:
        return state, []
    return settle(state, "full_plugged", "warn", obs.ts, limits, since=since, value=extra)


def allowed_now(limits: Limits, moment: datetime) -> bool:
    """Whether charging is allowed at ``moment`` (local time of the site)."""
    if limits.allowed is None:
        return True
    start, end = limits.allowed
    local = moment.astimezone(limits.tz).time()
    return start <= local < end if start < end else (local >= start or local < end)


def _outside(state: CircuitState, obs: Observation, limits: Limits, prev) -> Result:
    if obs.loads == 0 or allowed_now(limits, obs.ts) or limits.no_charging:
        return settle(replace(state, outside_since=None), "outside_hours", None, obs.ts, limits)
    since = state.outside_since or obs.ts
    state = replace(state, outside_since=since)
    if obs.ts - since < limits.outside_grace:
        return state, []
    return settle(state, "outside_hours", "warn", obs.ts, limits, since=since, value=float(obs.loads))


def _flying(state: CircuitState, obs: Observation, limits: Limits, prev) -> Result:
    if not limits.no_charging:
        return state, []
    per = (obs.power_w - limits.baseline_w) / obs.loads if obs.loads else 0.0
    low, high = limits.charger_w
    if not low <= per <= high:
        return settle(replace(state, flying_since=None), "flying_wire", None, obs.ts, limits)
    since = state.flying_since or obs.ts
    state = replace(state, flying_since=since)
    if obs.ts - since < limits.flying_wire_after:
        return state, []
    return settle(state, "flying_wire", "alarm", obs.ts, limits, since=since, value=per)


def on_fault(state: CircuitState, active: bool, ts: datetime, limits: Limits) -> Result:
    """The device's ``sensor_unreadable`` fault for this circuit's meter, raised or cleared."""
    return settle(state, "meter_unreadable", "warn" if active else None, ts, limits)


def on_silence(state: CircuitState, last_heard: datetime, now: datetime, limits: Limits) -> Result:
    """Called on the hub's tick with its wall clock: a meter silent for ``silent_after``."""
    if now - last_heard < limits.silent_after or state.open("meter_silent"):
        return state, []
    return settle(state, "meter_silent", "warn", now, limits, since=last_heard,
                  value=(now - last_heard).total_seconds())


# The incidents' sentences, part of the one catalogue (gwcommon.catalogue, keys chgtext.*).  An
# incident is stored with its facts (rule, level, value, times) and its Chinese sentence (the
# record); :func:`words` keeps the sentence as facts and :func:`incident_text` words a stored
# incident again in the reader's language.
WORDS: dict[str, tuple[str, str]] = {
    "line": ("[{level}] {text}", "[{level}] {text}"),
    "level.info": ("提示", "info"), "level.warn": ("预警", "warning"), "level.alarm": ("告警", "alarm"),
    "level.critical": ("严重", "critical"),
    "hours": ("{h}小时{m}分", "{h} h {m} min"), "minutes": ("{m}分钟", "{m} min"),
    "close": ("{name}：{title}已解除（持续{span}）", "{name}: {title} is over (lasted {span})"),
    "overload": ("{name}：电流 {amps:.1f} A，达到空开额定 {breaker:g} A 的 {pct:.0f}%",
                 "{name}: current {amps:.1f} A, {pct:.0f}% of the {breaker:g} A breaker"),
    "long_charge": ("{name}：有一路充电已持续 {span}（超过 {limit}）",
                    "{name}: one charge has gone on for {span} (more than {limit})"),
    "port_overpower": ("{name}：单个充电负载约 {watts:.0f} W（超过 {limit:.0f} W），可能是改装充电器或其他电器",
                       "{name}: one load draws about {watts:.0f} W (more than {limit:.0f} W): a modified charger "
                       "or another appliance"),
    "full_plugged": ("{name}：电池似已充满（约 {watts:.0f} W 涓流）仍插着，已 {span}",
                     "{name}: a battery seems full (a trickle of about {watts:.0f} W) and is still plugged in, "
                     "for {span}"),
    "outside_hours": ("{name}：在允许充电时段以外仍在充电（{loads} 路），已 {span}",
                      "{name}: charging outside the allowed hours ({loads} load(s)), for {span}"),
    "flying_wire": ("{name}：禁止充电的线路上检测到疑似电动车充电（约 {watts:.0f} W），疑似飞线充电",
                    "{name}: an e-bike charger seems to draw about {watts:.0f} W on a no-charging circuit: "
                    "suspected flying-wire charging"),
    "meter_silent": ("{name}：电表 {span} 没有数据", "{name}: no data from the meter for {span}"),
    "meter_unreadable": ("{name}：电表无法读取", "{name}: the meter cannot be read"),
}
catalogue.contribute("charging incidents", WORDS, prefix="chgtext.")


def _hm(span: timedelta) -> dict[str, Any]:
    minutes = int(span.total_seconds() // 60)
    if minutes >= 60:
        return catalogue.words("chgtext.hours", h=minutes // 60, m=minutes % 60)
    return catalogue.words("chgtext.minutes", m=minutes)


def words(rule: str, level: str, limits: Limits, value: float | None, since: datetime, ts: datetime) -> dict[str, Any]:
    """The incident's sentence as facts (:func:`gwcommon.catalogue.words`); ``level`` ``close`` for
    the line that says it is over."""
    name, v = limits.name, value or 0.0
    if level == "close":
        return catalogue.words("chgtext.close", name=name, span=_hm(ts - since),
                               title=catalogue.words("chg.rule." + rule) if rule in _TITLES else rule)
    values: dict[str, dict[str, Any]] = {
        "overload": dict(amps=v, breaker=limits.breaker_a, pct=100 * v / limits.breaker_a),
        "long_charge": dict(span=_hm(timedelta(seconds=v)), limit=_hm(limits.session[0])),
        "port_overpower": dict(watts=v, limit=limits.port_w[0]),
        "full_plugged": dict(watts=v, span=_hm(ts - since)),
        "outside_hours": dict(loads=int(v), span=_hm(ts - since)),
        "flying_wire": dict(watts=v),
        "meter_silent": dict(span=_hm(timedelta(seconds=v))),
        "meter_unreadable": {},
    }
    text = catalogue.words("chgtext." + rule, name=name, **values[rule]) if rule in values else rule
    return catalogue.words("chgtext.line", level=catalogue.words("chgtext.level." + level), text=text)


def incident_text(incident: dict[str, Any], limits: Limits, lang: str) -> str:
    """A stored incident (a row of ``charging_incidents``) worded again in ``lang`` from its facts
    (the circuit's thresholds from today's config); its stored sentence when the rule is unknown."""
    if (incident.get("rule") not in RULES or incident.get("level") not in LEVELS
            or (incident.get("value") is None and incident["rule"] != "meter_unreadable")):
        return str(incident.get("message") or "")
    try:
        since = parse_ts(incident["since"])
    except ValueError:
        return str(incident.get("message") or "")
    try:
        at = parse_ts(incident.get("opened_at") or "")
    except ValueError:
        at = since
    return catalogue.say(words(incident["rule"], incident["level"], limits, incident.get("value"), since, at),
                         lang, fallback=str(incident.get("message") or ""))


_TITLES = {rule: zh for rule, (zh, _) in glossary.CHARGING_RULES.items()}  # one word each (hub/core/glossary.py)
TITLES = dict(_TITLES)
