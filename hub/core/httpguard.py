"""The hub's HTTP guard (ASGI middleware): a body limit on every route, security headers on every answer.

Wrapped around the whole app (pages, JSON API, /ack links, /metrics, /healthz), before any route
reads anything:

- **Body limit.** A request whose ``Content-Length`` is over its route's limit is answered 413
  before a byte of the body is read; a body sent without a length (chunked) is counted as it
  arrives and cut off with 413 at the limit — nothing is spooled to /tmp first.  Forms and JSON
  get :data:`FORM_LIMIT`; the registry and roster uploads and the local chat inbox get their own
  (a compound's registry file is well under 2 MiB).
- **Security headers.** Every answer gets ``X-Content-Type-Options: nosniff``, the web view's
  Content-Security-Policy and ``Referrer-Policy``; everything but /static gets
  ``Cache-Control: no-store`` (pages, the API and CSV exports hold personal data).  A route that set
  its own value keeps it.
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

FORM_LIMIT = 64 * 1024
UPLOAD_LIMITS = {  # path prefix → bytes (a little over the route's own file limit: multipart framing)
    "/registry/import": 2 * 1024 * 1024 + 64 * 1024,
    "/roster/import": 1024 * 1024 + 64 * 1024,
    "/inbox/hook/": 4 * 1024 * 1024 + 64 * 1024,
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
TOO_LARGE = {"zh": "请求内容过大（上限 {kib} KiB）。", "en": "Request body too large (limit {kib} KiB)."}

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


def body_limit(path: str) -> int:
    """How many body bytes a request to ``path`` may carry."""
    for prefix, limit in UPLOAD_LIMITS.items():
        if path.startswith(prefix):
            return limit
    return FORM_LIMIT


def _lang(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"cookie" and b"gw_lang=en" in value:
            return "en"
    return "zh"


class _TooLarge(Exception):
    pass


class HttpGuard:
    """ASGI middleware; see the module docstring."""

    def __init__(self, app: Callable[..., Awaitable[None]]):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, send, limit)
            return
        state = {"received": 0, "started": False, "too_large": False}
        secure = self._secure_send(scope, send, state, limit)

        async def counted() -> dict:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["too_large"] = True
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, counted, secure)
        except Exception:
            if not state["too_large"]:
                raise
        if state["too_large"] and not state["started"]:
            state["started"] = True
            await _refuse(scope, send, limit)

    def _secure_send(self, scope: Scope, send: Send, state: dict, limit: int) -> Send:
        static = scope.get("path", "").startswith("/static/")

        async def wrapped(message: dict) -> None:
            if state["too_large"]:  # whatever the app made of the cut-off body (a 400…): the answer is 413
                if not state["started"]:
                    state["started"] = True
                    await _refuse(scope, send, limit)
                return
            if message["type"] == "http.response.start":
                state["started"] = True
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    key = name.lower().encode("latin-1")
                    if key not in present and not (static and key == b"cache-control"):
                        headers.append((key, value.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)
        return wrapped


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    text = TOO_LARGE[_lang(scope)].format(kib=limit // 1024)
    api = scope.get("path", "").startswith("/api/")
    body = json.dumps({"error": text}, ensure_ascii=False).encode() if api else text.encode("utf-8")
    kind = b"application/json" if api else b"text/plain; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
