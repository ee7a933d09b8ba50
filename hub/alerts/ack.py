"""Acknowledgement links (确认链接): signed, short-lived, served by the hub's web view.

The group robots cannot carry a reply, so a message that mentions the warden carries a link
``<web.public_url>/ack/<token>``.  The token names the alert and an expiry and is signed with
HMAC-SHA256 under a secret kept in the storage directory (``alerts_ack.key``, created on first
use, mode 0600).  Opening the link shows a page with one button; pressing it (a POST, so chat
apps that preview links cannot acknowledge by accident) records the acknowledgement and stops
the escalation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path

from gwcommon.exc import GatewardenError

SECRET_FILE = "alerts_ack.key"


class AckLinkInvalid(GatewardenError, ValueError):
    """An acknowledgement link that is malformed, forged or expired; ``reason`` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def load_or_create_secret(storage_dir: Path) -> bytes:
    """The signing secret from ``<storage_dir>/alerts_ack.key``, created (0600) when missing."""
    path = Path(storage_dir) / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


def _mac(secret: bytes, message: str) -> str:
    digest = hmac.new(secret, message.encode("ascii"), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(secret: bytes, alert_id: int, expires: datetime) -> str:
    """A token for acknowledging ``alert_id`` until ``expires``: ``<id>.<unix expiry>.<mac>``."""
    message = f"{int(alert_id)}.{int(expires.timestamp())}"
    return f"{message}.{_mac(secret, message)}"


def verify(secret: bytes, token: str, now: datetime) -> int:
    """The alert id a valid token names; AckLinkInvalid when malformed, forged or expired."""
    parts = token.split(".")
    if (len(token) > 100 or not token.isascii() or len(parts) != 3
            or not re.fullmatch(r"[0-9]{1,12}", parts[0]) or not re.fullmatch(r"[0-9]{1,12}", parts[1])):
        raise AckLinkInvalid("malformed link")
    message = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_mac(secret, message), parts[2]):
        raise AckLinkInvalid("bad signature")
    if now >= datetime.fromtimestamp(int(parts[1]), tz=timezone.utc):
        raise AckLinkInvalid("link expired")
    return int(parts[0])
