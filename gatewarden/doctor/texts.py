"""What the doctor says, in Chinese (default) and English: one sentence found, one sentence to do.

A decision module (plain strings): the doctor's table of the one catalogue
(:mod:`gwcommon.catalogue`, keys ``doctor.*`` and ``doctor.title.*``).  ``render(key, lang, params)`` formats a message; a test checks
that every key has both languages and that both use the same parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gwcommon import catalogue

TITLES = {
    "config": ("配置文件", "Config file"), "storage": ("存储", "Storage"), "broker": ("MQTT 服务器", "MQTT broker"),
    "clock": ("时钟", "Clock"), "bluetooth": ("蓝牙", "Bluetooth"), "pins": ("GPIO 引脚", "GPIO pins"),
    "inputs": ("输入状态", "Inputs"), "camera": ("摄像头", "Camera"), "meter": ("电表", "Meter"),
}

MESSAGES: dict[str, tuple[str, str]] = {
    "report.head": ("gatewarden 自检：{config}", "gatewarden doctor: {config}"),
    "report.good": ("结果：没有故障（{warn} 项需要注意）。", "Result: no failures ({warn} warning(s))."),
    "report.bad": ("结果：{fail} 项故障、{warn} 项注意。请按上面的提示逐项处理，然后再运行一次自检。",
                   "Result: {fail} failure(s), {warn} warning(s). Fix them as described above and run the doctor again."),
    # config
    "config.ok": ("读取成功：{roles}。", "Read: {roles}."),
    "config.bad": ("配置文件有错，设备不会启动：{error}。请按 docs/configuration.md 改正这一项后再试。",
                   "The config file has an error and the device will not start: {error}. Fix that key "
                   "(docs/configuration.md) and try again."),
    "config.role.gate": ("道闸设备 {device}", "gate device {device}"),
    "config.role.lane": ("车道监测设备 {device}", "lane scanner device {device}"),
    "config.role.charging": ("充电棚设备 {device}", "charging shed device {device}"),
    "config.role.hub": ("中心机（小区 {site}）", "hub (site {site})"),
    # storage
    "storage.ok": ("{dir} 可写，剩余 {free_mb} MB。", "{dir} is writable, {free_mb} MB free."),
    "storage.low": ("{dir} 只剩 {free_mb} MB（{free_pct}%）。请清理或换更大的存储卡，否则数据会写不下。",
                    "{dir} has only {free_mb} MB ({free_pct}%) free. Clean up or use a larger card before it fills up."),
    "storage.full": ("{dir} 只剩 {free_mb} MB，马上就写满了。请立即清理或更换存储卡。",
                     "{dir} has only {free_mb} MB free and is about to fill up. Free space or replace the card now."),
    "storage.unwritable": ("{dir} 无法写入（{error}）。请检查目录是否存在、权限是否属于运行 gatewarden 的用户、存储卡是否只读。",
                           "Cannot write to {dir} ({error}). Check the directory exists, belongs to the user running "
                           "gatewarden, and the card is not read-only."),
    # broker
    "broker.ok": ("已连接 {host}:{port}（{how}）。", "Connected to {host}:{port} ({how})."),
    "broker.how.tls": ("加密 TLS，用户 {user}", "TLS, user {user}"),
    "broker.how.plain": ("未加密，用户 {user}", "no TLS, user {user}"),
    "broker.bad_password": ("{host}:{port} 拒绝登录：用户名或密码错误。请核对 mqtt.username 和 password_file 里的密码，"
                            "与服务器 mosquitto_passwd 设置的一致。",
                            "{host}:{port} refused the login: bad user name or password. Check mqtt.username and the "
                            "password in password_file against the broker's mosquitto_passwd entry."),
    "broker.not_authorised": ("{host}:{port} 拒绝连接：没有授权（用户名或密码不对，或这个用户不允许连接）。请核对用户名、密码和服务器的权限设置。",
                              "{host}:{port} refused the connection: not authorised (wrong user name or password, or "
                              "this user may not connect). Check the user, password and the broker's ACL."),
    "broker.refused": ("{host}:{port} 拒绝连接：{reason}。请查看服务器日志（journalctl -u mosquitto）。",
                       "{host}:{port} refused the connection: {reason}. Look at the broker's log (journalctl -u mosquitto)."),
    "broker.nothing": ("{host}:{port} 上没有服务在监听。请确认中心机开着、mosquitto 在运行（systemctl status mosquitto），"
                       "以及 mqtt.host / mqtt.port 写对了。",
                       "Nothing is listening on {host}:{port}. Check the hub is on, mosquitto runs (systemctl status "
                       "mosquitto) and mqtt.host / mqtt.port are right."),
    "broker.unreachable": ("连不上 {host}:{port}（{error}）。请检查网线或 Wi-Fi、IP 地址和防火墙。",
                           "Cannot reach {host}:{port} ({error}). Check the cable or Wi-Fi, the address and any firewall."),
    "broker.tls": ("与 {host}:{port} 的 TLS 加密握手失败（{error}）。请检查 tls_ca 证书是否是服务器的 CA、证书是否过期、端口是否是 TLS 端口（通常 8883）。",
                   "The TLS handshake with {host}:{port} failed ({error}). Check tls_ca is the broker's CA, the "
                   "certificates have not expired and the port is the TLS one (usually 8883)."),
    "broker.no_answer": ("{host}:{port} 接受了连接但没有按 MQTT 回答。可能是端口错了，或服务器要求 TLS 而配置里没有 tls_ca。",
                         "{host}:{port} took the connection but gave no MQTT answer. The port may be wrong, or the "
                         "broker expects TLS and the config has no tls_ca."),
    "broker.secret": ("读不到 MQTT 密码：{error}。请检查 mqtt.password_file 指向的文件是否存在且可读。",
                      "Cannot read the MQTT password: {error}. Check the file mqtt.password_file names exists and is readable."),
    # clock
    "clock.ok": ("已与网络时间同步{offset_text}。", "Synchronised with network time{offset_text}."),
    "clock.offset_text": ("，与中心机相差 {offset} 秒", ", {offset} s from the hub"),
    "clock.no_hub": ("（没有测与中心机的时差：运行 gatewarden doctor --hub http://中心机地址:8080 可以测）",
                     " (offset to the hub not measured: add --hub http://HUB:8080)"),
    "clock.unsynced": ("系统时钟没有与网络时间同步。树莓派没有时钟电池，时间不准会把记录的时间写错。请检查网络，"
                       "运行 timedatectl 查看，必要时 sudo systemctl restart systemd-timesyncd。",
                       "The system clock is not synchronised with network time. A Pi has no clock battery; a wrong "
                       "clock writes wrong times into the records. Check the network, run timedatectl, and if needed "
                       "sudo systemctl restart systemd-timesyncd."),
    "clock.unknown": ("无法判断时钟是否同步（没有 timedatectl）。请确认本机运行了 NTP（chrony 或 systemd-timesyncd）{offset_text}。",
                      "Cannot tell whether the clock is synchronised (no timedatectl). Make sure NTP runs "
                      "(chrony or systemd-timesyncd){offset_text}."),
    "clock.off": ("本机时钟比中心机{direction} {offset} 秒。时间不一致会让夜间停车判定出错。请在两台机器上都开启 NTP 同步后再试。",
                  "This Pi's clock is {offset} s {direction} the hub's. Clocks that disagree make the overnight "
                  "rule decide wrongly. Turn on NTP on both machines and try again."),
    "clock.drift": ("本机时钟比中心机{direction} {offset} 秒，略有偏差。请确认两台机器都在同步网络时间。",
                    "This Pi's clock is {offset} s {direction} the hub's; a little off. Make sure both synchronise with network time."),
    "clock.ahead": ("快", "ahead of"), "clock.behind": ("慢", "behind"),
    "clock.hub_unreachable": ("已与网络时间同步，但连不上中心机 {url} 测时差（{error}）。请检查地址。",
                              "Synchronised, but the hub at {url} did not answer for the offset check ({error}). Check the address."),
    "clock.year": ("系统时间是 {now}，明显不对（断电后还没对时）。请连上网络等待对时，或手动设置时间。",
                   "The system time is {now}, clearly wrong (not set since power came back). Connect the network "
                   "and wait for NTP, or set the time by hand."),
    # bluetooth
    "bluetooth.ok": ("{adapter} 正在扫描（{mode}），{seconds} 秒内收到 {adverts} 个广播，识别出 {tags} 个标签。",
                     "{adapter} is scanning ({mode}): {adverts} advertisements in {seconds} s, {tags} tag(s) recognised."),
    "bluetooth.missing": ("找不到蓝牙适配器 {adapter}。请检查 USB 蓝牙棒是否插好（hciconfig -a 或 bluetoothctl list 查看），"
                          "或在 [scanner] adapter 里写对名字。",
                          "No Bluetooth adapter {adapter}. Check the USB dongle is plugged in (hciconfig -a or "
                          "bluetoothctl list) or put the right name in [scanner] adapter."),
    "bluetooth.down": ("蓝牙适配器 {adapter} 无法开始扫描：{error}。多半是适配器没开（bluetoothctl power on）或被屏蔽（rfkill unblock bluetooth），"
                       "也可能 bluetooth 服务没运行（systemctl status bluetooth）。",
                       "Bluetooth adapter {adapter} cannot start scanning: {error}. It is probably switched off "
                       "(bluetoothctl power on) or blocked (rfkill unblock bluetooth), or the bluetooth service is "
                       "not running (systemctl status bluetooth)."),
    "bluetooth.silent": ("{adapter} 在扫描，但 {seconds} 秒内一个广播也没收到。附近有手机或标签时这不正常：请检查天线/USB 延长线，"
                         "或重启蓝牙（sudo systemctl restart bluetooth）。",
                         "{adapter} is scanning but heard no advertisement in {seconds} s. With phones or tags "
                         "nearby that is wrong: check the antenna / USB extension, or restart Bluetooth "
                         "(sudo systemctl restart bluetooth)."),
    "bluetooth.config": ("蓝牙配置有错：{error}。", "The Bluetooth settings are wrong: {error}."),
    # pins
    "pins.ok": ("{count} 个引脚都能打开（继电器保持断开）。", "All {count} pins open (relays kept off)."),
    "pins.in_use": ("引脚 {pin}（{role}）已被占用。如果 gatewarden edge 正在运行，请先停止它（sudo systemctl stop gatewarden-edge）再自检；"
                    "否则是别的程序占用了它，或配置里两处用了同一个引脚。",
                    "Pin {pin} ({role}) is in use. If gatewarden edge is running, stop it first "
                    "(sudo systemctl stop gatewarden-edge); otherwise another program holds it."),
    "pins.bad": ("引脚 {pin}（{role}）无法打开：{error}。请按 docs/gate.md 核对引脚编号（BCM 编号，如 17）。",
                 "Pin {pin} ({role}) cannot be opened: {error}. Check the pin number (BCM numbering, e.g. 17) "
                 "against docs/gate.md."),
    "pins.no_gpio": ("这台机器上没有可用的 GPIO（{error}）。道闸设备必须在树莓派上运行。",
                     "No usable GPIO on this machine ({error}). A gate device must run on the Raspberry Pi."),
    "inputs.ok": ("{states}。", "{states}."),
    "inputs.look": ("{states}。{advice}", "{states}. {advice}"),
    "inputs.advice.photo_eye": ("光电被挡住或线断了：请清开车道，检查光电对准和接线。",
                                "The photo-eye is blocked or its wire is cut: clear the lane, check its alignment and wiring."),
    "inputs.advice.fire_input": ("消防输入处于报警状态（或线断了）：所有道闸会常开，请检查消防主机和接线。",
                                 "The fire input is active (or its wire is cut): every barrier will stay open. Check "
                                 "the fire panel and the wiring."),
    "state.arming_loop": ("地感 {value}", "loop {value}"), "state.photo_eye": ("光电 {value}", "photo-eye {value}"),
    "state.safety_loop": ("安全地感 {value}", "safety loop {value}"),
    "state.closing_loop": ("落杆地感 {value}", "closing loop {value}"),
    "state.open_limit": ("开到位 {value}", "open limit {value}"), "state.closed_limit": ("关到位 {value}", "closed limit {value}"),
    "state.button": ("手动按钮 {value}", "button {value}"), "state.fire_input": ("消防输入 {value}", "fire input {value}"),
    "state.reset_input": ("复位钥匙 {value}", "reset key {value}"),
    "value.on.arming_loop": ("有车", "vehicle"), "value.off.arming_loop": ("无车", "no vehicle"),
    "value.on.photo_eye": ("被挡", "blocked"), "value.off.photo_eye": ("通畅", "clear"),
    "value.on.fire_input": ("报警", "FIRE"), "value.off.fire_input": ("正常", "normal"),
    "value.on": ("触发", "active"), "value.off": ("未触发", "inactive"),
    # camera
    "camera.ok": ("画面正常（{width}×{height}），已存到 {path}，可以打开看看。",
                  "Gives pictures ({width}×{height}); saved to {path} for a look."),
    "camera.dark": ("有画面但几乎全黑（平均亮度 {brightness}），已存到 {path}。请检查镜头是否被挡、夜间补光是否开着。",
                    "Gives pictures but almost black (mean brightness {brightness}); saved to {path}. Check the lens "
                    "is not covered and the night light works."),
    "camera.none": ("{seconds} 秒内没有拿到画面（{source}）。请检查摄像头电源和网线、地址和密码；USB 摄像头请检查是否插好。",
                    "No picture within {seconds} s ({source}). Check the camera's power and cable, the address and "
                    "password; for a USB camera check it is plugged in."),
    "camera.bad": ("摄像头地址写法不对：{error}。", "The camera source is not valid: {error}."),
    # meters
    "meter.ok": ("电表回答正常：{voltage} V，{current} A，{power} W。", "The meter answers: {voltage} V, {current} A, {power} W."),
    "meter.silent": ("电表没有回答：{reason}。请检查 RS485 的 A/B 线是否接反、电表地址和波特率（PZEM 为 9600），电表是否通电。",
                     "The meter does not answer: {reason}. Check the RS485 A/B wires are not swapped, the meter's "
                     "address and speed (PZEM: 9600) and that it has power."),
    "meter.odd": ("电表有回答但读数不合理（{problem}）：{voltage} V，{current} A，{power} W。请检查互感器方向和接线。",
                  "The meter answers but the values look wrong ({problem}): {voltage} V, {current} A, {power} W. "
                  "Check the CT's direction and the wiring."),
    "meter.cannot": ("无法检查电表：{error}。", "Cannot check the meters: {error}."),
    # relay test (doctor --pulse)
    "pulse.not_gate": ("继电器测试只用于道闸设备（device.kind = \"gate\"，并有 [gate] 配置）。",
                       "The relay test is for gate devices only (device.kind = \"gate\" with a [gate] section)."),
    "pulse.which_lane": ("请用 --lane 指定车道（{given} 不是其中之一）：{lanes}。",
                         "Name the lane with --lane ({given} is not one of them): {lanes}."),
    "pulse.no_close_relay": ("车道 {lane} 没有配置落杆继电器（close_relay）：由道闸控制器自己落杆，无需测试。",
                             "Lane {lane} has no close relay (close_relay): the barrier controller closes by itself; nothing to test."),
    "pulse.cannot_read": ("读不了车道 {lane} 的输入（{error}）。请先停止本机的 gatewarden 服务（systemctl stop gatewarden-edge），它占用着引脚。",
                          "Cannot read lane {lane}'s inputs ({error}). Stop this Pi's gatewarden service first "
                          "(systemctl stop gatewarden-edge): it holds the pins."),
    "pulse.inputs": ("车道 {lane} 的安全输入：{states}。", "Lane {lane} safety inputs: {states}."),
    "pulse.no_inputs": ("（没有接安全输入）", "(no safety inputs wired)"),
    "pulse.refused_close": ("不发落杆脉冲：车道 {lane} 有东西在（{inputs}）。请先确认道闸下方和地感上没有车和人，再试。",
                            "Close pulse refused: something is in lane {lane} ({inputs}). Make sure nothing and "
                            "nobody is under the arm or on the loops, then try again."),
    "pulse.confirm.open": ("将向车道 {lane} 的抬杆继电器（GPIO {pin}）发一次 {ms} 毫秒的脉冲，道闸会抬杆。确认？",
                           "Send one {ms} ms pulse to lane {lane}'s open relay (GPIO {pin}); the arm will rise. Go ahead?"),
    "pulse.confirm.close": ("将向车道 {lane} 的落杆继电器（GPIO {pin}）发一次 {ms} 毫秒的脉冲，道闸会落杆。请确认杆下无人无车。确认？",
                            "Send one {ms} ms pulse to lane {lane}'s close relay (GPIO {pin}); the arm will come down. "
                            "Make sure nothing and nobody is under it. Go ahead?"),
    "pulse.cancelled": ("已取消，没有发脉冲。", "Cancelled; no pulse sent."),
    "pulse.failed": ("GPIO {pin} 发脉冲失败：{error}。", "Pulsing GPIO {pin} failed: {error}."),
    "pulse.sent.open": ("已向车道 {lane} 的抬杆继电器（GPIO {pin}）发了一次 {ms} 毫秒脉冲。道闸应已抬杆；若没有动，请检查继电器接线、"
                        "继电器板的高/低电平触发（relay_active_high）和控制器的“开闸”输入。",
                        "Sent one {ms} ms pulse to lane {lane}'s open relay (GPIO {pin}). The arm should have risen; if "
                        "not, check the relay wiring, the board's trigger level (relay_active_high) and the controller's open input."),
    "pulse.sent.close": ("已向车道 {lane} 的落杆继电器（GPIO {pin}）发了一次 {ms} 毫秒脉冲。道闸应已落杆；若没有动，请检查继电器接线和控制器的“关闸”输入。",
                         "Sent one {ms} ms pulse to lane {lane}'s close relay (GPIO {pin}). The arm should have come down; "
                         "if not, check the relay wiring and the controller's close input."),
    "meter.none": ("配置里没有 [[meters]]：充电棚设备至少需要一个电表。", "The config has no [[meters]]: a charging device needs at least one."),
}


catalogue.contribute("doctor", MESSAGES, prefix="doctor.")
catalogue.contribute("doctor.titles", TITLES, prefix="doctor.title.")


@dataclass(frozen=True)
class T:
    """A piece of text inside a message, rendered in the report's language."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


def resolve(value: Any, lang: str) -> Any:
    """Render :class:`T` pieces (and lists of them, joined) in ``lang``; other values as they are."""
    if isinstance(value, T):
        return render(value.key, lang, value.params)
    if isinstance(value, Exception) and callable(getattr(value, "text", None)):
        return value.text(lang)  # a GatewardenError worded in both languages (a config error)
    if isinstance(value, list) and value and all(isinstance(v, T) for v in value):
        return ("，" if lang == "zh" else ", ").join(resolve(v, lang) for v in value)
    return value


def render(key: str, lang: str, params: dict[str, Any]) -> str:
    zh, en = MESSAGES[key]
    return (zh if lang == "zh" else en).format(**{k: resolve(v, lang) for k, v in params.items()})


def title(check_id: str, lang: str) -> str:
    """``pins`` → 引脚; ``camera.north-in`` → 摄像头 north-in."""
    head, _, rest = check_id.partition(".")
    zh, en = TITLES.get(head, (head, head))
    name = zh if lang == "zh" else en
    return f"{name} {rest}" if rest else name


def text(key: str, lang: str, **params: Any) -> str:
    return render(key, lang, params)
