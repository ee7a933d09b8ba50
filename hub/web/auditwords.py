"""An audit line's detail in words (审计详情): ``车牌：浙A12345；原因：送急诊`` instead of raw JSON.

The audit log keeps each action's detail as JSON (:mod:`hub.web.audit`); the committee reads it
as ``key：value`` pairs in its language, the keys named from this table of the one catalogue
(:mod:`gwcommon.catalogue`, keys ``auditkey.*``), roles by the glossary, yes/no in words.  A key
not in the table stays as JSON (what the record says, never dropped).  A decision module.
"""

from __future__ import annotations

import json
from typing import Any

from gwcommon import catalogue
from hub.core import glossary

KEYS: dict[str, tuple[str, str]] = {
    "plate": ("车牌", "plate"), "reason": ("原因", "reason"), "note": ("备注", "note"), "tag": ("标签", "tag"),
    "tags": ("标签数", "tags"), "lane": ("车道", "lane"), "zone": ("区域", "zone"), "slot": ("车位", "space"),
    "household": ("房号", "household"), "owner": ("车主", "owner"), "role": ("角色", "role"),
    "name": ("名称", "name"), "command": ("指令编号", "command"), "cut": ("断电原因", "cut because"),
    "kind": ("类别", "kind"), "replace": ("替换已有账号", "replace the account"), "from": ("原车牌", "former plate"),
    "vehicles": ("车辆数", "vehicles"), "households": ("户数", "households"), "version": ("版本", "version"),
    "added": ("新增", "added"), "removed": ("删除", "removed"), "changed": ("修改", "changed"),
    "before": ("修改前", "before"), "after": ("修改后", "after"), "day": ("日期", "day"),
    "start": ("开始", "start"), "end": ("结束", "end"), "order": ("顺序", "order"), "key": ("车辆", "vehicle"),
    "mark": ("序号", "number"), "year": ("年份", "year"), "revoked": ("作废", "revoked"),
    "first": ("第一班", "first shift"), "second": ("第二班", "second shift"), "rows": ("行数", "rows"),
    "expires": ("到期", "expires"), "by": ("操作人", "by"),
    "yes": ("是", "yes"), "no": ("否", "no"), "pair": ("{label}：{value}", "{label}: {value}"),
    **{f"day.{d}": (f"周{c}", d.capitalize()) for d, c in zip(("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
                                                             "一二三四五六日")},
    "sep": ("；", "; "), "list_sep": ("、", ", "), "nested": ("（{inner}）", " ({inner})"),
}
catalogue.contribute("audit details", KEYS, prefix="auditkey.")


def _t(name: str, lang: str, **values: Any) -> str:
    return catalogue.t("auditkey." + name, lang, **values)


def _value(key: str, value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return _t("yes" if value else "no", lang)
    if key == "day" and catalogue.has(f"auditkey.day.{value}"):
        return _t(f"day.{value}", lang)
    if key == "role" and value in glossary.ROLES:
        return glossary.role(value, lang)
    if isinstance(value, dict):
        return _t("nested", lang, inner=_pairs(value, lang)).strip()
    if isinstance(value, list):
        return _t("list_sep", lang).join(_value("", v, lang) for v in value)
    return "" if value is None else str(value)


def _pairs(detail: dict[str, Any], lang: str) -> str:
    known = [_t("pair", lang, label=_t(k, lang), value=_value(k, v, lang))
             for k, v in detail.items() if k in KEYS and v not in (None, "")]
    rest = {k: v for k, v in detail.items() if k not in KEYS}
    if rest:
        known.append(json.dumps(rest, ensure_ascii=False, sort_keys=True))
    return _t("sep", lang).join(known)


def words(detail: str, lang: str) -> str:
    """The stored detail (JSON text, or a plain sentence) as the committee reads it in ``lang``."""
    try:
        data = json.loads(detail) if detail else ""
    except ValueError:
        return detail
    return _pairs(data, lang) if isinstance(data, dict) else detail
