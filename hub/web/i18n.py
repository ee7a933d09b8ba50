"""The web view's words (界面文字): Chinese by default, English selectable (cookie ``gw_lang``).

A decision module: a catalogue and lookups, no I/O.  Keys missing from the catalogue are shown
as they are (so a message that is already a sentence passes through); a test checks that every
key the templates use is in the catalogue in both languages.
"""

from __future__ import annotations

from hub.core import glossary

from typing import Callable

LANGS = ("zh", "en")
COOKIE = "gw_lang"

MESSAGES: dict[str, tuple[str, str]] = {
    # navigation
    "nav.menu": ("菜单", "Menu"), "nav.logout": ("退出", "Log out"),
    "nav.today": ("今日", "Today"), "nav.violations": ("违规记录", "Violations"),
    "nav.inbox": ("消息箱", "Inbox"),
    "inbox.intro": ("发往本地消息箱的群消息（演示或试运行时代替真实的群机器人）。",
                    "Chat messages sent to the local inbox (instead of a real group robot, for the demo or a trial)."),
    "nav.diary": ("巡查日记", "Patrol diary"), "nav.passages": ("通行记录", "Passages"),
    "nav.registry": ("住户车辆", "Registry"), "nav.charging": ("充电棚", "Charging"),
    "nav.devices": ("设备", "Devices"), "nav.roster": ("值班表", "Roster"),
    "nav.report": ("月报", "Monthly report"), "nav.audit": ("审计日志", "Audit log"),
    "nav.accounts": ("账号", "Accounts"), "nav.account": ("我的账号", "My account"),
    "acc.pw_change": ("修改密码", "Change password"), "acc.pw_current": ("当前密码", "Current password"),
    "acc.pw_new": ("新密码（至少 8 位）", "New password (at least 8 characters)"), "acc.pw_again": ("再输一遍新密码", "New password again"),
    "acc.pw_done": ("密码已修改；其他设备上的登录已退出。", "Password changed; your other logins were ended."),
    "acc.pw_wrong": ("当前密码不对。", "The current password is wrong."),
    "acc.pw_mismatch": ("两次输入的新密码不一样。", "The two new passwords differ."),
    "acc.pw_short": ("新密码至少 {min} 位。", "The new password needs at least {min} characters."),
    "acc.pw_limited": ("尝试次数太多，请稍后再试。", "Too many attempts; try again later."),
    "acc.pw_session_only": ("请登录后在网页上修改密码。", "Log in to change your password."),
    "acc.reset": ("重设密码", "Reset password"),
    "acc.reset_shown": ("{name} 的临时密码（只显示这一次，请当面或电话告诉本人，登录后在“我的账号”里改掉）：",
                        "{name}'s one-time password (shown only now; tell the person in person or by phone, and ask "
                        "them to change it under My account):"),
    "acc.user_unknown": ("没有这个账号。", "No such account."), "nav.phone": ("手机访问", "Phone access"),
    "phone.help": ("用手机相机扫下面的二维码打开本系统（仍需登录）。在小区 Wi-Fi 里用第一个；在外面用第二个（需要配置 public_url）。"
                   "可以打印出来贴在值班室。",
                   "Scan a code with a phone's camera to open this web view (a login is still needed): the first on the "
                   "compound Wi-Fi, the second from outside (needs public_url). Print it for the warden's room."),
    "phone.lan": ("在小区 Wi-Fi 里", "On the compound Wi-Fi"), "phone.public": ("在外面（经隧道）", "From outside (tunnel)"),
    "phone.none": ("还不知道本机在小区网络里的地址：请在配置 [web] 里写 lan_url（例如 http://192.168.1.10:8080），"
                   "或在小区 Wi-Fi 里打开这一页。",
                   "The hub's address on the compound network is not known yet: set [web] lan_url "
                   "(e.g. http://192.168.1.10:8080), or open this page on the compound Wi-Fi."),
    # login
    "login.title": ("登录", "Log in"), "login.name": ("用户名", "User name"),
    "login.password": ("密码", "Password"), "login.submit": ("登录", "Log in"),
    "login.bad": ("用户名或密码不对。", "Wrong user name or password."),
    "login.limited": ("尝试次数过多，请 {minutes} 分钟后再试。", "Too many attempts; try again in {minutes} min."),
    "login.expired": ("页面已过期，请重新登录。", "The page expired; please log in again."),
    # errors
    "error.400": ("输入有误", "Bad input"), "error.401": ("请先登录", "Please log in"),
    "error.403": ("没有权限", "Not allowed"), "error.404": ("找不到", "Not found"),
    "error.429": ("尝试太频繁", "Too many attempts"), "error.503": ("暂不可用", "Not available"),
    "err.csrf": ("表单的安全码缺失或不对；请刷新页面后再试。",
                 "The form's security token is missing or wrong; reload the page and try again."),
    "err.role": ("您的账号没有这个权限。", "Your account is not allowed to do this."),
    "err.token_form": ("API 令牌不能提交表单。", "API tokens cannot submit forms."),
    "err.reason": ("请填写原因。", "Please give a reason."),
    "err.not_found": ("没有这条记录。", "No such record."),
    "err.op": ("操作只能是登记或已驶离。", "The action must be register or clear."),
    "err.lane_unknown": ("“{target}”不是这台中心机知道的道闸车道。", "“{target}” is not a gate lane this hub knows."),
    # common words
    "w.filter": ("筛选", "Filter"), "w.from": ("从", "From"), "w.to": ("到", "To"),
    "w.plate": ("车牌", "Plate"), "w.household": ("房号", "Household"), "w.state": ("状态", "State"),
    "w.any": ("全部", "Any"), "w.time": ("时间", "Time"), "w.reason": ("原因", "Reason"),
    "w.note": ("备注", "Note"), "w.owner": ("车主", "Owner"), "w.mobile": ("手机", "Mobile"),
    "w.tag": ("标签", "Tag"), "w.lane": ("车道", "Lane"), "w.direction": ("方向", "Direction"),
    "w.decision": ("结果", "Decision"), "w.device": ("设备", "Device"), "w.zone": ("区域", "Zone"),
    "w.next_page": ("下一页", "Next page"), "w.none": ("无", "None"), "w.save": ("保存", "Save"),
    "w.by": ("操作人", "By"), "w.action": ("操作", "Action"), "w.target": ("对象", "Target"),
    "w.detail": ("详情", "Detail"), "w.address": ("地址", "Address"), "w.role": ("角色", "Role"),
    "w.name": ("名称", "Name"), "w.created": ("创建时间", "Created"), "w.active": ("启用", "Active"),
    "w.yes": ("是", "Yes"), "w.no": ("否", "No"), "w.submit": ("提交", "Submit"),
    "w.provisional": ("暂定", "provisional"), "w.deadline": ("截止", "Deadline"),
    "w.rule": ("规则", "Rule"), "w.evidence": ("证据照片", "Evidence"), "w.history": ("历史", "History"),
    "w.export_csv": ("导出 CSV", "Export CSV"), "w.print": ("打印", "Print"),
    "w.in": ("进", "in"), "w.out": ("出", "out"), "w.open": ("放行", "open"), "w.deny": ("拒绝", "deny"),
    "w.snapshot": ("抓拍", "Snapshot"), "w.count": ("数量", "Count"), "w.date": ("日期", "Date"),
    # violation states and rules
    **{f"state.{k}": v for k, v in glossary.STATES.items()},  # one word for one thing (hub/core/glossary.py)
    **{f"rule.{k}": v for k, v in glossary.RULES.items()},
    # roles
    **{f"role.{k}": v for k, v in glossary.ROLES.items()},
    # accounts
    "acc.title": ("账号与令牌", "Accounts and tokens"), "acc.add": ("添加账号", "Add account"),
    "acc.display": ("显示名", "Display name"), "acc.disable": ("停用", "Disable"),
    "acc.enable": ("启用", "Enable"), "acc.tokens": ("API 令牌", "API tokens"),
    "acc.token_new": ("新建令牌", "New token"), "acc.token_shown": (
        "新令牌（只显示这一次，请马上复制）：", "New token (shown this once only; copy it now):"),
    "acc.revoke": ("作废", "Revoke"), "acc.revoked": ("已作废", "revoked"),
    "acc.added": ("账号已添加。", "Account added."),
    # passage reasons (docs/contract.md §1)
    "reason.allowlisted": ("登记车辆", "registered"), "reason.unknown_tag": ("未登记标签", "unknown tag"),
    "reason.revoked": ("标签已作废", "tag revoked"), "reason.expired": ("已过期", "expired"),
    "reason.no_tag": ("无标签", "no tag"), "reason.passback": ("重复进出", "passback"),
    "reason.manual": ("人工放行", "manual"), "reason.remote": ("远程放行", "remote"),
    "reason.fire_mode": ("消防模式", "fire mode"),
    # violations
    "vio.untagged": ("无标签车辆", "untagged car"), "vio.resolve": ("标记已处理", "Mark resolved"),
    "vio.resolve_reason": ("处理情况", "What was done"), "vio.excuse": ("豁免", "Excuse"),
    "vio.excuse_reason": ("豁免原因", "Why it is excused"), "vio.identify": ("认定车牌", "Identify the plate"),
    "err.unavailable": ("夜间停车规则没有在这台中心机上运行。", "The overnight rule is not running on this hub."),
    # today
    "today.stays": ("夜间临停车辆", "Parked off-space now"), "today.violations": ("今晨违规", "This morning's violations"),
    "today.clear": ("已驶离", "Gone"), "today.contacted": ("已联系", "Contacted"),
    "today.contacted_done": ("已记入巡查日记：已联系车主。", "Written into the patrol diary: owner contacted."),
    "today.call": ("打电话", "Call"), "today.photo": ("照片", "Photo"), "today.since": ("自", "since"), "today.register": ("登记临停车辆", "Register an off-space car"),
    "today.open_lane": ("远程抬杆", "Open a lane remotely"), "today.open": ("抬杆", "Open"),
    "today.opened": ("抬杆指令已发出。", "The open command was sent."),
    "today.free": ("余位", "Free spaces"), "today.inside": ("场内车辆", "Cars inside"),
    "today.offspace": ("临停", "off-space"), "today.uncounted": ("尚未人工清点，数字从空场开始计算。",
                                                             "Nobody has counted yet: the figure starts from an empty compound."),
    "today.counted": ("上次清点", "Last counted"), "today.count": ("我数了场内车辆数", "I counted the cars inside"),
    "today.drift": ("出多于进：请重新清点。", "More exits than entries: please count again."),
    # charging
    "chg.circuit": ("回路", "Circuit"), "chg.power": ("功率", "Power"), "chg.current": ("电流", "Current"),
    "chg.loads": ("在充", "Charging"), "chg.chart": ("充电功率（每 5 分钟最大值）", "Charging power (5-minute maximum)"),
    "chg.last24": ("最近 24 小时", "Last 24 hours"), "chg.incidents": ("充电异常", "Incidents"),
    "chg.ok": ("正常", "ok"), "chg.warn": ("注意", "warning"), "chg.alarm": ("告警", "alarm"),
    "chg.rule.overload": ("超负荷", "overload"), "chg.rule.long_charge": ("充电时间过长", "charging too long"),
    "chg.rule.port_overpower": ("单口功率过大", "one port over 400 W"),
    "chg.rule.full_plugged": ("充满未拔", "full but still plugged"),
    "chg.rule.outside_hours": ("非允许时段充电", "charging outside the allowed hours"),
    "chg.rule.flying_wire": ("疑似飞线充电", "suspected flying-wire charging"),
    "chg.rule.meter_silent": ("电表无数据", "meter silent"), "chg.rule.meter_unreadable": ("电表读数异常", "meter unreadable"),
    "chg.state.open": ("进行中", "ongoing"), "chg.state.closed": ("已结束", "over"),
    "chg.critical": ("危险", "critical"), "chg.silent": ("电表无数据", "meter silent"), "chg.unknown": ("未知", "unknown"),
    "night.title": ("夜间在场车辆（余位曲线）", "Cars inside over the night"), "night.unit": ("辆", "cars"),
    "night.spaces": ("车位 {n} 个", "{n} painted spaces"), "night.deadline": ("截止 {t}", "deadline {t}"),
    "chg.night": ("夜间", "night"), "chg.cut_marker": ("自动断电", "power cut"),
    "chg.no_charging_title": ("{label}（禁止充电）", "{label} (no charging allowed)"),
    "chg.breaker_line": ("空开 {a} A ≈ {w} W", "breaker {a} A ≈ {w} W"),
    "chg.alarm_line": ("告警线 {pct}% ≈ {w} W", "alarm {pct}% ≈ {w} W"),
    "chg.power_of": ("{label} 功率", "{label} power"), "chg.count_line": ("在充数", "chargers"),
    "chg.cuts": ("已自动断电的线路", "Circuits the shed cut"), "chg.bill_link": ("本月电费分摊表", "This month's electricity bill by circuit"),
    "bill.title": ("电费分摊表", "Electricity bill by circuit"), "bill.heading": ("{month} 充电棚电费分摊表", "Charging shed electricity, {month}"),
    "bill.chart": ("各线路用电量（kWh）", "Electricity per circuit (kWh)"), "bill.kwh": ("用电量（kWh）", "kWh"),
    "bill.share": ("占比", "Share"), "bill.amount": ("金额（元）", "Amount (yuan)"), "bill.total": ("合计", "Total"),
    "bill.rest": ("其余插座（未单独计量）", "the rest of the circuit (not metered separately)"),
    "bill.ports_note": ("└ 表示该线路上单独装了电表的插座，已含在线路的用电量里，合计不重复计算。",
                        "└ marks a socket with its own meter on that circuit: already in the circuit's kWh, counted once in the total."),
    "bill.none": ("这个月没有电表读数。", "No meter readings this month."),
    "bill.tariff": ("按电价 {tariff} 元/千瓦时计算；用电量来自各线路电表的累计读数。",
                    "At {tariff} yuan per kWh; energy from each circuit meter's running total."),
    "bill.no_tariff": ("没有设置电价（[rules.charging] tariff_yuan_per_kwh），只列出用电量和占比。",
                       "No tariff set ([rules.charging] tariff_yuan_per_kwh): kWh and shares only."), "chg.restore": ("恢复供电", "Restore power"),
    "chg.restored": ("已发送恢复供电指令；设备恢复后日志里会有记录。", "Restore sent; the diary shows it once the device has switched on."),
    "err.not_cut": ("线路 {circuit} 现在没有断电，无需恢复。", "Circuit {circuit} is not cut now: nothing to restore."),
    "rep.charging": ("充电异常", "Charging incidents"),
    # monthly report
    "rep.title": ("{month} 月报", "Report for {month}"), "rep.month": ("月份", "Month"),
    "rep.per_month": ("每月违规（{first} 至 {last}）", "Violations per month ({first} to {last})"),
    "rep.kwh_per_month": ("充电棚每月用电量（kWh，{first} 至 {last}）", "Charging shed electricity per month (kWh, {first} to {last})"),
    "rep.kwh": ("用电量（kWh）", "kWh"), "rep.month_short": ("{month}月", "{year}-{month:02d}"),
    "rep.trends": ("近12个月走势", "The last 12 months"),
    "rep.per_week": ("每周违规", "Violations per week"), "rep.week_of": ("{day} 周", "wk {day}"),
    "rep.standing": ("成立", "standing"), "rep.vehicles": ("多次违规车辆", "Repeat offenders (vehicles)"),
    "rep.households": ("多次违规住户", "Repeat offenders (households)"), "rep.denials": ("道闸拒绝", "Gate denials"),
    # diary
    "diary.kind": ("类别", "Kind"), "diary.contacted": ("已联系车主", "owner contacted"),
    "diary.charging": ("充电", "charging"), "diary.add_note": ("写一条记录", "Add a note"),
    "diary.full": ("记录太多，只显示前 1000 条；请缩小日期范围。", "Only the first 1000 lines are shown; narrow the dates."),
    "diary.violation_open": ("违规", "violation"), "diary.violation_resolved": ("已处理", "resolved"),
    "diary.violation_retracted": glossary.STATES["retracted"], "diary.violation_excused": glossary.STATES["excused"],
    "diary.registration": ("登记临停", "registered off-space"), "diary.clearance": ("确认驶离", "cleared"),
    "diary.note": ("记录", "note"), "diary.reminder": ("提醒", "reminder"), "diary.identified": ("认定车牌", "identified"),
    "diary.calendar": ("日历", "calendar"), "diary.occupancy": ("车辆清点", "car count"),
    # registry
    "reg.search": ("车牌或房号", "Plate or household"), "reg.revoked": ("已作废", "revoked"),
    "reg.until": ("有效至", "valid until"), "reg.revoke": ("作废", "Revoke"), "reg.reinstate": ("恢复", "Reinstate"),
    "reg.visitor": ("访客通行证", "Visitor pass"), "reg.host": ("访问房号", "Visiting household"),
    "reg.hours": ("有效小时数", "Valid for (hours)"), "reg.import": ("导入登记表", "Import registry"),
    "reg.import_help": ("Excel/WPS 表格（.xlsx）或 CSV 文件。先显示预览，确认后才更改；有任何一行出错则不做任何更改，并逐行列出问题。",
                        "An Excel/WPS workbook (.xlsx) or a CSV file. A preview comes first; nothing changes until "
                        "you confirm. Any bad row changes nothing; every problem is listed."),
    "reg.tag_optional": ("留空：凭车牌通行（车牌识别车道）", "empty: pass by plate (plate-camera lanes)"),
    "reg.file": ("文件", "File"), "reg.line": ("行号", "Line"),
    "reg.bad_file": ("文件有 {count} 处问题，没有做任何更改：", "{count} problem(s) in the file; nothing was changed:"),
    "reg.too_large": ("文件超过 {limit} MB，这真的是登记表吗？", "The file is larger than {limit} MB; is it really the registry?"),
    "reg.hours_range": ("有效小时数“{given}”不对：应是 1 到 {limit} 的整数。",
                        "Valid for (hours) “{given}” must be a whole number from 1 to {limit}."),
    "reg.preview": ("导入预览：还没有做任何更改", "Import preview: nothing has changed yet"),
    "reg.preview_help": ("请核对下面的变化：+ 新增，- 删除，~ 修改，> 标签换车。确认无误后点“确认导入”。",
                         "Check the changes below: + added, - removed, ~ changed, > a tag moves. Then confirm."),
    "reg.confirm": ("确认导入", "Confirm import"),
    "reg.confirm_removals": ("我确认删除这 {count} 辆车（道闸将不再放行）",
                             "I confirm removing these {count} vehicles (the gates will refuse them)"),
    "reg.confirm_removals_first": ("这次导入会删除 {count} 辆车：请勾选确认后再导入。",
                                   "This import removes {count} vehicles: tick the confirmation first."),
    "reg.preview_gone": ("预览已过期或不是您上传的，请重新选择文件导入。",
                         "The preview has expired or is not yours; please upload the file again."),
    "reg.changed_meanwhile": ("预览之后登记表已被修改，请重新上传文件查看最新的变化。",
                              "The registry changed since the preview; upload the file again to see the new changes."),
    "reg.no_change": ("文件与现有登记表完全一致，无需导入。", "The file matches the registry exactly; nothing to import."),
    "reg.imported": ("已导入：{vehicles} 辆车，{households} 户，{tags} 个标签。",
                     "Imported {vehicles} vehicles of {households} households with {tags} tags."),
    # roster and alerts
    "ros.now": ("现在值班", "On duty now"), "ros.day": ("日期", "Day"), "ros.shift": ("时段", "Shift"),
    "ros.order": ("顺序", "Order"), "ros.every_day": ("每天", "every day"), "ros.import": ("导入值班表", "Import roster"),
    "ros.imported": ("已导入 {count} 行。", "Imported {count} rows."),
    "ros.too_large": ("文件超过 {limit} MB，这真的是值班表吗？", "The file is larger than {limit} MB; is it really the roster?"),
    "al.title": ("待确认告警", "Alerts to acknowledge"), "al.ack": ("我来处理", "I'll handle it"),
    "al.digest": ("晨检汇总", "morning digest"), "al.reminder": ("提醒", "reminder"),
    "al.fire_lane": ("消防通道占用", "fire lane blocked"), "al.charging": ("充电异常", "charging"),
    "al.device_offline": ("设备离线", "device offline"), "al.device_fault": ("设备故障", "device fault"),
    "al.target_fault": ("群消息失败", "chat target fault"), "al.notice": ("通知", "notice"),
    "al.resolved": ("已处理", "resolved"), "al.retracted": ("已撤回", "retracted"),
    "al.device_batch": ("多台设备告警", "many devices"),
    # devices
    "dev.kind": ("类型", "Kind"), "dev.online": ("在线", "Online"), "dev.last_seen": ("最后联系", "Last seen"),
    "dev.skew": ("时钟偏差", "Clock skew"), "dev.clock_ahead": ("时钟超前", "clock ahead"), "dev.backlog": ("待送事件", "Outbox backlog"),
    "dev.watermark": ("水位线", "Watermark"), "dev.version": ("版本", "Version"),
    "dev.on": ("在线", "online"), "dev.off": ("离线", "offline"), "dev.faults": ("设备故障", "Device faults"),
    "dev.fault": ("故障", "fault"), "dev.since": ("开始于", "Since"), "dev.chat": ("群消息通道", "Chat targets"),
    "dev.state": ("状态", "State"), "dev.ok": ("正常", "OK"),
    "kind.gate": ("道闸", "gate"), "kind.lane": ("车道监测", "lane"), "kind.charging": ("充电", "charging"),
    # audit
    "audit.title": ("审计日志", "Audit log"),
    # the deadline calendar (hub.calendar_edits decides; refusals are cal.err.* with values)
    "nav.calendar": ("截止日历", "Deadline calendar"),
    "cal.rule": ("晚上 {night_start} 起可临时停放；工作日早上 {deadline} 前、周末和法定节假日早上 {holiday_deadline} 前须驶离。",
                 "Off-space parking is tolerated from {night_start}; cars must leave by {deadline} on working days "
                 "and by {holiday_deadline} on weekends and statutory holidays."),
    "cal.coming": ("未来 {count} 天", "The coming {count} days"), "cal.today": ("今天", "today"),
    "cal.holiday_name": ("节日", "Holiday"),
    "cal.fallback": ("节假日数据未覆盖，按周末规则", "not in the holiday data: weekday rules"),
    "cal.unknown_years": ("已安装的节假日数据（chinesecalendar）还没有 {years} 年：这些日子暂按周一至周五上班、周末休息判定，"
                          "法定节假日和调休不会识别。请安装维护人员升级（pip install -U chinesecalendar），或在下面为这些节假日设置调整。",
                          "The installed holiday data (chinesecalendar) does not cover {years} yet: those days follow weekday "
                          "rules (Monday to Friday working), statutory holidays and make-up days are not recognised. Ask the "
                          "installer to upgrade it (pip install -U chinesecalendar), or set overrides for those holidays below."),
    "cal.overrides": ("业委会的调整", "The committee's overrides"),
    "cal.set": ("设置调整", "Set an override"),
    "cal.set_help": ("把某一天定为工作日或休息日，也可以给那天早上另定截止时间。已经过了的截止时间不能再改。",
                     "Make a date a working day or a holiday, and optionally give its morning its own deadline. "
                     "A deadline that has passed cannot be changed."),
    "cal.kind": ("类型", "Kind"),
    "cal.kind_working": ("工作日（按工作日截止时间）", "working day (working-day deadline)"),
    "cal.kind_holiday": ("休息日（按节假日截止时间）", "holiday (holiday deadline)"),
    "cal.own_deadline": ("截止时间（可不填，如 08:30）", "Deadline (optional, e.g. 08:30)"),
    "cal.remove": ("删除", "Remove"), "cal.past": ("已过", "past"),
    "cal.saved": ("{day} 的调整已保存：那天早上 {deadline} 截止。", "Override for {day} saved: that morning's deadline is {deadline}."),
    "cal.removed": ("{day} 的调整已删除。", "The override for {day} was removed."),
    "calkind.working": ("工作日", "working day"), "calkind.weekend": ("周末", "weekend"),
    "calkind.holiday": ("法定节假日", "statutory holiday"), "calkind.makeup": ("调休上班", "make-up working day (调休)"),
    "calkind.override_working": ("工作日（业委会调整）", "working day (committee override)"),
    "calkind.override_holiday": ("休息日（业委会调整）", "holiday (committee override)"),
    "wd.0": ("周一", "Mon"), "wd.1": ("周二", "Tue"), "wd.2": ("周三", "Wed"), "wd.3": ("周四", "Thu"),
    "wd.4": ("周五", "Fri"), "wd.5": ("周六", "Sat"), "wd.6": ("周日", "Sun"),
    "cal.err.day_missing": ("请填写日期。", "Please give a date."),
    "cal.err.day_format": ("日期“{given}”看不懂：请按 2026-10-10 的格式填写。", "“{given}” is not a date like 2026-10-10."),
    "cal.err.day_past": ("{day} 已经过去，不能再调整。", "{day} is in the past and can no longer be changed."),
    "cal.err.day_far": ("{day} 太远了：只能调整两年以内的日期。", "{day} is too far ahead: only dates within two years can be set."),
    "cal.err.kind": ("类型“{given}”不对：只能选工作日或休息日。", "Unknown kind “{given}”: choose working day or holiday."),
    "cal.err.time_format": ("截止时间“{given}”看不懂：请按 08:30 的格式填写，或者不填。",
                            "“{given}” is not a time like 08:30 (or leave the deadline empty)."),
    "cal.err.time_late": ("截止时间 {given} 太晚：必须早于晚上开始临时停放的时间 {night_start}。",
                          "The deadline {given} is too late: it must be before the evening start, {night_start}."),
    "cal.err.note_long": ("备注太长（最多 {limit} 个字）。", "The note is too long (at most {limit} characters)."),
    "cal.err.passed": ("{day} 早上的截止时间（{deadline}）已经过了或已经判定，不能再调整；调整只能改还没到的截止时间。",
                       "The deadline of the morning of {day} ({deadline}) has passed or been decided; an override can only "
                       "change deadlines still to come."),
    "cal.err.no_override": ("{day} 没有可删除的调整。", "There is no override for {day} to remove."),
}


def text(lang: str, key: str, **values: object) -> str:
    """The words for ``key`` in ``lang`` (the key itself when unknown), with ``{name}`` filled in."""
    pair = MESSAGES.get(key)
    words = key if pair is None else pair[0 if lang != "en" else 1]
    return words.format(**values) if values else words


def translator(lang: str) -> Callable[..., str]:
    """``_(key, **values)`` for templates."""
    return lambda key, **values: text(lang, key, **values)
