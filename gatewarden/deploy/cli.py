"""``gatewarden deploy broker|bridge``: the installer's broker tools (docs/install.md, docs/district.md)."""

from __future__ import annotations

import argparse
import re
import socket
from pathlib import Path

from gatewarden import cliwords  # noqa: F401  (its table words these commands: gw.*)

from gwcommon.wire import NAME_RE

CONFIG_HELP = "the hub's TOML config, for the site id (default: $GATEWARDEN_CONFIG or /etc/gatewarden/hub.toml)"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "deploy", help="installer's tools: lock the broker down, bridge to a district, offline wheels",
        description="Generate configuration for the compound's Mosquitto broker (accounts, ACLs, TLS) "
                    "and for its bridge to a district broker.")
    nested = parser.add_subparsers(dest="deploy_command", metavar="ACTION", required=True)
    _register_broker(nested)
    _register_bridge(nested)
    from gatewarden.deploy import installcli

    installcli.register(nested)


def _register_broker(nested) -> None:
    broker = nested.add_parser(
        "broker", help="write the compound broker's accounts, ACLs and TLS files",
        description="Write a Mosquitto configuration for the compound into --out: one account per device "
                    "and one for the hub, ACLs (a device writes only its own topics), anonymous clients "
                    "refused, a packet-size limit, and (unless --no-tls) a local CA and a TLS listener. Re-running "
                    "keeps the CA and "
                    "the passwords already issued.")
    broker.add_argument("--config", metavar="CONFIG", help=CONFIG_HELP)
    broker.add_argument("--devices", required=True, metavar="ID,ID,...",
                        help="every edge device id of the compound, comma-separated (e.g. gate-north,lane-east)")
    broker.add_argument("--meters", default="", metavar="NAME,NAME,...",
                        help="accounts for MQTT meters (Tasmota, ESPHome, Shelly) that publish under meters/<site>/")
    broker.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="directory to write (e.g. /etc/mosquitto/gatewarden)")
    broker.add_argument("--tls", action=argparse.BooleanOptionalAction, default=True,
                        help="devices connect over TLS with a CA made here (the default; --no-tls: plain MQTT "
                             "with passwords only, for a wired network you trust)")
    broker.add_argument("--client-certs", action="store_true",
                        help="with --tls: also require a client certificate from every device (issued here)")
    broker.add_argument("--host", action="append", default=[], metavar="NAME_OR_IP",
                        help="a name or address devices use to reach the broker (repeat; the first one goes "
                             "into the devices' config; default: this machine's name.local)")
    broker.add_argument("--port", type=int, default=1883, help="plain MQTT port (loopback only with --tls; default 1883)")
    broker.add_argument("--tls-port", type=int, default=8883, help="TLS port for the devices (default 8883)")
    broker.add_argument("--plain-on-lan", action="store_true",
                        help="with --tls: keep the plain port open on the network too (for meters without TLS)")
    broker.add_argument("--bind", default="", metavar="ADDRESS",
                        help="address of the devices' listener (default: every interface)")
    broker.set_defaults(func=run_broker)


def _register_bridge(nested) -> None:
    bridge = nested.add_parser(
        "bridge", help="write the bridge from the compound broker to a district broker",
        description="Write bridge.conf for the compound broker (MQTT 5, persistent session, only violations "
                    "and device status upward) and, under district/, the account and ACL lines to add to "
                    "the district broker. Re-running keeps the bridge's password.")
    bridge.add_argument("--config", metavar="CONFIG", help=CONFIG_HELP)
    bridge.add_argument("--district-host", required=True, metavar="HOST", help="the district broker's name or address")
    bridge.add_argument("--district-port", type=int, default=8883, help="the district broker's port (default 8883)")
    bridge.add_argument("--district-ca", type=Path, metavar="FILE",
                        help="CA certificate of the district broker (turns TLS on; strongly advised)")
    bridge.add_argument("--faults", action="store_true", help="also send the devices' fault events upward")
    bridge.add_argument("--out", required=True, type=Path, metavar="DIR", help="directory to write")
    bridge.set_defaults(func=run_bridge)


def parse_devices(text: str, *, option: str = "--devices", required: bool = True) -> list[str]:
    """``"gate-north, lane-east"`` → ids; a bad, reserved or repeated id is a ConfigError."""
    from gwcommon.exc import ConfigError

    devices = [d.strip() for d in text.split(",") if d.strip()]
    if required and not devices:
        raise ConfigError.said("gw.deploy.no_devices", option=option)
    for device in devices:
        if not re.match(NAME_RE, device):
            raise ConfigError.said("gw.deploy.bad_id", option=option, device=device)
        if device == "hub":
            raise ConfigError.said("gw.deploy.hub_reserved", option=option)
    repeated = sorted({d for d in devices if devices.count(d) > 1})
    if repeated:
        raise ConfigError.said("gw.deploy.repeated", option=option, ids=", ".join(repeated))
    return devices


def _check_port(name: str, value: int) -> None:
    from gwcommon.exc import ConfigError

    if not 1 <= value <= 65535:
        raise ConfigError.said("gw.deploy.port", name=name, value=value)


def run_broker(args: argparse.Namespace) -> int:
    from gatewarden.deploy.broker import BrokerPlan, write_broker
    from gatewarden.deploy.render import Listeners
    from gwcommon.exc import ConfigError
    from hub.config import load_hub_config

    config = load_hub_config(args.config)
    devices = parse_devices(args.devices)
    meters = parse_devices(args.meters, option="--meters", required=False)
    both = sorted(set(devices) & set(meters))
    if both:
        raise ConfigError.said("gw.deploy.meter_also_device", ids=", ".join(both))
    if args.plain_on_lan and not args.tls:
        raise ConfigError.said("gw.deploy.plain_needs_tls")
    for name in ("--port", "--tls-port"):
        _check_port(name, getattr(args, name[2:].replace("-", "_")))
    if args.client_certs and not args.tls:
        raise ConfigError.said("gw.deploy.certs_need_tls")
    if args.tls and args.port == args.tls_port:
        raise ConfigError.said("gw.deploy.ports_differ")
    own = f"{socket.gethostname()}.local"
    device_host = args.host[0] if args.host else own
    hosts = [*args.host, own, socket.gethostname(), "localhost", "127.0.0.1", "::1", config.mqtt.host]
    listeners = Listeners(port=args.port, tls_port=args.tls_port if args.tls else None, bind=args.bind,
                          require_certificate=args.client_certs, plain_on_lan=args.plain_on_lan)
    plan = BrokerPlan(site=config.site.id, devices=devices, out=args.out.resolve(), listeners=listeners,
                      hosts=hosts, device_host=device_host, meters=meters)
    try:
        result = write_broker(plan)
    except OSError as exc:
        raise ConfigError.said("gw.deploy.cannot_write", out=args.out, error=exc.strerror or exc) from None
    _report_broker(result, plan)
    return 0


def _report_broker(result, plan) -> None:
    from gatewarden.cliwords import say

    print(say("deploy.broker_written", site=plan.site, out=result.out))
    for name, folder in result.clients.items():
        state = say("deploy.new_account" if name in result.new else "deploy.kept")
        print(say("deploy.meter" if name in plan.meters else "deploy.device", name=name, state=state, folder=folder))
    for name in result.removed:
        print(say("deploy.removed", name=name))
    print(say("deploy.next", out=result.out))


def run_bridge(args: argparse.Namespace) -> int:
    from gatewarden.deploy.bridge import write_bridge
    from gatewarden.deploy.render import District
    from gwcommon.exc import ConfigError
    from hub.config import load_hub_config

    config = load_hub_config(args.config)
    _check_port("--district-port", args.district_port)
    if args.district_ca is not None and not args.district_ca.is_file():
        raise ConfigError.said("gw.deploy.no_ca_file", file=args.district_ca)
    district = District(args.district_host, args.district_port,
                        args.district_ca.resolve() if args.district_ca else None)
    try:
        out = write_bridge(config.site.id, district, args.out.resolve(), faults=args.faults)
    except OSError as exc:
        raise ConfigError.said("gw.deploy.cannot_write", out=args.out, error=exc.strerror or exc) from None
    from gatewarden.cliwords import say

    print(say("deploy.bridge_written", site=config.site.id, out=out))
    print(say("deploy.bridge_compound", out=out))
    print(say("deploy.bridge_district", out=out))
    if district.ca_file is None:
        print(say("deploy.no_tls"))
    return 0
