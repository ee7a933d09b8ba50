"""When to send, hold, repeat, escalate or give up (pure decisions; no I/O imports).

- Quiet hours (免打扰) hold information-level alerts until they end; warnings and safety alerts
  are never held.
- Escalation (升级), modelled on PagerDuty: the warden on duty is mentioned at once; when nobody
  acknowledges within ``after`` the alert is re-posted to the next warden, after another ``after``
  to the committee (业委会), and then it stops.  Acknowledging or resolving stops it.
- Debounce: a device condition (offline, fault) is alerted only when it has lasted ``debounce``;
  one that ends before that sends nothing; one that ends after it sends a "resolved" follow-up.
- Inhibition: a device that is offline suppresses its own fault alerts.
- Retry: exponential backoff from ``first`` doubling to ``cap``; give up after ``give_up_after``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

AUDIENCES = ("warden", "next_warden", "committee")


# --- quiet hours -------------------------------------------------------------------------------

def in_quiet_hours(local: time, start: time | None, end: time) -> bool:
    """Whether the local wall-clock time falls in [start, end) (the window may cross midnight)."""
    if start is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def hold_until(severity: str, now: datetime, tz: ZoneInfo, start: time | None, end: time) -> datetime | None:
    """When an alert of ``severity`` raised at ``now`` may go out; None for "now"."""
    if severity != "info":
        return None
    local = now.astimezone(tz)
    if not in_quiet_hours(local.timetz().replace(tzinfo=None), start, end):
        return None
    release = local.replace(hour=end.hour, minute=end.minute, second=end.second, microsecond=0)
    if release <= local:
        release += timedelta(days=1)
    return release.astimezone(now.tzinfo)


# --- retries -----------------------------------------------------------------------------------

def backoff(attempts: int, *, first: timedelta, cap: timedelta) -> timedelta:
    """Wait before retry number ``attempts`` (1-based): first, 2×first, 4×first … at most ``cap``."""
    exponent = min(max(attempts, 1) - 1, 30)
    return min(cap, first * (2 ** exponent))


def give_up(created: datetime, now: datetime, *, attempts: int, max_attempts: int,
            give_up_after: timedelta) -> bool:
    """Whether a message that keeps failing should be declared dead."""
    return attempts >= max_attempts or now - created >= give_up_after


# --- escalation --------------------------------------------------------------------------------

@dataclass(frozen=True)
class EscalationState:
    """Where an alert stands: ``step`` indexes AUDIENCES (0 = the warden was mentioned)."""

    step: int
    next_at: datetime | None
    acknowledged: bool = False
    closed: bool = False


def next_escalation(state: EscalationState, now: datetime, *, after: timedelta) -> tuple[EscalationState, str | None]:
    """Advance the escalation at ``now``: the new state and the audience to re-post to, if any."""
    if state.acknowledged or state.closed or state.next_at is None or now < state.next_at:
        return state, None
    step = state.step + 1
    if step >= len(AUDIENCES):
        return EscalationState(state.step, None), None
    following = now + after if step + 1 < len(AUDIENCES) else None
    return EscalationState(step, following), AUDIENCES[step]


def start_escalation(now: datetime, *, after: timedelta, enabled: bool) -> EscalationState:
    """The state of an alert just sent to the warden (no timer when nobody was mentioned)."""
    return EscalationState(0, now + after if enabled else None)


# --- debounce and inhibition -------------------------------------------------------------------

@dataclass(frozen=True)
class Condition:
    """A device condition (offline or a fault code) as the hub last saw it."""

    active: bool
    since: datetime
    alerted: bool


def condition_action(cond: Condition, now: datetime, *, debounce: timedelta) -> str | None:
    """``"alert"``, ``"resolve"``, ``"forget"`` or None (keep waiting / nothing to do)."""
    if cond.active and not cond.alerted:
        return "alert" if now - cond.since >= debounce else None
    if not cond.active:
        return "resolve" if cond.alerted else "forget"
    return None


def inhibited(kind: str, subject: str | None, offline_subjects: set[str]) -> bool:
    """A device's fault alerts are suppressed while that device is reported offline."""
    return kind == "device_fault" and subject is not None and subject in offline_subjects
