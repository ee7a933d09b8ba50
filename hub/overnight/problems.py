"""The words for a warden's action that cannot be carried out (值班操作的问题): Chinese by default,
English selectable.

A decision module: the warden's table of the one catalogue (:mod:`gwcommon.catalogue`, keys
``warden.*``) and lookups, no I/O.  :class:`hub.overnight.warden_actions.WardenActionError` carries
a code of :data:`MESSAGES` and its parameters; the web view words it in the page's language, as
:mod:`hub.core.words` does for the registry (whose plate codes it reuses: a warden types
plates too).  Every code has both languages (a test checks it).
"""

from __future__ import annotations

from gwcommon import catalogue
from hub.core import glossary

from typing import Any, Mapping

from hub.core import words as registry_words

STATES_ZH = {k: zh for k, (zh, _) in glossary.STATES.items()}

MESSAGES: dict[str, tuple[str, str]] = {
    "car_unnamed": ("请写车牌，或者写区域和车位号", "name the car by its plate, or by its zone and spot (slot)"),
    "zone_unknown": ("区域“{zone}”不是配置的区域（已配置：{known}）", "unknown zone {zone!r} (configured: {known})"),
    "zone_unknown_none": ("区域“{zone}”不是配置的区域（还没有配置任何区域）", "unknown zone {zone!r} (configured: none)"),
    "reason_missing": ("请填写原因（会写入巡查日记）", "give a reason (it goes into the patrol diary)"),
    "violation_unknown": ("没有编号为 {id} 的违规记录", "no violation {id}"),
    "violation_not_open": ("违规记录 {id} 是“{state_zh}”，不是未处理", "violation {id} is {state}, not open"),
    "note_empty": ("记录是空的", "the note is empty"),
    "note_too_long": ("记录超过 {limit} 个字", "the note is longer than {limit} characters"),
    "count_range": ("车辆数应是 0 到 {limit} 的整数（收到 {given}）",
                    "the count must be a whole number from 0 to {limit}, got {given}"),
}
CATALOGUE: dict[str, tuple[str, str]] = {**registry_words.MESSAGES, **MESSAGES}
catalogue.contribute("warden", MESSAGES, prefix="warden.")


def text(lang: str, code: str, params: Mapping[str, Any] | None = None) -> str:
    """The words for ``code`` in ``lang`` (Chinese unless ``"en"``), with its parameters filled in."""
    values = dict(params or {})
    if "state" in values:
        values.setdefault("state_zh", STATES_ZH.get(str(values["state"]), str(values["state"])))
    return registry_words.words(CATALOGUE, lang, code, values)
