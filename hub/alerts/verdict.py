"""What a chat service's answer means (pure): the response body decides, not the HTTP status.

The group robots answer HTTP 200 to almost everything and put the real result in the body
(alert_anchors.md, lesson 1).  :func:`classify` maps (status, body) to a :class:`Verdict`:

- ``ok``: delivered.
- ``retry``: try again later (rate limits 45009/130101/11232, HTTP 429/5xx, timeouts, unknown
  codes); ``block`` is how long the whole target must pause.
- ``target_fault``: the target refuses us for good until someone fixes its address or secret
  (93000 dead key, 310000 DingTalk sign/keyword/IP, 19021/19022/19024 Feishu sign/IP/keyword,
  HTTP 401/403/404).  The message is kept and retried slowly; the fault is shown in the web view.
- ``reject``: this one message can never be sent (too large, malformed); it is marked dead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

RETRY_CODES = {45009: 60.0, 130101: 600.0, 11232: 60.0, -1: 5.0}   # -1: WeCom "system busy"
TARGET_FAULT_CODES = {93000, 310000, 19021, 19022, 19024, 300001, 300005}
REJECT_CODES = {460101, 40008, 44004, 40058, 9499}


@dataclass(frozen=True)
class Verdict:
    outcome: str             # ok | retry | target_fault | reject
    code: int | None = None
    detail: str = ""
    block: float = 0.0       # seconds the whole target must pause


def body_code(body: bytes) -> tuple[int | None, str]:
    """The service's result code and message from a JSON body (None when there is none)."""
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None, ""
    if not isinstance(data, dict):
        return None, ""
    for key, msg in (("errcode", "errmsg"), ("code", "msg"), ("StatusCode", "StatusMessage")):
        if isinstance(data.get(key), int) and not isinstance(data.get(key), bool):
            return data[key], str(data.get(msg, ""))[:200]
    return None, ""


def classify(status: int, body: bytes, *, kind: str, retry_after: float | None = None) -> Verdict:
    """The verdict for one HTTP answer from a target of ``kind``."""
    if status == 429 or status >= 500:
        return Verdict("retry", None, f"HTTP {status}", block=retry_after or (60.0 if status == 429 else 0.0))
    if status in (401, 403, 404, 410):
        return Verdict("target_fault", status, f"HTTP {status}")
    if not 200 <= status < 300:
        return Verdict("reject", status, f"HTTP {status}")
    code, message = body_code(body)
    return classify_code(code, message, kind=kind)


def classify_code(code: int | None, message: str, *, kind: str) -> Verdict:
    """The verdict for a service result code in an HTTP 200 answer."""
    if code in (None, 0):
        return Verdict("ok", code)
    detail = f"{code} {message}".strip()
    if code in RETRY_CODES:
        return Verdict("retry", code, detail, block=RETRY_CODES[code])
    if code in TARGET_FAULT_CODES:
        return Verdict("target_fault", code, detail)
    if code in REJECT_CODES:
        return Verdict("reject", code, detail)
    return Verdict("retry", code, f"unknown result {detail}")


def network_error(exc: BaseException) -> Verdict:
    """A timeout or connection failure: retry."""
    return Verdict("retry", None, f"{type(exc).__name__}: {str(exc)[:160]}")
