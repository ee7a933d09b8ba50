"""Mosquitto password files without ``mosquitto_passwd``: PBKDF2-SHA512 in Mosquitto 2's format.

A line is ``user:$7$<iterations>$<base64 salt>$<base64 hash>`` — a 12-byte salt and a 64-byte
PBKDF2-HMAC-SHA512 of the password, as ``mosquitto_passwd`` 2.0 writes it (tests check the broker
accepts it).  The passwords gatewarden generates are random (32 characters, about 190 bits), so
the iteration count matters little; it is higher than ``mosquitto_passwd``'s 101 all the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

ITERATIONS = 1000
SALT_BYTES = 12


def new_password() -> str:
    """A random password, safe in a TOML-free text file (URL-safe base64 letters)."""
    return secrets.token_urlsafe(24)


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """``$7$…`` hash of ``password`` (what follows ``user:`` in a Mosquitto password file)."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify(password: str, hashed: str) -> bool:
    """True when ``hashed`` (a ``$7$`` hash) is the hash of ``password``."""
    parts = hashed.split("$")
    if len(parts) != 5 or parts[1] != "7" or not parts[2].isdigit():
        return False
    salt, digest = base64.b64decode(parts[3]), base64.b64decode(parts[4])
    return hmac.compare_digest(hashlib.pbkdf2_hmac("sha512", password.encode(), salt, int(parts[2]), 64), digest)


def password_file(accounts: dict[str, str]) -> str:
    """The text of a password file for ``{user: password}`` (users in the given order)."""
    for user in accounts:
        if not user or ":" in user or any(c.isspace() for c in user):
            raise ValueError(f"user name {user!r} cannot go in a Mosquitto password file")
    return "".join(f"{user}:{hash_password(password)}\n" for user, password in accounts.items())
