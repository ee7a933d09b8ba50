"""docs/contract.md stays true: its topics, payload fields, passage reasons, tag schemes, config
keys, commands and API routes are read from the page and compared with the code, both ways."""

from __future__ import annotations

import re
import tomllib
import typing
from pathlib import Path

import pytest

from gwcommon import tagid, wire

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")

# Fields and schemes of contract v1.1 that other changes are bringing into the code.  Each entry
# must NOT be in the code yet: when one arrives, this test fails until the entry is removed here.
V11_NOT_YET_IN_CODE: set[tuple[str, str]] = set()

MODELS = {
    "Envelope": wire.Envelope, "passage": wire.Passage, "presence": wire.Presence,
    "charging": wire.Charging, "fault": wire.Fault, "status": wire.Status,
    "heartbeat": wire.Heartbeat, "ack": wire.Ack, "cmd": wire.Command,
    "allowlist": wire.Allowlist, "allowlist entry": wire.AllowEntry, "violation": wire.Violation,
}


def payload_tables() -> dict[str, dict[str, tuple[str, str]]]:
    """{message: {field: (required, since)}} from the tables under '### Payloads'."""
    section = CONTRACT.split("### Payloads", 1)[1].split("\n## ", 1)[0]
    tables: dict[str, dict[str, tuple[str, str]]] = {}
    current = None
    for line in section.splitlines():
        head = re.match(r"^(Envelope|An allowlist entry|`(\w+)`)[ :—(]", line)
        if head:
            current = "allowlist entry" if head.group(1) == "An allowlist entry" else head.group(2) or head.group(1)
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if current and line.startswith("| `") and len(cells) == 5:
            tables.setdefault(current, {})[cells[0].strip("`")] = (cells[2], cells[4])
    return tables


TABLES = payload_tables()


def own_fields(name: str) -> dict:
    fields = dict(MODELS[name].model_fields)
    if name in wire.EVENT_MODELS:
        fields = {k: v for k, v in fields.items() if k not in wire.Envelope.model_fields}
    return fields


def test_every_message_has_its_table():
    assert set(TABLES) == set(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_fields_of_each_message_are_those_of_the_code(name):
    documented, code = TABLES[name], own_fields(name)
    pending = {field for message, field in V11_NOT_YET_IN_CODE if message == name}
    assert set(code) - set(documented) == set(), f"{name}: fields in the code missing from docs/contract.md"
    assert set(documented) - set(code) == pending, f"{name}: fields in docs/contract.md the code does not have"
    assert pending <= {f for f, (_, since) in documented.items() if since == "1.1"}
    for field, (required, _) in documented.items():
        if field in code and required == "no":  # the code must accept it missing
            assert not code[field].is_required(), f"{name}.{field} is optional in the contract"


def test_the_topics_are_those_the_code_parses():
    section = CONTRACT.split("### Topics", 1)[1].split("###", 1)[0]
    documented = set()
    for cell in re.findall(r"^\| `([^`]+)` \|", section, re.M):
        parts = cell.split("/")
        documented.add("snapshot" if "snapshot" in parts else parts[-1])
    assert documented == set(wire.DEVICE_MODELS) | {"snapshot", "allowlist", "violation"}


def test_the_passage_reasons_are_those_of_the_code():
    line = re.search(r"^Passage reasons: (.+?)\n\n", CONTRACT, re.M | re.S).group(1)
    documented = set(re.findall(r"`(\w+)`", line))
    assert documented == set(typing.get_args(wire.Passage.model_fields["reason"].annotation))


def test_the_tag_schemes_are_those_the_code_reads():
    documented = set(re.findall(r"^\| `(\w+)` \| `\1:", CONTRACT, re.M))
    pending = {scheme for kind, scheme in V11_NOT_YET_IN_CODE if kind == "tag"}
    readable = set(tagid._PATTERNS) | {"plate"}  # plates are checked by their own rule (tagid.plate_problem)
    assert documented - readable == pending
    assert readable <= documented
    for scheme in documented - pending:
        example = {"ibeacon": "ibeacon:f7826da6-4fa2-4e98-8024-bc5b71e0893e:1:42",
                   "eddystone": "eddystone:00112233445566778899:aabbccddeeff", "eid": "eid:car-1",
                   "mac": "mac:aa:bb:cc:dd:ee:ff", "plate": "plate:浙A12345"}[scheme]
        assert tagid.parse_tag_id(example).text == example


def config_block() -> dict:
    block = CONTRACT.split("## 6.", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    return tomllib.loads(block)


def unknown_keys(data: dict, model, where: str = "") -> list[str]:
    from pydantic import BaseModel

    missing = []
    for key, value in data.items():
        path = f"{where}{key}"
        if key not in model.model_fields:
            missing.append(path)
            continue
        annotation = model.model_fields[key].annotation
        inner = [a for a in (typing.get_args(annotation) or (annotation,))
                 if isinstance(a, type) and issubclass(a, BaseModel)]
        if isinstance(value, dict) and inner:
            missing += unknown_keys(value, inner[0], f"{path}.")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            item = typing.get_args(annotation)[0]
            item = next((a for a in (typing.get_args(item) or (item,)) if isinstance(a, type)), item)
            for entry in value:
                missing += unknown_keys(entry, item, f"{path}[].")
    return missing


def test_every_stable_config_key_exists():
    from edge.config import EdgeConfig
    from hub.config import HubConfig

    data = config_block()
    edge_part = {k: data[k] for k in ("site", "storage", "mqtt", "device")}
    hub_part = {k: v for k, v in data.items() if k != "device"}
    assert unknown_keys(edge_part, EdgeConfig) == []
    assert unknown_keys(hub_part, HubConfig) == []


def test_the_stable_config_keys_are_valid_together():
    """The example is a config the hub accepts (files it names need not exist to be read)."""
    from gwcommon.config import EDGE_SECTIONS, validate
    from hub.config import HubConfig

    data = {k: v for k, v in config_block().items() if k not in EDGE_SECTIONS}
    assert validate(data, HubConfig).rules.overnight.deadline.hour == 8


@pytest.mark.parametrize("argv", [
    ["hub", "--config", "hub.toml"],
    ["edge", "--config", "edge.toml"],
    ["demo"],
    ["registry", "import", "residents.csv", "--config", "hub.toml"],
    ["registry", "export", "--config", "hub.toml"],
    ["registry", "export", "--config", "hub.toml", "out.csv"],
    ["hub", "token", "create", "--role", "viewer", "--config", "hub.toml"],
])
def test_the_contract_commands_parse(argv):
    from gatewarden.cli import build_parser

    args = build_parser().parse_args(argv)
    assert callable(args.func)


def test_the_api_routes_are_those_the_hub_serves(tmp_path):
    from gwcommon.clock import FakeClock
    from gwcommon.config import validate
    from hub.app import Hub
    from hub.config import HubConfig

    documented = set(re.findall(r"^\| `GET (/[a-z/]+)", CONTRACT, re.M))
    config = validate({"site": {"id": "contract"}, "storage": {"dir": str(tmp_path)},
                       "web": {"listen": "127.0.0.1:0"}}, HubConfig)
    hub = Hub(config, clock=FakeClock(wire_time()), areas=())
    try:
        hub.attach("web", "hub.web.app")
        served = {r.path for r in hub.web.routes if "GET" in getattr(r, "methods", ())}
    finally:
        hub.stop()
    assert documented == {p for p in served if p.startswith("/api/")} | {"/healthz"}


def wire_time():
    from datetime import datetime, timezone

    return datetime(2026, 3, 2, 23, 0, tzinfo=timezone.utc)


def test_no_doc_or_code_points_outside_the_repository_for_the_contract():
    """The contract is docs/contract.md; nothing names a CONTRACT.md that is not in the repository."""
    offenders = [str(p.relative_to(ROOT)) for p in tracked_text_files()
                 if "CONTRACT.md" in p.read_text(encoding="utf-8", errors="replace")
                 and p.name != "test_contract.py"]
    assert offenders == []


def tracked_text_files() -> list[Path]:
    import subprocess

    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / n for n in names if (ROOT / n).suffix in (".py", ".md", ".toml", ".txt", ".html", ".sh", ".yml",
                                                             ".yaml", ".service", ".cfg", ".ini", ".j2", "")
            and (ROOT / n).is_file()]


MACHINE_PATH = re.compile(r"(?<![\w.-])/(?:work|root|home/[a-z_][a-z0-9_-]*)/")


def test_no_tracked_file_names_a_path_of_a_particular_machine():
    """No /work/…, /root/… or /home/<user>/… path (a developer's machine) in code or docs."""
    offenders = {}
    for path in tracked_text_files():
        found = MACHINE_PATH.findall(path.read_text(encoding="utf-8", errors="replace"))
        if found and path.name != "test_contract.py":
            offenders[str(path.relative_to(ROOT))] = sorted(set(found))
    assert offenders == {}
