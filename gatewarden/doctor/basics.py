"""Checks every Pi needs: the config, storage, the broker (credentials, TLS) and the clock."""

from __future__ import annotations

import email.utils
import os
import shutil
import socket
import ssl
import threading
import uuid
from pathlib import Path
from typing import Any

from gwcommon.config import HUB_SECTIONS, MqttConfig, read_toml
from gwcommon.exc import ConfigError

from .report import Check, fail, ok, warn
from .seams import Env
from .texts import T

FULL_MB, LOW_MB, LOW_PCT = 200, 1024, 5
CLOCK_WARN_S, CLOCK_FAIL_S = 2.0, 10.0
BAD_PASSWORD, NOT_AUTHORISED = 134, 135  # MQTT 5 CONNACK reason codes (v3.1.1: 4 and 5)


# ---- config -------------------------------------------------------------------------------------

def load_configs(path: str) -> tuple[Check, Any, Any]:
    """(check, edge config or None, hub config or None): a file with [device] is an edge's; hub
    sections (or no [device]) make it a hub's; a one-Pi compound's file is both."""
    try:
        data = read_toml(path)
        edge = hub = None
        if "device" in data:
            from edge.config import load_edge_config
            edge = load_edge_config(path)
        if "device" not in data or HUB_SECTIONS & set(data):
            from hub.config import load_hub_config
            hub = load_hub_config(path)
    except ConfigError as exc:
        return fail("config", "config.bad", error=exc), None, None
    roles = []
    if edge is not None:
        roles.append(T(f"config.role.{edge.device.kind}", {"device": edge.device.id}))
    if hub is not None:
        roles.append(T("config.role.hub", {"site": hub.site.id}))
    return ok("config", "config.ok", roles=roles), edge, hub


# ---- storage ------------------------------------------------------------------------------------

def storage_verdict(free_mb: int, free_pct: int) -> str:
    """``ok``, ``warn`` (low) or ``fail`` (about to fill) for the free space (pure)."""
    if free_mb < FULL_MB:
        return "fail"
    return "warn" if free_mb < LOW_MB or free_pct < LOW_PCT else "ok"


def check_storage(directory: Path) -> Check:
    """The storage directory exists (or can be made), takes a synced write, and has room."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".doctor-{uuid.uuid4().hex[:8]}"
        with open(probe, "wb") as handle:
            handle.write(b"gatewarden doctor\n")
            handle.flush()
            os.fsync(handle.fileno())
        probe.unlink()
        usage = shutil.disk_usage(directory)
    except OSError as exc:
        return fail("storage", "storage.unwritable", dir=str(directory), error=exc.strerror or str(exc))
    free_mb, free_pct = usage.free // 2**20, round(100 * usage.free / max(usage.total, 1))
    verdict = storage_verdict(free_mb, free_pct)
    key = {"ok": "storage.ok", "warn": "storage.low", "fail": "storage.full"}[verdict]
    return Check("storage", verdict, key, {"dir": str(directory), "free_mb": free_mb, "free_pct": free_pct})  # type: ignore[arg-type]


# ---- broker -------------------------------------------------------------------------------------

def connack_check(mqtt: MqttConfig, reason: Any) -> Check:
    """A CONNACK reason code in words (pure)."""
    where = {"host": mqtt.host, "port": mqtt.port}
    value = getattr(reason, "value", reason)
    if value == 0:
        how = T("broker.how.tls" if mqtt.tls_ca else "broker.how.plain", {"user": mqtt.username or "-"})
        return ok("broker", "broker.ok", how=how, **where)
    if value in (BAD_PASSWORD, 4):
        return fail("broker", "broker.bad_password", **where)
    if value in (NOT_AUTHORISED, 5):
        return fail("broker", "broker.not_authorised", **where)
    return fail("broker", "broker.refused", reason=str(reason), **where)


def check_broker(mqtt: MqttConfig, who: str, env: Env) -> Check:
    """Connect with the config's credentials and TLS (a client id of its own: never kicks the daemon off)."""
    from gwcommon.mqtt import make_client

    where = {"host": mqtt.host, "port": mqtt.port}
    try:
        client = make_client(mqtt, f"gw-doctor-{who}-{uuid.uuid4().hex[:6]}")
    except ConfigError as exc:
        return fail("broker", "broker.secret", error=str(exc))
    except (OSError, ssl.SSLError) as exc:
        return fail("broker", "broker.tls", error=_why(exc), **where)
    answered = threading.Event()
    result: dict[str, Any] = {}

    def on_connect(c, u, flags, reason, props):
        result["reason"] = reason
        answered.set()

    client.on_connect = on_connect
    client.on_disconnect = lambda *a: answered.set()
    failure = _connect(client, mqtt, env.broker_timeout)
    if failure is not None:
        return failure
    client.loop_start()
    try:
        answered.wait(env.broker_timeout)
    finally:
        client.disconnect()
        client.loop_stop()
    if "reason" not in result:
        return fail("broker", "broker.no_answer", **where)
    return connack_check(mqtt, result["reason"])


def _connect(client: Any, mqtt: MqttConfig, timeout: float) -> Check | None:
    where = {"host": mqtt.host, "port": mqtt.port}
    client.connect_timeout = timeout
    try:
        client.connect(mqtt.host, mqtt.port, keepalive=max(mqtt.keepalive, 5))
    except ssl.SSLError as exc:
        return fail("broker", "broker.tls", error=_why(exc), **where)
    except ConnectionRefusedError:
        return fail("broker", "broker.nothing", **where)
    except (socket.gaierror, TimeoutError, OSError) as exc:
        if isinstance(exc.__context__, ssl.SSLError) or "SSL" in type(exc).__name__:
            return fail("broker", "broker.tls", error=_why(exc), **where)
        return fail("broker", "broker.unreachable", error=_why(exc), **where)
    return None


def _why(exc: BaseException) -> str:
    return getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


# ---- clock --------------------------------------------------------------------------------------

def clock_verdict(synced: bool | None, offset: float | None) -> tuple[str, str]:
    """(status, message key) from NTP's answer and the measured offset to the hub (pure)."""
    if offset is not None and abs(offset) > CLOCK_FAIL_S:
        return "fail", "clock.off"
    if synced is False:
        return "fail", "clock.unsynced"
    if offset is not None and abs(offset) > CLOCK_WARN_S:
        return "warn", "clock.drift"
    if synced is None:
        return "warn", "clock.unknown"
    return "ok", "clock.ok"


def hub_offset(url: str, env: Env) -> float:
    """This machine's clock minus the hub's, from the HTTP ``Date`` of its /healthz (±1 s)."""
    import httpx

    before = env.clock.now()
    response = httpx.get(url.rstrip("/") + "/healthz", timeout=env.broker_timeout)
    after = env.clock.now()
    stamp = response.headers.get("date")
    if not stamp:
        raise OSError("the answer has no Date header")
    hub_time = email.utils.parsedate_to_datetime(stamp)
    local = before + (after - before) / 2
    return (local - hub_time).total_seconds() - 0.5  # Date is truncated to the second


def check_clock(env: Env, *, hub_url: str | None) -> Check:
    now = env.clock.now()
    if now.year < 2024:
        return fail("clock", "clock.year", now=now.isoformat(timespec="seconds"))
    synced = env.ntp()
    offset = None
    if hub_url:
        try:
            offset = hub_offset(hub_url, env)
        except Exception as exc:  # httpx, socket and parsing errors all mean "not measured"
            if synced:
                return warn("clock", "clock.hub_unreachable", url=hub_url, error=_why(exc))
    status, key = clock_verdict(synced, offset)
    params: dict[str, Any] = {}
    if offset is not None:
        params = {"offset": f"{abs(offset):.1f}", "direction": T("clock.ahead" if offset > 0 else "clock.behind"),
                  "offset_text": T("clock.offset_text", {"offset": f"{offset:+.1f}"})}
    else:
        params = {"offset_text": T("clock.no_hub")}
    return Check("clock", status, key, params)  # type: ignore[arg-type]
