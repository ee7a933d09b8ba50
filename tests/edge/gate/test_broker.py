"""The gate with the real outbox, publisher, a private Mosquitto and a real hub.

Broker down all night: the gate keeps deciding from its saved allowlist, and every passage (with
its picture) reaches the hub once the broker is back.  Also the ``gate`` source's wiring.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from edge.allowlist import Allowlist
from edge.ble.model import Sighting
from edge.gate.device import GateDevice
from edge.gate.sim import SimulatedGate
from edge.outbox import Outbox
from edge.publisher import Publisher
from gwcommon import wire
from gwcommon.clock import FakeClock, SystemClock
from gwcommon.config import MqttConfig, validate
from tests.support.hubrun import make_hub, rows, wait_until
from tests.support.gate import FakeCamera, gate_config

EVENING = datetime(2026, 3, 1, 13, 0, tzinfo=timezone.utc)  # 21:00 in Shanghai
RESIDENT, OUTSIDER = "eid:car-1", "eid:stranger"


def allowlist_message(version: int) -> bytes:
    return wire.encode(wire.Allowlist(version=version, entries=[wire.AllowEntry(tag=RESIDENT, vehicle="浙A12345")]))


def one_car(device, sim, clock, tag):
    lane = sim["lane-0"]

    def run(seconds, dt=0.05):
        for _ in range(round(seconds / dt)):
            device.pump()
            sim.step(clock.monotonic())
            device.pump()
            clock.advance(dt)

    lane.set("arming_loop", True)
    device.sighted(Sighting(tag, -55, clock.monotonic(), False))
    run(3)
    if lane.position == "open":
        lane.block_eye(True)
        run(0.5)
    lane.set("arming_loop", False)
    run(0.5)
    lane.block_eye(False)
    run(3)
    run(600, dt=2.0)  # ten quiet minutes between cars
    device._shooter.submit(lambda: None).result()
    device.pump()


def test_broker_down_all_night_then_every_event_arrives(make_broker, tmp_path, mock_factory):
    server = make_broker()
    hub = make_hub(tmp_path, server)
    site = hub.config.site.id
    clock = FakeClock(EVENING)
    box = Outbox(tmp_path / "outbox.db", site=site, device="gate-north", clock=clock)
    pub = Publisher(box, mqtt=MqttConfig(port=server.port, keepalive=2), site=site, device="gate-north",
                    kind="gate", clock=clock, heartbeat=60.0, settle=0.2)
    config = gate_config()
    device = GateDevice(config, sink=box, allowlist=Allowlist.in_storage(tmp_path, clock=clock), clock=clock,
                        pin_factory=mock_factory, cameras={"lane-0": FakeCamera()})
    pub.on_allowlist(device.handle_allowlist)
    sim = SimulatedGate(config, mock_factory)
    try:
        pub.start()
        device.start(thread=False)
        hub.publish(wire.topic(site, None, "allowlist"), allowlist_message(1), retain=True)
        wait_until(lambda: device.allowlist.version == 1, message="allowlist from the hub")
        server.kill()  # the broker dies hard at nine in the evening
        wait_until(lambda: not pub.connected, message="publisher noticed")
        for n in range(10):
            one_car(device, sim, clock, RESIDENT if n % 2 == 0 else OUTSIDER)
        assert device._relays["lane-0"].pulses["open_relay"] == 5  # the gate kept deciding
        assert box.count() == 10
        server.start()  # morning: the broker is back
        wait_until(lambda: box.count() == 0, timeout=40, message="hub acked every event")
        stored = rows(hub, "SELECT seq, body FROM events WHERE device = 'gate-north' ORDER BY seq")
        assert [r["seq"] for r in stored] == list(range(1, 11))
        wait_until(lambda: len(rows(hub, "SELECT event_id FROM snapshots WHERE device = 'gate-north'")) == 10,
                   timeout=20, message="every snapshot stored")
    finally:
        device.stop()
        pub.stop()
        box.close()
        hub.stop()
    passages = [wire.decode_payload("passage", r["body"]) for r in stored]
    assert [(p.tag, p.decision, p.reason, p.passed) for p in passages[:2]] == [
        (RESIDENT, "open", "allowlisted", True), (OUTSIDER, "deny", "unknown_tag", False)]
    assert passages[-1].ts > passages[0].ts and all(p.lane == "lane-0" for p in passages)


def test_gate_source_wires_allowlist_and_commands(broker, tmp_path, mock_factory):
    """``edge.gate.daemon.start`` as ``gatewarden edge`` calls it: allowlist saved, cmd open pulses."""
    import threading

    from edge.config import EdgeConfig
    from edge.gate import daemon

    from tests.support.mqttspy import Spy

    site, device_id = "pingan-9", "gate-west"
    # The fire-alarm input is active-high (a cut wire means fire); with the Pi's pull-up a mock pin
    # reads high, i.e. fire, from the moment the gate opens it until the simulated contact holds it
    # low — and on a loaded machine the gate's threads saw that first and latched fire mode.  With a
    # pull-down the idle level is the contact's own, as on a wired gate.
    gate = {**gate_config().model_dump(), "fire_input": {"pin": 16, "pull_up": False}}
    config = validate({
        "site": {"id": site}, "storage": {"dir": str(tmp_path)}, "device": {"id": device_id, "kind": "gate"},
        "gate": gate,
    }, EdgeConfig)
    box = Outbox(tmp_path / "outbox.db", site=site, device=device_id, clock=SystemClock())
    pub = Publisher(box, mqtt=MqttConfig(port=broker.port, keepalive=2), site=site, device=device_id,
                    kind="gate", clock=SystemClock(), heartbeat=60.0, settle=0.2).start()
    sim = None
    handle = daemon.start(config, box, pub, SystemClock(), threading.Event(), pin_factory=mock_factory)
    spy = Spy(broker.port, (f"gatewarden/{site}/#",)).start()
    try:
        sim = SimulatedGate(config.gate, mock_factory)
        assert pub.wait_connected(10)
        spy.publish(f"gatewarden/{site}/allowlist", allowlist_message(4), retain=True)
        wait_until(lambda: (tmp_path / "allowlist.json").exists(), message="allowlist saved")
        command = wire.Command(id="cmd-1", ts=datetime.now(timezone.utc), op="open", by="warden-zhao", reason="ambulance")
        time.sleep(0.3)  # the publisher subscribes on connect; commands are not queued for it
        spy.publish(f"gatewarden/{site}/{device_id}/cmd", wire.encode(command))
        wait_until(lambda: handle.device._relays["lane-0"].pulses["open_relay"] == 1, message="open pulse")
        spy.wait_for(lambda s: any("warden-zhao: ambulance" in m.json().get("detail", "") for m in s.of("fault")))
    finally:
        handle.stop()
        spy.publish(f"gatewarden/{site}/allowlist", b"", retain=True)
        spy.stop()
        pub.stop()
        box.close()
