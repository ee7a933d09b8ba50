"""海康威视 (Hikvision) ANPR cameras: ISAPI ``EventNotificationAlert`` pushed to an HTTP listener.

From Hikvision's ISAPI ANPR developer guide (``XML_EventNotificationAlert_ANPR``): the camera set
to "notify surveillance center" / HTTP listening POSTs ``multipart/form-data`` whose first part is
the XML event (``anpr.xml``) and whose further parts are JPEG pictures (``licensePlatePicture.jpg``
the plate crop, ``detectionPicture.jpg`` the scene), or the XML alone.  The event has
``eventType`` ``ANPR``, ``dateTime``, ``UUID``, ``isDataRetransmission`` (resent after an outage)
and an ``ANPR`` block with ``licensePlate``, ``confidenceLevel`` (0–100), ``plateColor`` (blue,
yellow, white, black, green…), ``direction`` and ``pictureInfoList``.  Other event types (the
periodic ``videoloss`` / ``inactive`` alert) are heartbeats.

The camera only needs ``200 OK``; opening its barrier output is an ISAPI call, not a reply, so a
Hikvision camera always feeds the Pi's own lane logic (``opens = 'pi'``).  XML is parsed with
defusedxml: no DTDs, no entities, no external references (billion laughs, XXE).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from gwcommon.exc import BadTimestamp
from gwcommon.timefmt import parse_ts

from .formats import jpeg, multipart, number
from .model import BadPush, Push, read

COLOURS = {"blue": "blue", "yellow": "yellow", "white": "white", "black": "black", "green": "green",
           "yellowgreen": "yellow_green", "greenyellow": "yellow_green", "newenergy": "green"}
PICTURE_ORDER = ("detection", "vehicle", "scene", "licenseplate", "plate")  # scene first, the plate crop last


def parse(body: bytes, content_type: str) -> Push:
    pictures: list[tuple[str, bytes]] = []
    xml: bytes | None = None
    if content_type.startswith("multipart/"):
        for name, kind, data in multipart(body, content_type):
            if kind.endswith("xml") or name.lower().endswith(".xml") or data.lstrip().startswith(b"<"):
                xml = xml or data
            elif kind == "image/jpeg" or name.lower().endswith(".jpg"):
                pictures.append((name.lower(), data))
    else:
        xml = body
    if not xml:
        raise BadPush("hikvision: no EventNotificationAlert XML in the push")
    return _event(_root(xml), pictures)


def _root(xml: bytes) -> Element:
    try:
        root = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise BadPush(f"hikvision: XML refused ({type(exc).__name__}: DTDs and entities are not accepted)") from None
    except (ParseError, ValueError) as exc:
        raise BadPush(f"hikvision: not well-formed XML ({str(exc)[:80]})") from None
    if _local(root.tag) != "EventNotificationAlert":
        raise BadPush(f"hikvision: expected EventNotificationAlert, got {_local(root.tag)[:40]}")
    return root


def _event(root: Element, pictures: list[tuple[str, bytes]]) -> Push:
    if _text(root, "eventType").upper() != "ANPR":
        return Push(heartbeat=True)
    anpr = _child(root, "ANPR")
    if anpr is None:
        raise BadPush("hikvision: an ANPR event without its ANPR block")
    plate = _text(anpr, "licensePlate")
    if not plate:
        raise BadPush("hikvision: ANPR.licensePlate is missing")
    colour = COLOURS.get(_text(anpr, "plateColor").lower().replace("_", "").replace("-", ""), "unknown")
    return Push(reads=(read(plate, number(_text(anpr, "confidenceLevel")), colour=colour, taken=_taken(root),
                            jpeg=_picture(pictures), offline=_text(root, "isDataRetransmission").lower() == "true",
                            ref=_text(root, "UUID")[:64] or None),))


def _picture(pictures: list[tuple[str, bytes]]) -> bytes | None:
    def rank(item: tuple[str, bytes]) -> int:
        return next((i for i, word in enumerate(PICTURE_ORDER) if word in item[0]), len(PICTURE_ORDER))
    for _, data in sorted(pictures, key=rank):
        if jpeg(data):
            return data
    return None


def _taken(root: Element) -> datetime | None:
    try:
        return parse_ts(_text(root, "dateTime"))
    except (BadTimestamp, ValueError):
        return None


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _child(parent: Element, name: str) -> Element | None:
    return next((child for child in parent if _local(child.tag) == name), None)


def _text(parent: Element, name: str) -> str:
    child = _child(parent, name)
    return (child.text or "").strip() if child is not None else ""


def reply(push: Push, opened: bool | None) -> tuple[str, bytes]:
    return "text/plain; charset=utf-8", b"OK"
