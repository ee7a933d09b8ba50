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

from gwcommon import catalogue
from gwcommon.redact import mask_mobile as mask_mobiles
from gwcommon.timefmt import parse_ts
from hub.core import faultwords, glossary, plates
from hub.core.tagtext import short_tag

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

# The chat's table of the one catalogue (gwcommon.catalogue, keys chat.*): key → (Chinese, English).
WORDS: dict[str, tuple[str, str]] = {
    "resent": ("[重发] ", "[resent] "), "more": ("……另有 {n} 条，详见网页", "… and {n} more, see the web view"),
    "link": ("详情：{link}", "Details: {link}"), "ack": ("确认收到：{link}", "Acknowledge: {link}"),
    "since": ("自 {t} 起", "since {t}"),
    "provisional": ("（部分设备离线，结果待核实）", " (some devices offline; to be confirmed)"),
    "unreported": ("以下设备离线或未上报到截止时间：{devices}；名单待核实，车辆若已按时离开会撤回。",
                   "Not reported up to the deadline (offline): {devices}; the list is provisional, a vehicle that "
                   "left in time will be retracted."),
    "info": ("【通知】", "[info] "), "warning": ("【提醒】", "[warning] "), "safety": ("【安全】", "[SAFETY] "),
    "untagged": ("无标签车辆", "untagged vehicle"),
    "list_sep": ("、", ", "),
    "vehicle": ("{plate}（{household}）", "{plate} ({household})"),
    "digest.title": ("违停晨报：{deadline} 后仍停在临时车位 {count} 辆",
                     "Overnight parking: {count} vehicle(s) still parked off-space after {deadline}"),
    "reminder.title": ("挪车提醒：{count} 辆车须在 {deadline} 前驶离临时车位",
                       "Reminder: {count} vehicle(s) must leave the night strip before {deadline}"),
    "reminder.footer": ("请值班人员提醒车主及时挪车。", "Warden on duty: please remind the drivers."),
    "fire_lane.title": (glossary.RULES["fire_lane"][0] + "：{zone}", glossary.RULES["fire_lane"][1].capitalize() + ": {zone}"),
    "fire_lane.line": ("{vehicle} 自 {since} 起停留，请立即处理。", "{vehicle} standing since {since}. Please clear it now."),
    "charging.title": ("{reason}：{circuit}", "{reason}: {circuit}"),
    "charging.generic": ("充电告警", "Charging"),
    "charging.power": ("功率 {power}", "Power {power}"),
    "charging.footer": ("请值班人员到充电棚查看。", "Warden on duty: please check the shed."),
    "charging.unattended": ("夜间无人值守充电", "Unattended night charging"),
    **{f"charging.{rule}": words for rule, words in glossary.CHARGING_RULES.items()},
    "charging.meter_offline": ("电表失联", "Meter offline"),
    "charging.power_cut": ("已自动断电", "Power cut"),
    "device.name": ("{label}（{kind}）", "{label} ({kind})"),
    "offline.title": ("设备离线：{device}", "Device offline: {device}"),
    "offline.line": ("自 {since} 起无响应，请安装维护人员检查电源和网络。",
                     "No contact since {since}; installer, please check its power and network."),
    "fault.title": ("设备故障：{device} {fault}", "Device fault: {device} {fault}"),
    "batch.offline": ("离线（{count} 台）：{names}", "Offline ({count}): {names}"),
    "batch.faulty": ("故障（{count} 台）：{names}", "Faulty ({count}): {names}"),
    "batch.more": (" 等，另有 {more} 台", " and {more} more"),
    "batch.title": ("{total} 台设备同时告警", "{total} devices need attention at once"),
    "batch.footer": ("详见网页的设备页面；可能是停电或网络故障，也可能是伪造的设备。",
                     "See the Devices page; a power cut or a network failure, or forged devices."),
    "target.title": ("群机器人 {target} 拒收消息（错误码 {code}）", "Chat target {target} refuses messages (code {code})"),
    "target.line": ("请检查机器人地址或密钥；给它的消息已保存，修好后会补发。",
                    "Its address or secret needs fixing; messages for it are kept and retried."),
    "calendar.title_ahead": ("节假日日历缺少 {year} 年数据", "Holiday calendar has no data for {year} yet"),
    "calendar.title_now": ("{year} 年节假日未知，按周末规则判定截止时间",
                           "Holidays of {year} unknown: deadlines follow weekday rules"),
    "calendar.line": ("已安装的节假日数据（chinesecalendar）还没有 {year} 年：请安装维护人员升级"
                      "（pip install -U chinesecalendar）。升级前按周一至周五上班、周末休息判定，法定节假日和调休不会识别。",
                      "The installed holiday data (chinesecalendar) does not cover {year}: installer, please "
                      "upgrade it (pip install -U chinesecalendar). Until then Monday to Friday are working "
                      "days and weekends are not; statutory holidays and make-up days are not recognised."),
    "swap.title": ("换班：{a} ⇄ {b}", "Shift swap: {a} ⇄ {b}"),
    "swap.line": ("{a} 改值 {second}，{b} 改值 {first}（{by} 办理）。",
                  "{a} now takes {second}, {b} takes {first} (swapped by {by})."),
    "swap.weekdays": ("周一 周二 周三 周四 周五 周六 周日", "Mon Tue Wed Thu Fri Sat Sun"),
    "swap.every_day": ("每天", "every day"),
    "resolved.title": ("已恢复：{original}", "Resolved: {original}"),
    "resolved.line": ("{when} 已恢复正常。", "At {when}."),
    "retracted.title": ("撤回：{original}", "Withdrawn: {original}"),
    "retracted.reason": ("迟到的记录显示车辆已按时驶离", "late records show the vehicle left in time"),
    "retracted.line": ("{reason}，此前的提醒作废，抱歉打扰。", "{reason}. Sorry for the earlier message."),
    "escalation.title": ("{minutes} 分钟无人确认，转{who}：{title}",
                         "Not acknowledged in {minutes} min, passing to {who}: {title}"),
    "escalation.next_warden": ("下一位值班人员", "the next warden"),
    "escalation.committee": (glossary.ROLES["committee"][0], "the committee"),
    "escalation.warden": (glossary.ROLES["warden"][0], "the warden"),
    "clone.title": ("疑似复制的蓝牙标签：{tag}", "Possibly copied Bluetooth tag: {tag}"),
    "clone.seen": ("{first} 和 {second} 都读到了它，只相隔 {seconds} 秒，一辆车开不了这么快。",
                   "Seen at {first} and at {second}, {seconds} s apart: no car drives between them that fast."),
    "clone.todo": ("这项检查不拦车。请业委会联系标签的住户核实；如确是复制的标签，请在登记表中停用它并换发新标签。",
                   "This check stops no car. Committee: ask the tag's household; if it was copied, revoke it in "
                   "the registry and issue a new one."),
}
catalogue.contribute("chat", WORDS, prefix="chat.")



def phrase(lang: str, key: str, **values: Any) -> str:
    """The chat's words for ``key`` (of :data:`WORDS`) in ``lang``."""
    return catalogue.t("chat." + key, lang, **values)


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
    return phrase(ctx.lang, "vehicle", plate=plate, household=household) if household else plate


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
    title = phrase(ctx.lang, "digest.title", count=len(items), deadline=deadline)
    footer = phrase(ctx.lang, "provisional").strip() if payload.get("provisional") else None
    if payload.get("unreported"):
        footer = phrase(ctx.lang, "unreported",
                        devices=phrase(ctx.lang, "list_sep").join(str(d) for d in payload["unreported"]))
    return Message(title, _item_lines(items, ctx), link=ctx.url(payload.get("path", "/violations")),
                   severity="warning", footer=footer)


def render_reminder(payload: dict[str, Any], ctx: Context) -> Message:
    """The reminder before the deadline (挪车提醒), mentioning the warden on duty."""
    items = payload.get("items", [])
    deadline = ctx.t(payload["deadline"])
    title = phrase(ctx.lang, "reminder.title", count=len(items), deadline=deadline)
    footer = phrase(ctx.lang, "reminder.footer")
    return Message(title, _item_lines(items, ctx), link=ctx.url(payload.get("path", "/violations")),
                   severity="warning", footer=footer)


def render_fire_lane(payload: dict[str, Any], ctx: Context) -> Message:
    """A vehicle standing in a fire lane (占用消防通道, the glossary's word) beyond its grace: a safety alert."""
    zone = clean(payload.get("zone", ""), 40)
    vehicle = _vehicle(payload, ctx)
    since = ctx.t(payload["since"]) if payload.get("since") else "?"
    title = phrase(ctx.lang, "fire_lane.title", zone=zone)
    lines = (phrase(ctx.lang, "fire_lane.line", vehicle=vehicle, since=since),)
    return Message(title, lines, link=ctx.url(payload.get("path", "/violations")), severity="safety")


def render_charging(payload: dict[str, Any], ctx: Context) -> Message:
    """An e-bike charging alert (充电告警): overload, charging too long, and so on."""
    reason = payload.get("reason", "")
    named = catalogue.has(f"chat.charging.{reason}") and reason not in ("title", "generic", "power", "footer")
    circuit = clean(payload.get("label") or payload.get("circuit", ""), 40)
    title = phrase(ctx.lang, "charging.title", circuit=circuit,
                   reason=phrase(ctx.lang, f"charging.{reason}") if named else (reason or phrase(ctx.lang, "charging.generic")))
    lines = []
    if payload.get("power_w") is not None:
        limit = f" / {payload['limit_w']:.0f} W" if payload.get("limit_w") is not None else ""
        lines.append(phrase(ctx.lang, "charging.power", power=f"{payload['power_w']:.0f} W{limit}"))
    if payload.get("since"):
        lines.append(phrase(ctx.lang, "since", t=ctx.t(payload["since"])))
    if payload.get("detail") or payload.get("words"):
        lines.append(clean(catalogue.say(payload.get("words"), ctx.lang, fallback=payload.get("detail") or "")))
    lines.append(phrase(ctx.lang, "charging.footer"))
    return Message(title, tuple(lines), link=ctx.url(payload.get("path", "/charging")),
                   severity=payload.get("severity", "safety"))


def _device_name(payload: dict[str, Any], ctx: Context) -> str:
    kind = glossary.kind(payload["device_kind"], ctx.lang) if payload.get("device_kind") in glossary.KINDS else ""
    label = clean(payload.get("label") or payload.get("device", "?"), 40)
    return phrase(ctx.lang, "device.name", label=label, kind=kind) if kind else label


def render_device_offline(payload: dict[str, Any], ctx: Context) -> Message:
    """A device that stopped answering (设备离线), after the debounce."""
    since = ctx.t(payload["since"]) if payload.get("since") else "?"
    return Message(phrase(ctx.lang, "offline.title", device=_device_name(payload, ctx)),
                   (phrase(ctx.lang, "offline.line", since=since),), link=ctx.url("/devices"), severity="warning")


def render_device_fault(payload: dict[str, Any], ctx: Context) -> Message:
    """A device fault reported by the device itself (设备故障)."""
    code = payload.get("code", "")
    name = faultwords.name(code, ctx.lang)
    lines = [phrase(ctx.lang, "since", t=ctx.t(payload["since"]))] if payload.get("since") else []
    lines.append(faultwords.advice(code, ctx.lang, payload.get("device_kind")))
    if payload.get("detail"):
        lines.append(clean(payload["detail"]))
    title = phrase(ctx.lang, "fault.title", device=_device_name(payload, ctx), fault=name)
    return Message(title, tuple(lines), link=ctx.url("/devices"), severity=payload.get("severity", "warning"))


def render_device_batch(payload: dict[str, Any], ctx: Context) -> Message:
    """Many device alerts at once, told in one message (设备批量告警): counts and the first names."""
    offline, faulty = int(payload.get("offline_count", 0)), int(payload.get("faulty_count", 0))
    names = {"offline": payload.get("offline", []), "faulty": payload.get("faulty", [])}
    lines = []
    for key, count in (("offline", offline), ("faulty", faulty)):
        if not count:
            continue
        shown = phrase(ctx.lang, "list_sep").join(str(n)[:32] for n in names[key])
        more = count - len(names[key])
        lines.append(phrase(ctx.lang, f"batch.{key}", count=count, names=shown)
                     + (phrase(ctx.lang, "batch.more", more=more) if more > 0 else ""))
    title = phrase(ctx.lang, "batch.title", total=offline + faulty)
    lines.append(phrase(ctx.lang, "batch.footer"))
    return Message(title, tuple(lines), link=ctx.url("/devices"), severity="warning")


def render_target_fault(payload: dict[str, Any], ctx: Context) -> Message:
    """A chat target that refuses our messages for good (wrong key, signature, keyword)."""
    target, code = payload.get("target", "?"), payload.get("code", "?")
    return Message(phrase(ctx.lang, "target.title", target=target, code=code), (phrase(ctx.lang, "target.line"),),
                   link=ctx.url("/devices"), severity="warning")


def _calendar_unknown_year(values: dict[str, Any], ctx: Context) -> tuple[str, tuple[str, ...]]:
    """The holiday package (chinesecalendar) does not know a year (节假日数据缺失)."""
    year, ahead = values.get("year", "?"), bool(values.get("ahead"))
    title = phrase(ctx.lang, "calendar.title_ahead" if ahead else "calendar.title_now", year=year)
    return title, (phrase(ctx.lang, "calendar.line", year=year),)


def _ble_possible_clone(values: dict[str, Any], ctx: Context) -> tuple[str, tuple[str, ...]]:
    """One Bluetooth tag at two places too far apart for the time between (疑似复制的蓝牙标签):
    places by the labels the passages area put in (``label``), ids where there are none."""
    tag, seconds = clean(short_tag(str(values.get("tag", "?")), lang=ctx.lang)), values.get("seconds", "?")
    first, second = values.get("first") or {}, values.get("second") or {}

    def where(s: dict[str, Any]) -> str:
        at = ctx.t(s["at"]) if s.get("at") else "?"
        place = s.get("label") or f"{s.get('device', '?')} / {s.get('place', '?')}"
        return f"{at} {clean(str(place))}"
    return (phrase(ctx.lang, "clone.title", tag=tag),
            (phrase(ctx.lang, "clone.seen", first=where(first), second=where(second), seconds=seconds),
             phrase(ctx.lang, "clone.todo")))


WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _shift(shift: dict[str, Any], lang: str) -> str:
    """A roster shift in words: ``周二 20:00–08:00`` (a weekday, a date, or every day)."""
    day = str(shift.get("day") or "")
    if day in WEEK:
        day = phrase(lang, "swap.weekdays").split()[WEEK.index(day)]
    words = clean(day) if day else phrase(lang, "swap.every_day")
    return f"{words} {clean(str(shift.get('start') or '00:00'))}–{clean(str(shift.get('end') or '24:00'))}"


def _roster_swap(values: dict[str, Any], ctx: Context) -> tuple[str, tuple[str, ...]]:
    """Two wardens' shifts swapped on the web view (换班): who, which shifts, who did it.  No mobiles."""
    first, second = values.get("first") or {}, values.get("second") or {}
    a, b = clean(str(first.get("name", "?"))), clean(str(second.get("name", "?")))
    line = phrase(ctx.lang, "swap.line", a=a, b=b, by=clean(str(values.get("by", "?"))),
                  first=_shift(first, ctx.lang), second=_shift(second, ctx.lang))
    return phrase(ctx.lang, "swap.title", a=a, b=b), (line,)


NOTICE_TOPICS: dict[str, Callable[[dict[str, Any], Context], tuple[str, tuple[str, ...]]]] = {
    "calendar_unknown_year": _calendar_unknown_year,
    "ble_possible_clone": _ble_possible_clone,
    "roster_swap": _roster_swap,
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
    note = [catalogue.say(payload.get("note_words"), ctx.lang, fallback=str(payload.get("note") or ""))]
    note = note if note[0] else []
    return Message(phrase(ctx.lang, "resolved.title", original=original),
                   tuple([phrase(ctx.lang, "resolved.line", when=when)] + note), severity="info")


def render_retracted(payload: dict[str, Any], ctx: Context) -> Message:
    """The follow-up that withdraws an earlier alert (撤回): late records showed no violation."""
    original = payload.get("original_title") or _vehicle(payload, ctx)
    reason = payload.get("reason") or phrase(ctx.lang, "retracted.reason")
    return Message(phrase(ctx.lang, "retracted.title", original=original),
                   (phrase(ctx.lang, "retracted.line", reason=reason),), severity="info")


def render_escalation(original: Message, *, minutes: int, audience: str, lang: str) -> Message:
    """The re-post when nobody acknowledged in time (未确认，升级): same content, louder title."""
    who = phrase(lang, "escalation." + (audience if audience in ("next_warden", "committee") else "warden"))
    return replace(original, title=phrase(lang, "escalation.title", minutes=minutes, who=who, title=original.title))


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
