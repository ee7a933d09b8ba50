"""The hub's house (docs/hub.md), checked on its imports: a small core that knows no feature, a web
kit that knows no feature, feature folders that meet only through each other's public
``__init__``, a composition root above them, the command line on top — and no circle anywhere.

Computed from the source (every ``import`` and ``from … import``, also inside functions and
``TYPE_CHECKING`` blocks), so it fails as soon as someone adds an arrow that points back up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HUB = ROOT / "hub"
FEATURES = ("overnight", "passages", "charging", "alerts", "registry", "retention", "integrations")
COMPOSITION_ROOT = {"hub.app", "hub.areas", "hub.config", "hub.schema"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(HUB.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The hub modules ``name`` imports (a ``from package import submodule`` counts as the
    submodule; ``from package import name`` as the package, i.e. its public ``__init__``)."""
    path = MODULES[name]
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "hub")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "hub":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def unit_of(name: str) -> str:
    """core, web, cli, root, a feature's name, or hub (the empty top package)."""
    if name in COMPOSITION_ROOT:
        return "root"
    parts = name.split(".")
    if len(parts) == 1:
        return "hub"
    if parts[1] in ("core", "web", "cli") or parts[1] in FEATURES:
        return parts[1]
    return "stray"


def test_every_hub_module_lives_in_a_known_place():
    stray = sorted(n for n in MODULES if unit_of(n) == "stray")
    assert stray == [], f"hub modules outside core/, web/, cli/, the feature folders and the composition root: {stray}"


def test_every_imported_hub_module_exists():
    missing = {n: sorted(t for t in targets if t not in MODULES) for n, targets in GRAPH.items()}
    assert {n: m for n, m in missing.items() if m} == {}


def allowed(source: str, target: str) -> bool:
    src, dst = unit_of(source), unit_of(target)
    if dst in ("hub", src):
        return True
    if src == "core":
        return False  # the core knows no feature, no web kit, no root
    if src == "web":
        return dst == "core"
    if src in FEATURES:
        # core, the web kit, and another feature only through its public __init__
        return dst in ("core", "web") or (dst in FEATURES and target == f"hub.{dst}")
    if src == "root":
        return dst != "cli"
    return src == "cli"


def test_imports_point_down_only():
    wrong = sorted(f"{n} -> {t}" for n, targets in GRAPH.items() for t in targets if not allowed(n, t))
    assert wrong == [], "imports that break the hub's layering (docs/hub.md):\n" + "\n".join(wrong)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in graph:
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_in_the_hub():
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("graph,expected", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
])
def test_the_cycle_finder_finds_cycles(graph, expected):
    assert find_cycle(graph) == expected


def test_the_layering_rules_refuse_what_they_should():
    assert not allowed("hub.core.db", "hub.overnight.diary")
    assert not allowed("hub.web.context", "hub.alerts")
    assert not allowed("hub.charging.area", "hub.overnight.diary")
    assert allowed("hub.charging.area", "hub.overnight")
    assert not allowed("hub.overnight.area", "hub.app")
    assert allowed("hub.app", "hub.overnight.area")
    assert not allowed("hub.app", "hub.cli.run")
