"""Which occupied spots hold a vehicle with *no* tag (无标签车辆).  Pure; times passed in.

The camera sees that a marked spot is occupied, not by whom; the scanner hears tags, not where.
A resident's tagged car must never be reported as an untagged vehicle, so a spot is reported
untagged only when no tag explains it:

* a spot that fills within ``window`` seconds of an unexplained tag arriving in the zone (before
  or after) is that tag's car — paired, nothing reported;
* a spot still unexplained ``window`` seconds after it filled is reported untagged
  (``present`` true, ``slot`` = the spot);
* a tag that arrives within ``window`` of an untagged report takes it over: the untagged report
  is withdrawn (``present`` false for the slot) — the tag was late, the car is a resident's;
* when a spot empties, an untagged report ends (``present`` false); a pairing ends silently;
* when a paired tag leaves but its spot stays occupied, the spot waits ``window`` again.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SlotChange:
    """Report (``present``) or end an untagged vehicle in ``spot``."""

    spot: str
    present: bool


@dataclass
class Pairing:
    """The pairing state of one zone."""

    window: float
    occupied_at: dict[str, float] = field(default_factory=dict)  # spot → when it filled (or was freed)
    paired: dict[str, str] = field(default_factory=dict)  # spot → tag
    untagged: dict[str, float] = field(default_factory=dict)  # spot → when reported untagged
    free_tags: dict[str, float] = field(default_factory=dict)  # present tags without a spot → arrival

    def spot_filled(self, spot: str, now: float) -> list[SlotChange]:
        self.occupied_at[spot] = now
        tag = self._recent_free_tag(now)
        if tag is not None:
            self._pair(spot, tag)
        return []

    def spot_emptied(self, spot: str, now: float) -> list[SlotChange]:
        self.occupied_at.pop(spot, None)
        tag = self.paired.pop(spot, None)
        if tag is not None:
            self.free_tags[tag] = float("-inf")  # still present, but explains no new spot
        if self.untagged.pop(spot, None) is not None:
            return [SlotChange(spot, False)]
        return []

    def tag_arrived(self, tag: str, now: float) -> list[SlotChange]:
        waiting = [s for s in self._unexplained()
                   if now - self.untagged.get(s, self.occupied_at[s]) <= self.window]
        if not waiting:
            self.free_tags[tag] = now
            return []
        spot = min(waiting, key=lambda s: self.occupied_at[s])
        self._pair(spot, tag)
        if self.untagged.pop(spot, None) is not None:
            return [SlotChange(spot, False)]
        return []

    def tag_left(self, tag: str, now: float) -> list[SlotChange]:
        self.free_tags.pop(tag, None)
        for spot, owner in list(self.paired.items()):
            if owner == tag:
                del self.paired[spot]
                self.occupied_at[spot] = now
        return []

    def tick(self, now: float) -> list[SlotChange]:
        due = [s for s in self._unexplained() if s not in self.untagged and now - self.occupied_at[s] > self.window]
        self.untagged.update(dict.fromkeys(due, now))
        return [SlotChange(s, True) for s in sorted(due)]

    def _unexplained(self) -> list[str]:
        return [s for s in self.occupied_at if s not in self.paired]

    def _recent_free_tag(self, now: float) -> str | None:
        recent = [(at, t) for t, at in self.free_tags.items() if now - at <= self.window]
        return max(recent)[1] if recent else None

    def _pair(self, spot: str, tag: str) -> None:
        self.paired[spot] = tag
        self.free_tags.pop(tag, None)
