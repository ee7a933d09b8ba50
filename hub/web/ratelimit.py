"""Login rate limiting (登录限速): attempts counted per client address and per account.

A decision module: no I/O, time passed in (monotonic seconds from the injected clock).

Every attempt is counted *before* its password is checked (:meth:`LoginLimiter.attempt`, atomic
under a lock), so 30 parallel guesses cannot all slip through between the check and the count.

- **Per address first.** An address may try ``max_address`` times within ``window`` seconds;
  past that it is refused until its oldest attempt leaves the window.
- **Then a delay per account, never a hard lock.** An account that had ``max_account`` attempts
  within the window is slowed, not locked: one attempt per ``account_delay`` seconds, from any
  address.  So a prankster on one address cannot lock the warden out for long (his address is
  refused, and the warden waits at most ``account_delay``), and guessing one password from many
  addresses is held to one try per delay.
- A correct password clears the account's count and gives its own attempt back to the address.

State is kept in memory, bounded by ``max_keys``: a hub restart forgets it, which costs an
attacker a restart they cannot cause.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Verdict:
    """Whether a login attempt may be checked at all, and if not for how long it stays refused."""

    allowed: bool
    retry_after: float = 0.0
    reason: str = ""


@dataclass
class LoginLimiter:
    """Sliding-window attempt counts; ``max_keys`` bounds memory (oldest keys are forgotten)."""

    window: float
    max_account: int
    max_address: int
    account_delay: float = 30.0
    max_keys: int = 10_000
    _fails: dict[tuple[str, str], deque] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def attempt(self, account: str, address: str, now: float) -> Verdict:
        """May this attempt proceed?  When it may, it is counted at once (before any check)."""
        with self._lock:
            verdict = self._verdict(account, address, now)
            if verdict.allowed:
                self._count(account, address, now)
            return verdict

    def check(self, account: str, address: str, now: float) -> Verdict:
        """Would an attempt be allowed now?  (Counts nothing.)"""
        with self._lock:
            return self._verdict(account, address, now)

    def failed(self, account: str, address: str, now: float) -> None:
        """Count one attempt for the account and the address without asking (tests, imports)."""
        with self._lock:
            self._count(account, address, now)

    def succeeded(self, account: str, address: str | None = None, at: float | None = None) -> None:
        """A correct password: clear the account, and give the address back the attempt made ``at``."""
        with self._lock:
            self._fails.pop(("account", account.lower()), None)
            times = self._fails.get(("address", address)) if address is not None else None
            if times and at is not None and at in times:
                times.remove(at)

    def _verdict(self, account: str, address: str, now: float) -> Verdict:
        by_address = self._recent(("address", address), now)
        if len(by_address) >= self.max_address:
            return Verdict(False, max(0.0, by_address[0] + self.window - now), "address")
        by_account = self._recent(("account", account.lower()), now)
        if len(by_account) >= self.max_account and now - by_account[-1] < self.account_delay:
            return Verdict(False, max(0.0, by_account[-1] + self.account_delay - now), "account")
        return Verdict(True)

    def _count(self, account: str, address: str, now: float) -> None:
        for key in (("account", account.lower()), ("address", address)):
            self._recent(key, now).append(now)
        self._bound()

    def _recent(self, key: tuple[str, str], now: float) -> deque:
        times = self._fails.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def _bound(self) -> None:
        while len(self._fails) > self.max_keys:
            self._fails.pop(next(iter(self._fails)))
