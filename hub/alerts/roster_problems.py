"""The words for what is wrong with a duty roster file (值班表问题): Chinese by default, English
selectable.

A decision module: the roster's table of the one catalogue (:mod:`gwcommon.catalogue`, keys
``roster.*``) and lookups, no I/O.  :mod:`hub.alerts.roster` reports each bad line
as a code and its parameters (:class:`hub.alerts.roster.Problem`); the web view's Roster page words
them in the page's language, ``gatewarden roster import`` in the language
:func:`gwcommon.lang.choose` picks from the environment — the same pattern as the
registry file (:mod:`hub.core.words`).  Every code has both languages (a test checks it).
"""

from __future__ import annotations

from typing import Any, Mapping

from gwcommon import catalogue
from hub.core import words as registry_words

MESSAGES: dict[str, tuple[str, str]] = {
    # the file as a whole
    "bad_encoding": ("文件既不是 UTF-8 也不是 GB18030/GBK 编码的文本；请在 Excel/WPS 中另存为 CSV",
                     "the file is neither UTF-8 nor GB18030 text"),
    "empty_file": ("文件是空的（第一行应是表头，例如 姓名,手机,角色,日期,开始,结束,顺序）",
                   "the file is empty (expected a header line such as 姓名,手机,角色,日期,开始,结束,顺序)"),
    # the header
    "unknown_column": ("不认识的列“{name}”（可用的列：{known}）", "unknown column {name!r} (known: {known})"),
    "name_column_missing": ("缺少“姓名”列", "no 姓名/name column"),
    # a row
    "name_missing": ("姓名没有填", "姓名/name is empty"),
    "role_unknown": ("角色“{role}”不对：应是 值班 或 委员", "角色/role {role!r} is not 值班/warden or 委员/committee"),
    "mobile_invalid": ("手机号 {start}… 不是 11 位的大陆手机号", "手机/mobile {start}… is not an 11-digit mainland mobile number"),
    "contact_missing": ("需要手机号（或飞书ID），群消息才能提醒到这个人",
                        "needs a 手机/mobile (or a 飞书ID) to be mentioned"),
    "day_invalid": ("日期“{day}”不对：应是日期（2026-11-23）、星期（周一）或不填（每天）",
                    "日期/day {day!r} is not a date (2026-11-23), a weekday (周一, mon) or empty"),
    "time_invalid": ("{label}时间“{given}”不对：应是 08:00 这样的时间", "{column} {given!r} is not a time like 08:00"),
    # editing one shift or swapping two on the web view
    "shift_gone": ("这一班（编号 {id}）已经不在值班表里了，可能刚被别人改过；请刷新页面",
                   "shift {id} is no longer in the roster (someone may just have changed it); reload the page"),
    "swap_same": ("请选两个不同的班次来换", "choose two different shifts to swap"),
    "swap_not_shift": ("只能换值班的班次，委员那一行不能换", "only warden shifts can be swapped, not a committee row"),
    "swap_same_person": ("这两班都是 {name} 的，换了也不变", "both shifts are {name}'s; swapping changes nothing"),
    "swap_not_yours": ("值班员只能拿自己的班去换；要换两个别人的班，请找业委会",
                       "a warden can only swap one of their own shifts; ask the committee to swap two others'"),
    "order_invalid": ("顺序“{given}”不对：应是 1 到 99 的数字", "顺序/order {given!r} is not a number from 1 to 99"),
}


catalogue.contribute("roster", MESSAGES, prefix="roster.")


def text(lang: str, code: str, params: Mapping[str, Any] | None = None) -> str:
    """The words for ``code`` in ``lang`` (Chinese unless ``"en"``), with its parameters filled in."""
    return registry_words.words(MESSAGES, lang, code, params)
