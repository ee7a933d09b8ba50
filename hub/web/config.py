"""The web kit's config: ``[web]``."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, IPvAnyNetwork

from gwcommon.config import Duration, Section


class WebConfig(Section):
    """The web view and JSON API."""

    listen: str = Field("127.0.0.1:8080", pattern=r"^[^\s:]*:\d{1,5}$", description="host:port the web view listens on.")
    public_url: str = Field("", description="Address people open (behind a proxy or tunnel), used in chat links.")
    lan_url: str = Field("", max_length=200, pattern=r"^(https?://[^\s]+)?$",
                         description="The hub's address on the compound Wi-Fi (http://192.168.1.10:8080), shown as a QR "
                                     "code on the Phone page; empty: the address the page was opened with.")
    inbox_key: str = Field("", pattern=r"^([A-Za-z0-9_-]{4,64})?$",
                           description="When set, a local chat inbox: a webhook chat target pointed at "
                                       "http://127.0.0.1:<port>/inbox/hook/<inbox_key> lands its messages on the "
                                       "web view's Inbox page (for the demo and for trying rules before the real group).")
    secure_cookies: Literal["auto", "always", "never"] = Field(
        "auto", description="Mark login cookies Secure: auto = when the request came over HTTPS (directly or "
                            "X-Forwarded-Proto from a trusted proxy); always behind an HTTPS proxy or tunnel.")
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list, max_length=16,
        description="Addresses or networks (127.0.0.1, 10.8.0.0/24) of reverse proxies (frp, nginx, Caddy) "
                    "whose X-Forwarded-For/-Proto headers are believed.")
    session_lifetime: Duration = Field(
        timedelta(days=14), ge=timedelta(minutes=5), le=timedelta(days=90),
        description="How long a login lasts before the user must sign in again.")
    login_window: Duration = Field(
        timedelta(minutes=15), ge=timedelta(seconds=10), le=timedelta(days=1),
        description="Window over which failed logins are counted for rate limiting.")
    login_max_failures_account: int = Field(
        5, ge=1, le=100, description="Failed logins for one account within login_window before it is locked for the window.")
    login_max_failures_address: int = Field(
        20, ge=1, le=1000, description="Failed logins from one client address within login_window before it is refused.")
    default_lang: Literal["zh", "en"] = Field("zh", description="Language of the web view until a user picks another: zh or en.")
    page_size: int = Field(50, ge=10, le=500, description="Rows per page in the web view and the JSON API's default page size.")
