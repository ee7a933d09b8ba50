"""华夏智信 (HuaXia ZhiXin) plate cameras: the "HTTP POST" push (工作模式 5) and its reply.

The vendor's "出入口车牌识别相机 HTTP POST 功能模式 5 说明" (V1.12) describes the push; its field
list is not in any text we could read whole, so the fields here are the ones two independent
open-source receivers take from these cameras (a Django ``camera_post`` view, and MaterialClient's
``CallDeviceMessageHuaXiaZhiXing`` endpoint): a form POST (``application/x-www-form-urlencoded``,
or ``multipart/form-data``) with ``type`` (``online`` a live read, ``offline`` a read kept while
the server was away, ``heartbeat``), ``plate_num``, ``plate_color`` (蓝色, 黄色, 绿色 …),
``start_time`` (Unix seconds), ``cam_id``, ``cam_ip``, ``picture`` (the scene) and ``closeup_pic``
(the plate) — base64 with ``+`` → ``-``, ``/`` → ``_`` and ``=`` → ``.`` so the form encoding
cannot spoil it.  The server answers ``{"error_num": 0, "error_str": ""}``.

Not found published: a confidence field (so a read counts as the camera's own confident read,
100, and the camera's own threshold decides), and the reply fields that make the camera's relay
open the barrier.  So a HuaXia camera always feeds the Pi's own lane (``opens = 'pi'``).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from urllib.parse import parse_qsl

from .formats import jpeg_b64, multipart
from .model import BadPush, Push, read

COLOURS = {"蓝": "blue", "黄": "yellow", "绿": "green", "白": "white", "黑": "black", "黄绿": "yellow_green",
           "渐变绿": "green"}
MAX_FIELDS = 64
URLSAFE = str.maketrans("-_.", "+/=")


def parse(body: bytes, content_type: str) -> Push:
    fields = _fields(body, content_type)
    kind = fields.get("type", "").strip().lower()
    if kind == "heartbeat":
        return Push(heartbeat=True)
    if kind not in ("online", "offline"):
        raise BadPush(f"huaxia: 'type' must be online, offline or heartbeat (got {kind[:20]!r})")
    if "plate_num" not in fields:
        raise BadPush("huaxia: a read without plate_num")
    colour = fields.get("plate_color", "").strip().removesuffix("色")
    stamp = fields.get("start_time", "").strip()
    seconds = int(stamp) if stamp.isdigit() and len(stamp) <= 10 else 0
    return Push(reads=(read(fields["plate_num"], 100.0, colour=COLOURS.get(colour, "unknown"),
                            taken=datetime.fromtimestamp(seconds, timezone.utc) if 0 < seconds < 2**32 else None,
                            jpeg=_picture(fields.get("picture")) or _picture(fields.get("closeup_pic")),
                            offline=kind == "offline"),))


def _fields(body: bytes, content_type: str) -> dict[str, str]:
    if content_type.startswith("multipart/"):
        parts = multipart(body, content_type)
        if len(parts) > MAX_FIELDS:
            raise BadPush(f"huaxia: more than {MAX_FIELDS} form fields")
        return {name: data.decode("utf-8", "replace") for name, _, data in parts}
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = body.decode("gb18030")
        except UnicodeDecodeError:
            raise BadPush("huaxia: body is neither UTF-8 nor GB18030 text") from None
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError as exc:
        raise BadPush(f"huaxia: not a form ({str(exc)[:60]})") from None
    if not pairs:
        raise BadPush("huaxia: empty form")
    return dict(pairs)


def _picture(text: str | None) -> bytes | None:
    return jpeg_b64(text.translate(URLSAFE)) if text else None


def reply(push: Push, opened: bool | None) -> tuple[str, bytes]:
    """``error_num`` 0: taken.  It opens nothing (see the module's note)."""
    return "application/json", json.dumps({"error_num": 0, "error_str": ""}).encode()
