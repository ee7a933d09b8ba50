"""The charging device's config: ``[charging]``, its ``[charging.modbus]`` bus and ``[[meters]]``.

Every meter names the circuit (线路) it measures; one circuit has exactly one meter.  Kinds:
``pzem`` (PZEM-004T v3 on the Modbus bus, by address), ``ct`` (a CT clamp on an MCP3008
channel), ``tasmota``, ``esphome``, ``shelly1`` (Gen1) and ``shelly2`` (Gen2/Gen3) over MQTT on
the compound's broker, and ``simulated`` (the demo's chargers).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, Field

from gwcommon.config import Duration, Section

Circuit = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class ModbusConfig(Section):
    """The RS-485 bus the PZEM-004T meters share (or a Modbus gateway reached over TCP)."""

    transport: Literal["serial", "tcp"] = Field(
        "serial", description="serial: a UART or USB-RS485 adapter on this Pi; tcp: an RS485-to-Ethernet gateway.")
    port: str = Field("/dev/ttyAMA0", min_length=1, description="Serial device (transport = serial), e.g. /dev/ttyUSB0.")
    baudrate: int = Field(9600, ge=1200, le=115200, description="Serial speed; PZEM-004T v3 talks 9600 8N1.")
    host: str = Field("127.0.0.1", min_length=1, description="Gateway host (transport = tcp).")
    tcp_port: int = Field(502, ge=1, le=65535, description="Gateway TCP port (transport = tcp).")
    framer: Literal["rtu", "socket"] = Field(
        "rtu", description="rtu: RTU frames (serial, and transparent RS485 gateways); socket: Modbus-TCP gateways.")
    timeout: float = Field(0.5, ge=0.05, le=10, description="Seconds to wait for one meter's answer.")


class PzemMeter(Section):
    """A PZEM-004T v3 (100 A CT version) on the Modbus bus."""

    kind: Literal["pzem"] = Field(description="pzem")
    circuit: Circuit = Field(description="Circuit this meter measures, as the hub's [[circuits]] name it.")
    address: int = Field(1, ge=1, le=247, description="Modbus address set on the meter (1..247; give each meter its own).")


class CtMeter(Section):
    """A current transformer clamp read through an MCP3008 ADC (apparent power only)."""

    kind: Literal["ct"] = Field(description="ct")
    circuit: Circuit = Field(description="Circuit this clamp is on.")
    channel: int = Field(0, ge=0, le=7, description="MCP3008 channel the clamp's burden resistor is wired to.")
    spi_device: int = Field(0, ge=0, le=1, description="SPI chip select (CE0 = 0, CE1 = 1).")
    amps_per_volt: float = Field(30.0, gt=0, le=1000, description="Clamp ratio: RMS amperes per RMS volt at the ADC (SCT-013-030: 30).")
    voltage_v: float = Field(220.0, ge=90, le=260, description="Nominal mains voltage used for apparent power.")
    samples: int = Field(400, ge=20, le=20000, description="ADC samples per reading (cover at least 10 mains cycles).")
    noise_floor_a: float = Field(0.05, ge=0, le=5, description="Currents below this read as zero (clamp noise).")


class TasmotaMeter(Section):
    """A Tasmota plug or PZEM node: ``tele/<topic>/SENSOR`` with an ENERGY object."""

    kind: Literal["tasmota"] = Field(description="tasmota")
    circuit: Circuit = Field(description="Circuit this device measures.")
    topic: str = Field(min_length=1, max_length=64, description="The device's Topic (Tasmota's %topic%).")
    full_topic: str = Field("%prefix%/%topic%/", min_length=3, description="The device's FullTopic pattern.")
    channel: int = Field(0, ge=0, le=7, description="Index into ENERGY arrays on multi-channel devices.")
    stale_after: Duration = Field(timedelta(seconds=35), description="No SENSOR message for this long: the meter counts as unreadable (3 × TelePeriod + 5 s).")


class EsphomeMeter(Section):
    """An ESPHome node: ``<topic_prefix>/sensor/<object_id>/state`` plain numbers."""

    kind: Literal["esphome"] = Field(description="esphome")
    circuit: Circuit = Field(description="Circuit this node's sensors measure.")
    topic_prefix: str = Field(min_length=1, max_length=128, description="The node's mqtt topic_prefix.")
    power: str = Field("power", min_length=1, description="object_id of the power sensor (W).")
    current: str = Field("current", description="object_id of the current sensor (A); empty if none.")
    voltage: str = Field("voltage", description="object_id of the voltage sensor (V); empty if none.")
    energy: str = Field("energy", description="object_id of the energy sensor (Wh); empty if none.")
    stale_after: Duration = Field(timedelta(seconds=30), description="No power message for this long: unreadable.")


class Shelly1Meter(Section):
    """A Shelly Gen1 plug: ``shellies/<id>/relay/<n>/power`` (W) and ``…/energy`` (watt-minutes)."""

    kind: Literal["shelly1"] = Field(description="shelly1")
    circuit: Circuit = Field(description="Circuit (socket) this plug feeds.")
    device_id: str = Field(min_length=1, max_length=64, description="Device id as in its topics, e.g. shellyplug-s-7A2B3C.")
    relay: int = Field(0, ge=0, le=3, description="Relay (channel) number.")
    stale_after: Duration = Field(timedelta(seconds=70), description="No power message for this long: unreadable.")


class Shelly2Meter(Section):
    """A Shelly Gen2/Gen3 device: ``<prefix>/status/switch:<n>`` JSON (generic status updates on)."""

    kind: Literal["shelly2"] = Field(description="shelly2")
    circuit: Circuit = Field(description="Circuit (socket) this switch feeds.")
    prefix: str = Field(min_length=1, max_length=128, description="The device's MQTT topic prefix (its id by default).")
    switch: int = Field(0, ge=0, le=3, description="Switch (channel) number.")
    stale_after: Duration = Field(timedelta(seconds=70), description="No status message for this long: unreadable.")


class SimulatedMeter(Section):
    """Simulated chargers (the demo): a seeded evening of plug-ins on one circuit."""

    kind: Literal["simulated"] = Field(description="simulated")
    circuit: Circuit = Field(description="Circuit name.")
    seed: int = Field(1, ge=0, le=2**31, description="Random seed of the evening.")
    chargers: int = Field(4, ge=0, le=16, description="Most chargers plugged in over the evening.")


MeterConfig = Annotated[
    Union[PzemMeter, CtMeter, TasmotaMeter, EsphomeMeter, Shelly1Meter, Shelly2Meter, SimulatedMeter],
    Field(discriminator="kind"),
]
MQTT_KINDS = ("tasmota", "esphome", "shelly1", "shelly2")


class ChargingConfig(Section):
    """The charging-shed device (kind = charging): how often to read, when to report."""

    poll_interval: Duration = Field(timedelta(seconds=1), ge=timedelta(milliseconds=200), le=timedelta(seconds=1),
                                    description="Time between readings of every meter (counting needs 1 s or less).")
    watch_interval: Duration = Field(timedelta(milliseconds=250), ge=timedelta(milliseconds=100), le=timedelta(seconds=1),
                                     description="Time between readings while a circuit with an overload cut is near its alarm level (see watch_from_pct).")
    watch_from_pct: float = Field(60.0, ge=10, le=100,
                                  description="A circuit drawing this % of its overload cut level (a [[switches]] entry's breaker_a × alarm_pct) is near: the meters are read every watch_interval.")
    max_interval: Duration = Field(timedelta(seconds=60), ge=timedelta(seconds=5), le=timedelta(seconds=60),
                                   description="A charging event goes out at least this often per circuit.")
    power_delta_w: float = Field(20.0, ge=1, le=1000, description="A power change of this many watts sends an event at once.")
    unreadable_after: Duration = Field(timedelta(seconds=10), ge=timedelta(seconds=1), le=timedelta(minutes=10),
                                       description="A meter failing this long raises the sensor_unreadable fault.")
    step_w: float = Field(40.0, ge=10, le=1000, description="Smallest power step counted as a charger plugged in or out.")
    stable_samples: int = Field(3, ge=2, le=20, description="Samples a new level must hold to count as a step.")
    median_window: int = Field(3, ge=1, le=15, description="Median filter length (samples), against inrush and bad readings.")
    active_w: float = Field(15.0, ge=1, le=200, description="A charger drawing less than this is full, floating or idle (not counted).")
    baseline_w: float = Field(0.0, ge=0, le=5000, description="Power the circuit draws with no charger (lights, a fan).")
    typical_charger_w: float = Field(110.0, ge=20, le=2000, description="Typical charger power, used only to split power found at start-up.")
    modbus: ModbusConfig = Field(default_factory=ModbusConfig, description="The Modbus bus of the PZEM meters.")


def check_meters(meters: list) -> list:
    """Each circuit has one meter; PZEM addresses are unique on the bus."""
    circuits = [m.circuit for m in meters]
    dupes = sorted({c for c in circuits if circuits.count(c) > 1})
    if dupes:
        raise ValueError(f"each circuit needs exactly one meter; repeated: {', '.join(dupes)}")
    addresses = [m.address for m in meters if m.kind == "pzem"]
    twice = sorted({a for a in addresses if addresses.count(a) > 1})
    if twice:
        raise ValueError(f"PZEM addresses must differ on one bus; repeated: {', '.join(map(str, twice))}")
    return meters


Meters = Annotated[list[MeterConfig], AfterValidator(check_meters)]
