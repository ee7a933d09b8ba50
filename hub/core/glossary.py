"""One word for one thing (术语表): the names of the violation states, the rules, the roles and
the device kinds and the charging rules, the same on the web view, in the patrol diary, in chat messages and in CSV headings.

Every place that names one of these takes it from here (the web view's catalogue
:mod:`hub.web.i18n`, the diary lines of :mod:`hub.overnight.violations`, the refusals of
:mod:`hub.overnight.problems`); ``tests/hub/core/test_glossary.py`` fails when a second word for
the same thing appears anywhere in hub/.  docs/zh/术语表.md is the glossary for people.
The tables are contributed to the one catalogue (:mod:`gwcommon.catalogue`) as ``state.*``,
``rule.*``, ``role.*``, ``kind.*`` and ``chg.rule.*``.  A decision module: plain data.
"""

from __future__ import annotations

from gwcommon import catalogue

# (Chinese, English)
STATES: dict[str, tuple[str, str]] = {
    "open": ("未处理", "open"),              # decided at the deadline, nobody has acted on it yet
    "resolved": ("已处理", "resolved"),      # a warden wrote what was done; it still counts
    "retracted": ("已撤回", "retracted"),    # late data showed the car left in time; it never counted
    "excused": ("已豁免", "excused"),        # the committee accepted a reason; it does not count
}
RULES: dict[str, tuple[str, str]] = {
    "overnight": ("夜间临停超时", "overnight parking"),  # parked off-space at night, still there at the deadline
    "fire_lane": ("占用消防通道", "fire lane blocked"),
}
ROLES: dict[str, tuple[str, str]] = {
    "viewer": ("查看", "viewer"),
    "warden": ("值班人员", "warden"),
    "committee": ("业委会", "committee"),
    "admin": ("管理员", "admin"),
}
KINDS: dict[str, tuple[str, str]] = {
    "hub": ("中心机", "hub"),
    "gate": ("道闸", "gate"),
    "lane": ("车道监测", "lane scanner"),
    "charging": ("充电棚", "charging shed"),
}
CHARGING_RULES: dict[str, tuple[str, str]] = {  # what the charging shed's rules watch for
    "overload": ("充电过载", "Charging overload"),
    "long_charge": ("充电时间过长", "Charging too long"),
    "port_overpower": ("单口功率过大", "One socket drawing too much"),
    "full_plugged": ("充满未拔", "Full battery still plugged in"),
    "outside_hours": ("非允许时段充电", "Charging outside the allowed hours"),
    "flying_wire": ("疑似飞线充电", "Suspected flying-wire charging"),
    "meter_silent": ("电表无数据", "Meter silent"),
    "meter_unreadable": ("电表无法读取", "Meter unreadable"),
}
# Words that must not come back: each names a thing above by another word.
RETIRED: dict[str, str] = {
    "已免责": "已豁免", "已撤销": "已撤回", "夜间临时停放超时": "夜间临停超时", "过夜占道": "夜间临停超时",
    "自管小组": "业委会", "汇聚主机": "中心机", "车道扫描": "车道监测", "巡查蓝牙设备": "车道监测设备",
    "消防通道占用": "占用消防通道", "晨检汇总": "违停晨报", "负载过高": "充电过载", "超负荷": "充电过载", "电表读数异常": "电表无法读取",
    "非开放时段充电": "非允许时段充电", "单个插座功率过大": "单口功率过大",
}
for _prefix, _table in (("state.", STATES), ("rule.", RULES), ("role.", ROLES), ("kind.", KINDS),
                        ("chg.rule.", CHARGING_RULES)):
    catalogue.contribute("glossary." + _prefix.rstrip("."), _table, prefix=_prefix)


def state(key: str, lang: str = "zh") -> str:
    return _word(STATES, key, lang)


def rule(key: str, lang: str = "zh") -> str:
    return _word(RULES, key, lang)


def role(key: str, lang: str = "zh") -> str:
    return _word(ROLES, key, lang)


def kind(key: str, lang: str = "zh") -> str:
    return _word(KINDS, key, lang)


def _word(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    pair = table.get(key)
    return (pair[1] if lang == "en" else pair[0]) if pair else key
