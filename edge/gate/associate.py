"""Which tag belongs to the vehicle on the loop (标签与车辆关联).  Pure: no I/O.

A tag heard at a lane is only a *hint* that its car is the one on the loop: a resident parked
beside the gate, driving past on the street, queued behind, stopped just inside, or at the other
lane is heard just as well.  For each tag the lane keeps a :class:`Track` (this visit's first and
last sighting, recent samples, whether an open has consumed it), and :func:`assess` says whether
the tag can be the vehicle that armed the loop at ``arrived``:

* **at this lane**: smoothed RSSI at or above the lane's threshold, and heard stronger here than
  at any other lane's radio by ``lane_margin`` dB (a radio shared by several lanes cannot tell);
* **arriving**: first heard at most ``arrival_window`` before the loop armed (and no later than
  ``late_grace`` after), or its smoothed RSSI rose by ``arrival_rise`` dB over the
  ``trend_window`` before the loop armed — and not fallen by half that from its peak (the antenna
  is at the arm, past the loop: a car driving onto the loop is still closing in; one that has
  passed its closest point is driving past on the street, or is the car in front moving on);
* **not consumed**: every open consumes the tags heard at the lane; a consumed tag counts again
  only after it rose anew (the queued car moving onto the loop) or after it left (unheard for
  ``tag_gone``); the opened vehicle's own tag also cools down for ``cooldown``.

RSSI is smoothed by medians over ``smooth``-second bins (ESPresense and Bermuda smooth with
median/percentile windows for the same reason: multipath spikes are one-sided and short).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from statistics import median

from .model import LaneRules

MAX_SAMPLES = 400


@dataclass(frozen=True)
class Track:
    """One tag's current visit at the lane."""

    first: float
    last: float
    samples: tuple[tuple[float, int], ...]
    margin: float | None = None
    consumed_at: float | None = None

    def level(self, until: float, rules: LaneRules) -> float:
        """Median RSSI over the last ``smooth`` seconds up to ``until``."""
        recent = [r for t, r in self.samples if until - rules.smooth <= t <= until]
        if not recent:
            recent = [r for t, r in self.samples if t <= until][-1:] or [self.samples[-1][1]]
        return float(median(recent))


def heard(track: Track | None, rssi: int, at: float, margin: float | None, rules: LaneRules) -> Track:
    """The track after one more sighting (a new visit when the tag was gone for ``tag_gone``)."""
    if track is None or at - track.last > rules.tag_gone:
        return Track(first=at, last=at, samples=((at, rssi),), margin=margin)
    keep = at - (rules.trend_window + rules.tag_wait + rules.late_grace + 2 * rules.smooth + rules.tag_window)
    samples = tuple(s for s in track.samples if s[0] >= keep)[-(MAX_SAMPLES - 1):] + ((at, rssi),)
    return replace(track, last=max(track.last, at), samples=samples, margin=margin)


@dataclass(frozen=True)
class Assessment:
    """What the lane concluded about one tag for one vehicle; ``why_not`` None: it can be that car."""

    tag: str
    level: float
    rise: float
    lead: float  # seconds the tag was first heard before the loop armed (negative: after)
    margin: float | None
    why_not: str | None

    def evidence(self) -> str:
        margin = "" if self.margin is None else f", lane margin {self.margin:+.0f} dB"
        verdict = "" if self.why_not is None else f" ({self.why_not})"
        return (f"{self.tag} {self.level:.0f} dBm, rise {self.rise:+.0f} dB, first heard "
                f"{self.lead:.1f} s before the loop{margin}{verdict}")


def assess(tag: str, track: Track, arrived: float, now: float, rules: LaneRules,
           cooling_until: float | None) -> Assessment | None:
    """Can ``tag`` be the vehicle that armed the loop at ``arrived``?  None: not heard recently."""
    if now - track.last > rules.tag_window:
        return None
    level = track.level(now, rules)
    cut = arrived + rules.late_grace
    start = arrived - rules.trend_window
    if track.consumed_at is not None:
        start = max(start, track.consumed_at)
    bins = _bins(track.samples, start, cut, rules.smooth)
    rise = bins[-1] - min(bins) if bins else 0.0
    falling = bool(bins) and bins[-1] < max(bins) - rules.arrival_rise / 2  # past its closest point
    lead = arrived - track.first
    fresh = track.consumed_at is None and -rules.late_grace <= lead <= rules.arrival_window
    why: str | None = None
    if level < rules.rssi_threshold:
        why = "weak"
    elif track.margin is not None and track.margin < rules.lane_margin:
        why = "other_lane"
    elif cooling_until is not None and cooling_until > now:
        why = "cooldown"
    elif lead < -rules.late_grace:
        why = "late"
    elif falling:
        why = "leaving"
    elif not (fresh or rise >= rules.arrival_rise):
        if track.consumed_at is not None:
            why = "consumed"
        elif lead >= rules.parked_after:
            why = "parked"
        else:
            why = "not_arriving"
    return Assessment(tag, level, rise, lead, track.margin, why)


def _bins(samples: tuple[tuple[float, int], ...], start: float, end: float, width: float) -> list[float]:
    """Medians of the samples in consecutive ``width`` bins ending at ``end`` (empty bins skipped)."""
    chosen = [(t, r) for t, r in samples if start <= t <= end]
    if not chosen:
        return []
    out: list[float] = []
    edge = end
    while edge > start - 1e-9 and chosen:
        inside = [r for t, r in chosen if edge - width < t <= edge]
        if inside:
            out.append(float(median(inside)))
        chosen = [(t, r) for t, r in chosen if t <= edge - width]
        edge -= width
    out.reverse()
    return out
