"""What every page and API route shares: the hub, read connections, templates, who is asking.

Reads go through per-thread read-only connections (``hub.db.open_reader``); writes go through
``hub.writer`` only.  Times are shown in the site's time zone.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, StreamingResponse
from sqlite_utils import Database

from gwcommon.timefmt import parse_ts
from hub.core import faultwords, labels as labelling
from hub.core.db import open_reader
from hub.core.tagtext import short_tag
from hub.core.httpguard import SECURITY_HEADERS  # noqa: F401  (re-exported for the web kit)

from . import i18n, sessions
from .auth import Principal, token_principal
from .ratelimit import LoginLimiter
from .verifypool import VerifyPool
from .roles import allows

logger = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"
STREAM_PIECE = 64 * 1024  # characters per piece of a streamed page


class WebError(Exception):
    """Base of the refusals the web layer turns into responses.

    ``message`` is an i18n key (filled with ``values``) or a sentence; or a refusal of an area that
    words itself in a language (``.text(lang)``: hub.registry, hub.diary, hub.alerts.roster).
    """

    status = 400

    def __init__(self, message: Any = "", **values: Any):
        super().__init__(str(message))
        self.message = message if isinstance(message, str) else str(message)
        self.values = values
        self.worded = None if isinstance(message, str) else message

    def text(self, lang: str) -> str:
        """The refusal in ``lang`` (``zh`` or ``en``)."""
        if self.worded is not None:
            return self.worded.text(lang)
        return i18n.text(lang, self.message, **self.values)


class LoginRequired(WebError):
    status = 401


class Forbidden(WebError):
    status = 403


class BadRequest(WebError):
    status = 400


class NotFound(WebError):
    status = 404


class StorageFull(WebError):
    """The hub's database refused a write: its disk (SD card) is full."""

    status = 503


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # an i18n key
    role: str


class WebContext:
    """Built once by :func:`hub.web.attach`; page modules receive it."""

    def __init__(self, hub: Any):
        self.hub = hub
        self.config = hub.config.web
        self.site = hub.config.site
        self.tz = hub.config.site.tz
        self.limiter = LoginLimiter(window=self.config.login_window.total_seconds(),
                                    max_account=self.config.login_max_failures_account,
                                    max_address=self.config.login_max_failures_address)
        self.verify_pool = VerifyPool()
        self.nav: list[NavItem] = []
        # Blocks the areas' pages hand in when they register (the web kit knows no area by name):
        # the Today page's blocks and the Devices page's, fn(ctx) -> dict | None (None: left
        # out); the monthly report's, fn(db, start, end) -> its rows; the monthly report's trends,
        # fn(db, month bounds) -> one number per month (len(bounds) - 1 of them).
        self.today: dict[str, Callable[[WebContext], Any]] = {}
        self.device_blocks: dict[str, Callable[[WebContext], Any]] = {}
        self.report_blocks: dict[str, Callable[[Database, datetime, datetime], Any]] = {}
        # the logged-in person's own blocks, fn(ctx, principal) -> dict | None, on 我的账号 and at
        # the end of the Today page (the roster's "my next shift")
        self.account_blocks: dict[str, Callable[[WebContext, Principal], Any]] = {}
        self.report_trends: dict[str, Callable[[Database, list[datetime]], list[float]]] = {}
        # a fault code's device detail in words, by the area that knows the code: fn(fault, lang) -> str
        self.fault_details: dict[str, Callable[[dict, str], str]] = {}
        self.stats: dict[str, int] = {}
        self._local = threading.local()
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                      undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.filters["local"] = self.local
        self.env.globals["allows"] = allows
        # names people read instead of ids (hub.core.labels), fault codes in words, short tag ids
        self.labels = labelling.from_config(hub.config)
        self.env.globals.update(device_label=self.labels.device, lane_label=self.labels.lane,
                                circuit_label=self.labels.circuit, zone_label=self.labels.zone,
                                fault_name=faultwords.name, fault_advice=faultwords.advice, short_tag=short_tag)

    # --- data access -------------------------------------------------------------------
    def reader(self) -> Database:
        """This thread's read-only connection to the hub database."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = open_reader(self.hub.db_path)
        return db

    def has_table(self, name: str) -> bool:
        row = self.reader().execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [name]).fetchone()
        return row is not None

    def write(self, job: Callable[[Database], Any]) -> Any:
        """Run ``job(db)`` on the hub's writer thread and return its result."""
        return self.hub.writer.call(job)

    def now(self) -> datetime:
        return self.hub.clock.now()

    # --- the request ---------------------------------------------------------------------
    def address(self, request: Request) -> str:
        peer = request.client.host if request.client else ""
        return sessions.client_address(peer, request.headers, self.config.trusted_proxies)

    def https(self, request: Request) -> bool:
        if self.config.secure_cookies != "auto":
            return self.config.secure_cookies == "always"
        peer = request.client.host if request.client else ""
        return sessions.is_https(request.url.scheme, peer, request.headers, self.config.trusted_proxies)

    def principal(self, request: Request) -> Principal | None:
        """Who is asking: a bearer token, else the session cookie, else None."""
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            return token_principal(self.reader(), header[7:].strip())
        cookie = request.cookies.get(sessions.COOKIE)
        return sessions.session_principal(self.reader(), cookie, self.now()) if cookie else None

    def lang(self, request: Request) -> str:
        chosen = request.cookies.get(i18n.COOKIE, "")
        return chosen if chosen in i18n.LANGS else self.config.default_lang

    # --- rendering -----------------------------------------------------------------------
    def local(self, value: str | datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        """A stored RFC 3339 time (or aware datetime) in the site's zone; '' for none."""
        if value in (None, ""):
            return ""
        moment = parse_ts(value) if isinstance(value, str) else value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(self.tz).strftime(fmt)

    def _page(self, request: Request, principal: Principal | None, status: int, values: dict) -> dict:
        lang = self.lang(request)
        return dict(request=request, user=principal, lang=lang, _=i18n.translator(lang),
                    csrf=principal.csrf if principal else "", site=self.site,
                    nav=sorted((n for n in self.nav if principal and allows(principal.role, n.role)), key=_nav_place),
                    path=request.url.path, status_code=status, **values)

    def render(self, request: Request, template: str, principal: Principal | None, *,
               status: int = 200, **values: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(self._page(request, principal, status, values))
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def stream(self, request: Request, template: str, principal: Principal | None, **values: Any) -> StreamingResponse:
        """A page rendered while it is sent (a long printout: its rows may be a generator that reads
        the database a batch at a time through :meth:`reader`), in pieces of about 64 KB."""
        parts = self.env.get_template(template).generate(self._page(request, principal, 200, values))

        def pieces() -> Iterator[bytes]:
            buffer, size = [], 0
            for part in parts:
                buffer.append(part)
                size += len(part)
                if size >= STREAM_PIECE:
                    yield "".join(buffer).encode("utf-8")
                    buffer, size = [], 0
            yield "".join(buffer).encode("utf-8")
        return StreamingResponse(pieces(), media_type="text/html; charset=utf-8",
                                 headers={**SECURITY_HEADERS, "Cache-Control": "no-store"})


NAV_ORDER = ("/", "/violations", "/diary", "/passages", "/registry", "/charging", "/devices", "/roster",
             "/calendar", "/report", "/audit", "/accounts")


def _nav_place(item: NavItem) -> int:
    return NAV_ORDER.index(item.path) if item.path in NAV_ORDER else len(NAV_ORDER)


