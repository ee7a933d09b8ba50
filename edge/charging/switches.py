"""Relays that feed a circuit or a socket, each in its own native API, behind one interface.

:class:`Switch` is ours: ``set(on)`` switches and returns once the device has answered (HTTP,
Modbus) or the broker has taken the command (MQTT, QoS 1), raising :class:`SwitchError` with a
one-line reason otherwise.  Implementations:

* Shelly Gen1 — HTTP ``GET /relay/<n>?turn=on|off``; MQTT ``shellies/<id>/relay/<n>/command``;
* Shelly Gen2/Gen3 — RPC ``Switch.Set`` over HTTP (``POST /rpc``) and MQTT (``<prefix>/rpc``);
* Tasmota — MQTT ``cmnd/<topic>/POWER[n]`` ``ON``/``OFF`` (through the device's FullTopic);
* ESPHome — MQTT ``<topic_prefix>/switch/<object_id>/command`` ``ON``/``OFF``;
* a Modbus relay board — write single coil (pymodbus).

The MQTT switches share one connection to the compound's broker (:class:`MqttSwitchLink`).
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
import uuid
from typing import Protocol

from gwcommon.config import MqttConfig

from .cutconfig import MQTT_SWITCHES

logger = logging.getLogger(__name__)


class SwitchError(RuntimeError):
    """The switch did not take the command (no answer, refused, wrong answer)."""


class Switch(Protocol):
    """One relay."""

    circuit: str

    def set(self, on: bool) -> None:
        """Switch the relay on or off; raise SwitchError when that is not confirmed."""

    def close(self) -> None:
        """Release the connection."""


def _http(url: str, *, timeout: float, body: bytes | None = None) -> dict:
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                     headers={"Content-Type": "application/json"} if body else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise SwitchError(f"{url}: HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:
        raise SwitchError(f"{url}: {exc}") from exc
    try:
        answer = json.loads(data)
    except ValueError as exc:
        raise SwitchError(f"{url}: the answer is not JSON") from exc
    if not isinstance(answer, dict):
        raise SwitchError(f"{url}: the answer is not a JSON object")
    return answer


class Shelly1Http:
    """Shelly Gen1: ``GET http://<host>/relay/<n>?turn=off`` answers ``{"ison": false, …}``."""

    def __init__(self, config):
        self.circuit = config.circuit
        self._url = f"http://{config.host}:{config.port}/relay/{config.relay}"
        self._timeout = config.timeout

    def set(self, on: bool) -> None:
        answer = _http(f"{self._url}?turn={'on' if on else 'off'}", timeout=self._timeout)
        if answer.get("ison") is not on:
            raise SwitchError(f"{self._url}: the relay reports ison={answer.get('ison')!r}")

    def close(self) -> None:
        pass


class Shelly2Http:
    """Shelly Gen2/Gen3: ``POST http://<host>/rpc`` ``{"method": "Switch.Set", "params": {"id", "on"}}``."""

    def __init__(self, config):
        self.circuit = config.circuit
        self._url = f"http://{config.host}:{config.port}/rpc"
        self._id = config.switch
        self._timeout = config.timeout

    def set(self, on: bool) -> None:
        body = json.dumps({"id": 1, "method": "Switch.Set", "params": {"id": self._id, "on": on}}).encode()
        answer = _http(self._url, timeout=self._timeout, body=body)
        if "error" in answer:
            raise SwitchError(f"{self._url}: {answer['error']}")
        if not isinstance(answer.get("result"), dict):
            raise SwitchError(f"{self._url}: no result in the answer")

    def close(self) -> None:
        pass


class ModbusRelay:
    """A Modbus relay board: write single coil ``coil`` of device ``address``."""

    def __init__(self, config, *, client=None):
        from .pzem import make_client

        self.circuit = config.circuit
        self._config = config
        self._client = client or make_client(config.bus)
        self._lock = threading.Lock()

    def set(self, on: bool) -> None:
        value = on if self._config.on_is else not on
        with self._lock:
            try:
                if not self._client.connected:
                    self._client.connect()
                reply = self._client.write_coil(self._config.coil, value, device_id=self._config.address)
            except Exception as exc:  # pymodbus raises its own exceptions and OSError
                self._client.close()
                raise SwitchError(f"modbus {self._config.address}/{self._config.coil}: {exc}") from exc
        if reply.isError():
            raise SwitchError(f"modbus {self._config.address}/{self._config.coil}: {reply}")

    def close(self) -> None:
        self._client.close()


def mqtt_command(config, on: bool, *, client_id: str = "gatewarden") -> tuple[str, bytes]:
    """The topic and payload that switch an MQTT relay, in its firmware's own API."""
    word = "ON" if on else "OFF"
    if config.kind == "shelly1_mqtt":
        return f"shellies/{config.device_id}/relay/{config.relay}/command", word.lower().encode()
    if config.kind == "shelly2_mqtt":
        rpc = {"id": 1, "src": client_id, "method": "Switch.Set", "params": {"id": config.switch, "on": on}}
        return f"{config.prefix}/rpc", json.dumps(rpc).encode()
    if config.kind == "tasmota":
        full = config.full_topic.replace("%prefix%", "cmnd").replace("%topic%", config.topic)
        return f"{full.rstrip('/')}/POWER{config.relay or ''}", word.encode()
    if config.kind == "esphome":
        return f"{config.topic_prefix}/switch/{config.object_id}/command", word.encode()
    raise ValueError(f"not an MQTT switch: {config.kind}")


class MqttSwitchLink:
    """One connection to the compound's broker for every MQTT relay of this device."""

    def __init__(self, mqtt: MqttConfig, *, client_id: str):
        from gwcommon.mqtt import make_client

        self.client_id = client_id
        self.connected = threading.Event()
        self._client = make_client(mqtt, client_id)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = lambda *_a: self.connected.clear()
        self._client.connect_async(mqtt.host, mqtt.port, keepalive=mqtt.keepalive)
        self._client.loop_start()

    def _on_connect(self, _client, _userdata, _flags, reason_code, _props=None) -> None:
        if reason_code.is_failure:
            logger.warning("switches: the broker refused the connection: %s", reason_code)
        else:
            self.connected.set()

    def publish(self, topic: str, payload: bytes, timeout: float) -> None:
        if not self.connected.is_set():
            raise SwitchError("not connected to the broker")
        info = self._client.publish(topic, payload, qos=1)
        try:
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError) as exc:
            raise SwitchError(f"{topic}: {exc}") from exc
        if not info.is_published():
            raise SwitchError(f"{topic}: the broker did not take the command within {timeout:g} s")

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


class MqttRelay:
    """A Shelly (Gen1/Gen2), Tasmota or ESPHome relay over MQTT."""

    def __init__(self, config, link: MqttSwitchLink):
        self.circuit = config.circuit
        self._config, self._link = config, link

    def set(self, on: bool) -> None:
        topic, payload = mqtt_command(self._config, on, client_id=self._link.client_id)
        self._link.publish(topic, payload, self._config.timeout)

    def close(self) -> None:
        pass


def build(switches: list, *, mqtt: MqttConfig, device_id: str = "charging") -> tuple[dict[str, Switch], list]:
    """A Switch per ``[[switches]]`` entry (by circuit), and what must be closed at the end."""
    made: dict[str, Switch] = {}
    closers: list = []
    link = None
    for config in switches:
        if config.kind in MQTT_SWITCHES:
            if link is None:
                link = MqttSwitchLink(mqtt, client_id=f"{device_id}-switches-{uuid.uuid4().hex[:6]}")
                closers.append(link)
            made[config.circuit] = MqttRelay(config, link)
        elif config.kind == "shelly1_http":
            made[config.circuit] = Shelly1Http(config)
        elif config.kind == "shelly2_http":
            made[config.circuit] = Shelly2Http(config)
        else:
            made[config.circuit] = ModbusRelay(config)
        closers.append(made[config.circuit])
    return made, closers
