"""What an import would change in the registry (导入预览): vehicles added, removed and changed, and
tags moved from one vehicle to another — shown before anything changes, by ``registry import
--check`` and the web view's import page; an import that removes vehicles needs a confirmation.

A decision module: it compares the registry as it is (:func:`hub.registry.store.export_rows`) with
the rows of a file, and words the result; no I/O.  Mobile numbers are shown masked (``138****8000``),
as everywhere outside the registry's own page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from gwcommon import catalogue
from hub.core.tagtext import short_tag

from .csvfile import VehicleRow

FIELDS = ("household", "owner", "mobile", "note", "tags")
LABELS = {"household": ("房号", "household"), "owner": ("车主", "owner"), "mobile": ("手机", "mobile"),
          "note": ("备注", "note"), "tags": ("标签", "tags")}
# The import preview's part of the one catalogue (gwcommon.catalogue, keys regdiff.*).
WORDS: dict[str, tuple[str, str]] = {
    "none": ("（无）", "(none)"),
    "summary": ("新增 {a} 辆，删除 {r} 辆，修改 {c} 辆，不变 {u} 辆；{moved} 个标签换车",
                "{a} to add, {r} to remove, {c} to change, {u} unchanged; {moved} tag(s) move"),
    "added": ("标签：{tags}", "tags: {tags}"),
    "removed": ("（删除后道闸不再放行）", "(removed: the gates will refuse it)"),
    "change": ("{field} {old} → {new}", "{field} {old} → {new}"),
    "sep": ("；", "; "),
    **{f"field.{name}": words for name, words in LABELS.items()},
}
catalogue.contribute("registry diff", WORDS, prefix="regdiff.")


def _t(key: str, lang: str, **values: Any) -> str:
    return catalogue.t("regdiff." + key, lang, **values)


@dataclass(frozen=True)
class Changed:
    """A vehicle in both: each field that differs, as (before, after)."""

    plate: str
    fields: dict[str, tuple[Any, Any]]


@dataclass(frozen=True)
class RegistryDiff:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    moved_tags: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, from plate, to plate)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    @property
    def needs_confirmation(self) -> bool:
        """Removing any vehicle takes it off every gate's allowlist: a person must say yes."""
        return bool(self.removed)


def as_record(row: VehicleRow) -> dict[str, Any]:
    return {"plate": row.plate, "household": row.household, "owner": row.owner, "mobile": row.mobile,
            "note": row.note, "tags": list(row.tags)}


def compare(current: Iterable[dict[str, Any]], rows: Iterable[VehicleRow]) -> RegistryDiff:
    """The difference between the registry ``current`` (export rows) and a file's ``rows``."""
    before = {v["plate"]: {**v, "tags": list(v.get("tags", ()))} for v in current}
    after = {r.plate: as_record(r) for r in rows}
    added = [after[p] for p in after if p not in before]
    removed = [before[p] for p in before if p not in after]
    changed, unchanged = [], 0
    for plate in after.keys() & before.keys():
        fields = {f: (before[plate].get(f, ""), after[plate].get(f, "")) for f in FIELDS
                  if _norm(f, before[plate].get(f, "")) != _norm(f, after[plate].get(f, ""))}
        if fields:
            changed.append(Changed(plate, fields))
        else:
            unchanged += 1
    owner_before = {t: v["plate"] for v in before.values() for t in v["tags"]}
    moved = sorted((t, owner_before[t], v["plate"]) for v in after.values() for t in v["tags"]
                   if t in owner_before and owner_before[t] != v["plate"])
    return RegistryDiff(sorted(added, key=_key), sorted(removed, key=_key),
                        sorted(changed, key=lambda c: c.plate), moved, unchanged)


def _norm(name: str, value: Any) -> Any:
    return sorted(value) if name == "tags" else (value or "")


def _key(vehicle: dict[str, Any]) -> tuple[str, str]:
    return vehicle.get("household", ""), vehicle["plate"]


def mask_phone(text: str) -> str:
    """``13800138000`` → ``138****8000``; each of several numbers; a short one → ``****``."""
    return ";".join(n[:3] + "****" + n[-4:] if len(n) >= 11 else "****" for n in text.split(";") if n)


def _shown(name: str, value: Any, lang: str, short: bool = False) -> str:
    if name == "tags":
        return ", ".join(short_tag(t, lang=lang, mask=False) if short else t for t in value) or _t("none", lang)
    if name == "mobile":
        return mask_phone(value) or _t("none", lang)
    return str(value) or _t("none", lang)


def summary(diff: RegistryDiff, lang: str = "zh") -> str:
    """One line: how many vehicles are added, removed, changed and kept."""
    return _t("summary", lang, a=len(diff.added), r=len(diff.removed), c=len(diff.changed), u=diff.unchanged,
              moved=len(diff.moved_tags))


def lines(diff: RegistryDiff, lang: str = "zh", *, short: bool = False) -> list[str]:
    """Every change, one line each: ``+`` added, ``-`` removed, ``~`` changed, ``>`` a tag moved.
    ``short``: tags as people read them (``蓝牙标签 …1:101``, the web view), full ids where the
    short forms of a change's two sides would look alike."""
    out = []
    for v in diff.added:
        out.append(f"+ {v['plate']}  {v['household']}  " + _t("added", lang, tags=_shown("tags", v["tags"], lang, short)))
    for v in diff.removed:
        out.append(f"- {v['plate']}  {v['household']}  " + _t("removed", lang))
    for c in diff.changed:
        parts = []
        for f, (old, new) in c.fields.items():
            brief = short and _shown(f, old, lang, True) != _shown(f, new, lang, True)
            parts.append(_t("change", lang, field=_t(f"field.{f}", lang), old=_shown(f, old, lang, brief),
                            new=_shown(f, new, lang, brief)))
        out.append(f"~ {c.plate}  " + _t("sep", lang).join(parts))
    for tag, old, new in diff.moved_tags:
        out.append(f"> {short_tag(tag, lang=lang, mask=False) if short else tag}: {old} → {new}")
    return out
