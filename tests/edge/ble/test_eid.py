"""Eddystone-EID: published vectors, hand-computed AES, and the resolver's replay/clone rules.

Vectors: RadiusNetworks/ephemeral_calc (spec/encryptor_spec.rb, spec/key_pair_spec.rb), a
resolver implementation that follows google/eddystone eid-computation.md; Google publishes only
the generator (tools/eidtools.py), no numbers.
"""

from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.ble.eid import EidKey, EidResolver, Refused, Resolved, compute_eid, identity_key_from_ecdh, temporary_key

H = bytes.fromhex
IK = H("0102030405060708090A111213141516")
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("counter,eid", [
    (0, "a9b76a71c5f89290"),        # ephemeral_calc: K=10, beacon time 0
    (1023, "a9b76a71c5f89290"),     # same window
    (2000, "4144413e45fefa58"),     # ephemeral_calc: beacon time ~2000 → window 1
    (1024, "4144413e45fefa58"),
])
def test_published_vectors(counter, eid):
    assert compute_eid(IK, 10, counter).hex() == eid


def test_identity_key_from_published_key_exchange():
    resolver_private = H("61136adab1bf302f1c49e860196aeefd8fbaa41518b4c226372d6cc469c47278")
    beacon_private = H("6ea13b5ef3cc642fd6102c1d85c096b510f56efc488114a4562a987bf4525628")
    resolver_public = H("29769a045dcb811ba3025985b9de91eb9a57dadbceb68a1e6a3c2b1af4868e1f")
    beacon_public = H("c63e6f89aab47552c8d621a59c81d0af203f6570a4bd7a267a08a17561c8bc2b")
    assert X25519PrivateKey.from_private_bytes(beacon_private).public_key().public_bytes_raw() == beacon_public
    expected = H("f40d6f18e5882260e847e99ca33ac44f")
    assert identity_key_from_ecdh(resolver_private, beacon_public, resolver_public=resolver_public,
                                  beacon_public=beacon_public) == expected
    assert identity_key_from_ecdh(beacon_private, resolver_public, resolver_public=resolver_public,
                                  beacon_public=beacon_public) == expected


def _aes(key, block):
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return e.update(block) + e.finalize()


def test_hand_computed_blocks():
    counter = 0x12345678
    tk = _aes(IK, H("0000000000000000000000ff00001234"))
    assert temporary_key(IK, counter) == tk
    # K = 4: the four low bits of the counter are cleared; byte 11 carries K.
    assert compute_eid(IK, 4, counter) == _aes(tk, H("00000000000000000000000412345670"))[:8]


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=16, max_size=16), st.integers(0, 15), st.integers(0, 2**32 - 1))
def test_eid_constant_within_a_window_and_changes_across(key, k, counter):
    start = counter & ~((1 << k) - 1)
    assert compute_eid(key, k, counter) == compute_eid(key, k, start)
    end = start + (1 << k) - 1
    assert compute_eid(key, k, end) == compute_eid(key, k, start)
    if start + (1 << k) < 2**32:
        assert compute_eid(key, k, start + (1 << k)) != compute_eid(key, k, start)


@pytest.mark.parametrize("key,k", [(bytes(15), 10), (IK, 16), (IK, -1)])
def test_bad_parameters(key, k):
    with pytest.raises(ValueError):
        compute_eid(key, k, 0)


def _key(name="car-1", ik=IK, k=4, clock_value=5000, clock_at=T0):
    return EidKey(name, ik, k, clock_value, clock_at)


def _unix(seconds_after_t0):
    return (T0 + timedelta(seconds=seconds_after_t0)).timestamp()


def test_resolves_current_window_and_neighbours_only():
    key = _key()  # K=4: 16-second windows; counter 5000 at T0
    resolver = EidResolver(keys=(key,))
    now = _unix(100)  # counter 5100
    for offset, ok in [(0, True), (16, True), (-16, True), (32, False), (-32, False)]:
        eid = compute_eid(IK, 4, 5100 + offset)
        verdict = EidResolver(keys=(key,)).resolve(eid, source="gate", at=0.0, unix=now)
        assert isinstance(verdict, Resolved) is ok, offset
    assert resolver.resolve(bytes(8), source="gate", at=0, unix=now) == Refused("unknown")


def test_earlier_window_after_a_later_one_is_a_replay():
    resolver = EidResolver(keys=(_key(),))
    old, new = compute_eid(IK, 4, 5084), compute_eid(IK, 4, 5100)
    assert isinstance(resolver.resolve(old, source="gate", at=0, unix=_unix(100)), Resolved)
    assert isinstance(resolver.resolve(new, source="gate", at=1, unix=_unix(101)), Resolved)
    verdict = resolver.resolve(old, source="gate", at=2, unix=_unix(102))
    assert verdict.reason == "replay" and verdict.tag == "eid:car-1" and "replayed" in verdict.fault
    assert isinstance(resolver.resolve(new, source="gate", at=3, unix=_unix(103)), Resolved)


def test_two_places_at_once_is_a_clone_and_holds_the_tag():
    resolver = EidResolver(keys=(_key(),), clone_window=5, clone_hold=60)
    eid = compute_eid(IK, 4, 5100)
    assert isinstance(resolver.resolve(eid, source="north-gate", at=10, unix=_unix(100)), Resolved)
    verdict = resolver.resolve(eid, source="east-strip", at=12, unix=_unix(102))
    assert verdict.reason == "clone" and "north-gate and east-strip" in verdict.fault
    assert resolver.held(13) == ["eid:car-1"]
    assert resolver.resolve(eid, source="north-gate", at=20, unix=_unix(110)).reason == "clone_hold"
    assert resolver.held(80) == []
    later = compute_eid(IK, 4, 5100 + 80)
    assert isinstance(resolver.resolve(later, source="east-strip", at=80, unix=_unix(180)), Resolved)


def test_same_tag_at_two_places_far_apart_in_time_is_fine():
    resolver = EidResolver(keys=(_key(),), clone_window=5)
    assert isinstance(resolver.resolve(compute_eid(IK, 4, 5100), source="a", at=0, unix=_unix(100)), Resolved)
    assert isinstance(resolver.resolve(compute_eid(IK, 4, 5110), source="b", at=10, unix=_unix(110)), Resolved)


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=16, max_size=16), st.integers(0, 15), st.integers(0, 2**31), st.integers(-10**6, 10**6))
def test_a_beacon_is_resolved_from_its_registration(key, k, clock_value, elapsed):
    """Round trip: whatever the key, exponent and elapsed time, the beacon's own EID resolves."""
    registered = _key(ik=key, k=k, clock_value=clock_value)
    counter = clock_value + elapsed
    if not 0 <= counter < 2**32:
        return
    verdict = EidResolver(keys=(registered,)).resolve(compute_eid(key, k, counter), source="s", at=0,
                                                      unix=_unix(elapsed))
    assert verdict == Resolved("eid:car-1", counter >> k)
