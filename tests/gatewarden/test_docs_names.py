"""Every unit, file, config key and command that docs/*.md names in its code exists.

Looks at fenced code blocks and inline code spans: systemd units (``gatewarden-gate``,
``gatewarden-backup.timer``) against deploy/systemd/; ``deploy/…`` paths against the checkout;
``/etc/gatewarden/…`` against what the installer and ``gatewarden deploy broker`` create;
``gatewarden …`` command lines against the real argument parser (sub-commands and options); and
``[section]`` / ``key =`` lines of TOML blocks against the config models.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from edge.config import EdgeConfig
from gatewarden import docgen
from gatewarden.cli import build_parser
from hub.config import HubConfig

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
UNITS = {p.name for p in (ROOT / "deploy" / "systemd").iterdir()}
ETC_FILES = {"hub.toml", "gate.toml", "lane.toml", "charging.toml", "mqtt", "mqtt/",  # install.sh, deploy broker
             "eid-keys.toml"}  # made by hand as docs/bluetooth.md says
FENCE = re.compile(r"^```([a-z]*)\n(.*?)^```", re.S | re.M)
SPAN = re.compile(r"`([^`\n]+)`")


def code_of(page: Path) -> tuple[list[tuple[str, str]], list[str]]:
    text = page.read_text(encoding="utf-8")
    blocks = [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]
    prose = FENCE.sub("", text)
    return blocks, SPAN.findall(prose)


def all_code(page: Path) -> str:
    blocks, spans = code_of(page)
    return "\n".join([body for _, body in blocks] + spans)


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_named_units_exist(page):
    for unit in re.findall(r"(?<![\w/-])gatewarden-(?!skeleton)[a-z]+(?:\.service|\.timer)?(?![\w/.-])",
                           all_code(page)):
        name = unit if unit.endswith((".service", ".timer")) else unit + ".service"
        if unit in ("gatewarden-backup",):  # `systemctl start gatewarden-backup` = the .service
            name = "gatewarden-backup.service"
        assert name in UNITS, f"{page.name}: no unit {unit} (deploy/systemd has {sorted(UNITS)})"


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_named_files_exist(page):
    code = all_code(page)
    for path in re.findall(r"(?<![\w/.])deploy/[\w./<>-]+", code):
        path = path.rstrip(".")
        if "<" in path:
            continue
        assert (ROOT / path).exists(), f"{page.name}: {path} does not exist"
    for path in re.findall(r"/etc/gatewarden/([\w./*<>|-]*)", code):
        path = path.rstrip(".")
        if not path or "<role>" in path or "|" in path or "*" in path or path.startswith("mqtt/"):
            continue
        assert path in ETC_FILES, f"{page.name}: the installer never creates /etc/gatewarden/{path}"


def command_lines(page: Path):
    blocks, spans = code_of(page)
    lines = [line for _, body in blocks for line in body.replace("\\\n", " ").splitlines()] + spans
    for line in lines:
        line = re.sub(r"(^|\s)#.*", "", line)
        for match in re.finditer(r"(?:^|[\s/(])gatewarden((?:\s+[^\s|;&)]+)*)", line):
            yield match.group(1)


def check_command(words: list[str]) -> str | None:
    """None when ``gatewarden WORDS`` names real sub-commands and options; else what is wrong."""
    parser: argparse.ArgumentParser = build_parser()
    for word in words:
        if word.startswith("-"):
            option = word.split("=", 1)[0]
            if option not in parser._option_string_actions:
                return f"no option {option} in `{parser.prog}`"
            continue
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if subs and word in subs[0].choices:
            parser = subs[0].choices[word]
        elif subs and not any(isinstance(a, argparse.Action) and not a.option_strings and a.dest != subs[0].dest
                              for a in parser._actions):
            if re.fullmatch(r"[a-z]+", word) and parser.prog == "gatewarden":
                return f"no command `gatewarden {word}`"
    return None


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_named_commands_exist(page):
    problems = []
    for rest in command_lines(page):
        try:
            words = shlex.split(rest)
        except ValueError:
            words = rest.split()
        if not words or not re.fullmatch(r"[a-z]+", words[0]):
            continue
        error = check_command(words)
        if error:
            problems.append(f"gatewarden{rest}: {error}")
    assert problems == [], f"{page.name}: " + "; ".join(problems)


def toml_keys(body: str):
    section = ""
    for line in body.splitlines():
        line = line.split("#", 1)[0].strip()
        if m := re.fullmatch(r"\[\[?([\w.]+)\]\]?", line):
            section = m.group(1)
        elif (m := re.match(r"([A-Za-z_]\w*)\s*=", line)) and section:
            yield section, m.group(1)


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_toml_blocks_use_real_keys(page):
    full = docgen.config_keys(HubConfig) | docgen.config_keys(EdgeConfig)
    keys = {k.rsplit(".", n)[0] for k in full for n in range(k.count(".") + 1)}  # a.b.c → a.b.c, a.b, a
    sections = {k.rpartition(".")[0] for k in full}
    blocks, _ = code_of(page)
    for lang, body in blocks:
        if lang != "toml":
            continue
        for section, key in toml_keys(body):
            if section not in sections:
                continue  # an example of another program's file, or a list section docgen names differently
            assert f"{section}.{key}" in keys, f"{page.name}: [{section}] has no key {key}"


def test_the_checker_catches_what_does_not_exist():
    assert check_command(["frobnicate"]) == "no command `gatewarden frobnicate`"
    assert check_command(["edge", "--nonsense"]) is not None
    assert check_command(["deploy", "wheelhouse", "--role", "hub", "/tmp/x"]) is None
