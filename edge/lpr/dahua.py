"""大华 (Dahua) ITC plate cameras: the ITSAPI "platform" JSON push (``TollgateInfo``) and its reply.

Dahua's traffic/parking cameras (ITC series) set to ITSAPI platform access POST each read as JSON
to the platform's "ANPR info" interface and send keep-alives to its "heartbeat" interface (both
paths are set in the camera's page; point both at ``/lpr/<id>``).  No Dahua document of the push
is public; the shape here is the one two independent open-source receivers parse (madcat1991/
safewheels-dahua, app/core/anpr.py; a Node receiver of ``/NotificationInfo/TollgateInfo``):
``{"Picture": {"Plate": {"PlateNumber", "PlateColor", "Confidence", "IsExist", "UploadNum"},
"SnapInfo": {"DeviceID", "AccurateTime", "Direction", "AllowUser", "BlockUser"},
"NormalPic": {"Content": <base64 JPEG>, "PicName"}, "Vehicle": {...}}}``.  The camera keeps
resending a read until it is answered ``{"Result": true}``.

Not published anywhere we could find: a reply that makes the camera's own relay open, the exact
keep-alive body, a retransmission flag.  So a Dahua camera always feeds the Pi's own lane
(``opens = 'pi'``); any JSON object without ``Picture`` is taken as a keep-alive, and nothing is
marked as a record kept while offline.
"""

from __future__ import annotations

import json
from typing import Any

from .formats import json_object, jpeg_b64, number
from .model import BadPush, Push, read

COLOURS = {"blue": "blue", "yellow": "yellow", "green": "green", "white": "white", "black": "black",
           "yellowgreen": "yellow_green", "greenyellow": "yellow_green"}
PICTURES = ("NormalPic", "VehiclePic", "CutoutPic")  # the scene first, the plate crop last


def parse(body: bytes, content_type: str) -> Push:
    data = json_object(body, "dahua")
    if "Picture" not in data:
        return Push(heartbeat=True)  # KeepAlive / DeviceInfo: the camera is alive
    picture = _obj(data["Picture"], "Picture")
    plate = _obj(picture.get("Plate"), "Picture.Plate")
    number_ = plate.get("PlateNumber", "")
    if not isinstance(number_, str):
        raise BadPush("dahua: Picture.Plate.PlateNumber must be a string")
    if plate.get("IsExist") is False:
        number_ = ""  # the camera saw a vehicle without a plate
    colour = str(plate.get("PlateColor", "")).lower().replace("-", "").replace("_", "").replace(" ", "")
    snap = picture.get("SnapInfo") if isinstance(picture.get("SnapInfo"), dict) else {}
    ref = snap.get("SnapTime") or snap.get("AccurateTime") or plate.get("UploadNum")
    return Push(reads=(read(number_, number(plate.get("Confidence")), colour=COLOURS.get(colour, "unknown"),
                            jpeg=_picture(picture),
                            ref=str(ref)[:32] if isinstance(ref, (str, int)) and not isinstance(ref, bool) else None),))


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadPush(f"dahua: {what} must be an object")
    return value


def _picture(picture: dict[str, Any]) -> bytes | None:
    for name in PICTURES:
        part = picture.get(name)
        data = jpeg_b64(part.get("Content")) if isinstance(part, dict) else None
        if data:
            return data
    return None


def reply(push: Push, opened: bool | None) -> tuple[str, bytes]:
    """``{"Result": true}``: taken (the camera stops resending).  It opens nothing."""
    return "application/json", json.dumps({"Result": True}).encode()
