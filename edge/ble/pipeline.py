"""From raw advertisements to valid sightings (解码与验证).  No I/O: the scanner feeds it.

For each :class:`~edge.ble.model.Advertisement`:

1. a recognised frame (Eddystone-EID, Eddystone-UID, iBeacon) gives its tag; an EID frame is
   resolved against the registered keys (replays and clones refused);
2. the sender's address gives a ``mac:`` tag when it is static (public or static random — never a
   resolvable or non-resolvable private address) **and** listed in ``mac_tags`` (or
   ``any_static_mac`` is on): otherwise every phone with a fixed address would become a "tag";
3. an unencrypted Eddystone-TLM frame is given to :attr:`Pipeline.batteries`
   (:class:`~edge.ble.tlm.TlmBook`), which attributes its battery voltage to the tag whose
   identifying frame came from the same address — never to an EID tag.

Everything not used is counted by reason in :attr:`Pipeline.counts`, never dropped silently.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .decode import EidFrame, StaticTag, decode_frames, decode_mac, find_tlm
from .eid import EidResolver, Refused
from .model import Advertisement, Sighting
from .tlm import TlmBook

logger = logging.getLogger(__name__)

CLONE = "ble_possible_clone"


@dataclass(frozen=True)
class CloneFault:
    """A ``ble_possible_clone`` fault to emit (``active`` false: every hold has ended)."""

    active: bool
    detail: str


class Pipeline:
    """Decodes and validates advertisements heard at ``source`` (the scanner's place)."""

    def __init__(self, source: str, *, resolver: EidResolver | None = None,
                 mac_tags: Iterable[str] = (), any_static_mac: bool = False):
        self.source = source
        self.resolver = resolver or EidResolver(keys=())
        self.any_static_mac = any_static_mac
        self._config_macs = frozenset(m.lower() for m in mac_tags)
        self._macs = self._config_macs
        self.counts: Counter[str] = Counter()
        self._reported: dict[str, float] = {}  # tag → when its clone fault was last emitted
        self._clone_active = False
        self.batteries = TlmBook()

    def watch_macs(self, macs: Iterable[str]) -> None:
        """Also accept these static addresses (e.g. the allowlist's mac: tags), besides the config's."""
        self._macs = self._config_macs | frozenset(m.lower().removeprefix("mac:") for m in macs)

    def process(self, adv: Advertisement, *, unix: float) -> tuple[list[Sighting], CloneFault | None]:
        """The valid sightings in one advertisement, and a clone fault to emit if any."""
        self.counts["advertisements"] += 1
        sightings: list[Sighting] = []
        fault = None
        frame = decode_frames(adv.manufacturer_data, adv.service_data)
        if isinstance(frame, StaticTag):
            sightings.append(Sighting(frame.tag, adv.rssi, adv.at, True))
        elif isinstance(frame, EidFrame):
            sighting, fault = self._resolve(frame, adv, unix)
            if sighting:
                sightings.append(sighting)
        mac = self._mac(adv)
        if mac:
            sightings.append(mac)
        tlm = self._telemetry(adv, frame, sightings)
        if not sightings and frame is None and not tlm:
            self.counts["not_a_tag"] += 1
        self.counts["sightings"] += len(sightings)
        return sightings, fault

    def _telemetry(self, adv: Advertisement, frame: object, sightings: list[Sighting]) -> bool:
        """Tell the battery book who this address is and what TLM it sent; True if it sent one."""
        address = adv.address.lower()
        if isinstance(frame, EidFrame):
            self.batteries.eid_heard(address, adv.at)
        for sighting in sightings:
            if sighting.weak:  # static ids only: a resolved EID is never tied to an address
                if self.batteries.identified(address, sighting.tag, adv.at):
                    self.counts["tlm_attributed"] += 1
        tlm = find_tlm(adv.service_data)
        if tlm is not None:
            self.counts[f"tlm_{self.batteries.telemetry(address, tlm, adv.at)}"] += 1
        return tlm is not None

    def tick(self, at: float) -> CloneFault | None:
        """Clear the clone fault once no tag is held and none was reported for a hold period."""
        lost = self.batteries.prune(at)
        if lost:
            self.counts["tlm_unattributed"] += lost
        hold = self.resolver.clone_hold
        recent = [t for t, when in self._reported.items() if at - when < hold]
        if self._clone_active and not recent and not self.resolver.held(at):
            self._clone_active = False
            self._reported.clear()
            return CloneFault(False, "no copied or replayed EID tag heard for a while")
        return None

    def _resolve(self, frame: EidFrame, adv: Advertisement, unix: float) -> tuple[Sighting | None, CloneFault | None]:
        verdict = self.resolver.resolve(frame.eid, source=self.source, at=adv.at, unix=unix)
        if not isinstance(verdict, Refused):
            self.counts["eid_resolved"] += 1
            return Sighting(verdict.tag, adv.rssi, adv.at, False), None
        self.counts[f"eid_{verdict.reason}"] += 1
        if verdict.fault is None or verdict.tag is None:
            return None, None
        last = self._reported.get(verdict.tag)
        if last is not None and adv.at - last < self.resolver.clone_hold:
            return None, None
        self._reported[verdict.tag] = adv.at
        self._clone_active = True
        logger.warning("possible clone: %s", verdict.fault)
        return None, CloneFault(True, verdict.fault)

    def _mac(self, adv: Advertisement) -> Sighting | None:
        address = adv.address.lower()
        if not self.any_static_mac and address not in self._macs:
            return None
        tag = decode_mac(address, adv.address_type)
        if tag is None:
            self.counts["private_address"] += 1
            return None
        return Sighting(tag.tag, adv.rssi, adv.at, True)
