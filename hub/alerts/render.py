"""What the chat is told: message texts in Chinese (default) or English, masked and size-limited.

Pure functions only (a decision module: no I/O imports).  ``render(kind, payload, ...)`` turns an
alert's stored payload into a :class:`Message` (title, body lines, link); ``format_text`` lays a
message out for one chat service within its byte limit (limits are in UTF-8 *bytes*, not
characters: 2048 for a WeCom text).

Privacy (docs/contract.md §6): plates are masked (浙A·1**45) unless a target turns masking off; no
owner name ever reaches a payload; any mobile-looking number left in a text is masked as a last
line of defence — mentions travel in the service's mention field, never in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from gwcommon.redact import mask_mobile as mask_mobiles
from gwcommon.timefmt import parse_ts
from hub.core import plates

from .devicetext import clean

SEVERITIES = ("info", "warning", "safety")


@dataclass(frozen=True)
class Message:
    """One alert as people read it; targets lay it out (text, markdown) within their limits."""

    title: str
    lines: tuple[str, ...] = ()
    link: str | None = None
    severity: str = "info"
    footer: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --- masking and sizes -------------------------------------------------------------------------

def mask_plate(plate: str | None, *, mask: bool = True) -> str:
    """A plate in a chat message: :func:`hub.core.plates.mask_plate`, ``?`` for none."""
    return plates.mask_plate(plate, mask=mask, missing="?")


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def truncate_utf8(text: str, limit: int, marker: str = "…") -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes, never inside a character, marking the cut."""
    if utf8_len(text) <= limit:
        return text
    room = max(0, limit - utf8_len(marker))
    return text.encode("utf-8")[:room].decode("utf-8", "ignore") + marker


# --- phrases -----------------------------------------------------------------------------------

_PHRASES: dict[str, dict[str, str]] = {
    "zh": {
        "resent": "[重发] ", "more": "……另有 {n} 条，详见网页", "link": "详情：{link}",
        "ack": "确认收到：{link}", "since": "自 {t} 起", "provisional": "（部分设备离线，结果待核实）",
        "unreported": "以下设备离线或未上报到截止时间：{devices}；名单待核实，车辆若已按时离开会撤回。",
        "info": "【通知】", "warning": "【提醒】", "safety": "【安全】", "untagged": "无标签车辆",
    },
    "en": {
        "resent": "[resent] ", "more": "… and {n} more, see the web view", "link": "Details: {link}",
        "ack": "Acknowledge: {link}", "since": "since {t}", "provisional": " (some devices offline; to be confirmed)",
        "unreported": "Not reported up to the deadline (offline): {devices}; the list is provisional, a vehicle that left in time will be retracted.",
        "info": "[info] ", "warning": "[warning] ", "safety": "[SAFETY] ", "untagged": "untagged vehicle",
    },
}

_FAULT_NAMES = {
    "zh": {"ble_adapter_down": "蓝牙读卡器故障", "camera_unavailable": "摄像头不可用",
           "safety_input_stuck": "安全输入（地感/光电）卡住", "relay_fault": "继电器故障",
           "sensor_unreadable": "传感器读不出", "clock_unsynced": "时钟未同步",
           "plate_camera_unavailable": "车牌识别相机无响应",
           "ingest_errors": "入库持续出错（事件未能保存，请检查存储卡空间和日志）",
           "seq_conflict": "两条不同的事件使用了同一序号（可能是伪造消息或两台设备用了同一编号；被拒的一条已保存在隔离区）",
           "snapshot_disk_low": "存储卡空间不足：事件照常保存，抓拍图片暂不保存，请清理空间",
           "storage_full": "存储卡已满：事件暂时留在各设备上、未能入库，空间恢复后自动补收；请清理存储卡",
           "clock_ahead": "时钟比中心机快（超出允许范围，暂不计入小区时钟）"},
    "en": {"ble_adapter_down": "Bluetooth reader down", "camera_unavailable": "camera unavailable",
           "safety_input_stuck": "safety input (loop/photo-eye) stuck", "relay_fault": "relay fault",
           "sensor_unreadable": "sensor unreadable", "clock_unsynced": "clock not synchronised",
           "plate_camera_unavailable": "plate camera silent",
           "ingest_errors": "storing events keeps failing (check the SD card's free space and the log)",
           "seq_conflict": "two different events claim one seq (forged messages, or two devices with one id; "
                           "the refused one is kept in the quarantine)",
           "snapshot_disk_low": "SD card nearly full: events are still stored, snapshot pictures are dropped "
                                "until space is freed",
           "storage_full": "SD card full: events wait on the edge devices, not stored, and are taken in by "
                           "themselves once space returns; free some space",
           "clock_ahead": "clock ahead of the hub's (beyond the tolerance; not holding the site clock)"},
}
_DEVICE_KINDS = {"zh": {"gate": "道闸", "lane": "车道扫描", "charging": "充电棚"},
                 "en": {"gate": "gate", "lane": "lane scanner", "charging": "charging shed"}}


def phrase(lang: str, key: str, **values: Any) -> str:
    return _PHRASES[lang if lang in _PHRASES else "zh"][key].format(**values)


def local_time(moment: datetime | str, tz: ZoneInfo, ref: datetime | None = None, lang: str = "zh") -> str:
    """``22:15`` when on the same local day as ``ref``, else ``11月22日 22:15`` / ``11-22 22:15``."""
    if isinstance(moment, str):
        moment = parse_ts(moment)
    here = moment.astimezone(tz)
    if ref is not None and ref.astimezone(tz).date() == here.date():
        return here.strftime("%H:%M")
    if lang == "en":
        return here.strftime("%m-%d %H:%M")
    return f"{here.month}月{here.day}日 {here.strftime('%H:%M')}"


# --- layout ------------------------------------------------------------------------------------

def format_text(message: Message, *, limit: int, lang: str = "zh", resent: bool = False,
                ack_link: str | None = None) -> str:
    """Lay a message out as plain text within ``limit`` UTF-8 bytes, dropping lines before cutting."""
    head = (phrase(lang, "resent") if resent else "") + phrase(lang, message.severity) + message.title
    tail = [message.footer] if message.footer else []
    if message.link:
        tail.append(phrase(lang, "link", link=message.link))
    if ack_link:
        tail.append(phrase(lang, "ack", link=ack_link))
    lines = list(message.lines)
    text = _join(head, lines, tail)
    dropped = 0
    while utf8_len(text) > limit and lines:
        lines.pop()
        dropped += 1
        text = _join(head, lines + [phrase(lang, "more", n=dropped)], tail)
    return truncate_utf8(mask_mobiles(text), limit)


def format_markdown(message: Message, *, limit: int, lang: str = "zh", resent: bool = False,
                    ack_link: str | None = None) -> str:
    """The same as :func:`format_text` with a bold title and links, for WeCom/DingTalk markdown."""
    plain = replace(message, title=f"**{message.title}**", link=None)
    text = format_text(plain, limit=limit - 200, lang=lang, resent=resent)
    links = []
    if message.link:
        links.append(f"[{phrase(lang, 'link', link='').rstrip('：: ')}]({message.link})")
    if ack_link:
        links.append(f"[{phrase(lang, 'ack', link='').rstrip('：: ')}]({ack_link})")
    return truncate_utf8("\n\n".join([text.replace("\n", "\n\n")] + links), limit)


def _join(head: str, lines: list[str], tail: list[str]) -> str:
    return "\n".join([head, *lines, *tail])


# --- the alerts --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Context:
    """What rendering needs besides the payload."""

    lang: str = "zh"
    tz: ZoneInfo = ZoneInfo("Asia/Shanghai")
    now: datetime = datetime(2026, 1, 1, tzinfo=timezone.utc)
    mask: bool = True
    base_url: str = ""

    def url(self, path: str) -> str | None:
        return self.base_url.rstrip("/") + path if self.base_url else None

    def t(self, moment: datetime | str) -> str:
        return local_time(moment, self.tz, self.now, self.lang)


def _vehicle(item: dict[str, Any], ctx: Context) -> str:
    plate = mask_plate(item.get("plate"), mask=ctx.mask) if item.get("plate") else phrase(ctx.lang, "untagged")
    household = item.get("household")
    return f"{plate}（{household}）" if household and ctx.lang == "zh" else (
        f"{plate} ({household})" if household else plate)


def _item_lines(items: list[dict[str, Any]], ctx: Context) -> tuple[str, ...]:
    lines = []
    for n, item in enumerate(items, 1):
        since = f"　{phrase(ctx.lang, 'since', t=ctx.t(item['since']))}" if item.get("since") else ""
        where = f"　{item['zone']}" if item.get("zone") else ""
        lines.append(f"{n}. {_vehicle(item, ctx)}{where}{since}")
    return tuple(lines)


def render_digest(payload: dict[str, Any], ctx: Context) -> Message:
    """The morning digest (违停晨报): one message listing every vehicle still there at the deadline."""
    items = payload.get("items", [])
    deadline = ctx.t(payload["deadline"]) if payload.get("deadline") else ""
    if ctx.lang == "en":
        title = f"Overnight parking: {len(items)} vehicle(s) still parked off-space after {deadline}"
    else:
        title = f"违停晨报：{deadline} 后仍停在临时车位 {len(items)} 辆"
    footer = phrase(ctx.lang, "provisional").strip() if payload.get("provisional") else None
    if payload.get("unreported"):
        footer = phrase(ctx.lang, "unreported", devices="、".join(str(d) for d in payload["unreported"])
                        if ctx.lang == "zh" else ", ".join(str(d) for d in payload["unreported"]))
    return Message(title, _item_lines(items, ctx), link=ctx.url(payload.get("path", "/violations")),
                   severity="warning", footer=footer)


def render_reminder(payload: dict[str, Any], ctx: Context) -> Message:
    """The reminder before the deadline (挪车提醒), mentioning the warden on duty."""
    items = payload.get("items", [])
    deadline = ctx.t(payload["deadline"])
    if ctx.lang == "en":
        title = f"Reminder: {len(items)} vehicle(s) must leave the night strip before {deadline}"
        footer = "Warden on duty: please remind the drivers."
    else:
        title = f"挪车提醒：{len(items)} 辆车须在 {deadline} 前驶离临时车位"
        footer = "请值班人员提醒车主及时挪车。"
    return Message(title, _item_lines(items, ctx), link=ctx.url(payload.get("path", "/violations")),
                   severity="warning", footer=footer)


def render_fire_lane(payload: dict[str, Any], ctx: Context) -> Message:
    """A vehicle standing in a fire lane (消防通道占用) beyond its grace: a safety alert."""
    zone = clean(payload.get("zone", ""), 40)
    vehicle = _vehicle(payload, ctx)
    since = ctx.t(payload["since"]) if payload.get("since") else "?"
    if ctx.lang == "en":
        title = f"Fire lane blocked: {zone}"
        lines = (f"{vehicle} standing since {since}. Please clear it now.",)
    else:
        title = f"消防通道占用：{zone}"
        lines = (f"{vehicle} 自 {since} 起停留，请立即处理。",)
    return Message(title, lines, link=ctx.url(payload.get("path", "/violations")), severity="safety")


_CHARGING_ZH = {"overload": "充电过载", "long_charge": "长时间充电", "unattended": "夜间无人值守充电",
                "meter_offline": "电表失联", "meter_unreadable": "电表读不出", "port_overpower": "单个插座功率过大",
                "full_plugged": "充满未拔", "outside_hours": "非开放时段充电", "flying_wire": "疑似飞线充电",
                "power_cut": "已自动断电"}
_CHARGING_EN = {"overload": "Charging overload", "long_charge": "Charging too long",
                "unattended": "Unattended night charging", "meter_offline": "Meter offline",
                "meter_unreadable": "Meter unreadable", "port_overpower": "One socket drawing too much",
                "full_plugged": "Full battery still plugged in", "outside_hours": "Charging outside opening hours",
                "flying_wire": "Suspected flying-wire charging", "power_cut": "Power cut"}


def render_charging(payload: dict[str, Any], ctx: Context) -> Message:
    """An e-bike charging alert (充电告警): overload, charging too long, and so on."""
    reason = payload.get("reason", "")
    names = _CHARGING_EN if ctx.lang == "en" else _CHARGING_ZH
    circuit = clean(payload.get("label") or payload.get("circuit", ""), 40)
    title = f"{names.get(reason, reason or ('Charging' if ctx.lang == 'en' else '充电告警'))}：{circuit}" \
        if ctx.lang == "zh" else f"{names.get(reason, reason or 'Charging')}: {circuit}"
    lines = []
    if payload.get("power_w") is not None:
        limit = f" / {payload['limit_w']:.0f} W" if payload.get("limit_w") is not None else ""
        lines.append(("功率 " if ctx.lang == "zh" else "Power ") + f"{payload['power_w']:.0f} W{limit}")
    if payload.get("since"):
        lines.append(phrase(ctx.lang, "since", t=ctx.t(payload["since"])))
    if payload.get("detail"):
        lines.append(clean(payload["detail"]))
    lines.append("请值班人员到充电棚查看。" if ctx.lang == "zh" else "Warden on duty: please check the shed.")
    return Message(title, tuple(lines), link=ctx.url(payload.get("path", "/charging")),
                   severity=payload.get("severity", "safety"))


def _device_name(payload: dict[str, Any], ctx: Context) -> str:
    kind = _DEVICE_KINDS.get(ctx.lang, _DEVICE_KINDS["zh"]).get(payload.get("device_kind", ""), "")
    label = clean(payload.get("label") or payload.get("device", "?"), 40)
    return f"{label}（{kind}）" if kind and ctx.lang == "zh" else (f"{label} ({kind})" if kind else label)


def render_device_offline(payload: dict[str, Any], ctx: Context) -> Message:
    """A device that stopped answering (设备离线), after the debounce."""
    since = ctx.t(payload["since"]) if payload.get("since") else "?"
    if ctx.lang == "en":
        return Message(f"Device offline: {_device_name(payload, ctx)}", (f"No contact since {since}.",),
                       link=ctx.url("/devices"), severity="warning")
    return Message(f"设备离线：{_device_name(payload, ctx)}", (f"自 {since} 起无响应，请安装维护人员检查电源和网络。",),
                   link=ctx.url("/devices"), severity="warning")


def render_device_fault(payload: dict[str, Any], ctx: Context) -> Message:
    """A device fault reported by the device itself (设备故障)."""
    code = payload.get("code", "")
    name = _FAULT_NAMES.get(ctx.lang, _FAULT_NAMES["zh"]).get(code, code)
    lines = [phrase(ctx.lang, "since", t=ctx.t(payload["since"]))] if payload.get("since") else []
    if payload.get("detail"):
        lines.append(clean(payload["detail"]))
    sep = "：" if ctx.lang == "zh" else ": "
    title = ("设备故障" if ctx.lang == "zh" else "Device fault") + f"{sep}{_device_name(payload, ctx)} {name}"
    return Message(title, tuple(lines), link=ctx.url("/devices"), severity=payload.get("severity", "warning"))


def render_device_batch(payload: dict[str, Any], ctx: Context) -> Message:
    """Many device alerts at once, told in one message (设备批量告警): counts and the first names."""
    offline, faulty = int(payload.get("offline_count", 0)), int(payload.get("faulty_count", 0))
    names = {"offline": payload.get("offline", []), "faulty": payload.get("faulty", [])}
    lines = []
    for key, count in (("offline", offline), ("faulty", faulty)):
        if not count:
            continue
        shown = "、".join(str(n)[:32] for n in names[key]) if ctx.lang == "zh" else ", ".join(str(n)[:32] for n in names[key])
        more = count - len(names[key])
        if ctx.lang == "en":
            lines.append(f"{'Offline' if key == 'offline' else 'Faulty'} ({count}): {shown}" + (f" and {more} more" if more > 0 else ""))
        else:
            lines.append(f"{'离线' if key == 'offline' else '故障'}（{count} 台）：{shown}" + (f" 等，另有 {more} 台" if more > 0 else ""))
    total = offline + faulty
    title = f"{total} devices need attention at once" if ctx.lang == "en" else f"{total} 台设备同时告警"
    lines.append("See the Devices page." if ctx.lang == "en" else "详见网页的设备页面；可能是停电或网络故障，也可能是伪造的设备。")
    return Message(title, tuple(lines), link=ctx.url("/devices"), severity="warning")


def render_target_fault(payload: dict[str, Any], ctx: Context) -> Message:
    """A chat target that refuses our messages for good (wrong key, signature, keyword)."""
    target, code = payload.get("target", "?"), payload.get("code", "?")
    if ctx.lang == "en":
        return Message(f"Chat target {target} refuses messages (code {code})",
                       ("Its address or secret needs fixing; messages for it are kept and retried.",),
                       link=ctx.url("/devices"), severity="warning")
    return Message(f"群机器人 {target} 拒收消息（错误码 {code}）",
                   ("请检查机器人地址或密钥；给它的消息已保存，修好后会补发。",),
                   link=ctx.url("/devices"), severity="warning")


def _calendar_unknown_year(values: dict[str, Any], ctx: Context) -> tuple[str, tuple[str, ...]]:
    """The holiday package (chinesecalendar) does not know a year (节假日数据缺失)."""
    year, ahead = values.get("year", "?"), bool(values.get("ahead"))
    if ctx.lang == "en":
        title = (f"Holiday calendar has no data for {year} yet" if ahead
                 else f"Holidays of {year} unknown: deadlines follow weekday rules")
        return title, (f"The installed holiday data (chinesecalendar) does not cover {year}: installer, please "
                       "upgrade it (pip install -U chinesecalendar). Until then Monday to Friday are working "
                       "days and weekends are not; statutory holidays and make-up days are not recognised.",)
    title = f"节假日日历缺少 {year} 年数据" if ahead else f"{year} 年节假日未知，按周末规则判定截止时间"
    return title, (f"已安装的节假日数据（chinesecalendar）还没有 {year} 年：请安装维护人员升级"
                   "（pip install -U chinesecalendar）。升级前按周一至周五上班、周末休息判定，法定节假日和调休不会识别。",)


NOTICE_TOPICS: dict[str, Callable[[dict[str, Any], Context], tuple[str, tuple[str, ...]]]] = {
    "calendar_unknown_year": _calendar_unknown_year,
}


def render_notice(payload: dict[str, Any], ctx: Context) -> Message:
    """A notice from another area: worded here from ``topic`` and ``values`` when the topic is known
    (e.g. calendar maintenance), else the free text (``title``, ``lines``) it carries."""
    worded = NOTICE_TOPICS.get(str(payload.get("topic") or ""))
    if worded is not None:
        title, lines = worded(payload.get("values") or {}, ctx)
    else:
        title, lines = str(payload.get("title", "")), tuple(str(x) for x in payload.get("lines", ()))
    return Message(title, lines, link=ctx.url(payload["path"]) if payload.get("path") else None,
                   severity=payload.get("severity", "info"))


def render_resolved(payload: dict[str, Any], ctx: Context) -> Message:
    """The follow-up when what an alert was about has ended (已恢复)."""
    original = payload.get("original_title", "")
    when = ctx.t(payload["at"]) if payload.get("at") else ""
    note = [str(payload["note"])] if payload.get("note") else []
    if ctx.lang == "en":
        return Message(f"Resolved: {original}", tuple([f"At {when}."] + note), severity="info")
    return Message(f"已恢复：{original}", tuple([f"{when} 已恢复正常。"] + note), severity="info")


def render_retracted(payload: dict[str, Any], ctx: Context) -> Message:
    """The follow-up that withdraws an earlier alert (撤回): late records showed no violation."""
    original = payload.get("original_title") or _vehicle(payload, ctx)
    reason = payload.get("reason") or ("迟到的记录显示车辆已按时驶离" if ctx.lang == "zh"
                                       else "late records show the vehicle left in time")
    if ctx.lang == "en":
        return Message(f"Withdrawn: {original}", (f"{reason}. Sorry for the earlier message.",), severity="info")
    return Message(f"撤回：{original}", (f"{reason}，此前的提醒作废，抱歉打扰。",), severity="info")


def render_escalation(original: Message, *, minutes: int, audience: str, lang: str) -> Message:
    """The re-post when nobody acknowledged in time (未确认，升级): same content, louder title."""
    if lang == "en":
        who = {"next_warden": "the next warden", "committee": "the committee"}.get(audience, "the warden")
        title = f"Not acknowledged in {minutes} min, passing to {who}: {original.title}"
    else:
        who = {"next_warden": "下一位值班人员", "committee": "业委会"}.get(audience, "值班人员")
        title = f"{minutes} 分钟无人确认，转{who}：{original.title}"
    return replace(original, title=title)


RENDERERS: dict[str, Callable[[dict[str, Any], Context], Message]] = {
    "digest": render_digest, "reminder": render_reminder, "fire_lane": render_fire_lane,
    "charging": render_charging, "device_offline": render_device_offline,
    "device_fault": render_device_fault, "target_fault": render_target_fault, "notice": render_notice,
    "device_batch": render_device_batch,
    "resolved": render_resolved, "retracted": render_retracted,
}


def render(kind: str, payload: dict[str, Any], ctx: Context) -> Message:
    """The message for an alert of ``kind``; unknown kinds render as notices."""
    return RENDERERS.get(kind, render_notice)(payload, ctx)
