"""Login sessions (登录会话): a random id in an HttpOnly cookie, its hash and CSRF token in the DB.

The cookie is ``SameSite=Lax`` and ``HttpOnly`` always, ``Secure`` when the request came over
HTTPS (directly, or per ``X-Forwarded-Proto`` from a trusted proxy) or when configured always.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from ipaddress import ip_address
from typing import Callable

from sqlite_utils import Database

from gwcommon.timefmt import format_ts

from .auth import Principal, digest

COOKIE = "gw_session"


def create_job(user_id: int, lifetime: timedelta, now: datetime, address: str
               ) -> tuple[str, Callable[[Database], str]]:
    """A new session id (for the cookie) and the writer job that stores it; expired ones go."""
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)

    def job(db: Database) -> str:
        db.execute("DELETE FROM web_sessions WHERE expires_at <= ?", [format_ts(now)])
        db.execute("INSERT INTO web_sessions (id_hash, user_id, csrf, created_at, expires_at, address) "
                   "VALUES (?,?,?,?,?,?)",
                   [digest(session_id), user_id, csrf, format_ts(now), format_ts(now + lifetime), address])
        return csrf
    return session_id, job


def end_job(session_hash: str) -> Callable[[Database], None]:
    def job(db: Database) -> None:
        db.execute("DELETE FROM web_sessions WHERE id_hash = ?", [session_hash])
    return job


def session_principal(db: Database, session_id: str, now: datetime) -> Principal | None:
    """The logged-in user of a session cookie, or None when unknown, expired or disabled."""
    if not session_id or len(session_id) > 200:
        return None
    row = db.execute(
        "SELECT u.id, u.name, u.role, s.csrf, s.id_hash FROM web_sessions s JOIN web_users u ON u.id = s.user_id "
        "WHERE s.id_hash = ? AND s.expires_at > ? AND u.active = 1",
        [digest(session_id), format_ts(now)]).fetchone()
    if row is None:
        return None
    return Principal("session", row[1], row[2], user_id=row[0], csrf=row[3], session_hash=row[4])


def client_address(peer: str, headers, trusted) -> str:
    """The client's address: the peer, or — behind a trusted proxy — the nearest untrusted hop."""
    if not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop[:64]
    return peer


def is_https(scheme: str, peer: str, headers, trusted) -> bool:
    """Whether the browser's connection is HTTPS (believing the proxy's header only if trusted)."""
    if scheme == "https":
        return True
    proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return proto == "https" and _trusted(peer, trusted)


def _trusted(address: str, trusted) -> bool:
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in trusted)
