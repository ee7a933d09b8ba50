"""The doctor's results and how they are shown: one :class:`Check` per thing looked at.

A decision module: pure data and formatting, no I/O.  Each check is ``ok`` (works), ``warn``
(works, but look at it) or ``fail`` (will not work as it is); its message is a key in
:mod:`gatewarden.doctor.texts` with parameters, rendered in Chinese or English, always a sentence
saying what was found and what to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from .texts import render, resolve, title

Status = Literal["ok", "warn", "fail"]
MARKS = {"zh": {"ok": "[正常]", "warn": "[注意]", "fail": "[故障]"},
         "en": {"ok": "[ OK ]", "warn": "[WARN]", "fail": "[FAIL]"}}


@dataclass(frozen=True)
class Check:
    """One finding: ``id`` names what was checked (``broker``, ``pins.north-in``…)."""

    id: str
    status: Status
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, lang: str) -> str:
        return render(self.key, lang, self.params)

    def title(self, lang: str) -> str:
        return title(self.id, lang)


def ok(id: str, key: str, **params: Any) -> Check:
    return Check(id, "ok", key, params)


def warn(id: str, key: str, **params: Any) -> Check:
    return Check(id, "warn", key, params)


def fail(id: str, key: str, **params: Any) -> Check:
    return Check(id, "fail", key, params)


def exit_code(checks: list[Check]) -> int:
    """1 when any check failed, else 0 (warnings do not fail a script)."""
    return 1 if any(c.status == "fail" for c in checks) else 0


def summary(checks: list[Check]) -> dict[str, int]:
    return {s: sum(1 for c in checks if c.status == s) for s in ("ok", "warn", "fail")}


def as_json(checks: list[Check], *, config: str, lang: str) -> str:
    """The report for scripts: ``{"ok", "config", "summary", "checks": [{id, status, title, message, params}]}``."""
    data = {
        "ok": exit_code(checks) == 0, "config": config, "summary": summary(checks),
        "checks": [{"id": c.id, "status": c.status, "title": c.title(lang), "message": c.message(lang),
                    "params": {k: _plain(resolve(v, lang)) for k, v in c.params.items()}} for c in checks],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def as_text(checks: list[Check], *, config: str, lang: str) -> str:
    """The report for people: one line per check, then the totals."""
    lines = [render("report.head", lang, {"config": config}), ""]
    for c in checks:
        lines.append(f"{MARKS[lang][c.status]} {c.title(lang)}: {c.message(lang)}")
    counts = summary(checks)
    lines += ["", render("report.bad" if counts["fail"] else "report.good", lang, counts)]
    return "\n".join(lines)


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool, type(None), list, dict)) else str(value)
