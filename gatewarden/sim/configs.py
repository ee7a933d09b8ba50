"""Config files for the simulated compound: the hub and its three simulated edge devices.

They are ordinary config files (the same keys a real compound uses, see docs/configuration.md);
only the timings suit a night that runs a few hundred times faster than life.
"""

from __future__ import annotations

from pathlib import Path

from .compound import Compound

LANES = {  # lane → (direction, open relay, arming loop, photo-eye, safety loop): BCM pins
    "north-in": ("in", 17, 27, 22, 23),
    "north-out": ("out", 5, 6, 13, 19),
}


def _common(compound: Compound, storage: str, broker_port: int) -> str:
    return f"""\
[site]
id = "{compound.site}"
name = "{compound.name}"
timezone = "Asia/Shanghai"
spaces = {compound.spaces}

[storage]
dir = "{storage}"

[mqtt]
host = "127.0.0.1"
port = {broker_port}
keepalive = 5

[log]
format = "text"
"""


def hub_toml(compound: Compound, broker_port: int, web_port: int, inbox_key: str,
             offline_after: str = "30m", lang: str = "zh") -> str:
    return _common(compound, "hub", broker_port) + f"""
[hub]
offline_after = "{offline_after}"   # simulated time: a night runs hundreds of times faster than life
clock_tolerance = "{offline_after}"   # the devices' scaled clocks differ from the hub's by real milliseconds

[rules.overnight]
night_start = "20:00"
deadline = "08:00"
reminder_before = "30m"

[rules.charging]
silent_after = "{offline_after}"   # a meter silent this long (simulated time) is reported

[[zones]]
name = "{compound.strip}"
kind = "night"
label = "东侧夜间临停带"

[[zones]]
name = "{compound.fire_lane}"
kind = "never"
grace = "10m"
label = "3号楼消防通道"

[[devices]]
id = "gate-north"
label = "北门道闸"

[[devices]]
id = "lane-east"
label = "东侧临停带监测"

[[devices]]
id = "lane-fire"
label = "消防通道监测"

[[devices]]
id = "shed"
label = "充电棚电表箱"

[[gate_lanes]]
device = "gate-north"
lane = "north-in"
label = "北门入口"

[[gate_lanes]]
device = "gate-north"
lane = "north-out"
label = "北门出口"

[[chat]]
kind = "webhook"
name = "demo-inbox"
url = "http://127.0.0.1:{web_port}/inbox/hook/{inbox_key}"

[web]
listen = "127.0.0.1:{web_port}"
public_url = "http://127.0.0.1:{web_port}"
inbox_key = "{inbox_key}"
default_lang = "{lang}"

[alerts]
language = "{lang}"

"""


def lpr_toml(port: int, cameras: list[tuple[str, str]], **keys: str) -> str:
    """Plate cameras (docs/lpr.md) pushing to this device on ``port``: (camera id, lane or zone key)."""
    text = f'\n[lpr]\nlisten = "127.0.0.1:{port}"\n'
    for camera, where in cameras:
        text += (f'\n[[lpr.cameras]]\nid = "{camera}"\nvendor = "vzenith"\n{where}\nallow = ["127.0.0.1"]\n'
                 'silent_after = "0s"\n' + "".join(f'{k} = "{v}"\n' for k, v in keys.items()))
    return text


def gate_toml(compound: Compound, broker_port: int, lpr_port: int | None = None) -> str:
    text = _common(compound, "gate", broker_port) + """
[device]
id = "gate-north"
kind = "gate"

[outbox]
heartbeat = "1s"

[gate]
"""
    for n, (name, (direction, relay, loop, eye, safety)) in enumerate(LANES.items()):
        text += f"""
[[gate.lanes]]
name = "{name}"
direction = "{direction}"
radio = "hci{n}"
open_relay = {relay}
arming_loop = {loop}
photo_eye = {eye}
safety_loop = {safety}
rssi_threshold = -70
"""
    if lpr_port:
        text += lpr_toml(lpr_port, [(name, f'lane = "{name}"') for name in LANES], plate_policy="visitors_only")
    return text


def lane_toml(compound: Compound, broker_port: int, device: str, zone: str, lpr_port: int | None = None) -> str:
    lpr = lpr_toml(lpr_port, [(device, f'zone = "{zone}"')], gone_after="15m") if lpr_port else ""
    return _common(compound, device, broker_port) + lpr + f"""
[device]
id = "{device}"
kind = "lane"

[outbox]
heartbeat = "1s"

[lane]
photo_at = []

[[lane.zones]]
name = "{zone}"
rssi_threshold = -80
missed = 3
min_away = "30s"
max_away = "2m"
"""


CIRCUITS = {  # circuit → (label, breaker A, no_charging)
    "shed-1": ("充电棚A路", 16, False),
    "shed-2": ("充电棚B路", 16, False),
    "stair-3": ("3号楼2单元楼道", 10, True),
}


def shed_toml(compound: Compound, broker_port: int) -> str:
    text = _common(compound, "shed", broker_port) + """
[device]
id = "shed"
kind = "charging"

[outbox]
heartbeat = "1s"

[charging]
"""
    for circuit in CIRCUITS:
        text += f'\n[[meters]]\nkind = "simulated"\ncircuit = "{circuit}"\nchargers = 0\n'
    return text


def circuits_toml() -> str:
    text = ""
    for name, (label, breaker, no_charging) in CIRCUITS.items():
        text += (f'\n[[circuits]]\nname = "{name}"\nlabel = "{label}"\nbreaker_a = {breaker}\n'
                 f'no_charging = {str(no_charging).lower()}\n')
    return text


def write_all(directory: Path, compound: Compound, *, broker_port: int, web_port: int,
              inbox_key: str = "demo", offline_after: str = "30m", device_keepalive: int = 5,
              lpr_ports: dict[str, int] | None = None, lang: str = "zh") -> dict[str, Path]:
    """Write every config into ``directory``; returns {role: path}.

    ``offline_after`` is in the hub's (scaled) clock while the devices' heartbeats and MQTT
    keepalives run in real time: the faster the night, the longer it must be.  A short
    ``device_keepalive`` (real seconds) lets the broker notice a frozen device sooner.
    ``lpr_ports`` (role → port) gives the gate and the strip's lane device plate cameras; ``lang`` is
    the web view's and the chat's language (Chinese unless ``"en"``).
    """
    ports = lpr_ports or {}
    files = {
        "hub": hub_toml(compound, broker_port, web_port, inbox_key, offline_after, lang) + circuits_toml(),
        "gate": gate_toml(compound, broker_port, ports.get("gate")),
        "lane-east": lane_toml(compound, broker_port, "lane-east", compound.strip, ports.get("lane-east")),
        "lane-fire": lane_toml(compound, broker_port, "lane-fire", compound.fire_lane),
        "shed": shed_toml(compound, broker_port),
    }
    paths = {}
    for name in ("hub", "gate", "lane-east", "lane-fire", "shed"):
        (directory / name).mkdir(exist_ok=True)
    for role, text in files.items():
        if role != "hub":
            text = text.replace("keepalive = 5", f"keepalive = {device_keepalive}")
        paths[role] = directory / f"{role}.toml"
        paths[role].write_text(text, encoding="utf-8")
    return paths
