"""Phone access (手机访问): QR codes a warden scans to open the web view — on the compound Wi-Fi
(``[web] lan_url``, or the address this page was opened with) and from outside (``[web]
public_url``, through a tunnel; docs/install.md explains the choices).  Every logged-in user sees
it; the addresses are not secret, the login stays."""

from __future__ import annotations

import ipaddress

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hub.web import qr
from hub.web.auth import Principal
from hub.web.context import NavItem, WebContext
from hub.web.deps import need


def lan_address(ctx: WebContext, request: Request) -> str:
    """The compound-Wi-Fi address: ``[web] lan_url``, else this request's own address when it is
    a private one (the page was opened on the compound's network), else none."""
    if ctx.config.lan_url:
        return ctx.config.lan_url
    host = request.url.hostname or ""
    try:
        private = ipaddress.ip_address(host).is_private and not ipaddress.ip_address(host).is_loopback
    except ValueError:
        private = host.endswith(".local")
    return f"{request.url.scheme}://{request.url.netloc}/" if private else ""


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/phone", "nav.phone", "viewer"))

    @router.get("/phone")
    def phone_page(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        codes = [(key, url, qr.svg(url)) for key, url in (("phone.lan", lan_address(ctx, request)),
                                                          ("phone.public", ctx.config.public_url)) if url]
        return ctx.render(request, "phone.html", who, title_key="nav.phone", codes=codes)
    return router
