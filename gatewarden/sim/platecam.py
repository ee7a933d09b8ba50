"""A simulated plate camera (车牌识别相机): pushes each read to a Pi over real HTTP, as a 臻识 camera does.

The body follows the vendor's ``AlarmInfoPlate`` push (docs/lpr.md): the plate, its confidence and
colour, the scene picture (base64), a read id; the Pi's reply is read and returned.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import logging

logger = logging.getLogger(__name__)
_ids = itertools.count(1)


def alarm_info_plate(plate: str, *, jpeg: bytes | None, confidence: int = 96) -> bytes:
    """A 臻识 AlarmInfoPlate push body for one read."""
    colour = 5 if len(plate) == 8 else 1  # green for new-energy plates, else blue
    result = {"license": plate, "confidence": confidence, "colorType": colour, "type": 19 if colour == 5 else 1,
              "imageFile": base64.b64encode(jpeg).decode() if jpeg else "", "imageFileLen": len(jpeg or b""),
              "plateid": next(_ids), "isoffline": 0, "triggerType": 4}
    return json.dumps({"AlarmInfoPlate": {"channel": 0, "deviceName": "sim", "ipaddr": "127.0.0.1",
                                          "serialno": "sim-camera", "result": {"PlateResult": result}}},
                      ensure_ascii=False).encode()


def push(port: int, camera: str, plate: str, *, jpeg: bytes | None) -> dict | None:
    """POST one read to ``/lpr/<camera>`` on this machine; the camera's reply, None when it failed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", f"/lpr/{camera}", body=alarm_info_plate(plate, jpeg=jpeg),
                     headers={"Content-Type": "application/json"})
        reply = conn.getresponse()
        body = reply.read()
        return json.loads(body) if reply.status == 200 else None
    except (OSError, ValueError) as exc:
        logger.warning("simulated plate camera %s: push failed: %s", camera, exc)
        return None
    finally:
        conn.close()
