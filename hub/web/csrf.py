"""CSRF protection (跨站请求伪造防护) for every form.

A logged-in form carries the session's CSRF token (random, stored with the session, so bound to
it) in a hidden ``csrf`` field; the login form, before any session exists, uses a double-submit
token: a random ``gw_pre`` cookie that the form must repeat.  SameSite=Lax cookies are a second
line of defence, not the only one.
"""

from __future__ import annotations

import hmac
import secrets

PRE_COOKIE = "gw_pre"
FIELD = "csrf"


def new_pre_token() -> str:
    return secrets.token_urlsafe(24)


def matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing value on either side never matches."""
    if not expected or not given or not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))
