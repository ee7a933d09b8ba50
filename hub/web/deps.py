"""Route guards: who may open a page, submit a form or call the API, and what refusals look like.

``need(ctx, role)`` guards a read; ``need(ctx, role, write=True)`` guards a form: it also requires
a login session (not an API token) and the session's CSRF token in the form's ``csrf`` field.
Pages answer a missing login with a redirect to /login, the API with 401 JSON; a role too low
gets 403; bad input 400 with the reason.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Annotated
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi import Path as FastApiPath
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from gwcommon.configwords import reason
from hub.core.db import is_full

from . import csrf
from .auth import Principal
from .context import SECURITY_HEADERS, BadRequest, Forbidden, LoginRequired, StorageFull, WebContext, WebError
from .roles import allows

logger = logging.getLogger(__name__)


def need(ctx: WebContext, role: str, *, write: bool = False):
    """A FastAPI dependency returning the :class:`Principal`, or refusing the request."""
    async def guard(request: Request) -> Principal:
        principal = await run_in_threadpool(ctx.principal, request)
        if principal is None:
            raise LoginRequired("error.401")
        if not allows(principal.role, role):
            raise Forbidden("err.role")
        if write:
            if principal.kind != "session":
                raise Forbidden("err.token_form")
            form = await request.form()
            if not csrf.matches(principal.csrf, form.get(csrf.FIELD)):
                raise Forbidden("err.csrf")
        return principal
    guard.role = role  # type: ignore[attr-defined]
    guard.write = write  # type: ignore[attr-defined]
    return guard


def safe_next(target: str | None) -> str:
    """A local path to go back to after login; anything else (another site) becomes '/'."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:500]


def install_handlers(app: FastAPI, ctx: WebContext) -> None:
    """Turn :class:`WebError` into a redirect, a JSON error or an error page — and a write refused
    because the hub's disk is full into a 503 that says so (log-in included: it stores a session)."""
    async def handle(request: Request, exc: WebError) -> Response:
        api = request.url.path.startswith("/api/")
        if api:
            message = exc.text("en")
            return JSONResponse({"error": message}, status_code=exc.status, headers=SECURITY_HEADERS)
        if isinstance(exc, LoginRequired):
            back = request.url.path if request.method == "GET" else "/"
            return RedirectResponse(f"/login?next={quote(back)}", status_code=303)
        principal = await run_in_threadpool(ctx.principal, request)
        return ctx.render(request, "error.html", principal, status=exc.status,
                          message=exc.text(ctx.lang(request)))

    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"type": "value_error", "msg": "invalid", "loc": ()}
        where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "input"
        en, zh = reason(first)  # the same plain words as a config error, in the page's language
        return await handle(request, BadRequest(Worded(f"{where}: {en}", f"{where}：{zh}")))

    async def storage(request: Request, exc: sqlite3.Error) -> Response:
        if not is_full(exc):
            raise exc  # any other database error stays a server error (500, logged)
        return await handle(request, StorageFull("error.storage_full"))

    app.add_exception_handler(WebError, handle)
    app.add_exception_handler(sqlite3.Error, storage)
    app.add_exception_handler(RequestValidationError, invalid)


RowId = Annotated[int, FastApiPath(ge=1, le=2**62)]  # an id in a route: never too big for SQLite


class Worded:
    """A refusal in both languages (:class:`hub.web.context.WebError` asks it for ``text(lang)``)."""

    def __init__(self, en: str, zh: str):
        self.en, self.zh = en, zh

    def text(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def __str__(self) -> str:
        return self.en


def see_other(path: str) -> RedirectResponse:
    """After a successful form: back to a page (POST → redirect → GET)."""
    return RedirectResponse(path, status_code=303)


def csv_download(data: bytes, filename: str) -> Response:
    """A CSV file to save (UTF-8 with BOM for Excel), never kept in a browser or proxy cache:
    registry, roster and reports hold personal data."""
    return Response(data, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})
