"""Plates at a gate lane (车牌识别): when a plate camera's read may open the lane.  Pure; no I/O.

A lane's ``plate_policy`` (set on its camera, docs/lpr.md):

* ``off`` — reads are recorded, never decide (today's behaviour, the default);
* ``plate_alone`` — an allowed plate opens, as an allowed tag does (anyone can copy a plate: a
  site chooses this per lane);
* ``plate_and_tag`` — the tag must be allowed *and* the plate read must be that tag's vehicle;
* ``visitors_only`` — a plate opens only for a visitor's pass and for plate-only entries (vehicles
  registered without a tag); residents with tags still use their tags.

The read must belong to the vehicle on this lane's loop: a read counts for the waiting vehicle
only when it was taken no earlier than ``tag_window`` before that vehicle arrived, and a read is
*claimed* by the first vehicle on the loop it could belong to — the car behind never opens on the
read of the car in front, nor a read of the other lane's camera (reads go to their own lane only).
A read below the camera's ``min_confidence`` never reaches the lane.  A plate refused by the
policy, and a tag whose vehicle's plate was not read (``plate_and_tag``), are recorded with
reason ``unknown_tag``; an allowed plate with no tag at a ``plate_and_tag`` lane with ``no_tag``
(the contract has no plate-specific reason).

The lane decision calls :func:`candidate` (the one hook in :mod:`edge.gate.decide`); a verdict
without a ``plates`` attribute (:class:`PlateJudge`) leaves the lane exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

AUTO = frozenset({"allowlisted", "passback"})
POLICIES = ("off", "plate_alone", "plate_and_tag", "visitors_only")
PLATE_KINDS = ("resident", "plate_only", "visitor")
Part = tuple[str | None, int | None, str]  # (tag, rssi, reason)


def plate_reason(policy: str, status: str, kind: str | None) -> str:
    """A plate's standing at a lane: its allowlist status, narrowed by the lane's policy."""
    if status != "allowed":
        return status
    if policy == "visitors_only" and kind not in ("visitor", "plate_only"):
        return "unknown_tag"
    return "allowlisted"


def combine(policy: str, tag: Part, plate: Part | None, same_vehicle: Callable[[str, str], bool]) -> Part:
    """What the waiting vehicle is judged by: its tag, its plate, or both (see the module text)."""
    if policy == "off" or policy not in POLICIES:
        return tag
    if policy == "plate_and_tag":
        if tag[0] is None and plate is not None:  # recorded by its plate; never opened by it alone
            return (plate[0], None, "no_tag") if plate[2] in AUTO else plate
        if tag[0] is None or tag[2] not in AUTO:
            return tag
        if plate is not None and same_vehicle(tag[0], plate[0] or ""):
            return tag
        return (tag[0], tag[1], "unknown_tag")  # no read yet, or the plate of another vehicle
    if tag[2] in AUTO:
        return tag
    if plate is not None and (plate[2] in AUTO or tag[0] is None):
        return plate
    return tag


@dataclass(frozen=True)
class Read:
    """A plate read handed to a lane: ``seq`` numbers reads of this lane, ``at`` is monotonic seconds."""

    seq: int
    tag: str
    at: float


def owner(read: Read, vehicles: Iterable[Any], slack: float) -> int | None:
    """The key of the first vehicle on the loop this read can belong to (arrived by read time + slack)."""
    for vehicle in vehicles:
        if vehicle.on_loop and vehicle.arrived - slack <= read.at:
            return vehicle.key
    return None


@dataclass
class PlateJudge:
    """One lane's plate policy and its recent reads (owned by the gate device's thread)."""

    policy: str
    same_vehicle: Callable[[str, str], bool]
    reads: list[Read] = field(default_factory=list)
    claims: dict[int, int] = field(default_factory=dict)  # read seq → vehicle key
    keep: float = 120.0
    _seq: int = 0

    def add(self, tag: str, at: float) -> None:
        """A new read for this lane (the caller serialises calls; :meth:`plate_for` may run meanwhile)."""
        self._seq += 1
        self.reads = [r for r in self.reads if at - r.at <= self.keep][-31:] + [Read(self._seq, tag, at)]

    def claim(self, queue: Iterable[Any], window: float) -> None:
        """Give every unowned read to the vehicle it belongs to — on every step of the lane, so a read
        that arrives after its car opened on a tag is that car's, never the next car's."""
        vehicles, reads = list(queue), list(self.reads)
        if len(self.claims) > 64:
            self.claims = {seq: key for seq, key in self.claims.items() if any(r.seq == seq for r in reads)}
        for read in reads:
            if read.seq not in self.claims:
                key = owner(read, vehicles, window)
                if key is not None:
                    self.claims[read.seq] = key

    def plate_for(self, queue: Iterable[Any], waiting: Any, now: float, window: float, cooldown: Any) -> str | None:
        """The newest read that belongs to ``waiting`` (claiming unowned reads for their vehicles first)."""
        self.claim(queue, window)
        best: Read | None = None
        for read in list(self.reads):
            usable = read.at <= now and cooldown.get(read.tag, -1.0) <= now
            if self.claims.get(read.seq) == waiting.key and usable and (best is None or read.at >= best.at):
                best = read
        return best.tag if best else None


def claim_reads(state: Any, rules: Any, verdict: Callable[[str], str]) -> None:
    """Hook of :mod:`edge.gate.decide`, on every step: the lane's plate reads go to their vehicles."""
    judge: PlateJudge | None = getattr(verdict, "plates", None)
    if judge is not None and judge.policy != "off":
        judge.claim(state.queue, rules.tag_window)


def with_plate(state: Any, waiting: Any, now: float, rules: Any, verdict: Callable[[str], str], tag: Part) -> Part:
    """The tag, RSSI and reason the waiting vehicle is judged by, once the lane's plate reads are
    weighed in by the lane's policy (hook of :mod:`edge.gate.decide`: ``tag`` is what the tag
    association chose for this vehicle)."""
    judge: PlateJudge | None = getattr(verdict, "plates", None)
    if judge is None or judge.policy == "off":
        return tag
    if tag[0] is not None and tag[0].startswith("plate:"):  # a plate judged earlier for this car: its tag is none
        tag = (None, None, "no_tag")
    plate = judge.plate_for(state.queue, waiting, now, rules.tag_window, state.cooldown)
    return combine(judge.policy, tag, (plate, None, verdict(plate)) if plate else None, judge.same_vehicle)


def camera_decides(policy: str, status: str, kind: str | None, *, confidence: float, min_confidence: float,
                   readable: bool) -> tuple[str, str]:
    """(decision, reason) for a camera that drives the barrier itself (``opens = 'camera'``).

    The camera's own trigger is the vehicle (it reads only what stands in front of it), so the
    read is the vehicle's; a low-confidence read never opens.
    """
    if not readable:
        return "deny", "no_tag"
    reason = plate_reason(policy, status, kind) if policy in POLICIES and policy != "off" else "unknown_tag"
    if reason == "allowlisted" and confidence < min_confidence:
        return "deny", "unknown_tag"
    return ("open" if reason == "allowlisted" else "deny"), reason
