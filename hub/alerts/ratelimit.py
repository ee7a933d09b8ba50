"""A token bucket per chat target, kept below each service's documented rate limit (pure).

A bucket holding at most ``capacity`` tokens, refilled at ``rate`` tokens a second, lets through
at most ``capacity + rate * 60`` messages in any 60-second window: with the WeCom defaults
(4 + 15/min) that is 19, below the robot's 20 a minute.  A target that answered "too fast" is
``blocked`` for the service's penalty (DingTalk locks a robot for 10 minutes after 130101).

Buckets are immutable values; the sender keeps one per target and replaces it on every take.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# (messages per minute, burst) per service: below the documented limits (alert_anchors.md §1).
DEFAULT_LIMITS: dict[str, tuple[float, int]] = {
    "wecom": (15.0, 4),      # documented: 20/min per robot
    "dingtalk": (15.0, 4),   # documented: 20/min per robot, 10-minute lock beyond
    "feishu": (60.0, 3),     # documented: 100/min and 5/s per bot
    "webhook": (60.0, 10),
    "apprise": (10.0, 3),    # Apprise itself waits 5.5 s between requests
}


@dataclass(frozen=True)
class Bucket:
    """Tokens left at ``updated`` (monotonic seconds); nothing passes before ``blocked_until``."""

    capacity: float
    rate: float
    tokens: float
    updated: float
    blocked_until: float = 0.0


def new_bucket(kind: str, now: float, *, per_minute: float | None = None, full: bool = True) -> Bucket:
    """A bucket for a target of ``kind``; ``per_minute`` overrides the default rate."""
    rate_min, burst = DEFAULT_LIMITS.get(kind, DEFAULT_LIMITS["webhook"])
    if per_minute is not None:
        rate_min, burst = float(per_minute), max(1, min(burst, int(per_minute // 4) or 1))
    return Bucket(capacity=float(burst), rate=rate_min / 60.0, tokens=float(burst) if full else 0.0, updated=now)


def refill(bucket: Bucket, now: float) -> Bucket:
    """The bucket as it stands at ``now``."""
    if now <= bucket.updated:
        return bucket
    tokens = min(bucket.capacity, bucket.tokens + (now - bucket.updated) * bucket.rate)
    return replace(bucket, tokens=tokens, updated=now)


def try_take(bucket: Bucket, now: float) -> tuple[Bucket, bool]:
    """Take one token if one is there and the target is not blocked."""
    bucket = refill(bucket, now)
    if now < bucket.blocked_until or bucket.tokens < 1.0:
        return bucket, False
    return replace(bucket, tokens=bucket.tokens - 1.0), True


def wait_time(bucket: Bucket, now: float) -> float:
    """Seconds until a token can be taken (0 when one can be taken now)."""
    bucket = refill(bucket, now)
    blocked = max(0.0, bucket.blocked_until - now)
    short = max(0.0, 1.0 - bucket.tokens)
    return max(blocked, short / bucket.rate if bucket.rate > 0 else float("inf"))


def block(bucket: Bucket, now: float, seconds: float) -> Bucket:
    """Let nothing through for ``seconds`` and empty the bucket (the service said "too fast")."""
    bucket = refill(bucket, now)
    return replace(bucket, tokens=0.0, blocked_until=max(bucket.blocked_until, now + seconds))


def window_bound(bucket: Bucket, seconds: float = 60.0) -> float:
    """The most messages this bucket lets through in any window of ``seconds``."""
    return bucket.capacity + bucket.rate * seconds
