"""Sequence tracking, watermarks and the site clock (docs/contract.md §2), as tables."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.watermark import MonotoneSiteClock, DeviceView, SeqTrack, SiteTime, is_online, site_time, watermark

T0 = datetime(2026, 3, 2, 23, 0, tzinfo=timezone.utc)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def track_of(seqs: list[int], *, hint: int | None = None) -> SeqTrack:
    """A track fed ``seqs`` in order, each with ts = T0 + seq minutes."""
    track = SeqTrack()
    for seq in seqs:
        track.add(seq, at(seq))
    if hint is not None:
        track.hint(hint)
    return track


@pytest.mark.parametrize("seqs,top,ack,pending", [
    ([], 0, None, []),
    ([1], 1, 1, []),
    ([1, 2, 3], 3, 3, []),
    ([3, 1, 2], 3, 3, []),                 # out of order, gap filled later
    ([1, 2, 4, 5], 2, 2, [4, 5]),          # a gap at 3
    ([1, 2, 4, 5, 3], 5, 5, []),           # the late event closes the gap
    ([2, 3], 3, None, []),                 # base 2 unconfirmed: no ack (1 may still come)
    ([2, 3, 1], 3, 3, []),                 # seq 1 came late: base 1, confirmed
    ([5, 6, 3], 3, None, [5, 6]),          # unconfirmed base lowered to 3, gap at 4
])
def test_seq_track_table(seqs, top, ack, pending):
    track = track_of(seqs)
    assert (track.top, track.ack, sorted(track.pending)) == (top, ack, pending)


@pytest.mark.parametrize("seqs,hint,base,top,ack", [
    ([], 1, 1, 0, None),                   # a device with an empty outbox and no events yet
    ([], 7, 7, 6, None),                   # heartbeat before any event: base at its oldest held
    ([5, 6], 5, 5, 6, 6),                  # the device holds nothing older: base 5 confirmed
    ([5, 6], 3, 3, 2, None),               # it still holds 3 and 4: wait for them
    ([5, 6], 9, 5, 6, 6),                  # one heartbeat is not enough to pass over 7, 8
    ([1, 2, 3], 1, 1, 3, 3),               # confirmed already
])
def test_heartbeat_hint_table(seqs, hint, base, top, ack):
    track = track_of(seqs, hint=hint)
    assert (track.base, track.top, track.ack) == (base, top, ack)


def test_stable_hint_passes_over_seqs_the_device_no_longer_holds():
    track = track_of([1, 2, 3, 7, 8])
    assert track.hint(7, stable=False) is False and track.top == 3
    assert track.hint(6, stable=True) is True                        # 4 and 5 are gone for good
    assert (track.top, track.skipped, track.ack) == (5, 2, 5)        # but it still holds 6: wait
    assert track.add(6, at(6)) is True
    assert (track.top, track.ack, track.top_ts) == (8, 8, at(8))


def test_stable_hint_never_passes_over_what_can_still_come():
    track = track_of([1, 2, 3])
    assert track.hint(4, stable=True) is False          # oldest held is just after top: fine
    assert (track.top, track.skipped) == (3, 0)


@given(st.permutations(list(range(1, 40))), st.integers(min_value=0, max_value=39))
def test_ack_is_always_a_contiguous_prefix(order, stop):
    held = set(order[:stop])
    track = track_of(order[:stop])
    expected = 0
    while expected + 1 in held:
        expected += 1
    if 1 in held:
        assert track.ack == expected
        assert all(s in held for s in range(1, track.ack + 1))
    else:
        assert track.ack is None


@pytest.mark.parametrize("seqs,hb,previous,expected", [
    ([], None, None, None),                                 # nothing known
    ([1, 2], None, None, at(2)),                            # newest event
    ([1, 2], (at(10), 2), None, at(10)),                    # heartbeat covers every event
    ([1, 2], (at(10), 3), None, at(2)),                     # event 3 not here yet
    ([1, 2, 4], (at(10), 4), None, at(2)),                  # gap at 3: newest before the gap
    ([1, 2, 3, 4], (at(10), 4), None, at(10)),              # gap closed
    ([], (at(10), 0), None, at(10)),                        # idle device, nothing issued
    ([1, 2], (at(1), 2), None, at(2)),                      # heartbeat older than the event
    ([1], None, at(30), at(30)),                            # never goes back
])
def test_watermark_table(seqs, hb, previous, expected):
    track = track_of(seqs)
    hb_ts, hb_last = hb if hb else (None, None)
    assert watermark(track, hb_ts=hb_ts, hb_last_seq=hb_last, previous=previous) == expected


OFF = timedelta(seconds=120)


@pytest.mark.parametrize("status,last_seen,online", [
    (True, at(0), True),
    (None, at(0), True),                     # never sent a status, but talks
    (False, at(0), False),                   # status (or will) says offline
    (True, None, False),                     # never heard from
    (True, at(-2), True),                    # exactly offline_after ago: still online
    (True, at(-2.01), False),                # silent for longer than offline_after
])
def test_is_online_table(status, last_seen, online):
    assert is_online(status_online=status, last_seen=last_seen, now=at(0), offline_after=OFF) is online


def view(name, kind="gate", *, status=True, seen=0.0, mark=None):
    return DeviceView(name, kind, status, at(seen) if seen is not None else None, mark)


NOW = at(60)


@pytest.mark.parametrize("devices,expected", [
    ([], SiteTime(NOW, True, from_data=False)),                                   # no devices: wall clock
    ([view("g", seen=60, mark=at(50))], SiteTime(at(50), False)),
    ([view("g", seen=60, mark=at(50)), view("l", "lane", seen=60, mark=at(40))], SiteTime(at(40), False)),
    ([view("g", seen=60, mark=at(50)), view("l", "lane", status=False, mark=at(40))], SiteTime(at(50), True)),
    ([view("g", seen=60, mark=at(50)), view("l", "lane", seen=10, mark=at(5))], SiteTime(at(50), True)),
    ([view("g", status=False, mark=at(50))], SiteTime(NOW, True)),               # none online: wall clock
    ([view("g", seen=60, mark=at(50)), view("c", "charging", seen=60, mark=at(1))], SiteTime(at(50), False)),
    ([view("c", "charging", seen=60, mark=at(1))], SiteTime(NOW, True, False)),  # charging never counts
    ([view("g", seen=60, mark=None), view("l", "lane", seen=60, mark=at(30))], SiteTime(at(30), True)),
    ([view("x", None, seen=60, mark=at(1))], SiteTime(NOW, True, False)),         # unknown kind: ignored
    # none online: the hub's clock, corrected by the skew of the device heard last (never ahead)
    ([view("g", status=False, seen=50, mark=at(20))], SiteTime(at(30), True)),
    ([view("g", status=False, seen=50, mark=at(20)), view("l", "lane", seen=-10, mark=at(-5))],
     SiteTime(at(30), True)),
    # a clock ahead does not hold the site clock
    ([DeviceView("g", "gate", True, at(60), at(50), clock_ahead=True), view("l", "lane", seen=60, mark=at(40))],
     SiteTime(at(40), True)),
])
def test_site_time_table(devices, expected):
    assert site_time(devices, now=NOW, offline_after=OFF) == expected


@given(st.lists(st.tuples(st.sampled_from(["gate", "lane", "charging"]), st.booleans(),
                          st.integers(min_value=-300, max_value=0), st.integers(min_value=-600, max_value=600)),
                max_size=8))
def test_site_time_is_the_minimum_over_online_clock_devices(spec):
    views = [DeviceView(f"d{i}", kind, status, NOW + timedelta(seconds=seen), NOW + timedelta(seconds=mark))
             for i, (kind, status, seen, mark) in enumerate(spec)]
    clocked = [v for v in views if v.kind in ("gate", "lane")]
    online = [v for v in clocked if is_online(status_online=v.status_online, last_seen=v.last_seen,
                                              now=NOW, offline_after=OFF)]
    result = site_time(views, now=NOW, offline_after=OFF)
    last = max(clocked, key=lambda v: v.last_seen, default=None)
    fallback = NOW + min(last.watermark - last.last_seen, timedelta(0)) if last else NOW
    assert result.now == (min(v.watermark for v in online) if online else fallback)
    assert result.provisional == (not online or len(online) < len(clocked))


def test_a_watermark_never_runs_ahead_of_the_limit_and_comes_back_to_it():
    track = track_of([1, 2])
    assert watermark(track, hb_ts=at(600), hb_last_seq=2, previous=None, limit=at(10)) == at(10)
    assert watermark(track, hb_ts=None, hb_last_seq=None, previous=datetime(9999, 1, 1, tzinfo=timezone.utc),
                     limit=at(10)) == at(10)   # a stored watermark from the future is repaired


def test_the_site_clock_never_goes_back_and_is_provisional_while_held():
    clock = MonotoneSiteClock()
    assert clock.advance(SiteTime(at(10), False)) == SiteTime(at(10), False)
    assert clock.advance(SiteTime(at(5), False)) == SiteTime(at(10), True)
    assert clock.advance(SiteTime(at(90), True, from_data=False)) == SiteTime(at(90), True, False)
    assert clock.furthest == at(10)  # the hub's own clock before any data does not move it
    assert clock.advance(SiteTime(at(11), False)) == SiteTime(at(11), False)
