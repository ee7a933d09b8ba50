"""What flows through a gate lane: rules, events in, actions out (plain frozen dataclasses).

The pure parts (:mod:`edge.gate.fsm`, :mod:`edge.gate.decide`, :mod:`edge.gate.lane`) take these
events and return these actions; :mod:`edge.gate.device` feeds them from pins, the scanner and the
hub, and carries the actions out.  No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Inputs that say "something is in the lane": the barrier never closes while any is active or unknown.
PRESENCE_INPUTS = ("arming_loop", "photo_eye", "safety_loop", "closing_loop")
AUTO_REASONS = frozenset({"allowlisted", "passback"})
PERSON_REASONS = frozenset({"manual", "remote"})


@dataclass(frozen=True)
class LaneRules:
    """A lane's settings as plain numbers (seconds), built from :class:`edge.gate.config.LaneConfig`."""

    name: str
    direction: str
    wired: frozenset[str] = frozenset({"photo_eye"})
    has_eye_test: bool = False
    close_mode: str = "controller"
    rssi_threshold: int = -70
    tag_wait: float = 2.0
    tag_window: float = 3.0
    cooldown: float = 20.0
    close_delay: float = 2.0
    open_hold: float = 30.0
    open_travel: float = 4.0
    close_travel: float = 4.0
    eye_test_timeout: float = 0.2
    eye_clear: float = 0.5
    loop_gap: float = 1.5
    stuck_after: float = 600.0
    retest_every: float = 60.0
    fire_repulse: float = 10.0
    watchdog_factor: float = 1.5
    # Tag-to-vehicle association (docs/gate.md "Which car a tag belongs to"):
    lane_margin: float = 4.0  # dB a tag must be heard stronger at this lane's radio than at any other
    tag_margin: float = 6.0  # dB the best arriving tag must lead a rival of a different standing
    arrival_window: float = 5.0  # first heard at most this long before the loop armed: arriving
    arrival_rise: float = 10.0  # or its smoothed RSSI rose this much over trend_window before the loop armed
    trend_window: float = 8.0
    smooth: float = 1.5  # median bins of this width smooth the RSSI (multipath spikes)
    parked_after: float = 120.0  # heard this long without rising: parked near the gate (for the record)
    tag_gone: float = 30.0  # not heard this long: the tag left; a new sighting starts afresh
    late_grace: float = 1.0  # the car settles onto the loop: a tag first heard this long after still counts
    settle: float = 1.5  # no tag chosen by tag_wait: a clearly nearest candidate may still open this much later
    late_margin: float = 6.0  # dB above rssi_threshold a tag found only after tag_wait must stand
    loop_drop: float = 10.0  # dB below its loop level (how near it came at its last opens here): not on the loop
    loop_after: int = 2  # opens of a tag the lane must know before its loop level counts (0: never)

    @property
    def vehicle_input(self) -> str:
        """The input that tells a vehicle is waiting: the arming loop, else the photo-eye."""
        return "arming_loop" if "arming_loop" in self.wired else "photo_eye"

    @property
    def presence(self) -> tuple[str, ...]:
        return tuple(role for role in PRESENCE_INPUTS if role in self.wired)


# ---- events -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tick:
    """Time passed (timers, watchdogs, tag waits)."""


@dataclass(frozen=True)
class Heard:
    """A tag heard by the radio at this lane; ``margin`` dB over the strongest other lane's radio
    (None: no other lane's radio heard it; 0 for a radio shared by several lanes)."""

    tag: str
    rssi: int
    at: float
    margin: float | None = None


@dataclass(frozen=True)
class InputChanged:
    """An input's level: ``active`` True (vehicle, blocked, pressed, limit reached), False, or None (unknown)."""

    role: str
    active: bool | None
    at: float | None = None  # when the pin changed (monotonic), if known: may be before it is processed


@dataclass(frozen=True)
class OpenCommand:
    """A person asks to open: the booth button (``manual``) or a warden through the hub (``remote``)."""

    reason: str
    by: str = ""
    why: str = ""


@dataclass(frozen=True)
class OpenRequest:
    """The lane decision asks the barrier to open (internal, from decide to the barrier machine)."""

    reason: str


@dataclass(frozen=True)
class FireOn:
    """Fire mode: every barrier opens and stays open until a person resets it."""

    source: str


@dataclass(frozen=True)
class FireReset:
    """A person ends a latched fire mode (reset key or the hub's fire_mode_off)."""

    by: str


@dataclass(frozen=True)
class Retest:
    """The reset key asks an attended lane to retest its sensors now."""


# ---- actions ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PulseOpen:
    """Send one short pulse to the controller's open input."""


@dataclass(frozen=True)
class PulseClose:
    """Send one short pulse to the controller's close input (Pi close mode only, after a passed test)."""


@dataclass(frozen=True)
class CloseRelayOff:
    """Release the close relay at once (presence appeared, fire, or an open request)."""


@dataclass(frozen=True)
class EyeTest:
    """Drive the photo-eye test line (``on``: interrupt the emitter)."""

    on: bool


@dataclass(frozen=True)
class RaiseFault:
    """A fault raised (``active``) or cleared, to become a fault event."""

    code: str
    active: bool
    detail: str


@dataclass(frozen=True)
class OpenRefused:
    """The barrier would not open for ``reason`` (attended or fault: only a person may open)."""

    reason: str
    state: str


@dataclass(frozen=True)
class TakeSnapshot:
    """Take the picture for vehicle ``key`` now (it is attached to its passage later)."""

    key: int


@dataclass(frozen=True)
class RecordPassage:
    """One vehicle's cycle ended: becomes a passage event (docs/contract.md §1)."""

    key: int
    tag: str | None
    rssi: int | None
    decision: str
    reason: str
    passed: bool
    tailgating: bool = False
    note: str | None = None  # a person's reason for their open (with ``by``)
    by: str | None = None
    evidence: Any = None  # edge.gate.associate.Evidence: what the lane heard of the tags it judged


@dataclass(frozen=True)
class Counted:
    """Something noticed but not a passage (e.g. the photo-eye crossed with no vehicle: an e-bike)."""

    what: str
    detail: str = field(default="")
