"""The charging device's ``[[switches]]``: which relay feeds a circuit, and when to cut it (断电).

One entry per switched circuit or socket: *how* to switch it (``kind`` and the device's own
address, in its native API) and *when* (the policy).  Nothing is switched unless the entry says
``switchable = true``: lighting and shared sockets are listed, if at all, with ``switchable =
false`` and are never cut.  With no ``[[switches]]`` the device only measures, as before.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, Field, model_validator

from gwcommon.config import ClockTime, Duration, Section

from .config import Circuit, ModbusConfig


class SwitchPolicy(Section):
    """When the device cuts the circuit (shared by every kind of switch)."""

    circuit: Circuit = Field(description="Circuit (or socket) this relay feeds, as its [[meters]] entry names it.")
    switchable: bool = Field(False, description="True to let the device cut this circuit; false (lighting, shared sockets): never cut.")
    breaker_a: float | None = Field(None, ge=1, le=250, description="Breaker (空开) rating, A; with alarm_pct the overload cut level. Unset: no overload cut.")
    alarm_pct: float = Field(80, ge=10, le=200, description="Cut at once when the current reaches this % of breaker_a (the hub's load alarm level).")
    allowed_from: ClockTime | None = Field(None, description="Charging allowed from this local time (with allowed_until); a load outside is cut. Unset: any time.")
    allowed_until: ClockTime | None = Field(None, description="Charging allowed until this local time (may wrap midnight).")
    cut_when_full_after: Duration | None = Field(None, ge=timedelta(minutes=1), le=timedelta(hours=24),
                                                 description="Cut when a full battery has trickled (no charger active, in the trickle band) this long. Unset: never.")
    restore_full_after: Duration | None = Field(None, ge=timedelta(minutes=1), le=timedelta(hours=24),
                                                description="Switch a circuit cut for a full battery on again after this long. Unset: a warden restores it.")
    trickle_min_w: float = Field(3, ge=0, le=100, description="Lower edge of the trickle band (a full battery on its charger), W above baseline.")
    trickle_max_w: float = Field(15, ge=1, le=200, description="Upper edge of the trickle band, W above baseline.")
    no_charging: bool = Field(False, description="Stairwell or corridor: any charger-like load here is cut (flying-wire charging, 飞线充电).")
    no_charging_after: Duration = Field(timedelta(seconds=30), le=timedelta(hours=1),
                                        description="A charger-like load on a no_charging circuit is cut after this long.")
    charger_min_w: float = Field(40, ge=5, le=1000, description="Smallest power per load that looks like a charger, W.")
    charger_max_w: float = Field(450, ge=50, le=5000, description="Largest power per load that looks like a charger, W.")
    retry_after: Duration = Field(timedelta(seconds=5), ge=timedelta(seconds=1), le=timedelta(minutes=10),
                                  description="A switch that did not answer, or power still seen after a cut: command it again after this long.")
    timeout: float = Field(2.0, ge=0.1, le=10, description="Seconds to wait for the switch's answer (HTTP, Modbus).")

    @model_validator(mode="after")
    def _check(self) -> "SwitchPolicy":
        if (self.allowed_from is None) != (self.allowed_until is None):
            raise ValueError("set both allowed_from and allowed_until, or neither")
        if self.allowed_from is not None and self.allowed_from == self.allowed_until:
            raise ValueError("allowed_from and allowed_until are equal; leave both unset to allow any time")
        if self.trickle_min_w >= self.trickle_max_w or self.charger_min_w >= self.charger_max_w:
            raise ValueError("each band's minimum must be below its maximum")
        return self


Host = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.:\[\]-]+$")]
MqttName = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^#+\s]+$")]


class Shelly1HttpSwitch(SwitchPolicy):
    """A Shelly Gen1 relay over its HTTP API: ``GET http://<host>/relay/<n>?turn=off``."""

    kind: Literal["shelly1_http"] = Field(description="shelly1_http")
    host: Host = Field(description="The Shelly's address on the compound's network.")
    port: int = Field(80, ge=1, le=65535, description="HTTP port.")
    relay: int = Field(0, ge=0, le=3, description="Relay (channel) number.")


class Shelly1MqttSwitch(SwitchPolicy):
    """A Shelly Gen1 relay over MQTT: ``shellies/<id>/relay/<n>/command`` ``on``/``off``."""

    kind: Literal["shelly1_mqtt"] = Field(description="shelly1_mqtt")
    device_id: MqttName = Field(description="Device id as in its topics, e.g. shellyplug-s-7A2B3C.")
    relay: int = Field(0, ge=0, le=3, description="Relay (channel) number.")


class Shelly2HttpSwitch(SwitchPolicy):
    """A Shelly Gen2/Gen3 switch over HTTP RPC: ``POST http://<host>/rpc`` ``Switch.Set``."""

    kind: Literal["shelly2_http"] = Field(description="shelly2_http")
    host: Host = Field(description="The Shelly's address on the compound's network.")
    port: int = Field(80, ge=1, le=65535, description="HTTP port.")
    switch: int = Field(0, ge=0, le=3, description="Switch (channel) id.")


class Shelly2MqttSwitch(SwitchPolicy):
    """A Shelly Gen2/Gen3 switch over MQTT RPC: ``<prefix>/rpc`` ``Switch.Set``."""

    kind: Literal["shelly2_mqtt"] = Field(description="shelly2_mqtt")
    prefix: MqttName = Field(description="The device's MQTT topic prefix (its id by default).")
    switch: int = Field(0, ge=0, le=3, description="Switch (channel) id.")


class TasmotaSwitch(SwitchPolicy):
    """A Tasmota relay over MQTT: ``cmnd/<topic>/POWER`` ``ON``/``OFF``."""

    kind: Literal["tasmota"] = Field(description="tasmota")
    topic: MqttName = Field(description="The device's Topic (Tasmota's %topic%).")
    full_topic: str = Field("%prefix%/%topic%/", min_length=3, description="The device's FullTopic pattern.")
    relay: int = Field(0, ge=0, le=8, description="0: POWER (a one-relay device); n: POWERn on a multi-relay device.")


class EsphomeSwitch(SwitchPolicy):
    """An ESPHome switch over MQTT: ``<topic_prefix>/switch/<object_id>/command`` ``ON``/``OFF``."""

    kind: Literal["esphome"] = Field(description="esphome")
    topic_prefix: MqttName = Field(description="The node's mqtt topic_prefix.")
    object_id: MqttName = Field(description="object_id of the switch (its name in snake_case).")


class ModbusRelaySwitch(SwitchPolicy):
    """A Modbus relay board: coil ``coil`` of device ``address`` (write single coil, FC 05)."""

    kind: Literal["modbus"] = Field(description="modbus")
    bus: ModbusConfig = Field(default_factory=ModbusConfig, description="The relay board's bus (its own port, or a TCP gateway).")
    address: int = Field(1, ge=1, le=247, description="The board's Modbus address.")
    coil: int = Field(0, ge=0, le=255, description="Coil (relay) number on the board, from 0.")
    on_is: bool = Field(True, description="Coil value that powers the circuit (false for a normally-closed contact).")


SwitchConfig = Annotated[
    Union[Shelly1HttpSwitch, Shelly1MqttSwitch, Shelly2HttpSwitch, Shelly2MqttSwitch, TasmotaSwitch,
          EsphomeSwitch, ModbusRelaySwitch],
    Field(discriminator="kind"),
]
MQTT_SWITCHES = ("shelly1_mqtt", "shelly2_mqtt", "tasmota", "esphome")


def _one_per_circuit(switches: list) -> list:
    circuits = [s.circuit for s in switches]
    dupes = sorted({c for c in circuits if circuits.count(c) > 1})
    if dupes:
        raise ValueError(f"each circuit has at most one switch; repeated: {', '.join(dupes)}")
    return switches


Switches = Annotated[list[SwitchConfig], AfterValidator(_one_per_circuit)]
