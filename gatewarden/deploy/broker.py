"""Write a compound's Mosquitto configuration into one directory (``gatewarden deploy broker``).

The directory (``--out``, e.g. ``/etc/mosquitto/gatewarden``) gets::

    mosquitto.conf        listeners, anonymous off, password and ACL files (include it from conf.d)
    passwd  acl           the accounts (PBKDF2-SHA512 hashes) and who may do what
    ca.crt ca.key         the compound's CA (with --tls; ca.key readable by root only)
    server.crt server.key the broker's certificate for its host names and addresses
    clients/<name>/       what to copy to each device (and the hub): mqtt.toml with the [mqtt] keys,
                          mqtt/password, mqtt/ca.crt, and with --client-certs mqtt/client.crt + .key;
                          for a meter (--meters) meter.txt says what to type into its MQTT page

Re-running it is safe: the CA and every password already issued are kept (devices need not be
touched), new devices get credentials, and a device no longer listed loses its account (its
folder is removed).  The server certificate is issued anew each time (host names may change).
"""

from __future__ import annotations

import grp
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from gatewarden.deploy import ca, passwd, render

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BrokerPlan:
    """What to generate."""

    site: str
    devices: list[str]
    out: Path
    listeners: render.Listeners
    hosts: list[str] = field(default_factory=list)
    device_host: str = ""
    meters: list[str] = field(default_factory=list)

    @property
    def tls(self) -> bool:
        return self.listeners.tls_port is not None


@dataclass
class BrokerResult:
    """What was written: client folders by name, and the names whose accounts were removed."""

    out: Path
    clients: dict[str, Path]
    removed: list[str]
    new: list[str]


def write_broker(plan: BrokerPlan) -> BrokerResult:
    out = Path(plan.out)
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o750)
    names = [render.HUB_USER, *plan.devices, *plan.meters]
    passwords, new = _passwords(out, names)
    authority = _authority(out, plan) if plan.tls else None
    _write(out / "passwd", passwd.password_file(passwords), 0o640)
    _write(out / "acl", render.acl(plan.site, plan.devices, plan.meters), 0o640)
    _write(out / "mosquitto.conf", render.broker_conf(plan.site, out, plan.listeners), 0o644)
    clients = {name: _client(out, plan, name, passwords[name], authority) for name in names}
    removed = _remove_stale(out, set(names))
    _share_with_mosquitto(out)
    return BrokerResult(out, clients, removed, new)


def _passwords(out: Path, names: list[str]) -> tuple[dict[str, str], list[str]]:
    """Existing passwords kept, new ones made for new names."""
    found, new = {}, []
    for name in names:
        path = out / "clients" / name / "mqtt" / "password"
        if path.is_file() and path.read_text(encoding="utf-8").strip():
            found[name] = path.read_text(encoding="utf-8").strip()
        else:
            found[name] = passwd.new_password()
            new.append(name)
    return found, new


def _authority(out: Path, plan: BrokerPlan) -> ca.Issued:
    key, cert = out / "ca.key", out / "ca.crt"
    if key.is_file() and cert.is_file():
        authority = ca.load(key, cert)
    else:
        authority = ca.new_ca(plan.site)
        _write(key, authority.key_pem(), 0o600)
        _write(cert, authority.cert_pem(), 0o644)
    server = ca.issue(authority, f"gatewarden {plan.site} broker", hosts=plan.hosts, server=True)
    _write(out / "server.key", server.key_pem(), 0o640)
    _write(out / "server.crt", server.cert_pem(), 0o644)
    return authority


def _client(out: Path, plan: BrokerPlan, name: str, password: str, authority: ca.Issued | None) -> Path:
    folder = out / "clients" / name
    (folder / "mqtt").mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    _write(folder / "mqtt" / "password", password + "\n", 0o600)
    hub, meter = name == render.HUB_USER, name in plan.meters
    certs = authority is not None and plan.listeners.require_certificate and not hub and not meter
    if authority is not None:
        _write(folder / "mqtt" / "ca.crt", authority.cert_pem(), 0o644)
    if certs and not (folder / "mqtt" / "client.key").is_file():  # kept across re-runs
        issued = ca.issue(authority, name, server=False)
        _write(folder / "mqtt" / "client.key", issued.key_pem(), 0o600)
        _write(folder / "mqtt" / "client.crt", issued.cert_pem(), 0o644)
    if meter:  # meters are configured in their own web page, not by a TOML file
        tls = authority is not None and not plan.listeners.plain_on_lan
        port = plan.listeners.tls_port if tls else plan.listeners.port
        _write(folder / "meter.txt", render.meter_note(who=name, site=plan.site, host=plan.device_host,
                                                        port=port, tls=tls), 0o644)
        return folder
    if hub:  # the hub runs next to the broker: the plain port, no TLS needed
        snippet = render.mqtt_snippet(who=name, host=hub_host(plan.listeners), port=plan.listeners.port, tls=False,
                                      client_cert=False)
    else:
        port = plan.listeners.tls_port or plan.listeners.port
        snippet = render.mqtt_snippet(who=name, host=plan.device_host, port=port, tls=authority is not None,
                                      client_cert=certs)
    _write(folder / "mqtt.toml", snippet, 0o644)
    return folder


def hub_host(listeners: render.Listeners) -> str:
    """Where the hub reaches the plain port: loopback, unless that listener is bound elsewhere."""
    on_network = listeners.tls_port is None or listeners.plain_on_lan
    return listeners.bind if on_network and listeners.bind else "127.0.0.1"


def _remove_stale(out: Path, keep: set[str]) -> list[str]:
    root = out / "clients"
    removed = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name not in keep)
    for name in removed:
        shutil.rmtree(root / name)
    return removed


BROKER_READS = (".", "passwd", "acl", "mosquitto.conf", "server.key", "server.crt", "ca.crt")


def _share_with_mosquitto(out: Path, names: tuple[str, ...] = BROKER_READS) -> None:
    """As root: let the ``mosquitto`` group read what the broker needs (never the CA key)."""
    if os.geteuid() != 0:
        return
    try:
        gid = grp.getgrnam("mosquitto").gr_gid
    except KeyError:
        return
    for name in names:
        path = out / name
        if path.exists():
            os.chown(path, 0, gid)


def _write(path: Path, data: str | bytes, mode: int) -> None:
    """Write a file with ``mode`` from the start (a secret is never readable by others, even briefly)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data.encode() if isinstance(data, str) else data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
