"""The sender thread: takes due messages from the outbox and sends them, below each target's rate.

Network I/O happens only here, never on the writer thread.  Each message is marked ``sending``
(committed through ``Hub.writer``) before its HTTP request and ``sent``/``failed``/``dead``
after it; a crash in between leaves it ``sending``, and :meth:`Sender.recover` at the next start
sends it again marked as resent ([重发]) — a message may be doubled, never lost.

Rate: one token bucket per target (:mod:`hub.alerts.ratelimit`).  At start a target that was
sent to during the last minute is paused until that minute has passed, so a restart cannot
push a robot over its per-minute limit.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Sequence

from gwcommon.clock import Clock
from gwcommon.timefmt import parse_ts

from . import contactsheet, outbox, ratelimit
from .render import phrase, truncate_utf8
from .targets import MAX_IMAGE_BYTES, Part, Target
from .verdict import Verdict

logger = logging.getLogger(__name__)


class WriterStopping(RuntimeError):
    """The hub's writer no longer takes jobs: the hub is stopping."""


def _writer_call(writer: Any, job: Callable[[Any], Any]) -> Any:
    try:
        return writer.call(job)
    except RuntimeError as exc:
        if "stopping" in str(exc):
            raise WriterStopping(str(exc)) from None
        raise


class Sender:
    """Sends due outbox messages on its own thread (or synchronously with :meth:`run_once`)."""

    def __init__(self, writer: Any, read: Callable[[Callable[[Any], Any]], Any], targets: Sequence[Target], *,
                 clock: Clock, snapshots_dir: Path, policy: outbox.RetryPolicy | None = None,
                 lang: str = "zh", poll: float = 0.5):
        self.writer = writer
        self.read = read
        self.targets = {t.name: t for t in targets}
        self.clock = clock
        self.snapshots_dir = Path(snapshots_dir)
        self.policy = policy or outbox.RetryPolicy()
        self.lang = lang
        self.poll = poll
        self.buckets: dict[str, ratelimit.Bucket] = {}
        self.after_send: Callable[[dict[str, Any], Verdict], None] | None = None  # test seam (crash)
        self.stats = {"sent": 0, "failed": 0, "dead": 0, "resent": 0}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # --- life cycle ----------------------------------------------------------------------------

    def recover(self) -> int:
        """Re-queue messages a crash left ``sending`` and set up the buckets; call before sending."""
        now = self.clock.now()
        resent = _writer_call(self.writer, lambda db: outbox.recover_sending(db, now))
        self.stats["resent"] += resent
        mono = self.clock.monotonic()
        for name, target in self.targets.items():
            bucket = ratelimit.new_bucket(target.kind, mono, per_minute=target.per_minute)
            last = self.read(lambda db, n=name: db.execute(
                "SELECT MAX(sent_at) FROM alert_outbox WHERE target = ? AND sent_at >= ?",
                [n, outbox.ts(now - timedelta(seconds=60))]).fetchone()[0])
            if last:
                pause = 60.0 - (now - parse_ts(last)).total_seconds()
                bucket = ratelimit.block(bucket, mono, max(0.0, pause))
            self.buckets[name] = bucket
        return resent

    def start(self) -> "Sender":
        """Start the thread; it first recovers what a crash left (see :meth:`recover`)."""
        self._thread = threading.Thread(target=self._run, name="alert-sender", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        for target in self.targets.values():
            target.close()

    def wake(self) -> None:
        """Look at the outbox now rather than at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        recovered = False
        while not self._stop.is_set():
            try:
                if not recovered:
                    self.recover()
                    recovered = True
                self.run_once()
            except WriterStopping:
                logger.info("alert sender stops with the hub's writer")
                return
            except Exception:
                logger.exception("alert sender pass failed; retrying")
            self._wake.wait(self.poll)
            self._wake.clear()

    # --- one pass ------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Send every due message the buckets allow; returns how many were attempted."""
        now = self.clock.now()
        rows = self.read(lambda db: outbox.due(db, now))
        waiting: set[str] = set()
        attempted = 0
        for row in rows:
            if self._stop.is_set():
                break
            name = row["target"]
            target = self.targets.get(name)
            if target is None:
                _writer_call(self.writer, lambda db, r=row: outbox.kill(db, r["id"], f"chat target {name} is no longer configured",
                                                              self.clock.now()))
                continue
            if name in waiting or not self._take(name, target):
                waiting.add(name)
                continue
            attempted += self._send_one(row, target)
        return attempted

    def _take(self, name: str, target: Target) -> bool:
        bucket = self.buckets.get(name) or ratelimit.new_bucket(target.kind, self.clock.monotonic(),
                                                                per_minute=target.per_minute)
        bucket, ok = ratelimit.try_take(bucket, self.clock.monotonic())
        self.buckets[name] = bucket
        return ok

    def _send_one(self, row: dict[str, Any], target: Target) -> int:
        claimed = _writer_call(self.writer, lambda db: outbox.claim(db, row["id"], self.clock.now()))
        if claimed is None:
            return 0
        try:
            part = self.part(claimed, target)
        except contactsheet.NoPictures as exc:
            reason = str(exc)
            _writer_call(self.writer, lambda db: outbox.kill(db, row["id"], reason, self.clock.now()))
            self.stats["dead"] += 1
            return 1
        verdict = target.send(part, self.clock.now())
        if self.after_send is not None:
            self.after_send(claimed, verdict)
        state = _writer_call(self.writer, lambda db: outbox.record(db, row["id"], verdict, self.clock.now(), self.policy))
        self.stats[state if state in self.stats else "failed"] += 1
        if verdict.block:
            self.buckets[target.name] = ratelimit.block(self.buckets[target.name], self.clock.monotonic(), verdict.block)
        if state != "sent":
            logger.warning("alert message %d to %s: %s (%s)", row["id"], target.name, verdict.detail or verdict.outcome, state)
        return 1

    def part(self, row: dict[str, Any], target: Target) -> Part:
        """The chat message for an outbox row (resent rows say so; pictures become one sheet)."""
        body = json.loads(row["body"])
        meta = {**body.get("meta", {}), "resent": bool(row["resent"])}
        if row["msg_type"] == "image":
            pictures = [(self.snapshots_dir / p["path"], p.get("caption", "")) for p in body["images"]]
            image = contactsheet.build(pictures, max_bytes=MAX_IMAGE_BYTES)
            return Part("image", title=body.get("title", ""), image=image, meta=meta)
        text = body["text"]
        if row["resent"]:
            limit = 4096 if row["msg_type"] == "markdown" else target.text_limit
            text = truncate_utf8(phrase(self.lang, "resent") + text, limit)
        return Part(row["msg_type"], text=text, title=body.get("title", ""), mobiles=tuple(body.get("mobiles", ())),
                    feishu_ids=tuple(body.get("feishu_ids", ())), meta=meta)
