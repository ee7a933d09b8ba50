"""What the vendor modules share: decoding JSON bodies and pictures safely, and the vendor table.

Each vendor module has ``parse(body, content_type) -> Push`` (raises :class:`BadPush`) and
``reply(push, opened) -> (content_type, bytes)``: the answer its camera expects, where ``opened``
is True / False when the Pi decided for the camera (``opens = 'camera'``) and None otherwise.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import json
import math
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from .model import BadPush

MAX_PICTURE = 2 * 1024 * 1024  # the wire's snapshot limit (gwcommon.wire.MAX_SNAPSHOT_BYTES)


def json_object(body: bytes, what: str) -> dict[str, Any]:
    """The body as a JSON object, or :class:`BadPush` saying why not."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadPush(f"{what}: body is not UTF-8") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise BadPush(f"{what}: body is not JSON ({str(exc)[:80]})") from None
    if not isinstance(data, dict):
        raise BadPush(f"{what}: body must be a JSON object, got {type(data).__name__}")
    return data


def jpeg(data: bytes | None) -> bytes | None:
    """``data`` when it is a JPEG within the size limit, else None (a bad picture never spoils a read)."""
    if not data or len(data) > MAX_PICTURE or not data.startswith(b"\xff\xd8"):
        return None
    return data


def jpeg_b64(text: Any) -> bytes | None:
    """A base64 JPEG from a JSON field; None when absent, not base64, not a JPEG or too big."""
    if not isinstance(text, str) or not text or len(text) > MAX_PICTURE * 4 // 3 + 8:
        return None
    try:
        return jpeg(base64.b64decode(text, validate=False))
    except (binascii.Error, ValueError):
        return None


def number(value: Any, default: float = 0.0) -> float:
    """A finite number from a field that may be a number or a numeric string (else ``default``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return default
    try:
        result = float(value.strip() if isinstance(value, str) else value)
    except (ValueError, OverflowError):
        return default
    return result if math.isfinite(result) and abs(result) < 1e9 else default


def multipart(body: bytes, content_type: str) -> list[tuple[str, str, bytes]]:
    """The parts of a multipart body as (name or file name, content type, bytes)."""
    if "boundary=" not in content_type:
        raise BadPush("multipart body without a boundary")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise BadPush("multipart body could not be split into parts")
    parts = []
    for part in message.iter_parts():
        name = part.get_filename() or part.get_param("name", header="content-disposition") or ""
        parts.append((str(name), part.get_content_type(), part.get_payload(decode=True) or b""))
    return parts


def vendor(name: str) -> Any:
    """The module for a vendor name (``vzenith``, ``hikvision``, ``dahua``, ``huaxia``, ``generic``)."""
    return importlib.import_module(f"edge.lpr.{name}")
