"""Fake relays speaking each device's own API, on loopback: for the charging device's switches.

* :class:`FakeShellyHttp` — a real HTTP server answering Shelly Gen1 ``/relay/<n>?turn=`` and
  Gen2 ``POST /rpc`` ``Switch.Set`` as the devices do;
* :class:`FakeMqttRelays` — a paho client on the test broker acting as Shelly Gen1/Gen2, Tasmota
  and ESPHome firmwares: it takes their command topics and publishes their state topics back;
* the Modbus relay board is :class:`tests.support.fakemodbus.FakeModbusRelay`.

Each records ``changes`` as ``(monotonic time, relay key, on)`` and keeps ``state[key]``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from tests.support.broker import free_port, wait_port


class Recorder:
    def __init__(self) -> None:
        self.state: dict[str, bool] = {}
        self.changes: list[tuple[float, str, bool]] = []
        self._cond = threading.Condition()

    def record(self, key: str, on: bool) -> None:
        with self._cond:
            self.state[key] = on
            self.changes.append((time.monotonic(), key, on))
            self._cond.notify_all()

    def wait_for(self, key: str, on: bool, timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.state.get(key) is on, timeout)


class FakeShellyHttp(Recorder):
    """Shelly Gen1 and Gen2 HTTP APIs; keys ``relay:<n>`` (Gen1) and ``switch:<id>`` (Gen2).

    ``broken = True`` makes it answer 500, ``delay`` seconds slow every answer.
    """

    def __init__(self) -> None:
        super().__init__()
        self.broken = False
        self.delay = 0.0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                pass

            def _answer(self, code: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                time.sleep(fake.delay)
                url = urlparse(self.path)
                parts = url.path.strip("/").split("/")
                turn = parse_qs(url.query).get("turn", [""])[0]
                if fake.broken:
                    return self._answer(500, {"error": "broken"})
                if len(parts) != 2 or parts[0] != "relay" or turn not in ("on", "off"):
                    return self._answer(404, {"error": "not found"})
                fake.record(f"relay:{parts[1]}", turn == "on")
                self._answer(200, {"ison": turn == "on", "has_timer": False, "timer_started": 0,
                                   "timer_duration": 0, "timer_remaining": 0, "overpower": False, "source": "http"})

            def do_POST(self) -> None:
                time.sleep(fake.delay)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if fake.broken:
                    return self._answer(500, {"error": "broken"})
                if self.path != "/rpc" or body.get("method") != "Switch.Set":
                    return self._answer(200, {"id": body.get("id"), "src": "shellyplus1pm-fake",
                                              "error": {"code": 404, "message": "No handler"}})
                params = body["params"]
                was = fake.state.get(f"switch:{params['id']}", True)
                fake.record(f"switch:{params['id']}", bool(params["on"]))
                self._answer(200, {"id": body.get("id"), "src": "shellyplus1pm-fake",
                                   "result": {"was_on": was}})

        self.port = free_port()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "FakeShellyHttp":
        self._thread.start()
        wait_port(self.port)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class FakeMqttRelays(Recorder):
    """Firmwares on the broker.  ``add_*`` declares a device; keys are the command topics' devices."""

    def __init__(self, port: int) -> None:
        super().__init__()
        import paho.mqtt.client as paho
        from paho.mqtt.enums import CallbackAPIVersion

        self._routes: dict[str, tuple] = {}
        self._subscribed = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"fw-{uuid.uuid4().hex[:6]}",
                                  protocol=paho.MQTTv5)
        self.client.on_connect = lambda c, *_: c.subscribe([(t, 1) for t in self._routes])
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message
        self.port = port

    def add_shelly1(self, device_id: str, relay: int = 0) -> str:
        self._routes[f"shellies/{device_id}/relay/{relay}/command"] = ("shelly1", device_id, relay)
        return f"shelly1:{device_id}:{relay}"

    def add_shelly2(self, prefix: str) -> str:
        self._routes[f"{prefix}/rpc"] = ("shelly2", prefix, None)
        return f"shelly2:{prefix}"

    def add_tasmota(self, topic: str, relay: int = 0, full_topic: str = "%prefix%/%topic%/") -> str:
        cmnd = full_topic.replace("%prefix%", "cmnd").replace("%topic%", topic).rstrip("/")
        self._routes[f"{cmnd}/POWER{relay or ''}"] = ("tasmota", topic, relay)
        return f"tasmota:{topic}:{relay}"

    def add_esphome(self, prefix: str, object_id: str) -> str:
        self._routes[f"{prefix}/switch/{object_id}/command"] = ("esphome", prefix, object_id)
        return f"esphome:{prefix}:{object_id}"

    def start(self) -> "FakeMqttRelays":
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        assert self._subscribed.wait(10), "fake relays did not subscribe"
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_message(self, client, _userdata, message) -> None:
        kind, name, extra = self._routes[message.topic]
        text = message.payload.decode()
        if kind == "shelly1":  # Gen1: on/off/toggle; reports on/off on …/relay/<n>
            on = {"on": True, "off": False}.get(text)
            if on is not None:
                self.record(f"shelly1:{name}:{extra}", on)
                client.publish(f"shellies/{name}/relay/{extra}", "on" if on else "off")
        elif kind == "shelly2":  # Gen2 RPC: answers on <src>/rpc
            rpc = json.loads(text)
            if rpc.get("method") == "Switch.Set":
                self.record(f"shelly2:{name}", bool(rpc["params"]["on"]))
                client.publish(f"{rpc['src']}/rpc", json.dumps({"id": rpc["id"], "src": name, "dst": rpc["src"],
                                                                "result": {"was_on": True}}))
        elif kind == "tasmota":  # ON/OFF (any case); reports on stat/<topic>/RESULT and POWER
            on = {"ON": True, "OFF": False, "1": True, "0": False}.get(text.upper())
            if on is not None:
                self.record(f"tasmota:{name}:{extra}", on)
                client.publish(f"stat/{name}/POWER{extra or ''}", "ON" if on else "OFF")
        else:  # ESPHome switch: ON/OFF/TOGGLE; state on …/switch/<id>/state
            on = {"ON": True, "OFF": False}.get(text.upper())
            if on is not None:
                self.record(f"esphome:{name}:{extra}", on)
                client.publish(f"{name}/switch/{extra}/state", "ON" if on else "OFF")
