"""Logging in and out (登录/退出), choosing the language, and the admin's accounts and tokens page."""

from __future__ import annotations

import logging
import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from .. import audit, csrf, i18n, sessions
from ..auth import (MIN_PASSWORD, AccountError, Principal, add_user_job, create_token_job, find_user, list_tokens,
                    list_users, one_time_password, revoke_token_job, set_active_job, set_password_job,
                    verify_password)
from ..context import BadRequest, NavItem, WebContext
from ..deps import RowId, need, safe_next, see_other
from ..roles import ROLES
from ..verifypool import Busy

logger = logging.getLogger(__name__)
YEAR = 365 * 86400


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/accounts", "nav.accounts", "admin"))
    ctx.stats.setdefault("login_refused", 0)

    @router.get("/login")
    def login_form(request: Request, next: str = "/") -> Response:
        if ctx.principal(request) is not None:
            return see_other(safe_next(next))
        return _login_page(ctx, request, next=next)

    @router.post("/login")
    def login(request: Request, name: Annotated[str, Form(max_length=200)] = "",
              password: Annotated[str, Form(max_length=1024)] = "",
              csrf_field: Annotated[str, Form(alias="csrf")] = "",
              next: Annotated[str, Form(max_length=500)] = "/") -> Response:
        _ = i18n.translator(ctx.lang(request))
        if not csrf.matches(request.cookies.get(csrf.PRE_COOKIE), csrf_field):
            return _login_page(ctx, request, next=next, name=name, error=_("login.expired"), status=400)
        address, now_mono = ctx.address(request), ctx.hub.clock.monotonic()
        verdict = ctx.limiter.attempt(name, address, now_mono)  # counted before the password is checked
        if not verdict.allowed:
            ctx.stats["login_refused"] += 1
            logger.warning("login for %r from %s refused: too many attempts per %s", name[:64], address, verdict.reason)
            minutes = max(1, math.ceil(verdict.retry_after / 60))
            return _login_page(ctx, request, next=next, name=name, status=429,
                               error=_("login.limited", minutes=minutes))
        user = find_user(ctx.reader(), name) if name else None
        try:
            ok = ctx.verify_pool.run(lambda: verify_password(user["password_hash"] if user else None, password))
        except Busy:
            ctx.stats["login_refused"] += 1
            return _login_page(ctx, request, next=next, name=name, status=429, error=_("login.limited", minutes=1))
        if not (ok and user and user["active"]):
            ctx.write(lambda db: audit.record(db, ctx.now(), name[:64] or "-", "login_failed", address=address))
            return _login_page(ctx, request, next=next, name=name, error=_("login.bad"), status=401)
        ctx.limiter.succeeded(name, address, now_mono)
        return _start_session(ctx, request, user, address, safe_next(next))

    @router.post("/logout")
    def logout(request: Request, who: Principal = Depends(need(ctx, "viewer", write=True))) -> Response:
        def job(db):
            sessions.end_job(who.session_hash)(db)
            audit.record(db, ctx.now(), who.name, "logout", address=ctx.address(request))
        ctx.write(job)
        response = see_other("/login")
        response.delete_cookie(sessions.COOKIE, path="/")
        return response

    @router.get("/lang")
    def choose_lang(to: str = "zh", next: str = "/") -> Response:
        if to not in i18n.LANGS:
            raise BadRequest(f"unknown language {to[:10]!r}; choose zh or en")
        response = see_other(safe_next(next))
        response.set_cookie(i18n.COOKIE, to, max_age=YEAR, samesite="lax", httponly=True, path="/")
        return response

    _accounts_routes(ctx, router)
    return router


def _login_page(ctx: WebContext, request: Request, *, next: str, name: str = "", error: str = "",
                status: int = 200) -> Response:
    pre = request.cookies.get(csrf.PRE_COOKIE) or csrf.new_pre_token()
    response = ctx.render(request, "login.html", None, status=status, pre_token=pre,
                          next=safe_next(next), name=name[:64], error=error)
    response.set_cookie(csrf.PRE_COOKIE, pre, httponly=True, samesite="lax", path="/",
                        secure=ctx.https(request))
    return response


def _start_session(ctx: WebContext, request: Request, user: dict, address: str, target: str) -> Response:
    lifetime = ctx.config.session_lifetime
    session_id, create = sessions.create_job(user["id"], lifetime, ctx.now(), address)

    def job(db):
        create(db)
        audit.record(db, ctx.now(), user["name"], "login", address=address)
    ctx.write(job)
    response = see_other(target)
    response.set_cookie(sessions.COOKIE, session_id, max_age=int(lifetime.total_seconds()), httponly=True,
                        samesite="lax", secure=ctx.https(request), path="/")
    response.delete_cookie(csrf.PRE_COOKIE, path="/")
    return response


def _own_account_routes(ctx: WebContext, router: APIRouter) -> None:
    """我的账号: everyone changes their own password (the current one first); other sessions end."""
    ctx.nav.append(NavItem("/account", "nav.account", "viewer"))

    @router.get("/account")
    def my_account(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        return _account_page(ctx, request, who, done=False)

    @router.post("/account/password")
    def change_password(request: Request, current: Annotated[str, Form(max_length=1024)] = "",
                        new: Annotated[str, Form(max_length=1024)] = "", again: Annotated[str, Form(max_length=1024)] = "",
                        who: Principal = Depends(need(ctx, "viewer", write=True))) -> Response:
        if who.kind != "session" or who.user_id is None:
            raise BadRequest("acc.pw_session_only")
        if new != again:
            raise BadRequest("acc.pw_mismatch")
        if len(new) < MIN_PASSWORD:
            raise BadRequest("acc.pw_short", min=MIN_PASSWORD)
        address, now_mono = ctx.address(request), ctx.hub.clock.monotonic()
        verdict = ctx.limiter.attempt(who.name, address, now_mono)  # guessing the current one is a login attempt
        if not verdict.allowed:
            raise BadRequest("acc.pw_limited")
        user = find_user(ctx.reader(), who.name)
        try:
            ok = ctx.verify_pool.run(lambda: verify_password(user["password_hash"] if user else None, current))
        except Busy:
            raise BadRequest("acc.pw_limited") from None
        if not ok:
            raise BadRequest("acc.pw_wrong")
        ctx.limiter.succeeded(who.name, address, now_mono)
        change = set_password_job(who.user_id, new, ctx.now(), keep_session=who.session_hash)

        def job(db):
            change(db)
            audit.record(db, ctx.now(), who.name, "password_change", target=who.name, address=address)
        ctx.write(job)
        return _account_page(ctx, request, who, done=True)


def _account_page(ctx: WebContext, request: Request, who: Principal, *, done: bool) -> Response:
    """我的账号 with the blocks the areas hand in (``ctx.account_blocks``: the roster's next shift)."""
    blocks = {name: block(ctx, who) for name, block in ctx.account_blocks.items()}
    return ctx.render(request, "account.html", who, title_key="nav.account", done=done,
                      blocks={name: part for name, part in blocks.items() if part is not None})


def _accounts_routes(ctx: WebContext, router: APIRouter) -> None:
    admin, admin_write = need(ctx, "admin"), need(ctx, "admin", write=True)
    _own_account_routes(ctx, router)

    @router.post("/accounts/users/{user_id}/reset")
    def reset_password(request: Request, user_id: RowId, who: Principal = Depends(admin_write)) -> Response:
        """A forgotten password: a one-time password the admin reads out; the person's sessions end."""
        users = {u["id"]: u for u in list_users(ctx.reader())}
        if user_id not in users:
            raise BadRequest("acc.user_unknown")
        password = one_time_password()
        change = set_password_job(user_id, password, ctx.now())

        def job(db):
            change(db)
            audit.record(db, ctx.now(), who.name, "password_reset", target=users[user_id]["name"],
                         address=ctx.address(request))
        ctx.write(job)
        db = ctx.reader()
        return ctx.render(request, "accounts.html", who, title_key="acc.title", users=list_users(db),
                          tokens=list_tokens(db), roles=ROLES, new_token=None,
                          reset={"name": users[user_id]["name"], "password": password})

    @router.get("/accounts")
    def accounts(request: Request, who: Principal = Depends(admin)) -> Response:
        db = ctx.reader()
        return ctx.render(request, "accounts.html", who, title_key="acc.title", users=list_users(db),
                          tokens=list_tokens(db), roles=ROLES, new_token=None)

    @router.post("/accounts/users")
    def add_user(request: Request, name: Annotated[str, Form(max_length=64)], password: Annotated[str, Form(max_length=1024)],
                 role: Annotated[str, Form()], display_name: Annotated[str, Form(max_length=100)] = "",
                 who: Principal = Depends(admin_write)) -> Response:
        try:
            add = add_user_job(name.strip(), password, role, ctx.now(), display_name=display_name.strip())
        except AccountError as exc:
            raise BadRequest(exc.text(ctx.lang(request))) from None

        def job(db):
            try:
                user_id = add(db)
            except AccountError as exc:
                raise BadRequest(exc.text(ctx.lang(request))) from None
            audit.record(db, ctx.now(), who.name, "user_add", target=name, detail={"role": role},
                         address=ctx.address(request))
            return user_id
        ctx.write(job)
        return see_other("/accounts")

    @router.post("/accounts/users/{user_id}/active")
    def set_active(request: Request, user_id: RowId, active: Annotated[int, Form(ge=0, le=1)],
                   who: Principal = Depends(admin_write)) -> Response:
        if user_id == who.user_id and not active:
            raise BadRequest("you cannot disable your own account")

        def job(db):
            set_active_job(user_id, bool(active), ctx.now())(db)
            audit.record(db, ctx.now(), who.name, "user_enable" if active else "user_disable",
                         target=str(user_id), address=ctx.address(request))
        ctx.write(job)
        return see_other("/accounts")

    @router.post("/accounts/tokens")
    def new_token(request: Request, role: Annotated[str, Form()], name: Annotated[str, Form(max_length=64)] = "",
                  who: Principal = Depends(admin_write)) -> Response:
        if role not in ROLES:
            raise BadRequest(f"unknown role {role[:20]!r}")
        token, store = create_token_job(role, name, ctx.now())

        def job(db):
            token_id = store(db)
            audit.record(db, ctx.now(), who.name, "token_create", target=str(token_id),
                         detail={"role": role, "name": name}, address=ctx.address(request))
        ctx.write(job)
        db = ctx.reader()
        return ctx.render(request, "accounts.html", who, title_key="acc.title", users=list_users(db),
                          tokens=list_tokens(db), roles=ROLES, new_token=token)

    @router.post("/accounts/tokens/{token_id}/revoke")
    def revoke(request: Request, token_id: RowId, who: Principal = Depends(admin_write)) -> Response:
        def job(db):
            revoke_token_job(token_id, ctx.now())(db)
            audit.record(db, ctx.now(), who.name, "token_revoke", target=str(token_id), address=ctx.address(request))
        ctx.write(job)
        return see_other("/accounts")
