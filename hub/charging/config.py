"""The hub's charging config: ``[[circuits]]`` (one per metered circuit) and ``[rules.charging]``."""

from __future__ import annotations

from datetime import timedelta

from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from gwcommon.config import ClockTime, Duration, Section, repeated


class CircuitConfig(Section):
    """One circuit (线路) with a meter: the shed's sockets, or a corridor's lights and plugs."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$",
                      description="Circuit name as the charging device reports it (its [[meters]] circuit).")
    label: str = Field("", max_length=64, description="Name shown to people, e.g. 充电棚A路 or 3号楼2单元楼道.")
    breaker_a: float = Field(16.0, ge=1, le=250, description="Rated current of the circuit's breaker (空开), A.")
    ports: int = Field(0, ge=0, le=64, description="1 when the meter sees a single socket (a smart plug); 0 for a shared circuit.")
    part_of: str | None = Field(None, min_length=1, max_length=64,
                                description="For a socket with its own meter on a circuit that has one too: that circuit's name. "
                                            "The bill-sharing table shows the socket's kWh under the circuit, counted once.")
    baseline_w: float = Field(0.0, ge=0, le=5000, description="Power the circuit draws with no charger (lights, a fan), W.")
    no_charging: bool = Field(False, description="True for stairwells and corridors: any charger-like load there is flying-wire charging (飞线充电).")
    allowed_from: ClockTime | None = Field(None, description="Charging allowed from this local time (with allowed_until); unset: any time.")
    allowed_until: ClockTime | None = Field(None, description="Charging allowed until this local time (may be after midnight's wrap, e.g. 06:00).")
    silent_after: Duration | None = Field(None, description="This circuit's own silence limit; [rules.charging] silent_after when unset.")

    @model_validator(mode="after")
    def _window(self) -> "CircuitConfig":
        if (self.allowed_from is None) != (self.allowed_until is None):
            raise ValueError("set both allowed_from and allowed_until, or neither")
        if self.allowed_from is not None and self.allowed_from == self.allowed_until:
            raise ValueError("allowed_from and allowed_until are equal; leave both unset to allow any time")
        return self

    @property
    def display(self) -> str:
        return self.label or self.name


class ChargingRulesConfig(Section):
    """Thresholds of the charging rules (defaults from research/charging_anchors.md)."""

    load_warn_pct: float = Field(70, ge=10, le=200, description="Load warning at this % of the breaker rating.")
    load_alarm_pct: float = Field(80, ge=10, le=200, description="Load alarm at this % of the breaker rating.")
    load_critical_pct: float = Field(100, ge=10, le=300, description="Critical load at this % of the breaker rating.")
    load_clear_after: Duration = Field(timedelta(minutes=2), le=timedelta(hours=1),
                                       description="A load incident closes after this long below 95 % of the warning level.")
    session_warn: Duration = Field(timedelta(hours=8), ge=timedelta(minutes=10), description="Warn when one charge lasts longer.")
    session_alarm: Duration = Field(timedelta(hours=12), ge=timedelta(minutes=10), description="Alarm when one charge lasts longer.")
    port_warn_w: float = Field(400, ge=50, le=10000, description="Warn when one socket/charger draws more (a modified charger or a heater).")
    port_alarm_w: float = Field(1100, ge=50, le=10000, description="Alarm when one socket/charger draws more.")
    trickle_min_w: float = Field(3, ge=0, le=100, description="Lower edge of the trickle band (a full battery still plugged in), W above baseline.")
    trickle_max_w: float = Field(15, ge=1, le=200, description="Upper edge of the trickle band, W above baseline.")
    full_after: Duration = Field(timedelta(hours=2), ge=timedelta(minutes=5), description="Warn when a circuit stays in the trickle band this long (full but still plugged).")
    outside_grace: Duration = Field(timedelta(minutes=5), le=timedelta(hours=2), description="Charging outside the allowed hours for this long raises the incident.")
    flying_wire_after: Duration = Field(timedelta(minutes=3), le=timedelta(hours=1), description="A charger-like load on a no_charging circuit for this long raises the alarm.")
    charger_min_w: float = Field(40, ge=5, le=1000, description="Smallest power per load that looks like a charger.")
    charger_max_w: float = Field(450, ge=50, le=5000, description="Largest power per load that looks like a charger.")
    silent_after: Duration = Field(timedelta(minutes=5), ge=timedelta(minutes=2), le=timedelta(days=1),
                                   description="No charging event from a circuit for this long (hub clock): the meter is silent.")
    tariff_yuan_per_kwh: float | None = Field(None, ge=0, le=20,
                                              description="Electricity price for the monthly bill-sharing table (电费分摊表), yuan per kWh; unset: kWh and shares only.")

    @model_validator(mode="after")
    def _ordered(self) -> "ChargingRulesConfig":
        if not self.load_warn_pct <= self.load_alarm_pct <= self.load_critical_pct:
            raise ValueError("load_warn_pct ≤ load_alarm_pct ≤ load_critical_pct is required")
        if self.session_warn > self.session_alarm or self.port_warn_w > self.port_alarm_w:
            raise ValueError("warning thresholds must not exceed alarm thresholds")
        if self.trickle_min_w >= self.trickle_max_w or self.charger_min_w >= self.charger_max_w:
            raise ValueError("each band's minimum must be below its maximum")
        return self


def _unique(circuits: list[CircuitConfig]) -> list[CircuitConfig]:
    names = [c.name for c in circuits]
    dupes = repeated(names)
    if dupes:
        raise ValueError(f"circuit names must be unique; repeated: {', '.join(dupes)}")
    parents = {c.name: c.part_of for c in circuits if c.part_of is not None}
    for name, parent in sorted(parents.items()):
        if parent not in names or parent == name:
            raise ValueError(f"circuit {name}: part_of = {parent!r} names no other [[circuits]] entry")
        if parent in parents:
            raise ValueError(f"circuit {name}: part_of = {parent!r} is itself part of {parents[parent]!r}; "
                             "a socket belongs to a circuit, not to another socket")
    return circuits


Circuits = Annotated[list[CircuitConfig], AfterValidator(_unique)]
