"""Tag decoders (标签解码): advertisement bytes → canonical tag ids.  Pure; no radio, no clock.

Layouts, from the published specifications:

* **iBeacon** (Apple, "Proximity Beacon Specification"): manufacturer data of company 0x004C;
  bleak hands us the bytes after the company id: ``02 15`` (type, length 21), 16-byte proximity
  UUID, major (2 bytes big-endian), minor (2 bytes big-endian), measured power (signed byte).
* **Eddystone** (google/eddystone ``protocol-specification.md``): service data of the 16-bit
  service 0xFEAA.  Frame 0x00 UID: tx power (signed), 10-byte namespace, 6-byte instance, two
  reserved bytes (often left out by cheap tags; we accept both).  Frame 0x30 EID: tx power,
  8-byte ephemeral identifier, resolved by :mod:`edge.ble.eid`.  Frame 0x20 TLM
  (``eddystone-tlm/tlm-plain.md``), version 0x00 only: battery in mV (2 bytes), temperature in
  signed 8.8 fixed point (0x8000: not measured), advertising PDU count (4 bytes), time since boot
  in 0.1 s (4 bytes), all big-endian.  It names no tag: :mod:`edge.ble.tlm` attributes it by the
  sender's address.  Version 0x01 is the encrypted eTLM of EID tags: never decoded here.
* **Static address** (Bluetooth Core Vol 6 Part B §1.3): a *public* address, or a *random* one
  whose two most significant bits are ``11`` (static random), stays the same for the life of the
  tag, so it can name a tag.  Random addresses with top bits ``01`` are *resolvable private*
  (they change every few minutes; identity needs the owner's IRK) and ``00`` *non-resolvable*:
  neither is ever a tag.  When the address type is unknown we accept only the ``11`` pattern,
  because a private address can never carry it.

Static ids (iBeacon, Eddystone-UID, MAC) can be copied by anyone with a phone app, so they are
``weak``; an EID frame is only a candidate until the resolver has checked it against a key.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from gwcommon.tagid import format_eddystone, format_ibeacon, format_mac

APPLE = 0x004C
IBEACON_PREFIX = b"\x02\x15"
EDDYSTONE_UUID = "0000feaa-0000-1000-8000-00805f9b34fb"
FRAME_UID = 0x00
FRAME_EID = 0x30
FRAME_TLM = 0x20
TLM_PLAIN = 0x00  # version 0x01 is the encrypted eTLM (EID tags): out of scope


@dataclass(frozen=True)
class StaticTag:
    """A tag with a fixed identifier (weak: it can be copied)."""

    tag: str
    tx_power: int | None = None
    weak: bool = True


@dataclass(frozen=True)
class EidFrame:
    """An Eddystone-EID frame: ``eid`` (8 bytes) still to be resolved to a registered tag."""

    eid: bytes
    tx_power: int | None = None


Decoded = StaticTag | EidFrame


@dataclass(frozen=True)
class Telemetry:
    """An unencrypted Eddystone-TLM frame: ``battery_mv`` 0 means the tag does not measure it,
    ``temperature_c`` None likewise; ``uptime_s`` from the 0.1 s counter."""

    battery_mv: int
    temperature_c: float | None
    adv_count: int
    uptime_s: float


def _signed(byte: int) -> int:
    return byte - 256 if byte > 127 else byte


def decode_ibeacon(data: bytes) -> StaticTag | None:
    """Apple manufacturer data (without the company id) → an iBeacon tag, or None."""
    if len(data) < 23 or data[:2] != IBEACON_PREFIX:
        return None
    proximity = str(uuid.UUID(bytes=bytes(data[2:18])))
    major, minor = struct.unpack(">HH", data[18:22])
    return StaticTag(format_ibeacon(proximity, major, minor), _signed(data[22]))


def decode_eddystone(data: bytes) -> Decoded | None:
    """Eddystone service data → a UID tag, an EID frame, or None (URL, TLM and others)."""
    if len(data) >= 18 and data[0] == FRAME_UID:
        return StaticTag(format_eddystone(bytes(data[2:12]), bytes(data[12:18])), _signed(data[1]))
    if len(data) >= 10 and data[0] == FRAME_EID:
        return EidFrame(bytes(data[2:10]), _signed(data[1]))
    return None


def decode_tlm(data: bytes) -> Telemetry | None:
    """Eddystone service data → an unencrypted TLM frame (version 0), or None (other frames, eTLM, short)."""
    if len(data) < 14 or data[0] != FRAME_TLM or data[1] != TLM_PLAIN:
        return None
    battery, temp, adv_count, tenths = struct.unpack(">HhII", data[2:14])
    return Telemetry(battery, None if temp == -0x8000 else temp / 256, adv_count, tenths / 10)


def find_tlm(service_data: tuple[tuple[str, bytes], ...]) -> Telemetry | None:
    """The unencrypted TLM frame of an advertisement's service data, if it has one."""
    for service, data in service_data:
        if service == EDDYSTONE_UUID and (frame := decode_tlm(data)):
            return frame
    return None


def address_kind(address: str, address_type: str | None) -> str:
    """``public``, ``static``, ``resolvable``, ``non_resolvable`` or ``unknown`` (see module doc)."""
    top = int(address[:2], 16) >> 6
    if address_type == "public":
        return "public"
    if address_type == "random" or top == 0b11:
        return {0b11: "static", 0b01: "resolvable", 0b00: "non_resolvable"}.get(top, "unknown")
    return "unknown"


def is_static_address(address: str, address_type: str | None) -> bool:
    """True when the address stays fixed for the tag's life (public or static random)."""
    return address_kind(address, address_type) in ("public", "static")


def decode_frames(manufacturer_data: tuple[tuple[int, bytes], ...],
                  service_data: tuple[tuple[str, bytes], ...]) -> Decoded | None:
    """The first recognised tag frame of an advertisement's payload (EID before UID before iBeacon)."""
    found: Decoded | None = None
    for service, data in service_data:
        if service == EDDYSTONE_UUID:
            frame = decode_eddystone(data)
            if isinstance(frame, EidFrame):
                return frame
            found = found or frame
    if found is None:
        for company, data in manufacturer_data:
            if company == APPLE:
                found = found or decode_ibeacon(data)
    return found


def decode_mac(address: str, address_type: str | None) -> StaticTag | None:
    """A ``mac:`` tag for a static address, or None for private and unknown addresses."""
    if not is_static_address(address, address_type):
        return None
    return StaticTag(format_mac(address))


def parse_ad(raw: bytes) -> tuple[tuple[tuple[int, bytes], ...], tuple[tuple[str, bytes], ...]]:
    """A raw advertising payload (length-type-value AD structures) → (manufacturer data, service
    data) shaped as bleak reports them; truncated structures end the parse."""
    manufacturer: list[tuple[int, bytes]] = []
    service: list[tuple[str, bytes]] = []
    i = 0
    while i < len(raw) and raw[i]:
        length, kind, value = raw[i], raw[i + 1] if i + 1 < len(raw) else 0, raw[i + 2:i + 1 + raw[i]]
        if len(value) != length - 1:
            break
        if kind == 0xFF and len(value) >= 2:
            manufacturer.append((int.from_bytes(value[:2], "little"), bytes(value[2:])))
        elif kind == 0x16 and len(value) >= 2:
            uuid16 = int.from_bytes(value[:2], "little")
            service.append((f"0000{uuid16:04x}-0000-1000-8000-00805f9b34fb", bytes(value[2:])))
        i += 1 + length
    return tuple(manufacturer), tuple(service)


# Encoders: the exact inverse of the decoders, for tests, the bench and the simulator.

def ibeacon_payload(proximity: str, major: int, minor: int, tx_power: int = -59) -> bytes:
    """Apple manufacturer data (without the company id) of an iBeacon."""
    return (IBEACON_PREFIX + uuid.UUID(proximity).bytes + struct.pack(">HHb", major, minor, tx_power))


def eddystone_uid_payload(namespace: bytes, instance: bytes, tx_power: int = -20, *, rfu: bool = True) -> bytes:
    """Eddystone-UID service data (frame 0x00)."""
    if len(namespace) != 10 or len(instance) != 6:
        raise ValueError("Eddystone-UID needs a 10-byte namespace and a 6-byte instance")
    return bytes([FRAME_UID]) + struct.pack(">b", tx_power) + namespace + instance + (b"\x00\x00" if rfu else b"")


def eddystone_eid_payload(eid: bytes, tx_power: int = -20) -> bytes:
    """Eddystone-EID service data (frame 0x30)."""
    if len(eid) != 8:
        raise ValueError("an EID is 8 bytes")
    return bytes([FRAME_EID]) + struct.pack(">b", tx_power) + eid


def eddystone_tlm_payload(battery_mv: int, temperature_c: float | None = 20.0, adv_count: int = 0,
                          uptime_s: float = 0.0) -> bytes:
    """Unencrypted Eddystone-TLM service data (frame 0x20, version 0)."""
    temp = -0x8000 if temperature_c is None else round(temperature_c * 256)
    return bytes([FRAME_TLM, TLM_PLAIN]) + struct.pack(">HhII", battery_mv, temp, adv_count, round(uptime_s * 10))
