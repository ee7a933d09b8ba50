"""Imports waiting for a committee member's confirmation on the web view (导入待确认).

The import page first shows what a file would change (:mod:`hub.registry.diff`); the file waits
here, under a random token, until the same person confirms — at most :data:`MAX_PENDING` files for
at most :data:`KEEP` each, so a flood of uploads cannot grow the hub's memory.  A hub restart forgets
them (the person uploads again).  Pure apart from the token's randomness; the clock is passed in.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Lock

MAX_PENDING = 4
KEEP = timedelta(minutes=15)


@dataclass(frozen=True)
class Pending:
    data: bytes
    filename: str
    user: str
    version: int  # the registry version the preview was computed against
    at: datetime


class PendingImports:
    """Uploaded files by token; the oldest is dropped when a fifth arrives."""

    def __init__(self) -> None:
        self._items: OrderedDict[str, Pending] = OrderedDict()
        self._lock = Lock()

    def put(self, item: Pending) -> str:
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._items[token] = item
            while len(self._items) > MAX_PENDING:
                self._items.popitem(last=False)
        return token

    def take(self, token: str, *, user: str, now: datetime) -> Pending | None:
        """The file waiting under ``token`` for ``user`` (removed), or None when unknown, expired
        or uploaded by someone else."""
        with self._lock:
            item = self._items.get(token)
            if item is None or item.user != user:
                return None
            del self._items[token]
        return item if now - item.at <= KEEP else None
