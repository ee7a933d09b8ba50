"""The acknowledgement link's pages: GET /ack/<token> shows one button, POST records it.

The signed token is the credential (no login: the warden taps it in the chat on a phone).  GET
never changes anything, so a chat app that previews the link cannot acknowledge by accident.
An acknowledgement by link is written to the audit log as actor "chat link" (detail ``by: link``)
with the client's address: a group robot's message cannot say who tapped it, so the log says it
was the link, not a person.
"""

from __future__ import annotations

import html
import logging
from typing import Any, Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from hub.alerts import ack
from hub.alerts import outbox
from hub.web import audit

logger = logging.getLogger(__name__)

TEXTS = {
    "zh": {"title": "确认告警", "button": "我来处理（确认）", "done": "已确认，谢谢。升级提醒已停止。",
           "already": "此告警已有人确认。", "unknown": "找不到此告警。", "link expired": "链接已过期，请在网页中确认。",
           "bad signature": "链接无效。", "malformed link": "链接无效。"},
    "en": {"title": "Acknowledge alert", "button": "I'll handle it (acknowledge)",
           "done": "Acknowledged, thank you. Escalation stopped.", "already": "Someone has already acknowledged this alert.",
           "unknown": "No such alert.", "link expired": "This link has expired; acknowledge in the web view.",
           "bad signature": "This link is not valid.", "malformed link": "This link is not valid."},
}


def _page(lang: str, body: str, status: int = 200) -> HTMLResponse:
    title = TEXTS[lang]["title"]
    return HTMLResponse(
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
        f'<link rel="stylesheet" href="/static/web.css"></head>'
        f'<body class="ack-page"><h1>{title}</h1>{body}</body></html>',
        status_code=status)


def router(*, secret: bytes, writer: Any, clock: Any, lang: str,
           describe: Callable[[int], str | None],
           client_address: Callable[[Request], str] | None = None) -> APIRouter:
    """The two routes; ``describe(alert_id)`` gives the alert's (masked) title for the page;
    ``client_address(request)`` the address written to the audit log (believing trusted proxies only)."""
    texts = TEXTS.get(lang, TEXTS["zh"])
    routes = APIRouter(include_in_schema=False)

    def check(token: str) -> int | HTMLResponse:
        try:
            return ack.verify(secret, token, clock.now())
        except ack.AckLinkInvalid as exc:
            return _page(lang, f"<p>{html.escape(texts[exc.reason])}</p>", 410 if exc.reason == "link expired" else 400)

    @routes.get("/ack/{token}")
    def show(token: str) -> HTMLResponse:
        alert_id = check(token)
        if isinstance(alert_id, HTMLResponse):
            return alert_id
        title = describe(alert_id)
        if title is None:
            return _page(lang, f"<p>{texts['unknown']}</p>", 404)
        return _page(lang, f'<p>{html.escape(title)}</p><form method="post">'
                           f'<button type="submit" class="ack-button">'
                           f'{texts["button"]}</button></form>')

    @routes.post("/ack/{token}")
    def confirm(token: str, request: Request) -> HTMLResponse:
        alert_id = check(token)
        if isinstance(alert_id, HTMLResponse):
            return alert_id
        address = client_address(request) if client_address else ""

        def job(db: Any) -> str:
            result = outbox.acknowledge(db, alert_id, by="chat link", now=clock.now())
            if result == "acked" and db["web_audit"].exists():  # audited like a web acknowledgement
                audit.record(db, clock.now(), "chat link", "alert_ack", target=str(alert_id),
                             detail={"by": "link"}, address=address)
            return result
        outcome = writer.call(job)
        logger.info("alert %d acknowledged through its chat link from %s: %s", alert_id, address or "?", outcome)
        key = "done" if outcome == "acked" else outcome
        return _page(lang, f"<p>{texts[key]}</p>", 404 if outcome == "unknown" else 200)

    return routes
