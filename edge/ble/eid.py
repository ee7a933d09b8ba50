"""Eddystone-EID: computing and resolving rotating identifiers (滚动加密标签).  No I/O.

From google/eddystone ``eddystone-eid/eid-computation.md``:

* temporary key ``TK = AES-128(IK, 00×11 ‖ FF ‖ 00 00 ‖ TS[31:16])`` — the top 16 bits of the
  beacon's 32-bit seconds counter TS, big-endian;
* ``EID = AES-128(TK, 00×11 ‖ K ‖ TS with its K low bits cleared)[:8]`` — K (0..15) the rotation
  exponent: a new identifier every 2^K seconds.

The resolver knows each registered tag's identity key IK, its K and its clock base (the beacon's
counter value at a known wall-clock instant).  For each tag it precomputes the EIDs of the
window it expects now and its neighbours, and looks heard identifiers up in a table.

* **Windows are counted without wrapping** (the beacon's 32-bit counter wraps after 136 years of
  seconds, or sooner for a counter set high): window ``w`` is sent with counter ``(w·2^K) mod 2^32``,
  so the window after the wrap is the next neighbour, not window 0 refused as a replay.
* **Drift is learned per tag:** beacon clocks run up to ±150 ppm off (one K=10 window, 1024 s, in
  about 80 days).  Each resolved window bounds the tag's offset from its registered clock; the
  resolver keeps the offset inside those bounds (moving it as little as needed), so a tag heard
  every few weeks is followed for years.  The longer a tag was not resolved, the more neighbours are
  searched (up to ±8 windows at 200 ppm).
* **The edge's own clock may step** (NTP after a stale boot, a manual fix): the table is rebuilt as
  soon as the wall clock moves outside the span it was built for, backwards or forwards.

A tag's highest accepted window is remembered: an identifier of an *earlier* window heard
afterwards is a replay.  The same tag resolved at two places (scanners) within ``clone_window``
seconds is a possible clone; that sighting is refused and the tag is held (refused everywhere)
for ``clone_hold`` seconds.  Both raise a ``ble_possible_clone`` fault.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gwcommon.tagid import format_eid

COUNTER_MOD = 2**32
MAX_PPM = 200e-6  # beacon clock error assumed when widening the search (the spec promises 150 ppm)
MAX_RADIUS = 8  # neighbours searched at most on each side


def _aes(key: bytes, block: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def temporary_key(identity_key: bytes, counter: int) -> bytes:
    """The temporary key for the beacon counter ``counter`` (changes every 65,536 s)."""
    block = bytes(11) + b"\xff" + bytes(2) + ((counter % COUNTER_MOD) >> 16).to_bytes(2, "big")
    return _aes(identity_key, block)


def compute_eid(identity_key: bytes, exponent: int, counter: int) -> bytes:
    """The 8-byte EID a beacon with ``identity_key`` and rotation exponent K sends at ``counter``."""
    if len(identity_key) != 16 or not 0 <= exponent <= 15:
        raise ValueError("EID needs a 16-byte identity key and a rotation exponent 0..15")
    counter %= COUNTER_MOD
    quantised = counter & ~((1 << exponent) - 1) & 0xFFFFFFFF
    block = bytes(11) + bytes([exponent]) + quantised.to_bytes(4, "big")
    return _aes(temporary_key(identity_key, counter), block)[:8]


def identity_key_from_ecdh(own_private: bytes, peer_public: bytes, *, resolver_public: bytes,
                           beacon_public: bytes) -> bytes:
    """The identity key of the spec's key exchange: HKDF-SHA256 of the X25519 shared secret,
    salt = resolver public key ‖ beacon public key, empty info, first 16 bytes."""
    shared = X25519PrivateKey.from_private_bytes(own_private).exchange(
        X25519PublicKey.from_public_bytes(peer_public))
    if shared == bytes(32):
        raise ValueError("the ECDH shared secret is zero (invalid public key)")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=resolver_public + beacon_public, info=b"")
    return hkdf.derive(shared)[:16]


@dataclass(frozen=True)
class EidKey:
    """One registered EID tag: its name (the ``eid:<name>`` tag id), key, exponent and clock base."""

    name: str
    identity_key: bytes
    exponent: int
    clock_value: int  # the beacon's counter at clock_at
    clock_at: datetime  # aware

    def counter_at(self, unix: float) -> int:
        """The beacon's counter at wall-clock ``unix`` seconds."""
        return int(self.clock_value + (unix - self.clock_at.timestamp())) % COUNTER_MOD

    def elapsed_counter(self, unix: float) -> float:
        """The beacon's counter at ``unix`` without wrapping (grows past 2^32), by the registered clock."""
        return self.clock_value + (unix - self.clock_at.timestamp())

    def eid_of_window(self, window: int) -> bytes:
        """The EID of unwrapped window ``window``."""
        return compute_eid(self.identity_key, self.exponent, (window << self.exponent) % COUNTER_MOD)

    @property
    def tag(self) -> str:
        return format_eid(self.name)


@dataclass(frozen=True)
class Resolved:
    """A heard EID matched a registered tag (``tag``) and passed the replay and clone checks."""

    tag: str
    window: int  # unwrapped: keeps growing past the counter's wrap


@dataclass(frozen=True)
class Refused:
    """A heard EID that is refused; ``fault`` is a ``ble_possible_clone`` detail to report, if new."""

    reason: str  # unknown | replay | clone | clone_hold
    tag: str | None = None
    fault: str | None = None


@dataclass
class _TagState:
    high_window: int = -1  # unwrapped
    last_source: str | None = None
    last_at: float = float("-inf")
    hold_until: float = float("-inf")
    offset: float = 0.0  # learned: the beacon's counter minus the registered clock's (seconds)
    resolved_unix: float | None = None  # wall time of the last resolution (None: the registration)


@dataclass
class EidResolver:
    """Resolves heard EIDs to registered tags; ``at`` is monotonic seconds, ``unix`` wall seconds."""

    keys: tuple[EidKey, ...]
    clone_window: float = 5.0
    clone_hold: float = 60.0
    _table: dict[bytes, tuple[EidKey, int]] = field(default_factory=dict)
    _table_for: dict[str, tuple[int, int]] = field(default_factory=dict)  # name → (centre window, radius)
    _states: dict[str, _TagState] = field(default_factory=dict)
    _valid_until: float = float("-inf")  # wall time of the next window change of any key
    _built_at: float = float("inf")  # wall time the table was last checked (a step back rebuilds)

    def resolve(self, eid: bytes, *, source: str, at: float, unix: float) -> Resolved | Refused:
        """Decide about one heard EID (see the module docstring for the rules)."""
        self._refresh(unix)
        hit = self._table.get(eid)
        if hit is None:
            return Refused("unknown")
        key, window = hit
        state = self._states.setdefault(key.name, _TagState())
        if window < state.high_window:
            return Refused("replay", key.tag, f"{key.tag}: identifier of an earlier window heard again "
                                              f"at {source} (window {window} < {state.high_window}): replayed?")
        if at < state.hold_until:
            return Refused("clone_hold", key.tag)
        if state.last_source not in (None, source) and at - state.last_at < self.clone_window:
            state.hold_until = at + self.clone_hold
            return Refused("clone", key.tag, f"{key.tag}: heard at {state.last_source} and {source} within "
                                             f"{at - state.last_at:.1f} s: copied tag?")
        state.high_window = max(state.high_window, window)
        state.last_source, state.last_at = source, at
        self._learn(key, state, window, unix)
        return Resolved(key.tag, window)

    def held(self, at: float) -> list[str]:
        """Tags currently held as possible clones."""
        return sorted(format_eid(name) for name, s in self._states.items() if at < s.hold_until)

    def offset(self, name: str) -> float:
        """The learned clock offset of tag ``name`` in seconds (0 until it was resolved)."""
        state = self._states.get(name)
        return state.offset if state else 0.0

    def _learn(self, key: EidKey, state: _TagState, window: int, unix: float) -> None:
        """The beacon was in ``window`` at ``unix``: keep the offset within what that allows."""
        expected = key.elapsed_counter(unix)
        low = (window << key.exponent) - expected
        high = ((window + 1) << key.exponent) - expected - 1e-3
        offset = min(max(state.offset, low), high)
        state.resolved_unix = unix
        if offset != state.offset:
            state.offset = offset
            self._valid_until = float("-inf")  # re-centre this tag's windows at the next look-up

    def _refresh(self, unix: float) -> None:
        if self._table_for and self._built_at <= unix < self._valid_until:
            return
        valid_until = float("inf")
        for key in self.keys:
            state = self._states.get(key.name)
            counter = key.elapsed_counter(unix) + (state.offset if state else 0.0)
            window = int(counter) >> key.exponent
            since = unix - (state.resolved_unix if state and state.resolved_unix is not None
                            else key.clock_at.timestamp())
            radius = 1 + min(MAX_RADIUS - 1, int(MAX_PPM * abs(since)) >> key.exponent)
            if self._table_for.get(key.name) != (window, radius):
                self._rebuild_key(key, window, radius)
            valid_until = min(valid_until, unix + ((window + 1) << key.exponent) - counter)
        self._valid_until = valid_until
        self._built_at = unix

    def _rebuild_key(self, key: EidKey, window: int, radius: int) -> None:
        for eid in [e for e, (k, _) in self._table.items() if k.name == key.name]:
            del self._table[eid]
        for w in range(max(0, window - radius), window + radius + 1):
            self._table[key.eid_of_window(w)] = (key, w)
        self._table_for[key.name] = (window, radius)
