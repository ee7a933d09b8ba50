"""``gatewarden edge``: one edge device's process — the outbox, the publisher and its sources.

Start order: config (a bad one stops here with one line and exit 2), the outbox file, the
publisher (connects in the background; the sources never wait for the network), then every
source whose section is in the config (``edge.sources``).  SIGTERM or SIGINT stops the sources,
then the publisher (retained ``{"online": false}``, clean disconnect), then closes the outbox.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import threading
from pathlib import Path

from edge import metrics as edge_metrics
from edge import sources
from edge.config import EdgeConfig, load_edge_config
from edge.outbox import Outbox
from edge.publisher import Publisher
from edge.timesync import Check, ClockWatch, flag_path, ntp_synchronized
from gwcommon import catalogue
from gwcommon.clock import Clock, SystemClock
from gwcommon.exc import ConfigError
from gwcommon.lang import choose
from gwcommon.logsetup import setup_logging
from gwcommon.sdnotify import Notifier

logger = logging.getLogger(__name__)


def outbox_path(config: EdgeConfig) -> Path:
    """``<storage.dir>/outbox-<device>.db``."""
    return config.storage.dir / f"outbox-{config.device.id}.db"


def edge_clock(config: EdgeConfig, base: Clock) -> Clock:
    """The edge's clock: the machine's, or during a replay the recording's (it checks the file)."""
    if config.replay is None:
        return base
    from edge.replay import edge_clock as replay_clock

    return replay_clock(config.replay, base)


class EdgeDaemon:
    """The running parts of one edge device; ``start()``, then ``stop()`` once."""

    def __init__(self, config: EdgeConfig, *, clock: Clock | None = None,
                 clock_check: Check | None = None):
        self.config = config
        self.clock = edge_clock(config, clock or SystemClock())
        self.stop_event = threading.Event()
        self.outbox = open_outbox(config, self.clock)
        box = config.outbox
        self.publisher = Publisher(
            self.outbox, mqtt=config.mqtt, site=config.site.id, device=config.device.id,
            kind=config.device.kind, clock=self.clock, heartbeat=box.heartbeat.total_seconds(),
            window=box.window, ack_timeout=box.ack_timeout.total_seconds())
        self.handles: list[tuple[str, sources.SourceHandle]] = []
        # a replay runs on the recording's clock: the machine's clock is not the one to watch
        self.clockwatch = None if config.replay is not None else ClockWatch(
            self.outbox, state_file=flag_path(config.storage.dir, config.device.id),
            check=clock_check or ntp_synchronized)

    def start(self) -> "EdgeDaemon":
        names = sources.configured(self.config)
        logger.info("edge %s/%s (%s) starting: outbox %s (%d waiting, last seq %d), sources: %s",
                    self.config.site.id, self.config.device.id, self.config.device.kind,
                    self.outbox.path, self.outbox.count(), self.outbox.last_seq,
                    ", ".join(names) or "none (only status and heartbeats)")
        self.publisher.start()
        try:
            self.handles = sources.start_all(self.config, self.outbox, self.publisher, self.clock,
                                             self.stop_event)
        except BaseException:
            self.publisher.stop()
            self.outbox.close()
            raise
        if self.clockwatch is not None:
            self.clockwatch.start()
        self.metrics = edge_metrics.start(self)  # only with [edge_metrics]
        return self

    def stop(self) -> None:
        self.stop_event.set()
        if getattr(self, "metrics", None) is not None:
            self.metrics.stop()
        if self.clockwatch is not None:
            self.clockwatch.stop()
        sources.stop_all(self.handles)
        self.publisher.stop()
        self.outbox.close()
        logger.info("edge %s stopped", self.config.device.id)

    def publisher_alive(self) -> bool:
        """The publisher's threads still run (else systemd's watchdog restarts the process)."""
        return all(thread.is_alive() for thread in self.publisher._threads)

    def run(self) -> int:
        """Start, wait for SIGTERM/SIGINT, stop; returns the exit code."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop_event.set())
        notifier = Notifier.from_environment()
        self.start()
        notifier.ready()
        try:
            while not self.stop_event.wait(0.5):
                if self.publisher_alive():
                    notifier.ping()
        finally:
            notifier.stopping()
            self.stop()
        return 0


def open_outbox(config: EdgeConfig, clock: Clock) -> Outbox:
    """Open the device's outbox, turning file-system trouble into a one-line ConfigError."""
    path = outbox_path(config)
    try:
        return Outbox(path, site=config.site.id, device=config.device.id, clock=clock,
                      snapshot_cap=config.outbox.snapshot_cap_mb * 1024 * 1024)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"storage.dir: cannot open the outbox {path}: {exc}") from None


# What ``gatewarden edge --check`` prints: its part of the one catalogue (gwcommon.catalogue, keys edge.*).
WORDS: dict[str, tuple[str, str]] = {
    "check_ok": ("{path}：正常 —— 小区 {site} 的设备 {device}（{kind}）；数据来源：{sources}{cameras}",
                 "{path}: OK — device {device} ({kind}) of site {site}; sources: {sources}{cameras}"),
    "cameras": ("；车牌相机：{ids}", "; plate cameras: {ids}"),
    "none": ("无", "none"),
    "no_section": ("注意：{path}：device.kind 是 {kind}，但文件里没有 [{kind}] 一节：这台设备只发送状态和心跳"
                   "（见 docs/configuration.md）",
                   "warning: {path}: device.kind is '{kind}' but the file has no [{kind}] section: this device "
                   "only sends its status and heartbeats (see docs/configuration.md)"),
}
catalogue.contribute("edge", WORDS, prefix="edge.")


def role_warning(config: EdgeConfig, config_path: str) -> str | None:
    """A device whose kind has no section of its own (and no replay) only sends status and heartbeats."""
    kind = config.device.kind
    if config.replay is None and getattr(config, kind, None) is None:
        return (f"{config_path}: device.kind is '{kind}' but the file has no [{kind}] section: this device "
                f"only sends its status and heartbeats (see docs/configuration.md)")
    return None


def main(config_path: str, *, check: bool = False) -> int:
    """Run an edge device from its config file (or only check it with ``check``)."""
    config = load_edge_config(config_path)
    warning = role_warning(config, config_path)
    if check:
        edge_clock(config, SystemClock())
        names = sources.configured(config)
        if config.lpr is not None:  # the cameras' secrets must be readable (edge.lpr)
            for camera in config.lpr.cameras:
                camera.secret()
        lang = choose(environ=os.environ)
        cameras = catalogue.t("edge.cameras", lang, ids=", ".join(c.id for c in config.lpr.cameras)) if config.lpr else ""
        print(catalogue.t("edge.check_ok", lang, path=config_path, device=config.device.id,
                          kind=config.device.kind, site=config.site.id,
                          sources=", ".join(names) or catalogue.t("edge.none", lang), cameras=cameras))
        if warning:
            print(catalogue.t("edge.no_section", lang, path=config_path, kind=config.device.kind))
        return 0
    setup_logging(config.log)
    if warning:
        logger.warning("%s", warning)
    return EdgeDaemon(config).run()
