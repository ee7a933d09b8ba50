"""The audit log page (审计日志): every login, manual open, edit and excuse, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from .. import audit, auditwords
from ..auth import Principal
from ..context import NavItem, WebContext
from ..deps import need


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/audit", "nav.audit", "committee"))

    @router.get("/audit")
    def audit_page(request: Request, before: int | None = Query(None, ge=1, le=2**62),
                   actor: str = Query("", max_length=100), action: str = Query("", max_length=40),
                   who: Principal = Depends(need(ctx, "committee"))) -> Response:
        size = ctx.config.page_size
        rows = audit.page(ctx.reader(), before_id=before, limit=size + 1, actor=actor.strip(), action=action)
        more = rows[size:] and rows[size - 1]["id"]
        lang = ctx.lang(request)
        rows = [{**r, "detail": auditwords.words(r["detail"] or "", lang), "raw": r["detail"]} for r in rows[:size]]
        return ctx.render(request, "audit.html", who, title_key="audit.title", rows=rows,
                          more=more or None, actor=actor, action=action, actions=audit.ACTIONS)
    return router
