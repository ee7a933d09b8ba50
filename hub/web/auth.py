"""Accounts (账号), passwords and API tokens of the web view.

Passwords are hashed with argon2id (argon2-cffi's defaults).  API tokens are 32 random bytes
shown once when created and stored as their SHA-256 hash, like session ids.  Functions named
``*_job`` run on the hub's writer thread (``hub.writer.call(job)``); the rest only read.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database

from gwcommon.exc import GatewardenError
from gwcommon.timefmt import format_ts

from . import i18n  # noqa: F401  (its table words the account refusals: acc.err.*)
from .roles import ROLES, rank

logger = logging.getLogger(__name__)

USER_NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
MIN_PASSWORD = 8
TOKEN_PREFIX = "gw_"
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a real password, only for equal timing")


class AccountError(GatewardenError, ValueError):
    """A bad user name, password or role; the message is one line fit for the form or CLI."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: a logged-in user (``session``) or an API token (``token``)."""

    kind: str
    name: str
    role: str
    user_id: int | None = None
    csrf: str | None = None
    session_hash: str | None = None


def digest(secret: str) -> str:
    """SHA-256 hex of a session id or API token (what the database keeps)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def check_user_name(name: str) -> str:
    if not USER_NAME_RE.match(name or ""):
        raise AccountError.said("acc.err.name")
    return name


def check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise AccountError.said("acc.err.password_short", min=MIN_PASSWORD)
    if len(password) > 1024:
        raise AccountError.said("acc.err.password_long")
    return password


def check_role(role: str) -> str:
    try:
        rank(role)
    except ValueError:
        raise AccountError.said("acc.err.role", role=role) from None
    return role


def hash_password(password: str) -> str:
    return _hasher.hash(check_password(password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing account costs the same time as a wrong password."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def add_user_job(name: str, password: str, role: str, now: datetime, *,
                 display_name: str = "", replace: bool = False) -> Callable[[Database], int]:
    """A writer job adding (or with ``replace`` resetting) an account; returns its id."""
    check_user_name(name)
    check_role(role)
    pw_hash = hash_password(password)  # slow: done before the job, off the writer thread

    def job(db: Database) -> int:
        row = db.execute("SELECT id FROM web_users WHERE name = ?", [name]).fetchone()
        stamp = format_ts(now)
        if row and not replace:
            raise AccountError.said("acc.err.exists", name=name)
        if row:
            db.execute("UPDATE web_users SET role=?, password_hash=?, display_name=?, active=1, "
                       "updated_at=? WHERE id=?", [role, pw_hash, display_name, stamp, row[0]])
            db.execute("DELETE FROM web_sessions WHERE user_id = ?", [row[0]])
            return row[0]
        cur = db.execute("INSERT INTO web_users (name, display_name, role, password_hash, created_at, "
                         "updated_at) VALUES (?,?,?,?,?,?)", [name, display_name, role, pw_hash, stamp, stamp])
        return cur.lastrowid
    return job


def set_active_job(user_id: int, active: bool, now: datetime) -> Callable[[Database], None]:
    """Disable (ending its sessions) or enable an account."""
    def job(db: Database) -> None:
        db.execute("UPDATE web_users SET active=?, updated_at=? WHERE id=?", [int(active), format_ts(now), user_id])
        if not active:
            db.execute("DELETE FROM web_sessions WHERE user_id = ?", [user_id])
    return job


def set_password_job(user_id: int, password: str, now: datetime, *,
                     keep_session: str | None = None) -> Callable[[Database], None]:
    """A writer job giving an account a new password (hashed now, off the writer thread) and ending
    its other sessions (``keep_session``: the id hash of the session that changed it, kept)."""
    pw_hash = hash_password(password)

    def job(db: Database) -> None:
        db.execute("UPDATE web_users SET password_hash=?, updated_at=? WHERE id=?", [pw_hash, format_ts(now), user_id])
        db.execute("DELETE FROM web_sessions WHERE user_id = ? AND id_hash IS NOT ?", [user_id, keep_session])
    return job


def one_time_password() -> str:
    """A password an admin reads out to a person who forgot theirs (12 characters, easy to type)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
    return "".join(secrets.choice(alphabet) for _ in range(12))


def find_user(db: Database, name: str) -> dict | None:
    row = db.execute("SELECT id, name, display_name, role, password_hash, active FROM web_users "
                     "WHERE name = ?", [name]).fetchone()
    keys = ("id", "name", "display_name", "role", "password_hash", "active")
    return dict(zip(keys, row)) if row else None


def list_users(db: Database) -> list[dict]:
    rows = db.execute("SELECT id, name, display_name, role, active, created_at FROM web_users ORDER BY name")
    return [dict(zip(("id", "name", "display_name", "role", "active", "created_at"), r)) for r in rows]


def create_token_job(role: str, name: str, now: datetime) -> tuple[str, Callable[[Database], int]]:
    """A new API token (returned once, in clear) and the writer job that stores its hash."""
    check_role(role)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)

    def job(db: Database) -> int:
        cur = db.execute("INSERT INTO web_tokens (token_hash, role, name, created_at) VALUES (?,?,?,?)",
                         [digest(token), role, name[:64], format_ts(now)])
        return cur.lastrowid
    return token, job


def revoke_token_job(token_id: int, now: datetime) -> Callable[[Database], bool]:
    def job(db: Database) -> bool:
        cur = db.execute("UPDATE web_tokens SET revoked_at=? WHERE id=? AND revoked_at IS NULL",
                         [format_ts(now), token_id])
        return cur.rowcount > 0
    return job


def list_tokens(db: Database) -> list[dict]:
    rows = db.execute("SELECT id, role, name, created_at, revoked_at FROM web_tokens ORDER BY id")
    return [dict(zip(("id", "role", "name", "created_at", "revoked_at"), r)) for r in rows]


def token_principal(db: Database, token: str) -> Principal | None:
    """The principal of a bearer token, or None when unknown or revoked."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = db.execute("SELECT id, role, name FROM web_tokens WHERE token_hash=? AND revoked_at IS NULL",
                     [digest(token)]).fetchone()
    if row is None or row[1] not in ROLES:
        return None
    return Principal("token", f"token:{row[0]}" + (f" ({row[2]})" if row[2] else ""), row[1])
