"""The local chat inbox (本地消息箱): what the committee's group would have received.

Only when ``[web] inbox_key`` is set.  The hook takes the ``webhook`` chat target's JSON from the
hub itself (loopback only, the key in the path); the page needs a login like every other page.
"""

from __future__ import annotations

import json
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from hub.alerts import inbox

from hub.web.auth import Principal
from hub.web.context import NavItem, NotFound, WebContext
from hub.web.deps import need

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    key = ctx.hub.config.web.inbox_key
    if key:
        ctx.nav.append(NavItem("/inbox", "nav.inbox", "viewer"))

    @router.post("/inbox/hook/{given}")
    async def hook(given: str, request: Request) -> Response:
        if not key or given != key or (request.client and request.client.host not in LOOPBACK):
            return JSONResponse({"errcode": 404, "errmsg": "no such inbox"}, status_code=404)
        raw = await request.body()
        try:
            row = inbox.parse(json.loads(raw[: 4 * 1024 * 1024]))
        except (ValueError, inbox.BadInboxMessage) as exc:
            return JSONResponse({"errcode": 400, "errmsg": str(exc)[:200]}, status_code=400)
        ctx.hub.writer.call(lambda db: inbox.add(db, row, ctx.now()))
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    @router.get("/inbox")
    def inbox_page(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        if not key:
            raise NotFound("error.404")
        return ctx.render(request, "inbox.html", who, title_key="nav.inbox", rows=inbox.latest(ctx.reader()))

    @router.get("/inbox/{message_id}.jpg")
    def inbox_image(message_id: int, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        data = inbox.image(ctx.reader(), message_id) if key else None
        if not data:
            raise NotFound("error.404")
        return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})

    return router
