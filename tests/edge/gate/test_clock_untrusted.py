"""A gate keeps deciding while its clock is not synchronised (clock_unsynced raised): an expiry
judged by a clock that may be days ahead does not shut a resident out; the hub judges by ts."""

from datetime import timedelta

from edge.allowlist import Allowlist
from edge.timesync import ClockWatch, clock_trusted, flag_path
from edge.events import ListSink
from gwcommon.clock import FakeClock
from tests.support.allowlists import VISITOR, listing


def test_an_expiry_is_not_enforced_while_the_clock_is_unsynced_and_is_again_once_synced(tmp_path):
    clock = FakeClock()
    answers = iter([False, True])
    watch = ClockWatch(ListSink(), state_file=flag_path(tmp_path, "gate-n"), check=lambda: next(answers))
    allowlist = Allowlist(tmp_path / "allowlist.json", clock=clock,
                          clock_trusted=clock_trusted(flag_path(tmp_path, "gate-n")))
    allowlist.update(listing(3, clock))
    clock.advance(timedelta(days=3))  # the Pi booted with a clock days ahead (no NTP yet)
    watch.poll()                      # clock_unsynced raised
    assert allowlist.lookup(VISITOR) == "allowed" and allowlist.expiry_not_enforced == 1
    watch.poll()                      # NTP synchronised: the clock is trusted again
    assert allowlist.lookup(VISITOR) == "expired"
