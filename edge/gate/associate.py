"""Which tag belongs to the vehicle on the loop (标签与车辆关联).  Pure: no I/O.

A tag heard at a lane is only a *hint* that its car is the one on the loop: a resident parked
beside the gate, driving past on the street, queued behind, stopped just inside, or at the other
lane is heard just as well.  For each tag the lane keeps a :class:`Track` (this visit's first and
last sighting, recent samples, whether an open has consumed it), and :func:`assess` says whether
the tag can be the vehicle that armed the loop at ``arrived``:

* **at this lane**: smoothed RSSI at or above the lane's threshold, and heard stronger here than
  at any other lane's radio by ``lane_margin`` dB over its sightings of the last ``MARGIN_SPAN``
  seconds (a radio shared by several lanes cannot tell), and never heard *near another lane* in
  this visit (from its second sighting on, ``lane_margin`` stronger at that lane's radio by the
  sighting's margin and by the median of the last ``MARGIN_SPAN`` seconds, and at the threshold
  there: that lane's car, which leaves through it — and may drive past on the street in front of
  this lane's antenna seconds later);
* **arriving**: first heard at most ``arrival_window`` before the loop armed (and no later than
  ``late_grace`` after), or its smoothed RSSI rose by ``arrival_rise`` dB over the
  ``trend_window`` before the loop armed (at least ``MIN_TREND`` readings), standing that much
  above its usual level (twice that for a tag first heard ``LONG_HEARD`` or more before: a car
  parked near the gate) — and not fallen by half that from its peak (a car
  driving onto the loop is still closing in on the lane's antenna; one that has passed its
  closest point is driving past on the street, or is the car in front moving on);
* **not consumed**: every open consumes the tags heard at the lane; a consumed tag counts again
  only after it rose anew since that open (the queued car moving up onto the loop: half of
  ``arrival_rise`` will do, standing a full ``arrival_rise`` above its usual level, unless the tag
  has been around for ``parked_after``) or after it left (unheard for ``tag_gone``); the opened
  vehicle's own tag also cools down for ``cooldown``;
* **as near as it usually is**: the lane remembers, per tag, how near it had come when the
  barrier opened for it (:func:`near_now`, from the loop arming to the open) at its last
  ``LOOP_LEVELS_KEPT`` opens of this lane; once it knows ``loop_after`` of them, a tag that has come
  no nearer than ``loop_drop`` dB below their median since the vehicle arrived is not on the loop
  (yet) — the car behind, beside or passing (a tag's car, its place in the car and the car's body
  loss stay the same day after day; ESPresense calibrates each device's own reference level for
  the same reason).

RSSI is smoothed by its upper envelope (the strongest of the last three sightings): fading,
multipath and car bodies only ever weaken a signal, so a deep fade is noise and a strong reading is
not (Bermuda "hugs the minimum distance" and ESPresense takes percentile windows for the same
reason); a tag's usual level is a slow average of that envelope (time constant ``tag_gone``, a
plain average while the visit is young).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from statistics import median
from typing import Any

from .model import LaneRules

MAX_SAMPLES = 400
MARGIN_SPAN = 3.0  # seconds of sightings whose lane margins count (the car near its own lane's radio)
LONG_HEARD = 30.0  # a tag first heard this long before the loop armed must rise twice ``arrival_rise``
MIN_TREND = 4  # smoothed readings a rise needs: fewer are noise (a tag just consumed, a slow advertiser)
TYPICAL_READINGS = 4  # a tag's typical level now: the median of this many of its last readings,
TYPICAL_SPAN = 5.0  # of the last this many seconds (a slow advertiser's four readings span about 5 s)
LOOP_LEVELS_KEPT = 5  # the levels of a tag's last opens a lane remembers (their median is its loop level)
LOOP_TAGS_KEPT = 5_000  # tags a lane remembers loop levels of (the ones that opened least recently go first)


@dataclass(frozen=True)
class Track:
    """One tag's current visit at the lane."""

    first: float
    last: float
    samples: tuple[tuple[float, int], ...]
    margins: tuple[tuple[float, float | None], ...] = ()  # (when, lane margin) of the last few sightings
    consumed_at: float | None = None
    baseline: float = 0.0  # slow average of its RSSI envelope (time constant ``tag_gone``): where it usually is
    heard_count: int = 1  # sightings in this visit
    elsewhere: float | None = None  # last heard near another lane's radio (that lane's car) in this visit

    @property
    def margin(self) -> float | None:
        """Median lane margin of the sightings of the last ``MARGIN_SPAN`` seconds, at least the
        last one (None: no other lane's radio heard it).  Only recent ones: a car coming up the
        lane is heard about as well by both lanes' radios until it is near its own."""
        last = self.margins[-1][0] if self.margins else 0.0
        known = [m for t, m in self.margins if m is not None and last - t <= MARGIN_SPAN]
        return float(median(known)) if known else None

    def typical(self, until: float) -> float:
        """RSSI now, robustly: the median of its last ``TYPICAL_READINGS`` readings of the last
        ``TYPICAL_SPAN`` seconds (at least the last one) — one strong reading of a car further back
        does not move it, as it moves the upper envelope (:meth:`level`)."""
        recent = [(t, r) for t, r in self.samples if t <= until] or list(self.samples[-1:])
        inside = [r for t, r in recent[-TYPICAL_READINGS:] if until - t <= TYPICAL_SPAN]
        return float(median(inside or [recent[-1][1]]))

    def level(self, until: float, rules: LaneRules) -> float:
        """RSSI now: the strongest of the last ``smooth`` seconds (at least the last two sightings)."""
        recent = [(t, r) for t, r in self.samples if t <= until]
        if not recent:
            return float(self.samples[-1][1])
        inside = [r for t, r in recent if until - t <= rules.smooth]
        return float(max(inside if len(inside) >= 2 else [r for _, r in recent[-2:]]))


def heard(track: Track | None, rssi: int, at: float, margin: float | None, rules: LaneRules) -> Track:
    """The track after one more sighting (a new visit when the tag was gone for ``tag_gone``)."""
    if track is None or at - track.last > rules.tag_gone:
        return Track(first=at, last=at, samples=((at, rssi),), margins=((at, margin),), baseline=float(rssi))
    keep = at - (rules.trend_window + rules.tag_wait + rules.settle + rules.late_grace + 2 * rules.smooth + rules.tag_window)
    samples = tuple(s for s in track.samples if s[0] >= keep)[-(MAX_SAMPLES - 1):] + ((at, rssi),)
    weight = 1.0 - math.exp(-max(0.0, at - track.last) / rules.tag_gone)
    # Its usual level follows the same upper envelope the rise is measured on (the strongest of the
    # last three readings), a plain average while the visit is young: a parked tag's noise peaks
    # then stay within a few dB of it.
    count = track.heard_count + 1
    weight = max(weight, 1.0 / count)
    envelope = max(r for _, r in samples[-3:])
    baseline = track.baseline + weight * (envelope - track.baseline)
    track = replace(track, last=max(track.last, at), samples=samples, margins=(track.margins + ((at, margin),))[-5:],
                    baseline=baseline, heard_count=count)
    near_other = _elsewhere(envelope, margin, rules) and track.margin is not None and track.margin <= -rules.lane_margin
    return replace(track, elsewhere=at) if near_other else track


def _elsewhere(level: float, margin: float | None, rules: LaneRules) -> bool:
    """This sighting was heard near another lane's radio: ``lane_margin`` stronger there, and at
    the threshold there (its level here minus the margin).  (Of a tag's visit, only from its second
    sighting on and when the median margin of its last ``MARGIN_SPAN`` seconds also says so: one
    sighting's margin is noisy.)"""
    return margin is not None and margin <= -rules.lane_margin and level - margin >= rules.rssi_threshold


@dataclass(frozen=True)
class Assessment:
    """What the lane concluded about one tag for one vehicle; ``why_not`` None: it can be that car."""

    tag: str
    level: float
    rise: float
    lead: float  # seconds the tag was first heard before the loop armed (negative: after)
    margin: float | None
    why_not: str | None
    fresh: bool = False  # first heard just before the loop armed (the strongest evidence)
    was_elsewhere: bool = False  # other_lane only because it was near another lane earlier in this visit
    usual: float | None = None  # its loop level: the median of how near it came at its last opens here
    near: float | None = None  # how near it came since the vehicle arrived (near_now), compared with ``usual``

    @property
    def at_other_lane(self) -> bool:
        """Heard at another lane now (not only earlier in its visit): no rival for this lane's car."""
        return self.why_not == "other_lane" and not self.was_elsewhere

    def fields(self, *, taken: bool = False) -> dict[str, Any]:
        """This tag in a passage's ``evidence`` (docs/contract.md §1), within the contract's ranges;
        ``taken``: the tag the lane took, or nearly took, as the car's (no ``why_not``)."""
        return {"tag": self.tag, "rssi": _clamp(round(self.level), -127, 20), "rise_db": _clamp(round(self.rise), -127, 127),
                "before_s": _clamp(round(self.lead, 1), -86_400, 86_400),
                "lane_margin_db": None if self.margin is None else _clamp(round(self.margin), -127, 127),
                "why_not": None if taken else self.why_not, "elsewhere": self.was_elsewhere and not taken,
                **({} if self.usual is None else {"usual_rssi": _clamp(round(self.usual), -127, 20)}),
                **({} if self.near is None else {"near_rssi": _clamp(round(self.near), -127, 20)})}

    def evidence(self) -> str:
        margin = "" if self.margin is None else f", lane margin {self.margin:+.0f} dB"
        margin += "" if self.usual is None or self.near is None else (
            f", came to {self.near:.0f} dBm (about {self.usual:.0f} dBm at its earlier opens here)")
        verdict = "" if self.why_not is None else f" ({self.why_not})"
        if self.was_elsewhere:
            verdict = f" ({self.why_not}: near the other lane earlier in this visit)"
        return (f"{self.tag} {self.level:.0f} dBm, rise {self.rise:+.0f} dB, first heard "
                f"{self.lead:.1f} s before the loop{margin}{verdict}")


def _clamp(value: float, low: float, high: float) -> Any:
    return min(max(value, low), high)


DETAILS = {"late_faint": "late and faint"}  # Evidence.detail → its words in the log


@dataclass(frozen=True)
class Evidence:
    """What the lane heard of the tags it judged for one vehicle, for the passage's ``evidence``:
    the tag it took as the vehicle's, or (``ambiguous``) the tags near it could not tell were this
    vehicle's — it did not open for them, and a warden checks and opens by hand."""

    tags: tuple[Assessment, ...]
    ambiguous: bool = False
    detail: str | None = None  # a code of DETAILS: why a tag found late is not clearly the car's
    taken: bool = False  # the first tag is the one the lane took, or nearly took, as the car's

    def __str__(self) -> str:
        """The evidence in one line for the log (English, like the rest of the edge's log)."""
        text = "; ".join(j.evidence() for j in self.tags)
        text += f" ({DETAILS.get(self.detail, self.detail)})" if self.detail else ""
        return ("ambiguous: " if self.ambiguous else "") + text

    def fields(self) -> dict[str, Any]:
        """The passage's ``evidence``; a tag taken (or nearly taken) as the car's has a null
        ``why_not`` (one heard late that opened is still the car's, not "the car behind")."""
        return {"ambiguous": self.ambiguous,
                "tags": [j.fields(taken=self.taken and k == 0) for k, j in enumerate(self.tags[:3])],
                **({"detail": self.detail} if self.detail else {})}


def assess(tag: str, track: Track, arrived: float, now: float, rules: LaneRules,
           cooling_until: float | None, usual: float | None = None) -> Assessment | None:
    """Can ``tag`` be the vehicle that armed the loop at ``arrived``?  None: not heard recently.
    ``usual``: its loop level (:func:`loop_level`), None while the lane knows too few of its opens."""
    if now - track.last > rules.tag_window:
        return None
    level = track.level(now, rules)
    cut = min(now, arrived + rules.tag_wait + rules.settle)  # the car may still be rolling onto the loop
    start = arrived - rules.trend_window
    if track.consumed_at is not None:
        start = max(start, track.consumed_at)
    values = smoothed(track.samples, start, cut, rules.smooth)
    early = values[:max(1, len(values) // 2)]
    # Rose over the trend window (robustly: against the median of its first half, not a deep fade),
    # and now stands that much above where it usually is (a parked tag's noise stays around it).
    trend = len(values) >= MIN_TREND
    rise = values[-1] - float(median(early)) if trend else 0.0
    above = values[-1] - track.baseline if trend else 0.0
    falling = bool(values) and values[-1] < max(values) - rules.arrival_rise / 2  # past its closest point
    lead = arrived - track.first
    fresh = track.consumed_at is None and -rules.late_grace <= lead <= rules.arrival_window
    # A tag heard for a while before the loop armed (a car parked near the gate) must stand twice as
    # far above its usual level: its noise has had time to make one arrival_rise peak.  The price: a
    # resident parked near the gate who then drives onto the loop is refused (docs/gate.md).
    rising = rise >= rules.arrival_rise and above >= rules.arrival_rise * (2 if lead >= LONG_HEARD else 1)
    if track.consumed_at is not None and lead < rules.parked_after:
        # Queued behind the car that opened: moving up onto the loop is a smaller, later rise.
        # (and stand a full arrival_rise above its usual level: a parked tag consumed with the rest
        # rises half of it by noise alone)
        rising = rise >= rules.arrival_rise / 2 and above >= rules.arrival_rise
    why: str | None = None
    there_now = track.margin is not None and track.margin < rules.lane_margin
    if level < rules.rssi_threshold:
        why = "weak"
    elif there_now or track.elsewhere is not None:
        why = "other_lane"
    elif cooling_until is not None and cooling_until > now:
        why = "cooldown"
    elif falling:  # past its closest point: a car driving by or away, also when first heard late
        why = "leaving"
    elif lead < -rules.late_grace:
        why = "late"
    elif not (fresh or rising):
        if track.consumed_at is not None:
            why = "consumed"
        elif lead >= rules.parked_after:
            why = "parked"
        else:
            why = "not_arriving"
    near = near_now(track, arrived, now) if usual is not None else None
    if why in (None, "late") and near is not None and usual is not None and near < usual - rules.loop_drop:
        why = "weaker_than_usual"  # not as near as its car comes on the loop (its other reasons say more)
    return Assessment(tag, level, rise, lead, track.margin, why, fresh,
                      was_elsewhere=why == "other_lane" and not there_now, usual=usual, near=near)


def loop_level(levels: Sequence[int] | None, rules: LaneRules) -> float | None:
    """A tag's loop level at this lane: the median of the levels of its last opens, once there
    are ``loop_after`` of them (None: too few, or ``loop_after`` 0 — the check is off)."""
    if not levels or rules.loop_after <= 0 or len(levels) < rules.loop_after:
        return None
    return float(median(levels))


def near_now(track: Track, arrived: float, now: float) -> float:
    """How near the tag has come since the vehicle arrived: the highest median of
    ``TYPICAL_READINGS`` consecutive readings since (one strong reading does not make it); with fewer readings, the
    median of those; without any, its typical level (:meth:`Track.typical`).  The lane learns it
    at each open (a tag's loop level) and compares it with the loop level at every look."""
    since = [r for t, r in track.samples if arrived <= t <= now]
    if len(since) >= TYPICAL_READINGS:
        runs = [median(since[i:i + TYPICAL_READINGS]) for i in range(len(since) - TYPICAL_READINGS + 1)]
        return float(max(runs))
    return float(median(since)) if since else track.typical(now)


def learned(levels: Mapping[str, tuple[int, ...]], tag: str, level: float) -> dict[str, tuple[int, ...]]:
    """The lane's loop levels after ``tag`` opened it heard at ``level``: its last
    ``LOOP_LEVELS_KEPT`` kept, the tag moved to the newest end, the oldest tags dropped beyond
    ``LOOP_TAGS_KEPT``."""
    out = {t: v for t, v in levels.items() if t != tag}
    out[tag] = (levels.get(tag, ()) + (_clamp(round(level), -127, 20),))[-LOOP_LEVELS_KEPT:]
    while len(out) > LOOP_TAGS_KEPT:
        del out[next(iter(out))]
    return out


def smoothed(samples: tuple[tuple[float, int], ...], start: float, end: float, width: float) -> list[float]:
    """The RSSI at each sample in [start, end], smoothed: the strongest of the last three samples
    (and of any others within a third of ``width``: a fast advertiser's envelope must not lag a car
    driving away).  Fading and bodies only ever weaken a signal, so the upper envelope is the
    honest one (Bermuda hugs the nearest distance for the same reason); one deep fade must not look
    like a move."""
    out: list[float] = []
    values = [r for _, r in samples]
    for i, (t, _) in enumerate(samples):
        if t > end:
            break
        if t < start:
            continue
        first = max(0, i - 2)
        while first > 0 and t - samples[first - 1][0] <= width / 3:
            first -= 1
        out.append(float(max(values[first:i + 1])))
    return out


class RadioLevels:
    """Which lane a sighting belongs to when each lane has its own radio (antenna at its arm).

    Keeps, per tag and radio, the RSSI heard over the last ``window`` seconds (at least the last
    three sightings); a sighting by radio
    R goes to R's lane(s) with its *margin*: R's strongest recent reading minus the strongest of the other
    radios that heard the tag within ``stale`` seconds (None when no other radio heard it; 0 for a
    radio shared by several lanes, which cannot tell them apart).  The lane decides with
    ``lane_margin``.  Mutable, but no I/O: the device and the bench feed it.
    """

    def __init__(self, radios: Mapping[str, Sequence[str]], *, window: float, stale: float):
        self.radios = {radio: tuple(lanes) for radio, lanes in radios.items()}
        self.window, self.stale = window, stale
        self._levels: dict[str, dict[str, deque[tuple[float, int]]]] = {}

    def heard(self, tag: str, radio: str, rssi: int, at: float) -> list[tuple[str, float | None]]:
        """The (lane, margin) pairs this sighting is delivered to (none for an unknown radio)."""
        lanes = self.radios.get(radio)
        if not lanes:
            return []
        per_radio = self._levels.setdefault(tag, {})
        recent = per_radio.setdefault(radio, deque(maxlen=64))
        recent.append((at, rssi))
        while len(recent) > 3 and at - recent[0][0] > self.window:
            recent.popleft()
        own = max(r for _, r in recent)
        others = [max(r for t, r in h if at - t <= self.stale) for other, h in per_radio.items()
                  if other != radio and h and at - h[-1][0] <= self.stale]
        if len(lanes) > 1:
            margin: float | None = 0.0
        else:
            margin = own - max(others) if others else None
        return [(lane, margin) for lane in lanes]

    def forget(self, before: float) -> None:
        """Drop tags not heard since ``before`` (keeps the memory bounded)."""
        for tag in [t for t, per in self._levels.items() if all(not h or h[-1][0] < before for h in per.values())]:
            del self._levels[tag]
