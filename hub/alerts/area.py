"""Wiring the alerts area into the hub: ``attach(hub)``.

- ``Hub.on_event("fault")`` → device fault conditions;
- one tick (writer thread): device offline conditions and debounce, the overnight area's notices
  and the morning digest, then fan-out, quiet hours and escalation (:mod:`.dispatch`);
- the sender thread (network I/O), started from the first tick once the writer runs, and
  stopped with the hub (``Hub.on_stop``);
- GET/POST /ack/<token> on ``Hub.web``.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from typing import Any

from hub.core.db import open_reader
from hub.web.sessions import client_address
from hub.core.watermark import unreported

from . import ack, conditions, owner_sms
from .dispatch import Dispatcher, Settings, TargetInfo
from .notices import NoticeReader
from .outbox import RetryPolicy
from .render import Context, render
from .sender import Sender
from .sms import make_sms_target
from .targets import Target, make_targets
from hub.alerts.pages.ack import router

logger = logging.getLogger(__name__)

CONDITION_EVERY = 2.0  # seconds between two checks of the device conditions


def settings_from(config: Any) -> Settings:
    a = config.alerts
    return Settings(lang=a.language, tz=config.site.tz, quiet_start=a.quiet_start, quiet_end=a.quiet_end,
                    escalate_after=a.escalate_after, ack_lifetime=a.ack_link_lifetime,
                    base_url=config.web.public_url, site_name=config.site.name, site_id=config.site.id)


def target_info(target: Target, cfg: Any) -> TargetInfo:
    return TargetInfo(name=target.name, kind=target.kind, text_limit=target.text_limit,
                      supports_images=target.supports_images, mask=cfg.mask, markdown=cfg.markdown)


def retry_policy(config: Any) -> RetryPolicy:
    a = config.alerts
    return RetryPolicy(first=a.retry_first, cap=a.retry_max, give_up_after=a.give_up_after)


class AlertsArea:
    """The alerts area of one hub."""

    def __init__(self, hub: Any):
        self.hub = hub
        config = hub.config
        self.settings = settings_from(config)
        self.targets = make_targets(config.chat, timeout=config.alerts.http_timeout.total_seconds())
        self.secret = ack.load_or_create_secret(config.storage.dir)
        self.dispatcher = Dispatcher([target_info(t, c) for t, c in zip(self.targets, config.chat)],
                                     settings=self.settings, ack_secret=self.secret)
        zones = {z.name: (z.label or z.name, z.grace) for z in config.zones}
        self.sms = make_sms_target(config.sms, timeout=config.alerts.http_timeout.total_seconds())
        self.notices = NoticeReader(tz=config.site.tz, zones=zones, digest_at=config.alerts.digest_at,
                                    digest_delay=config.alerts.digest_delay,
                                    owner_sms=owner_sms.from_config(config.sms, config.site.tz))
        self.device_labels = {d.id: d.label for d in getattr(config, "devices", [])}
        self.sender: Sender | None = None
        self._reader = None
        self._reader_lock = threading.Lock()
        self._next_conditions = 0.0
        self._conflicts_after: int | None = None
        self._full_since: datetime | None = None  # the hub clock when this area saw the disk full
        self._full_spells = 0

    def read(self, job: Any) -> Any:
        """Run ``job(db)`` on this area's read-only connection (sender thread and web pages)."""
        with self._reader_lock:
            if self._reader is None:
                self._reader = open_reader(self.hub.db_path)
            return job(self._reader)

    def tick(self, db: Any, site_time: Any) -> None:
        now: datetime = self.hub.clock.now()
        if self.sender is None:
            self.start_sender()
        self._note_storage(now)  # before any write: on a full disk the first write ends this tick
        mono = self.hub.clock.monotonic()
        if mono >= self._next_conditions:
            self._next_conditions = mono + CONDITION_EVERY
            conditions.watch_devices(db, now, offline_after=self.hub.config.hub.offline_after)
            self._watch_ingest(db, now, mono)
            conditions.check(db, now, debounce=self.hub.config.alerts.device_debounce, labels=self.device_labels)
        self.notices.tick(db, now, site_now=getattr(site_time, "now", None), unreported=self._unreported)
        if self.dispatcher.tick(db, now) and self.sender is not None:
            self.sender.wake()

    @property
    def sender_targets(self) -> list[Target]:
        """The chat targets, and the SMS provider when texting owners is configured."""
        return [*self.targets, self.sms] if self.sms is not None else list(self.targets)

    def _watch_ingest(self, db: Any, now: datetime, mono: float) -> None:
        """The hub's own ingest: rising storage errors and seq conflicts become maintenance alerts."""
        intake = getattr(self.hub, "intake", None)
        if intake is None or not db["quarantine"].exists():
            return
        conditions.watch_ingest(db, now, failing=intake.failing(mono), errors=intake.errors)
        conditions.watch_disk(db, now, low=bool(getattr(intake.ingest, "disk_low", False)))
        self._watch_storage(db, now)
        if self._conflicts_after is None:
            self._conflicts_after = conditions.conflicts_before(db, now)
        self._conflicts_after = conditions.watch_conflicts(db, now, after_id=self._conflicts_after)

    def _note_storage(self, now: datetime) -> None:
        """Remember when the writer found the database full (also a spell shorter than a tick)."""
        spells = getattr(self.hub.writer, "full_spells", 0)
        if spells != self._full_spells and self._full_since is None:
            self._full_since = now
        self._full_spells = spells

    def _watch_storage(self, db: Any, now: datetime) -> None:
        """A full database: the condition cannot be written while it lasts, so it is remembered here
        and written (with its true start) once space returns; the usual debounce then alerts it,
        and the next check sends "已恢复".  A hub restarted while full has only its log to show."""
        full = bool(getattr(self.hub.writer, "storage_full", False))
        since = self._full_since or now
        conditions.watch_storage(db, since, full=full or self._full_since is not None)
        if not full:
            self._full_since = None

    def _unreported(self, deadline: datetime) -> list[str]:
        """Gate and lane devices that have not reported up to ``deadline`` (offline, clock ahead), by label."""
        if getattr(self.hub, "book", None) is None:
            return []
        missing = unreported(self.hub.book.views(), deadline, now=self.hub.clock.now(),
                             offline_after=self.hub.config.hub.offline_after)
        return [self.device_labels.get(device) or device for device in missing]

    def start_sender(self) -> None:
        self.sender = Sender(self.hub.writer, self.read, self.sender_targets, clock=self.hub.clock,
                             snapshots_dir=self.hub.snapshots_dir, policy=retry_policy(self.hub.config),
                             lang=self.settings.lang)
        self.sender.start()

    def stop(self) -> None:
        if self.sender is not None:
            self.sender.stop()
        with self._reader_lock:
            if self._reader is not None:
                self._reader.conn.close()
                self._reader = None

    def describe(self, alert_id: int) -> str | None:
        """An alert's title as the chat saw it (masked), for the acknowledgement page."""
        rows = self.read(lambda db: list(db.query("SELECT kind, payload FROM alerts WHERE id = ?", [alert_id])))
        if not rows:
            return None
        ctx = Context(lang=self.settings.lang, tz=self.settings.tz, now=self.hub.clock.now())
        return render(rows[0]["kind"], json.loads(rows[0]["payload"] or "{}"), ctx).title


def attach(hub: Any) -> AlertsArea:
    """Register the alerts area's handlers, tick, sender and routes on ``hub``."""
    area = AlertsArea(hub)
    hub.on_event("fault", conditions.on_fault)
    hub.add_tick(area.tick)
    hub.web.include_router(router(secret=area.secret, writer=hub.writer, clock=hub.clock,
                                  lang=area.settings.lang, describe=area.describe,
                                  client_address=lambda request: client_address(
                                      request.client.host if request.client else "", request.headers,
                                      hub.config.web.trusted_proxies)))
    hub.on_stop(area.stop)
    logger.info("alerts attached: %d chat target(s): %s", len(area.targets),
                ", ".join(f"{t.name} ({t.kind})" for t in area.targets) or "none")
    return area
