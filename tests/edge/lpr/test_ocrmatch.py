"""OCR-confusion-tolerant plates, for presence in the strip only (edge.lpr.ocrmatch): the pure rule,
the strip camera on the real lane device, and the guards that keep it away from opening."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest

from edge.events import ListSink
from edge.lane.config import LaneDeviceConfig
from edge.lane.device import LaneDevice
from edge.lpr.config import LprConfig
from edge.lpr.ocrmatch import attribute, confusion
from edge.lpr.receiver import Receiver
from edge.lpr.strip import StripLink
from gwcommon.clock import FakeClock
from gwcommon.config import validate
from gwcommon.exc import ConfigError

REGISTERED = ["浙A12345", "浙B80Q21", "浙A8B001", "浙AB8001", "浙C10000", "浙C1000D"]
BAND = (60, 85)


@pytest.mark.parametrize("read,pair", [
    ("浙A1Z345", ("Z", "2")), ("浙AI2345", ("I", "1")), ("浙A1234S", ("S", "5")), ("浙A123G5", None),
    ("浙A12B45", None), ("浙A1Z34S", None), ("浙A1234", None), ("浙A12345", None), ("浙AD2345", None),
])
def test_one_usual_confusion(read, pair):
    assert confusion(read, "浙A12345") == pair


@pytest.mark.parametrize("read,confidence,expected,noted", [
    ("浙A1234S", 70, None, False),        # in the band, one confusion away, but a valid plate: maybe
                                          # another car, never rewritten (and doubtful: not used)
    ("浙A1234S", 90, "浙A1234S", False),  # confident: taken as read (the camera says so)
    ("浙A1234S", 50, None, False),        # below the band: not used
    ("浙A12345", 70, "浙A12345", False),  # in the band and registered as read
    ("浙B8DQ21", 70, None, False),        # D for 0 would fit, but 浙B8DQ21 is a valid plate
    ("浙B8OQ21", 70, "浙B80Q21", True),   # O for 0
    ("浙AI2345", 70, "浙A12345", True),   # no valid plate (no I on plates), but one confusion from one
    ("浙AI2345", 90, None, False),        # outside the band an invalid read stays unused
    ("浙A88001", 70, None, False),        # a valid plate: as read, and doubtful: not used
    ("浙C1000O", 70, None, True),         # no valid plate, one confusion from 浙C10000 and 浙C1000D: ambiguous
    ("浙A88001", 90, "浙A88001", False),  # confident (above the band): as read
    ("浙C99999", 70, None, False),        # doubtful, unregistered, nothing near: not used
])
def test_attribution(read, confidence, expected, noted):
    got = attribute(read, confidence, REGISTERED, min_confidence=85, band=BAND)
    assert got.plate == expected and (got.note is not None) == noted
    if noted and expected is None:
        assert "ambiguous" in got.note


def test_without_a_band_nothing_is_tolerated():
    assert attribute("浙A1234S", 70, REGISTERED, min_confidence=85, band=None).plate is None
    assert attribute("浙A1234S", 90, REGISTERED, min_confidence=85, band=None).plate == "浙A1234S"


def strip(band: bool):
    lane = validate({"zones": [{"name": "east-strip"}]}, LaneDeviceConfig)
    camera = {"id": "strip", "vendor": "generic", "zone": "east-strip", "allow": ["127.0.0.1"], "min_confidence": 85}
    if band:
        camera |= {"ocr_tolerant_from": 60, "ocr_tolerant_below": 85}
    lpr = validate({"listen": "127.0.0.1:0", "cameras": [camera]}, LprConfig)
    clock, sink = FakeClock(), ListSink()
    device = LaneDevice(lane, sink=sink, clock=clock, tz=ZoneInfo("Asia/Shanghai"))
    link = StripLink(device, lpr.cameras, sink=sink, clock=clock, registered=lambda: list(REGISTERED))
    return Receiver(lpr, sink=sink, clock=clock, strip=link), sink, link


def push(receiver, plate, confidence):
    body = json.dumps({"plate": plate, "confidence": confidence}).encode()
    assert receiver.handle("strip", body, "application/json")[0] == 200


def test_a_doubtful_strip_read_names_the_registered_car():
    receiver, sink, link = strip(band=True)
    push(receiver, "浙AI2345", 72)  # the camera's I for 1 (no I on plates): that car
    push(receiver, "浙AI2345", 74)  # re-read of the parked car: the same car, no second arrival
    push(receiver, "浙A1234S", 70)  # a valid plate one confusion from 浙A12345: maybe another car, never it
    push(receiver, "浙B8OQ21", 66)
    assert [(p["tag"], p["present"]) for p in sink.of("presence")] == [("plate:浙A12345", True),
                                                                      ("plate:浙B80Q21", True)]
    assert link.attributed == 3 and receiver.counters["ocr_attributed"] == 3


def test_without_the_band_the_same_reads_name_nobody():
    receiver, sink, _ = strip(band=False)
    push(receiver, "浙A1234S", 72)
    push(receiver, "浙AI2345", 99)
    assert sink.of("presence") == []


def test_never_for_opening():
    """The band is refused on gate cameras, and the gate's own decision never looks at it: a
    one-confusion read of a registered plate at a plate_alone lane is refused as unknown."""
    with pytest.raises(ConfigError, match="never for opening"):
        validate({"listen": "127.0.0.1:0", "cameras": [
            {"id": "in", "vendor": "generic", "lane": "in", "direction": "in", "opens": "camera",
             "plate_policy": "plate_alone", "allow": ["127.0.0.1"], "ocr_tolerant_from": 60,
             "ocr_tolerant_below": 101}]}, LprConfig)
    from edge.gate.plates import camera_decides
    decision, _ = camera_decides("plate_alone", "unknown_tag", None, confidence=99, min_confidence=85, readable=True)
    assert decision != "open"


def test_the_registered_plates_come_from_the_lane_pis_allowlist(tmp_path):
    from edge.allowlist import Allowlist
    from edge.lpr.daemon import registered_plates
    from gwcommon import wire
    allowlist = Allowlist.in_storage(tmp_path, clock=FakeClock())
    allowlist.update(wire.Allowlist(version=3, entries=[wire.AllowEntry(tag="eid:00112233445566778899", vehicle="浙A12345")],
                                    plates=[wire.PlateEntry(plate="浙A12345", vehicle="浙A12345"),
                                            wire.PlateEntry(plate="浙B80Q21", vehicle="浙B80Q21", revoked=True)]))
    assert sorted(registered_plates(allowlist)) == ["浙A12345", "浙B80Q21"]
