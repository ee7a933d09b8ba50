"""The wire contract (docs/contract.md §1): topics and payloads, validated strictly.

Every message an edge or the hub sends is one of the models below.  ``decode(topic, payload)``
turns raw MQTT bytes into a model or raises :class:`InvalidMessage` with a one-line reason;
``encode(model)`` writes canonical JSON.  Unknown fields are ignored (forward compatibility);
wrong types are refused rather than coerced (``"seq": "5"`` is an error, not 5).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    field_validator,
    model_validator,
)

from .exc import InvalidMessage
from .tagid import parse_tag_id
from .timefmt import format_ts, parse_ts

PREFIX = "gatewarden"
V = 1
NAME_RE = r"^[a-z0-9][a-z0-9-]{0,31}$"
HUB_DEVICE = "hub"  # reserved: the hub publishes under gatewarden/<site>/hub/...
MAX_JSON_BYTES = 16 * 1024
MAX_ALLOWLIST_BYTES = 8 * 1024 * 1024  # a compound's allowlist: thousands of tags
MAX_SNAPSHOT_BYTES = 2 * 1024 * 1024
EVENT_KINDS = ("passage", "presence", "charging", "fault")
DEVICE_KINDS = ("gate", "lane", "charging")


def _ts(value: Any) -> Any:
    return parse_ts(value) if isinstance(value, str) else value


def _tag(value: Any) -> Any:
    return parse_tag_id(value).text if isinstance(value, str) else value


Timestamp = Annotated[datetime, BeforeValidator(_ts), PlainSerializer(format_ts, return_type=str)]
TagText = Annotated[str, BeforeValidator(_tag)]
Name = Annotated[str, Field(pattern=NAME_RE)]
Label = Annotated[str, Field(min_length=1, max_length=64)]
EventId = Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,64}$")]
Seq = Annotated[int, Field(ge=1, le=2**53)]
Watts = Annotated[float, Field(ge=0, le=1_000_000)]
BatteryMv = Annotated[int, Field(ge=1, le=65535)]  # ext.: an Eddystone-TLM voltage (edge.ble.tlm)


class Wire(BaseModel):
    """Base of every payload: strict types, unknown fields ignored, immutable."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, allow_inf_nan=False)


class Envelope(Wire):
    """Fields every edge event carries."""

    id: EventId
    ts: Timestamp
    seq: Seq
    v: Literal[1] = 1


Db = Annotated[int, Field(ge=-127, le=127)]


class TagEvidence(Wire):
    """ext.: what a gate lane heard of one tag when it judged the vehicle on its loop
    (edge/gate/associate.py): its level, its rise, when it was first heard, its lane margin and,
    when it was not taken as this vehicle's tag, why not."""

    tag: TagText
    rssi: Annotated[int, Field(ge=-127, le=20)]
    rise_db: Db
    before_s: Annotated[float, Field(ge=-86_400, le=86_400)]  # first heard this long before the loop armed
    lane_margin_db: Db | None = None  # how much stronger this lane's radio heard it than another lane's
    why_not: Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,31}$")] | None = None  # None: could be the car's (taken, or nearly)
    elsewhere: bool = False  # other_lane because it was near another lane earlier in this visit
    usual_rssi: Annotated[int, Field(ge=-127, le=20)] | None = None  # how near it came at its last opens here (median)
    near_rssi: Annotated[int, Field(ge=-127, le=20)] | None = None  # how near it came since this vehicle arrived


class PassageEvidence(Wire):
    """ext.: why a gate lane opened for a tag, or why it could not tell which car a nearby tag
    belonged to (``ambiguous``: it did not open for it; a warden may open by hand)."""

    ambiguous: bool = False
    tags: Annotated[list[TagEvidence], Field(min_length=1, max_length=3)]
    detail: Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,31}$")] | None = None  # e.g. late_faint


class Passage(Envelope):
    """One vehicle at a gate lane, sent when the barrier cycle ends."""

    lane: Label
    direction: Literal["in", "out"]
    tag: TagText | None
    rssi: Annotated[int, Field(ge=-127, le=20)] | None = None
    decision: Literal["open", "deny"]
    reason: Literal[
        "allowlisted", "unknown_tag", "revoked", "expired", "no_tag",
        "passback", "manual", "remote", "fire_mode",
    ]
    passed: bool
    by: Annotated[str, Field(min_length=1, max_length=64)] | None = None  # v1.1: who opened (manual/remote)
    note: Annotated[str, Field(max_length=1000)] | None = None  # v1.1: the reason they gave
    battery_mv: BatteryMv | None = None  # ext.: the tag's battery, when its TLM frames could be attributed
    evidence: PassageEvidence | None = None  # ext.: what the lane heard of the tags it judged


class Presence(Envelope):
    """A tag (or an untagged vehicle in a camera spot) entering or leaving a watched zone."""

    zone: Label
    tag: TagText | None
    slot: Label | None = None
    present: bool
    rssi: Annotated[int, Field(ge=-127, le=20)] | None = None
    battery_mv: BatteryMv | None = None  # ext.: the tag's battery, when its TLM frames could be attributed

    @model_validator(mode="after")
    def _untagged_needs_slot(self) -> "Presence":
        if self.tag is None and self.slot is None:
            raise ValueError("presence without a tag must name the camera's slot")
        return self


class Charging(Envelope):
    """One circuit of the e-bike charging shed."""

    circuit: Label
    power_w: Watts
    current_a: Annotated[float, Field(ge=0, le=1000)]
    loads: Annotated[int, Field(ge=0, le=1000)]
    voltage_v: Annotated[float, Field(ge=0, le=1000)] | None = None
    energy_wh: Annotated[float, Field(ge=0)] | None = None


class Fault(Envelope):
    """A device fault raised (``active``) or cleared."""

    code: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    active: bool
    detail: Annotated[str, Field(max_length=1000)] = ""
    circuit: Label | None = None


class Status(Wire):
    """Retained device status; the MQTT will carries only ``{"online": false}``."""

    online: bool
    kind: Literal["gate", "lane", "charging"] | None = None
    version: Annotated[str, Field(max_length=64)] | None = None
    ts: Timestamp | None = None


class Heartbeat(Wire):
    """Not an event: no id, never kept in the outbox."""

    ts: Timestamp
    last_seq: Annotated[int, Field(ge=0, le=2**53)]
    outbox: Annotated[int, Field(ge=0)]


class Ack(Wire):
    """Every event of the device up to ``seq`` is stored durably by the hub."""

    seq: Annotated[int, Field(ge=0, le=2**53)]


class Command(Wire):
    """An order from the hub to one edge device."""

    id: EventId
    ts: Timestamp
    op: Literal["open", "fire_mode_on", "fire_mode_off", "sync", "restore"]
    lane: Label | None = None
    circuit: Label | None = None  # extension: "restore" switches this charging circuit on again
    by: Annotated[str, Field(min_length=1, max_length=64)]
    reason: Annotated[str, Field(max_length=500)] = ""


class AllowEntry(Wire):
    """One tag on the site allowlist; revoked and expired tags stay listed so gates can say why."""

    tag: TagText
    vehicle: Annotated[str, Field(min_length=1, max_length=64)]
    revoked: bool = False
    expires: Timestamp | None = None
    weak: bool = False


def _plate(value: Any) -> Any:
    return parse_tag_id(f"plate:{value}").value if isinstance(value, str) else value


class PlateEntry(Wire):
    """One registered plate, for lanes where a plate camera may open (v1.1, additive).

    ``kind``: ``resident`` (the vehicle also has a tag), ``plate_only`` (registered without a tag),
    ``visitor`` (a warden's pass by plate, with ``expires``).
    """

    plate: Annotated[str, BeforeValidator(_plate)]
    vehicle: Annotated[str, Field(min_length=1, max_length=64)]
    kind: Literal["resident", "plate_only", "visitor"] = "resident"
    revoked: bool = False
    expires: Timestamp | None = None


class Allowlist(Wire):
    """The site's allowlist, retained; ``version`` grows with every change."""

    version: Annotated[int, Field(ge=0)]
    ts: Timestamp | None = None
    entries: list[AllowEntry] = Field(default_factory=list, max_length=100_000)
    plates: list[PlateEntry] = Field(default_factory=list, max_length=100_000)

    @field_validator("plates")
    @classmethod
    def _unique_plates(cls, plates: list[PlateEntry]) -> list[PlateEntry]:
        if len({p.plate for p in plates}) != len(plates):
            raise ValueError("a plate is listed twice")
        return plates

    @field_validator("entries")
    @classmethod
    def _unique_tags(cls, entries: list[AllowEntry]) -> list[AllowEntry]:
        seen: set[str] = set()
        for entry in entries:
            if entry.tag in seen:
                raise ValueError(f"tag {entry.tag} is listed twice")
            seen.add(entry.tag)
        return entries


class Violation(Wire):
    """A violation, published each time it is created or changes state."""

    id: Annotated[str, Field(min_length=1, max_length=64)]
    plate: str | None
    household: str | None
    rule: Literal["overnight", "fire_lane"]
    deadline: Timestamp
    state: Literal["open", "resolved", "retracted", "excused"]
    provisional: bool
    evidence: list[str] = Field(default_factory=list)
    ts: Timestamp


Event = Union[Passage, Presence, Charging, Fault]
EVENT_MODELS: dict[str, type[Envelope]] = {
    "passage": Passage, "presence": Presence, "charging": Charging, "fault": Fault,
}
DEVICE_MODELS: dict[str, type[Wire]] = {
    **EVENT_MODELS, "status": Status, "heartbeat": Heartbeat, "ack": Ack, "cmd": Command,
}


@dataclass(frozen=True)
class Topic:
    """A parsed topic: ``kind`` is the last level (``passage``, ``ack``, ``allowlist``…)."""

    site: str
    device: str | None
    kind: str
    event_id: str | None = None

    def __str__(self) -> str:
        return topic(self.site, self.device, self.kind, self.event_id)


def topic(site: str, device: str | None, kind: str, event_id: str | None = None) -> str:
    """Build a topic string from its parts (``device`` None for the site allowlist)."""
    parts = [PREFIX, site] + ([device] if device else []) + [kind]
    return "/".join(parts + ([event_id] if event_id else []))


def parse_topic(text: str) -> Topic:
    """Split a gatewarden topic, or raise :class:`InvalidMessage`."""
    parts = text.split("/")
    if len(parts) < 3 or parts[0] != PREFIX or not re.match(NAME_RE, parts[1]):
        raise InvalidMessage(f"topic {text[:120]!r} is not under {PREFIX}/<site>/")
    if len(parts) == 3 and parts[2] == "allowlist":
        return Topic(parts[1], None, "allowlist")
    if len(parts) == 4 and parts[2] == HUB_DEVICE and parts[3] == "violation":
        return Topic(parts[1], HUB_DEVICE, "violation")
    if len(parts) >= 4 and parts[2] == HUB_DEVICE and parts[3] == "ha":  # the hub's Home Assistant topics
        return Topic(parts[1], HUB_DEVICE, "ha")
    if not re.match(NAME_RE, parts[2]) or parts[2] == HUB_DEVICE:
        raise InvalidMessage(f"topic {text[:120]!r}: {parts[2][:40]!r} is not a device id")
    if len(parts) == 5 and parts[3] == "snapshot" and re.match(r"^[A-Za-z0-9._:-]{1,64}$", parts[4]):
        return Topic(parts[1], parts[2], "snapshot", parts[4])
    if len(parts) == 4 and parts[3] in DEVICE_MODELS:
        return Topic(parts[1], parts[2], parts[3])
    raise InvalidMessage(f"topic {text[:120]!r} is not one of the contract's topics")


MODELS_BY_KIND: dict[str, type[Wire]] = {
    **DEVICE_MODELS, "allowlist": Allowlist, "violation": Violation,
}


def decode(topic_text: str, payload: bytes) -> tuple[Topic, Any]:
    """Parse and validate one MQTT message; snapshots come back as their JPEG bytes."""
    where = parse_topic(topic_text)
    if where.kind == "snapshot":
        return where, _check_jpeg(payload)
    limit = MAX_ALLOWLIST_BYTES if where.kind == "allowlist" else MAX_JSON_BYTES
    if len(payload) > limit:
        raise InvalidMessage(f"{where.kind} payload is {len(payload)} bytes (at most {limit})")
    return where, decode_payload(where.kind, payload)


MAX_INT_DIGITS = 20  # every integer of the contract fits in 2**53; longer ones cost time to parse


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range (not finite)")
    return value


def _short_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"integer with {len(text)} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json(payload: bytes | str) -> Any:
    """``json.loads`` for untrusted bytes: finite numbers only, short integers, bounded nesting.

    Any failure (bad UTF-8, bad JSON, nesting deep enough to exhaust recursion, a 5,000-digit
    integer, ``NaN``/``Infinity``, ``1e999``) raises :class:`InvalidMessage`; nothing else escapes.
    """
    try:
        return json.loads(payload, parse_float=_finite_float, parse_int=_short_int,
                          parse_constant=_no_constant)
    except RecursionError:
        raise InvalidMessage("payload is not UTF-8 JSON: nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 — untrusted input: every failure is a reason, not a crash
        raise InvalidMessage(f"payload is not UTF-8 JSON: {str(exc)[:200]}") from None


def decode_payload(kind: str, payload: bytes | str) -> Any:
    """Validate a JSON payload as the model for ``kind``; every failure is :class:`InvalidMessage`."""
    model = MODELS_BY_KIND[kind]
    try:
        data = load_json(payload)
    except InvalidMessage as exc:
        raise InvalidMessage(f"{kind} {exc.reason}") from None
    if not isinstance(data, dict):
        raise InvalidMessage(f"{kind} payload must be a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidMessage(f"{kind}: {describe(exc)}") from None
    except RecursionError:
        raise InvalidMessage(f"{kind}: payload nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 — a validator's own bug must not stop ingest either
        raise InvalidMessage(f"{kind}: could not validate ({type(exc).__name__}: {str(exc)[:160]})") from None


def describe(exc: ValidationError) -> str:
    """One line for a pydantic error: ``seq: Input should be a valid integer (got '5')``."""
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        got = "" if err["type"] == "missing" else f" (got {str(err.get('input'))[:40]!r})"
        parts.append(f"{where}: {err['msg']}{got}")
    more = len(exc.errors()) - 3
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _check_jpeg(payload: bytes) -> bytes:
    if len(payload) > MAX_SNAPSHOT_BYTES:
        raise InvalidMessage(f"snapshot is {len(payload)} bytes (at most {MAX_SNAPSHOT_BYTES})")
    if not payload.startswith(b"\xff\xd8"):
        raise InvalidMessage("snapshot is not a JPEG (no FF D8 start marker)")
    return payload


def encode(message: Wire) -> bytes:
    """Canonical JSON for a model: compact, UTF-8, timestamps with milliseconds."""
    data = message.model_dump(mode="json", exclude_none=False)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def kind_of(message: Wire) -> str:
    """The topic level a model is published under."""
    for kind, model in MODELS_BY_KIND.items():
        if type(message) is model:
            return kind
    raise TypeError(f"{type(message).__name__} is not a wire model")
