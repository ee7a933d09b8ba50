"""The docs stay true: generated references are current, every key and command is described."""

import os
import re
from pathlib import Path

import pytest

from edge.config import EdgeConfig
from gatewarden import docgen
from hub.config import HubConfig

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")


@pytest.mark.parametrize("model", [HubConfig, EdgeConfig])
def test_every_config_field_has_a_description(model):
    missing = []
    for path, _, section in docgen.config_sections(model):
        for name, field in section.model_fields.items():
            if not (field.description or "").strip():
                missing.append(f"{path}.{name}")
    assert missing == [], f"config fields without a description: {missing}"


def test_configuration_reference_is_current():
    assert (ROOT / "docs/configuration.md").read_text(encoding="utf-8") == docgen.render_config(), (
        "docs/configuration.md is out of date: run `.venv/bin/python -m gatewarden.docgen`")


def test_cli_reference_is_current():
    assert (ROOT / "docs/cli.md").read_text(encoding="utf-8") == docgen.render_cli(), (
        "docs/cli.md is out of date: run `.venv/bin/python -m gatewarden.docgen`")


@pytest.mark.parametrize("model", [HubConfig, EdgeConfig])
def test_every_config_key_is_in_the_reference(model):
    text = (ROOT / "docs/configuration.md").read_text(encoding="utf-8")
    for key in docgen.config_keys(model):
        section, _, name = key.rpartition(".")
        assert re.search(rf"\[{re.escape(section)}\]", text), f"section [{section}] undocumented"
        assert f"| `{name}` |" in text, f"config key {key} undocumented"


def test_every_command_is_documented():
    text = (ROOT / "docs/cli.md").read_text(encoding="utf-8")
    for command in docgen.cli_commands():
        assert f"## `{command}`" in text, f"{command} is not in docs/cli.md"


def test_readme_names_the_contract_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in ("gatewarden hub --config", "gatewarden edge --config", "gatewarden demo",
                    "./dev test", "./dev demo"):
        assert command in readme, f"README.md does not mention {command}"


def test_readme_quick_start_is_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start.*?```(?:sh|bash)?\n(.*?)```", readme, re.S)
    assert block, "README.md has no Quick start code block"
    commands = [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    assert commands == ["./dev demo", "./dev test"]


def test_ci_runs_the_readme_test_command():
    assert "./dev test" in (ROOT / ".ci/run").read_text()
    assert os.access(ROOT / ".ci/run", os.X_OK) and os.access(ROOT / "dev", os.X_OK)


CHINESE_PAGES = ["README.zh-CN.md", "docs/zh/安装指南.md", "docs/zh/值班员手册.md", "docs/zh/业委会手册.md",
                 "docs/zh/术语表.md"]


@pytest.mark.parametrize("page", ["README.md", "docs/README.md", *CHINESE_PAGES])
def test_links_between_docs_resolve(page):
    path = ROOT / page
    for target in re.findall(r"\]\(([^)#:]+\.md)\)", path.read_text(encoding="utf-8")):
        assert (path.parent / target).exists(), f"{page} links to missing {target}"


def test_chinese_docs_are_linked_both_ways():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    chinese = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    index = (ROOT / "docs/README.md").read_text(encoding="utf-8")
    assert "](README.zh-CN.md)" in readme and "](README.md)" in chinese
    for page in CHINESE_PAGES[1:]:
        name = page.removeprefix("docs/")
        assert f"]({name})" in index, f"docs/README.md does not list {page}"
        assert f"]({page})" in chinese, f"README.zh-CN.md does not link {page}"
