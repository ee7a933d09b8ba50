"""The publisher's decisions (edge.sendwindow): window, refusals, resends — pure tables."""

from __future__ import annotations

import pytest

from edge.sendwindow import SendWindow

OK, NOT_AUTHORIZED, TOO_LARGE = 0x00, 0x87, 0x95


def connected(**kw) -> SendWindow:
    state = SendWindow(window=3, settle=0.5, ack_timeout=10.0, max_backoff=8.0, **kw)
    state.on_connected(now=100.0)
    return state


def test_sending_waits_for_the_settle_time_or_the_ack():
    state = connected()
    assert not state.may_send(100.2)
    assert state.may_send(100.5)
    state = connected()
    state.on_ack(0, now=100.1)
    assert state.may_send(100.1)


def test_window_bounds_what_is_in_flight():
    state = connected()
    for mid, seq in ((1, 1), (2, 2), (3, 3)):
        state.on_sent(mid, seq)
    assert state.free() == 0 and not state.may_send(200.0)
    assert state.on_puback(2, OK, "Success", 200.0) == (2, False)
    assert state.free() == 1 and state.cursor == 3


@pytest.mark.parametrize("refusals,delays", [
    (1, [1.0]), (3, [1.0, 2.0, 4.0]), (6, [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]),
])
def test_refusals_back_off_exponentially_up_to_the_cap(refusals, delays):
    state, now, seen = connected(), 200.0, []
    for mid in range(1, refusals + 1):
        state.on_sent(mid, 7)
        state.on_puback(mid, NOT_AUTHORIZED, "Not authorized", now)
        seen.append(state.refused[7].due - now)
    assert seen == delays and state.refused[7].attempts == refusals


@pytest.mark.parametrize("pubacks,reports", [
    ([("fault", NOT_AUTHORIZED), ("fault", NOT_AUTHORIZED)], [True, False]),
    ([("fault", NOT_AUTHORIZED), ("passage", OK), ("fault", NOT_AUTHORIZED)], [True, False, False]),
    ([("fault", NOT_AUTHORIZED), ("fault", OK), ("fault", NOT_AUTHORIZED)], [True, False, True]),
    ([("fault", NOT_AUTHORIZED), ("fault", TOO_LARGE), ("passage", NOT_AUTHORIZED)], [True, True, True]),
])
def test_a_refusal_is_reported_once_per_kind_and_reason_until_that_kind_succeeds(pubacks, reports):
    state = connected()
    seen = []
    for mid, (kind, code) in enumerate(pubacks, start=1):
        state.on_sent(mid, mid, kind)
        seen.append(state.on_puback(mid, code, {OK: "Success", NOT_AUTHORIZED: "Not authorized",
                                                TOO_LARGE: "Packet too large"}[code], 200.0)[1])
    assert seen == reports


def test_refused_rows_are_skipped_until_due_and_cleared_by_success():
    state = connected()
    state.on_sent(1, 4)
    state.on_puback(1, NOT_AUTHORIZED, "Not authorized", 200.0)
    assert state.skip(4, 200.5) and state.due_retries(200.5) == []
    assert not state.skip(4, 201.0) and state.due_retries(201.0) == [4]
    state.on_sent(2, 4)
    assert state.due_retries(300.0) == []          # in flight again
    state.on_puback(2, OK, "Success", 300.0)
    assert state.refused == {}


def test_the_hub_ack_moves_the_cursor_and_drops_covered_refusals():
    state = connected()
    state.on_sent(1, 5)
    state.on_puback(1, NOT_AUTHORIZED, "Not authorized", 200.0)
    assert state.on_ack(6, 201.0) is True
    assert state.acked == 6 and state.cursor == 6 and state.refused == {}
    assert state.on_ack(3, 202.0) is False and state.acked == 6


def test_reconnect_resends_from_the_ack():
    state = connected()
    state.on_ack(2, 100.0)
    for mid in (1, 2, 3):
        state.on_sent(mid, mid + 2)
    state.on_disconnected()
    assert not state.may_send(150.0) and state.inflight == {}
    state.on_connected(160.0)
    assert state.cursor == 2 and state.inflight == {}


def test_a_stalled_ack_rewinds_with_a_doubling_wait_reset_by_progress():
    state = connected()
    state.on_sent(1, 1)
    assert not state.stall_due(109.9) and state.stall_due(110.0)
    state.rewind(110.0)
    assert state.cursor == 0 and state.stall_wait == 20.0
    assert not state.stall_due(129.0) and state.stall_due(130.0)
    state.rewind(130.0)
    assert state.stall_wait == 40.0
    state.on_ack(1, 140.0)
    assert state.stall_wait == 10.0 and state.last_progress == 140.0


def test_next_deadline_names_the_earliest_due_thing():
    state = connected()
    assert state.next_deadline(100.0) == 100.5            # end of the settle time
    state.on_ack(0, 100.1)
    assert state.next_deadline(100.2) == 110.0            # stall check
    state.on_sent(1, 1)
    state.on_puback(1, NOT_AUTHORIZED, "Not authorized", 101.0)
    assert state.next_deadline(101.0) == 102.0            # the retry
    state.on_disconnected()
    assert state.next_deadline(101.0) == 102.0
