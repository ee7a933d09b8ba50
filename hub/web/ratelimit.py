"""Login rate limiting (登录限速): failed logins counted per account and per client address.

A decision module: no I/O, time passed in (monotonic seconds from the injected clock).  Within
``window`` seconds an account may fail ``max_account`` times and an address ``max_address`` times;
past that, logins for that account (or from that address) are refused until the oldest failure
leaves the window — even with the right password, so guessing cannot continue.  A successful
login clears the account's failures (not the address's).  State is kept in memory: a hub restart
forgets it, which costs an attacker a restart they cannot cause.
"""

from __future__ import annotations

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
    """Sliding-window failure counts; ``max_keys`` bounds memory (oldest keys are forgotten)."""

    window: float
    max_account: int
    max_address: int
    max_keys: int = 10_000
    _fails: dict[tuple[str, str], deque] = field(default_factory=dict)

    def check(self, account: str, address: str, now: float) -> Verdict:
        """May this attempt proceed?"""
        for kind, key, limit in (("account", account.lower(), self.max_account),
                                 ("address", address, self.max_address)):
            times = self._recent((kind, key), now)
            if len(times) >= limit:
                return Verdict(False, max(0.0, times[0] + self.window - now), kind)
        return Verdict(True)

    def failed(self, account: str, address: str, now: float) -> None:
        """Count one failed attempt for the account and the address."""
        for key in (("account", account.lower()), ("address", address)):
            self._recent(key, now).append(now)
        self._bound()

    def succeeded(self, account: str) -> None:
        """A correct password clears the account's failures."""
        self._fails.pop(("account", account.lower()), None)

    def _recent(self, key: tuple[str, str], now: float) -> deque:
        times = self._fails.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def _bound(self) -> None:
        while len(self._fails) > self.max_keys:
            self._fails.pop(next(iter(self._fails)))
