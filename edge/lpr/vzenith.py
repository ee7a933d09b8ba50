"""臻识 (Vzenith) plate cameras: the ``AlarmInfoPlate`` JSON push and its ``Response_AlarmInfoPlate`` reply.

From the vendor's HTTP push protocol (一体机 HTTP 推送协议): each read is a POST of
``{"AlarmInfoPlate": {"serialno", "ipaddr", "result": {"PlateResult": {...}}}}`` with, in
``PlateResult``: ``license`` (``"_无_"`` when no plate was read), ``confidence`` (1–100),
``colorType`` (0 unknown, 1 blue, 2 yellow, 3 white, 4 black, 5 green, 6 yellow-green), ``type``
(plate type; 19 is new-energy), ``imageFile`` (the scene picture, base64 JPEG, when the camera is
set to send the large picture), ``timeStamp.Timeval.sec``, ``plateid`` and ``isoffline`` (1: a
record kept while the server was unreachable, sent again: 断线重传).

The server's reply steers the camera: ``{"Response_AlarmInfoPlate": {"info": "ok"}}`` pulses the
camera's IO output (its relay opens the barrier); ``"info": "no"`` does nothing.  An offline record
is answered with ``ContinuePushOffline`` (``plateid`` and ``continue`` 1) so the camera sends the
next one.  Heartbeats (普通心跳 / comet) are ``multipart/form-data`` with ``serialno``,
``device_name`` and ``ipaddr`` fields; IO-input (``AlarmGioIn``) and serial (``SerialData``)
pushes also show the camera is alive.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from .formats import json_object, jpeg_b64, multipart, number
from .model import BadPush, PlateRead, Push, read

COLOURS = {1: "blue", 2: "yellow", 3: "white", 4: "black", 5: "green", 6: "yellow_green"}
NEW_ENERGY_TYPES = frozenset({19})
ALIVE_KEYS = ("AlarmGioIn", "SerialData", "TriggerImage", "heartbeat")


def parse(body: bytes, content_type: str) -> Push:
    if content_type.startswith("multipart/"):
        fields = {name for name, _, _ in multipart(body, content_type)}
        if fields & {"serialno", "device_name", "ipaddr"}:
            return Push(heartbeat=True)
        raise BadPush("vzenith: a multipart push that is not a heartbeat (no serialno field)")
    data = json_object(body, "vzenith")
    alarm = data.get("AlarmInfoPlate")
    if alarm is None:
        if any(key in data for key in ALIVE_KEYS):
            return Push(heartbeat=True)
        raise BadPush("vzenith: no AlarmInfoPlate in the push")
    result = _obj(_obj(alarm, "AlarmInfoPlate").get("result"), "AlarmInfoPlate.result")
    return Push(reads=(_read(_obj(result.get("PlateResult"), "PlateResult")),))


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadPush(f"vzenith: {what} must be an object")
    return value


def _read(plate: dict[str, Any]) -> PlateRead:
    license_ = plate.get("license")
    if not isinstance(license_, str):
        raise BadPush("vzenith: PlateResult.license must be a string")
    colour = COLOURS.get(int(number(plate.get("colorType"))), "unknown")
    if colour == "unknown" and int(number(plate.get("type"))) in NEW_ENERGY_TYPES:
        colour = "green"
    plateid = plate.get("plateid")
    return read(license_, number(plate.get("confidence")), colour=colour, taken=_taken(plate),
                jpeg=jpeg_b64(plate.get("imageFile")), offline=number(plate.get("isoffline")) == 1,
                ref=str(plateid)[:32] if isinstance(plateid, (int, str)) else None)


def _taken(plate: dict[str, Any]) -> datetime | None:
    stamp = plate.get("timeStamp")
    seconds = stamp.get("Timeval", {}).get("sec") if isinstance(stamp, dict) and isinstance(stamp.get("Timeval"), dict) else None
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 < seconds < 2**32:
        return None
    return datetime.fromtimestamp(seconds, timezone.utc)


def reply(push: Push, opened: bool | None) -> tuple[str, bytes]:
    """``info: ok`` only when the Pi decided to open for the camera; offline records continue."""
    if push.heartbeat or not push.reads:
        return "application/json", b"{}"
    first = push.reads[0]
    answer: dict[str, Any] = {"info": "ok" if opened else "no", "content": "retransfer_stop"}
    if first.ref is not None:
        answer["plateid"] = _ref(first.ref)
    if first.offline:
        answer = {"ContinuePushOffline": {"plateid": _ref(first.ref), "continue": 1}}
    return "application/json", json.dumps({"Response_AlarmInfoPlate": answer}).encode()


def _ref(ref: str | None) -> int | str | None:
    return int(ref) if ref is not None and ref.isdigit() else ref
