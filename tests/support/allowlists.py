"""A small allowlist (a resident, a visitor with a pass, a revoked tag) for the gate's tests."""

from __future__ import annotations

from datetime import timedelta

from gwcommon import wire
from gwcommon.clock import FakeClock

CAR, VISITOR, SOLD = "eid:car-1", "ibeacon:f7826da6-4fa2-4e98-8024-bc5b71e0893e:1:42", "mac:c4:7c:8d:6a:1b:2e"


def listing(version: int, clock: FakeClock, **extra) -> wire.Allowlist:
    return wire.Allowlist(version=version, entries=[
        wire.AllowEntry(tag=CAR, vehicle="浙A12345"),
        wire.AllowEntry(tag=VISITOR, vehicle="浙B77777", expires=clock.now() + timedelta(hours=4)),
        wire.AllowEntry(tag=SOLD, vehicle="浙C00001", revoked=True, weak=True),
        *extra.get("more", []),
    ])
