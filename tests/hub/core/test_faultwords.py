"""Every fault code the edge and the hub emit has a name and a what-to-do sentence in both
languages (hub/core/faultwords.py).  The codes are found by reading the sources, so a new code
without words fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from hub.core import faultwords

ROOT = Path(__file__).resolve().parents[3]
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _modules() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text(encoding="utf-8"))
            for d in ("edge", "hub", "gwcommon") for p in sorted((ROOT / d).rglob("*.py"))}


def _constants(tree: ast.Module) -> dict[str, object]:
    """Module-level ``NAME = "text"`` and ``NAME = (A, B)`` (names kept for later resolution)."""
    found: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found[node.targets[0].id] = value.value
            elif isinstance(value, ast.Tuple):
                found[node.targets[0].id] = value.elts
    return found


def _imported_from(tree: ast.Module, path: Path, name: str) -> list[Path]:
    """The files a module-level ``from X import name`` (or ``import X as name``) may point to."""
    out = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == name for a in node.names):
            base = path.parent if node.level else ROOT
            for _ in range(max(node.level - 1, 0)):
                base = base.parent
            out.append(base.joinpath(*(node.module or "").split(".")).with_suffix(".py"))
    return out


def fault_codes() -> dict[str, set[str]]:
    """code → the files that emit it."""
    modules = _modules()
    consts = {p: _constants(t) for p, t in modules.items()}

    def resolve(node: ast.AST, path: Path) -> set[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.attr.isupper():
            # module.CONSTANT: the module imported under that name
            for tree_path in _imported_from(modules[path], path, node.value.id) + [
                    p for p in modules if p.stem == node.value.id]:
                if node.attr in consts.get(tree_path.with_suffix(".py"), {}):
                    return resolve_value(consts[tree_path][node.attr], tree_path)
            return set()
        if isinstance(node, ast.Name) and node.id.isupper():
            if node.id in consts[path]:
                return resolve_value(consts[path][node.id], path)
            for source in _imported_from(modules[path], path, node.id):
                if source in consts and node.id in consts[source]:
                    return resolve_value(consts[source][node.id], source)
        return set()

    def resolve_value(value: object, path: Path) -> set[str]:
        if isinstance(value, str):
            return {value}
        return set().union(*(resolve(v, path) for v in value)) if isinstance(value, list) else set()

    found: dict[str, set[str]] = {}
    for path, tree in modules.items():
        for node in ast.walk(tree):
            candidates: list[ast.AST] = []
            if isinstance(node, ast.Call):
                fn = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                kind = next((k.value for k in node.keywords if k.arg == "kind"), None)
                emits = (("fault" in fn.lower() and fn != "setdefault") or fn in ("_attended", "_upsert"))
                if emits and (kind is None or (isinstance(kind, ast.Constant) and kind.value == "fault")):
                    candidates = list(node.args) + [k.value for k in node.keywords if k.arg == "code"]
            elif isinstance(node, ast.Dict):  # an event body: {"code": ..., "detail": ...}
                keys = [k.value if isinstance(k, ast.Constant) else None for k in node.keys]
                if "code" in keys and "detail" in keys:
                    candidates = [node.values[keys.index("code")]]
            elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id.endswith("FAULT_CODES")
                                                      for t in node.targets):
                candidates = [node.value]
            for candidate in candidates:
                values = resolve_value(candidate.elts, path) if isinstance(candidate, ast.Tuple) else resolve(candidate, path)
                for code in values:
                    if SNAKE.match(code):
                        found.setdefault(code, set()).add(str(path.relative_to(ROOT)))
    return found


def test_the_scan_finds_the_codes_it_must():
    # the scan itself can fail: these are emitted in five different ways
    found = fault_codes()
    for code in ("relay_fault", "safety_input_stuck", "clock_unsynced", "plate_camera_unavailable",
                 "ble_possible_clone", "ble_no_advertisements", "power_cut", "ack_ahead", "clock_ahead",
                 "seq_conflict", "sensor_unreadable"):
        assert code in found, code


def test_every_fault_code_in_the_code_has_words_in_both_languages():
    missing = {code: sorted(where) for code, where in fault_codes().items() if code not in faultwords.FAULTS}
    assert not missing, f"fault codes without words in hub/core/faultwords.py: {missing}"


def test_the_words_say_what_to_do_in_each_language():
    for code, (zh_name, en_name, zh, en) in faultwords.FAULTS.items():
        assert CJK.search(zh_name) and CJK.search(zh) and zh.endswith("。"), code
        assert not CJK.search(en_name + en) and en.endswith("."), code
        assert code not in zh and code not in en, code


def test_an_unknown_code_is_still_a_sentence():
    assert faultwords.name("new_thing") == "new_thing"
    assert "new_thing" in faultwords.advice("new_thing") and "日志" in faultwords.advice("new_thing")
    assert faultwords.name("relay_fault", "en") == "relay fault"


def test_a_code_that_means_something_else_on_another_device_says_so():
    assert "岗亭按钮" in faultwords.advice("relay_fault", "zh", "gate")
    assert "充电棚" in faultwords.advice("relay_fault", "zh", "charging") and "岗亭" not in faultwords.advice("relay_fault", "zh", "charging")
    for zh, en in faultwords.BY_KIND.values():
        assert CJK.search(zh) and zh.endswith("。") and not CJK.search(en) and en.endswith(".")
