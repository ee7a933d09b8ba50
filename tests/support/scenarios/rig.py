"""Two ways to play a scenario's deliveries into a hub.

* :class:`Rig`: a real :class:`hub.app.Hub` that is never started — its real ingest, device book
  and site clock, the overnight area attached — driven synchronously from the test: each delivery
  is one committed transaction, each ``tick()`` one area tick.  No MQTT, no threads, so hypothesis
  can try hundreds of orders.
* :func:`run_hub`: a started hub on a private Mosquitto; deliveries are published, the runner
  waits until the hub has taken each one and ticked past it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from gwcommon import wire
from gwcommon.clock import FakeClock
from gwcommon.timefmt import format_ts
from hub.overnight import warden_actions
from hub.overnight import area as overnight_area
from hub.core.ingest import RawMessage
from hub.registry import store

from .runner import Delivery, Scenario, final_beats, initial, registry_rows


def _topic(site: str, d: Delivery) -> str:
    return wire.topic(site, d.device, d.kind)


def _warden(db: Any, area: Any, d: Delivery) -> None:
    body = dict(d.body)
    action = body.pop("action")
    fn = {"register": warden_actions.register_offspace, "clear": warden_actions.clear_offspace}[action]
    fn(db, area, by="warden-test", at=d.at, mark_id=f"warden:{d.index}", **body)


class Rig:
    """A hub driven by hand (see module doc)."""

    def __init__(self, scenario: Scenario, tmp_path: Path):
        from tests.support.hubrun import hub_config
        from hub.app import Hub

        self.scenario = scenario
        self.clock = FakeClock(scenario.start)
        config = hub_config(tmp_path, 1, overrides=scenario.config)
        self.hub = Hub(config, clock=self.clock, areas=[])
        self.published: list[tuple[str, bytes, bool]] = []
        self.hub.publish = lambda topic, payload, retain=False: self.published.append((topic, payload, retain))
        self.area = overnight_area.attach(self.hub)
        self.db = self.hub.db
        self.db.execute("PRAGMA synchronous=OFF")  # a test rig: durability is tested elsewhere
        self._tx(lambda db: store.replace_all(db, registry_rows(scenario), at=scenario.start))
        self.tick()

    def _tx(self, job):
        self.db.execute("BEGIN IMMEDIATE")
        try:
            result = job(self.db)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return result

    def deliver(self, d: Delivery) -> None:
        if d.at > self.clock.now():
            self.clock.set(d.at)
        if d.kind == "warden":
            self._tx(lambda db: _warden(db, self.area, d))
            return
        msg = RawMessage(_topic(self.hub.config.site.id, d), json.dumps(d.body).encode(), self.clock.now())
        outcome = self._tx(lambda db: self.hub.ingest.process(db, msg))
        self.hub.ingest.apply(outcome)

    def tick(self) -> None:
        self._tx(lambda db: self.hub.ingest.tick(db, self.clock.now()))
        self._tx(lambda db: self.area.tick(db, self.hub.site_time()))

    def play(self, deliveries: Iterable[Delivery], *, tick_after: Iterable[bool] | None = None) -> None:
        ticks = iter(tick_after) if tick_after is not None else None
        for d in deliveries:
            self.deliver(d)
            if ticks is None or next(ticks, True):
                self.tick()

    def run(self) -> None:
        """The scenario as written: start, every step with a tick after it, devices report at the end."""
        self.play(initial(self.scenario))
        self.play(self.scenario.deliveries)
        self.finish()

    def finish(self) -> None:
        self.play(final_beats(self.scenario))
        self.tick()

    def violations(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM violations ORDER BY deadline, key"))

    def diary(self) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM diary ORDER BY ts, id"))

    def close(self) -> None:
        self.hub.db.close()


def run_hub(scenario: Scenario, tmp_path: Path, broker, *, areas: tuple[str, ...] = ("hub.overnight.area",),
            config: dict | None = None, after: Any = None) -> tuple[list[dict], list[dict], Any]:
    """Play the scenario through a real broker and a started hub; returns violations, diary, hub.
    ``areas``/``config``: more areas and config (e.g. the alerts area and a chat target);
    ``after(hub, delivery)`` runs after each delivery was taken (a test may wait there)."""
    from tests.support.hubrun import Publisher, make_hub, rows

    clock = FakeClock(scenario.start)
    hub = make_hub(tmp_path, broker, clock=clock, config_overrides={**scenario.config, **(config or {})},
                   areas=list(areas))
    try:
        hub.writer.tick_interval = 0.02
        area = hub.area("overnight")
        hub.writer.call(lambda db: store.replace_all(db, registry_rows(scenario), at=scenario.start))
        site = hub.config.site.id
        with Publisher(broker.port) as pub:
            for d in initial(scenario) + scenario.deliveries + final_beats(scenario):
                _publish(hub, area, pub, site, clock, d)
                if after is not None:
                    after(hub, d)
            _settle(hub, area)
        found = rows(hub, "SELECT * FROM violations ORDER BY deadline, key")
        lines = rows(hub, "SELECT * FROM diary ORDER BY ts, id")
        return found, lines, hub
    finally:
        hub.stop()


def _handled(hub) -> int:
    return sum(hub.ingest.stats.by_kind.values())


def _settle(hub, area, ticks: int = 2) -> None:
    from tests.support.hubrun import wait_until

    target = area.ticks + ticks
    wait_until(lambda: area.ticks >= target, timeout=10, interval=0.005, message="overnight area did not tick")


def _publish(hub, area, pub, site: str, clock: FakeClock, d: Delivery) -> None:
    from tests.support.hubrun import wait_until

    if d.at > clock.now():
        clock.set(d.at)
    if d.kind == "warden":
        body = dict(d.body)
        fn = {"register": warden_actions.register_offspace, "clear": warden_actions.clear_offspace}[body.pop("action")]
        hub.writer.call(lambda db: fn(db, area, by="warden-test", at=d.at, mark_id=f"warden:{d.index}", **body))
    else:
        before = _handled(hub)
        pub.json(wire.topic(site, d.device, d.kind), d.body, retain=d.kind == "status")
        wait_until(lambda: _handled(hub) > before, timeout=10, interval=0.005,
                   message=f"hub did not take {d.kind} from {d.device}")
    _settle(hub, area)


def format_rows(rows: list[dict]) -> str:
    return "\n".join(f"{r['key']} {r['rule']} {r['deadline']} {r['state']} prov={r['provisional']}" for r in rows)


__all__ = ["Rig", "run_hub", "format_rows", "datetime", "format_ts"]
