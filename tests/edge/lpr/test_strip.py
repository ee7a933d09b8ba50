"""Plates in the night strip and the fire lane: a read puts the car there; gone once unread and its
spot is seen empty (edge.lpr.strip on the real lane device, fed through the receiver)."""

from __future__ import annotations

import base64
import json
from zoneinfo import ZoneInfo

import pytest

from edge.events import ListSink
from edge.lane.config import LaneDeviceConfig
from edge.lane.device import LaneDevice
from edge.lpr.config import LprConfig
from edge.lpr.receiver import Receiver
from edge.lpr.strip import Change, PlatePresence, StripLink
from gwcommon.clock import FakeClock
from gwcommon.config import validate

from . import payloads


def test_presence_rules():
    seen = PlatePresence()
    assert seen.read("strip", "plate:浙A12345", 0, gone_after=600, slot=None) == [Change("strip", "plate:浙A12345", True)]
    assert seen.read("strip", "plate:浙A12345", 300, gone_after=600, slot=None) == []
    assert seen.expire(899, lambda *a: None) == []
    assert seen.expire(900, lambda *a: True) == []  # its spot still looks occupied
    assert seen.expire(900, lambda *a: None) == [Change("strip", "plate:浙A12345", False)]


def test_another_plate_in_the_same_spot_replaces_the_first():
    seen = PlatePresence()
    seen.read("strip", "plate:浙A12345", 0, gone_after=600, slot="E-07")
    assert seen.read("strip", "plate:浙B12345", 10, gone_after=600, slot="E-07") == [
        Change("strip", "plate:浙A12345", False), Change("strip", "plate:浙B12345", True)]


class Strip:
    def __init__(self, *, spot: bool):
        lane = validate({"zones": [{"name": "east-strip"}], "pair_window": "1m"}, LaneDeviceConfig)
        self.lpr = validate({"listen": "127.0.0.1:0", "cameras": [
            {"id": "strip", "vendor": "generic", "zone": "east-strip", "slot": "E-07" if spot else None,
             "gone_after": "10m", "allow": ["127.0.0.1"]}]}, LprConfig)
        self.clock, self.sink = FakeClock(), ListSink()
        self.device = LaneDevice(lane, sink=self.sink, clock=self.clock, tz=ZoneInfo("Asia/Shanghai"),
                                 spot_trackers={"east-strip": object()} if spot else None)
        self.receiver = Receiver(self.lpr, sink=self.sink, clock=self.clock,
                                 strip=StripLink(self.device, self.lpr.cameras, sink=self.sink, clock=self.clock))

    def push(self, plate: str, confidence: int = 95, picture: bytes | None = None) -> None:
        body = {"plate": plate, "confidence": confidence}
        if picture:
            body["picture"] = base64.b64encode(picture).decode()
        assert self.receiver.handle("strip", json.dumps(body).encode(), "application/json")[0] == 200

    def wait(self, seconds: float) -> None:
        for _ in range(int(seconds)):
            self.clock.advance(1)
            self.receiver.tick()
            self.device.step()

    def presence(self) -> list[tuple]:
        return [(p["zone"], p["tag"], p.get("slot"), p["present"]) for p in self.sink.of("presence")]


def test_a_read_is_a_car_in_the_zone_with_the_cameras_picture_and_unread_it_is_gone():
    strip = Strip(spot=False)
    picture = payloads.jpeg(320)
    strip.push("浙C·33333", picture=picture)
    strip.push("浙C33333")
    strip.push("沪A99999", confidence=50)  # too unsure to name a car
    assert strip.presence() == [("east-strip", "plate:浙C33333", None, True)]
    assert [jpeg for _, jpeg in strip.sink.snapshots] == [picture]
    strip.wait(599)
    assert len(strip.presence()) == 1
    strip.wait(2)
    assert strip.presence()[-1] == ("east-strip", "plate:浙C33333", None, False)


def test_a_car_in_a_watched_spot_stays_while_the_spot_looks_occupied():
    strip = Strip(spot=True)
    zone = strip.device.zones[0]
    with strip.device._lock:
        zone.pairing.spot_filled("E-07", strip.clock.monotonic())
    strip.push("浙C33333")
    strip.wait(90)
    # the spot is explained by the plate: no "untagged vehicle" report beside it
    assert strip.presence() == [("east-strip", "plate:浙C33333", None, True)]
    strip.wait(3600)
    assert len(strip.presence()) == 1  # unread for an hour, but the spot still looks occupied
    with strip.device._lock:
        zone.pairing.spot_emptied("E-07", strip.clock.monotonic())
    strip.wait(2)
    assert strip.presence()[-1] == ("east-strip", "plate:浙C33333", None, False)


@pytest.mark.parametrize("body", [b'{"plate": 5}', b"nope"])
def test_a_bad_push_reports_nothing(body):
    strip = Strip(spot=False)
    assert strip.receiver.handle("strip", body, "application/json")[0] == 400
    assert strip.sink.events == []


def test_plates_present_survive_a_restart_and_one_not_read_again_left_while_nobody_looked(tmp_path):
    state = tmp_path / "strip.json"
    before = Strip(spot=False)
    before.receiver.strip.state_file = state
    before.push("浙C33333")
    before.push("浙D44444")
    before.wait(120)
    watched = before.clock.now()
    after = Strip(spot=False)
    after.clock.advance(3600)  # the Pi was down for an hour
    after.receiver.strip = StripLink(after.device, after.lpr.cameras, sink=after.sink, clock=after.clock,
                                     state_file=state)
    after.push("浙C33333")  # still there: read again, nothing to report
    assert after.presence() == []
    after.wait(300)
    after.push("浙C33333")  # the camera re-reads parked cars (定时抓拍)
    after.wait(301)
    [(kind, gone)] = [(k, f) for k, f in after.sink.events if k == "presence"]
    assert (gone["tag"], gone["present"]) == ("plate:浙D44444", False)
    assert abs((gone["ts"] - watched).total_seconds()) <= 60  # as of the last moment it watched


def test_the_roll_call_names_the_plates_present():
    from datetime import datetime, time, timezone

    strip = Strip(spot=False)
    strip.device.config = strip.device.config.model_copy(update={"photo_at": [time(23, 0)]})
    strip.device._last_wall = datetime(2026, 1, 1, 14, 59, tzinfo=timezone.utc)  # 22:59 in Shanghai
    strip.push("浙C33333")
    strip.clock.advance(datetime(2026, 1, 1, 15, 0, 30, tzinfo=timezone.utc) - strip.clock.now())
    strip.device.step()
    assert strip.presence() == [("east-strip", "plate:浙C33333", None, True)] * 2
