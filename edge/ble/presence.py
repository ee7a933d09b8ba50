"""Per-tag RSSI smoothing and presence with hysteresis (在场判定).  Pure: time is passed in.

* **Present** on the first valid sighting at or above the zone's threshold (raw RSSI: a car that
  arrives should count at once).
* **Kept present** by sightings whose smoothed RSSI (exponential moving average) stays at or
  above ``threshold - leave_margin``: a tag must fade well below the threshold before it stops
  counting, so a car at the edge of range does not flap.
* **Away** only after ``missed`` advertising intervals without a keeping sighting.  The interval
  is learned per tag (median of the recent gaps between sightings, bounded), and the resulting
  timeout is bounded by ``min_away`` and ``max_away`` — a false "away" would tell the hub a car
  left when it did not.

``observe`` and ``expire`` are pure functions of (track, input, now) → (track, transition);
:class:`PresenceTracker` is the thin dict of tracks that the lane device and the gate keep.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from statistics import median

from .model import Sighting


@dataclass(frozen=True)
class PresenceParams:
    """Thresholds and timing of one zone (see the module docstring)."""

    threshold: int = -75  # dBm: a sighting this strong makes the tag present
    leave_margin: int = 8  # dB below threshold the smoothed RSSI may sink and still keep it
    alpha: float = 0.3  # EMA weight of the newest RSSI
    missed: int = 5  # advertising intervals without a keeping sighting before "away"
    default_interval: float = 2.0  # seconds, until enough gaps are learned
    min_gaps: int = 3  # gaps needed before the learned interval is used
    max_gaps: int = 9  # gaps kept for the median
    max_interval: float = 30.0  # gaps longer than this are absences, not intervals
    min_away: float = 15.0  # seconds: bounds of the away timeout
    max_away: float = 300.0


@dataclass(frozen=True)
class TagTrack:
    """What is known of one tag in one zone."""

    present: bool = False
    rssi: float | None = None  # smoothed
    last_heard: float | None = None  # any sighting (for the interval)
    last_kept: float | None = None  # newest sighting that kept or made it present
    gaps: tuple[float, ...] = ()


@dataclass(frozen=True)
class Transition:
    """A tag became present (``present``) or away in a zone; ``rssi`` rounded smoothed dBm."""

    tag: str
    present: bool
    rssi: int | None
    at: float


def interval(track: TagTrack, params: PresenceParams) -> float:
    """The tag's learned advertising interval in seconds."""
    if len(track.gaps) < params.min_gaps:
        return params.default_interval
    return min(max(median(track.gaps), 0.01), params.max_interval)


def away_after(track: TagTrack, params: PresenceParams) -> float:
    """Seconds without a keeping sighting after which the tag is away."""
    return min(max(params.missed * interval(track, params), params.min_away), params.max_away)


def _smooth(previous: float | None, rssi: int, alpha: float) -> float:
    return float(rssi) if previous is None else previous + alpha * (rssi - previous)


def observe(track: TagTrack, sighting: Sighting, params: PresenceParams) -> tuple[TagTrack, Transition | None]:
    """Account for one sighting of the track's tag."""
    gaps = track.gaps
    if track.last_heard is not None:
        gap = sighting.at - track.last_heard
        if 0 < gap <= params.max_interval:
            gaps = (gaps + (gap,))[-params.max_gaps:]
    rssi = _smooth(track.rssi, sighting.rssi, params.alpha)
    track = replace(track, rssi=rssi, last_heard=sighting.at, gaps=gaps)
    if not track.present:
        if sighting.rssi >= params.threshold:
            track = replace(track, present=True, last_kept=sighting.at, rssi=float(sighting.rssi))
            return track, Transition(sighting.tag, True, sighting.rssi, sighting.at)
        return track, None
    if rssi >= params.threshold - params.leave_margin:
        track = replace(track, last_kept=sighting.at)
    return track, None


def expire(tag: str, track: TagTrack, now: float, params: PresenceParams) -> tuple[TagTrack, Transition | None]:
    """Declare the tag away when it has not been kept present for :func:`away_after` seconds."""
    if not track.present or track.last_kept is None:
        return track, None
    if now - track.last_kept < away_after(track, params):
        return track, None
    rssi = None if track.rssi is None else round(track.rssi)
    return replace(track, present=False), Transition(tag, False, rssi, now)


def forgettable(track: TagTrack, now: float, params: PresenceParams) -> bool:
    """An away tag unheard for a long time can be dropped from memory."""
    return not track.present and (track.last_heard is None or now - track.last_heard > 2 * params.max_away)


class PresenceTracker:
    """The tracks of one zone: feed sightings and ticks, get transitions back."""

    def __init__(self, params: PresenceParams):
        self.params = params
        self.tracks: dict[str, TagTrack] = {}

    def observe(self, sighting: Sighting) -> Transition | None:
        track, change = observe(self.tracks.get(sighting.tag, TagTrack()), sighting, self.params)
        self.tracks[sighting.tag] = track
        return change

    def expire(self, now: float) -> list[Transition]:
        changes = []
        for tag, track in list(self.tracks.items()):
            track, change = expire(tag, track, now, self.params)
            if change:
                changes.append(change)
            if forgettable(track, now, self.params):
                del self.tracks[tag]
            else:
                self.tracks[tag] = track
        return changes

    def present(self) -> dict[str, int | None]:
        """Tags present now, with their smoothed RSSI."""
        return {tag: (None if t.rssi is None else round(t.rssi)) for tag, t in self.tracks.items() if t.present}
