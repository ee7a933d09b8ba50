"""Fault codes in words (故障说明): what happened and what to do, for the Devices page and chat.

Devices report faults by a short code (``relay_fault``, ``clock_unsynced``...; docs/contract.md
``fault``), and the hub raises a few of its own (``clock_ahead``, ``seq_conflict``...).  A person
reads the code's *name* (a few words) and a *sentence* that says what happened and who should do
what.  ``tests/hub/core/test_faultwords.py`` scans the sources for every fault code the edge and the
hub emit and fails when one has no entry here.  The names and sentences are part of the one
catalogue (:mod:`gwcommon.catalogue`), keys ``fault.<code>.name``, ``fault.<code>.advice``,
``fault.<code>.<kind>.advice`` and ``fault.unknown``.  A decision module: plain data.
"""

from __future__ import annotations

from gwcommon import catalogue

# code → (name zh, name en, what to do zh, what to do en)
FAULTS: dict[str, tuple[str, str, str, str]] = {
    "relay_fault": (
        "继电器故障", "relay fault",
        "继电器没有按指令动作（栏杆没到位，或充电棚开关不应答）；道闸按值守处理，用岗亭按钮或远程抬杆。请安装维护人员到现场检查继电器接线和道闸控制器；"
        "栏杆或开关恢复正常后会自动消除。",
        "The relay did not do what it was told (the arm did not reach its position, or the shed's switch does not "
        "answer); treat the lane as attended (booth button or remote open). Installer: check the relay wiring and the barrier controller on site; it clears itself once the "
        "arm or switch works again."),
    "safety_input_stuck": (
        "安全输入卡住", "safety input stuck",
        "地感或光电一直报告“有车”，这条车道已改为值守：刷标签不抬杆，只能用岗亭按钮或远程抬杆。请值班人员到道口看看"
        "是否有车或杂物挡住光电；没有的话请安装维护人员检查地感线圈和光电。",
        "The loop or photo-eye keeps reporting a vehicle; the lane is now attended: tags do not open it, only the "
        "booth button or a remote open. Warden: check the gate for a vehicle or something blocking the photo-eye; "
        "if there is none, the installer should check the loop and the photo-eye."),
    "fire_mode": (
        "消防模式", "fire mode",
        "消防模式开启：所有栏杆已抬起并保持。火情解除后，请值班人员在道闸旁按复位键恢复正常。",
        "Fire mode is on: every barrier is open and held. Once the fire is over, a warden resets it with the key "
        "at the gate."),
    "remote_command": (
        "远程操作", "remote command",
        "有人从网页远程操作了道闸（详情里写着是谁、哪条车道）。只是记录，无需处理。",
        "Someone operated the gate from the web view (the detail says who and which lane). For the record only; "
        "nothing to do."),
    "allowlist_unreadable": (
        "放行名单读不出", "allowlist unreadable",
        "道闸读不出本机保存的放行名单，住户标签可能开不了闸。请安装维护人员检查存储卡；中心机在线时会重新下发名单。",
        "The gate cannot read its stored allowlist, so residents' tags may not open the barrier. Installer: check "
        "the SD card; the hub sends the list again while it is online."),
    "camera_unavailable": (
        "摄像头不可用", "camera unavailable",
        "连不上车道的抓拍摄像头，暂时没有通行照片（开闸不受影响）。请安装维护人员检查摄像头的电源、网线和配置里的地址。",
        "The lane's snapshot camera cannot be reached; passages have no pictures for now (the barrier still "
        "works). Installer: check the camera's power, cable and the address in the config."),
    "plate_camera_unavailable": (
        "车牌相机无响应", "plate camera silent",
        "车牌识别相机一段时间没有推送，车牌识别暂停（蓝牙标签照常开闸）。请安装维护人员检查相机电源、网线和相机里设置的推送地址。",
        "A plate camera has sent nothing for a while; plate reading is paused (tags still open the barrier). "
        "Installer: check the camera's power, cable and the push address set in the camera."),
    "clock_unsynced": (
        "时钟未同步", "clock not synchronised",
        "这台设备的时钟没有和网络时间同步，记录的时间可能不准，访客通行证可能按错误的时间过期。请安装维护人员检查它能否连到时间服务器（NTP）；同步后自动消除。",
        "This device's clock is not synchronised with network time, so its times (and visitor passes' expiry) "
        "may be wrong. Installer: check "
        "that it can reach its time server (NTP); it clears itself once synchronised."),
    "clock_ahead": (
        "时钟比中心机快", "clock ahead of the hub",
        "设备的时钟比中心机快得超出允许范围，它的数据暂不推动小区时钟（不会因此提前判定违规）。请安装维护人员检查这台设备的时间同步。",
        "The device's clock runs ahead of the hub's beyond the tolerance; its data does not move the site clock "
        "for now (no early decisions). Installer: check this device's time synchronisation."),
    "sensor_unreadable": (
        "电表读不出", "meter unreadable",
        "充电棚的电表读不出数据，这条线路的负载暂时看不到，过载也无法报警。请安装维护人员检查电表的通信线（RS485）和电源。",
        "A meter in the shed cannot be read: the circuit's load is not visible and overloads cannot be alarmed. "
        "Installer: check the meter's bus cable (RS485) and power."),
    "power_cut": (
        "已自动断电", "power cut",
        "充电棚的一条线路被自动断电（原因见详情）。请值班人员到充电棚查看；确认安全后再在网页上恢复供电。",
        "A circuit of the shed was cut automatically (the detail says why). Warden: check the shed; restore power "
        "from the web view once it is safe."),
    "ble_possible_clone": (
        "疑似复制的标签", "possible copied tag",
        "一个加密蓝牙标签的信号像是被复制或重放的，这次没有放行。请业委会联系标签的住户核实；如标签丢失，请在住户车辆页停用它。",
        "An encrypted Bluetooth tag's signal looks copied or replayed, and it was not let through. Committee: ask "
        "the tag's household; if the tag was lost, revoke it on the Registry page."),
    "ble_no_advertisements": (
        "收不到蓝牙信号", "no Bluetooth signals",
        "一段时间没有收到任何蓝牙标签的信号，设备正在重启扫描，通常会自行恢复。若反复出现，请安装维护人员检查蓝牙适配器和天线位置。",
        "No Bluetooth tag has been heard for a while; the device is restarting its scan and usually recovers by "
        "itself. If it keeps happening, the installer should check the Bluetooth adapter and where it sits."),
    "ble_adapter_down": (
        "蓝牙读卡器故障", "Bluetooth reader down",
        "蓝牙适配器不工作，道闸认不出标签：请用岗亭按钮或远程抬杆（车牌识别照常）。请安装维护人员检查 USB 蓝牙适配器，必要时重启这台设备。",
        "The Bluetooth adapter is not working, so tags do not open the barrier: use the booth button or a remote "
        "open (plates still work). Installer: check the USB Bluetooth adapter and restart the device if needed."),
    "bad_message": (
        "收到不合规的消息", "bad message refused",
        "设备收到不符合通信约定的指令或名单，已拒收。可能是中心机和设备版本不配套，或有人在网络上伪造消息；请安装维护人员核对版本和 MQTT 密码。",
        "The device refused a command or list that breaks the wire contract: the hub and device versions may not "
        "match, or someone forges messages on the network. Installer: check the versions and the MQTT passwords."),
    "ack_ahead": (
        "收到超前的确认", "acknowledgement ahead",
        "设备收到了对它从未发出的序号的确认：可能是伪造的消息，或这台设备的数据被换过。请安装维护人员检查它是否被重装过，并核对 MQTT 密码。",
        "The device was told its events were received up to a number it never sent: a forged message, or the "
        "device's data was replaced. Installer: check whether it was reinstalled, and the MQTT passwords."),
    "ingest_errors": (
        "中心机保存出错", "hub storage failing",
        "中心机保存事件持续出错，新数据可能丢失。请安装维护人员立即检查中心机存储卡的空间和日志。",
        "Storing events on the hub keeps failing; new data may be lost. Installer: check the hub's SD card space "
        "and log at once."),
    "seq_conflict": (
        "序号冲突", "sequence conflict",
        "两条不同的事件用了同一个序号：可能有人伪造消息，或两台设备配置了同一个编号。被拒的一条保存在隔离区；请安装维护人员检查设备编号。",
        "Two different events claim one sequence number: forged messages, or two devices configured with one "
        "id. The refused one is kept in the quarantine. Installer: check the device ids."),
    "storage_full": (
        "存储卡已满", "SD card full",
        "中心机存储卡已满：事件暂时留在各设备上、未能入库，空间恢复后自动补收，不会丢。请安装维护人员尽快清理空间或换更大的存储卡。",
        "The hub's SD card is full: events wait on the edge devices, not stored yet, and are taken in by "
        "themselves once space returns; nothing is lost. Installer: free space or fit a larger card soon."),
    "snapshot_disk_low": (
        "存储卡空间不足", "SD card nearly full",
        "中心机存储卡快满了：事件照常保存，抓拍图片暂不保存。请安装维护人员清理空间或换更大的存储卡。",
        "The hub's SD card is nearly full: events are still stored, snapshot pictures are dropped. Installer: free "
        "space or fit a larger card."),
}
# the same code from another kind of device means something else: (code, device kind) → (zh, en)
BY_KIND: dict[tuple[str, str], tuple[str, str]] = {
    ("ble_possible_clone", "hub"): (  # the hub's own check (hub.passages.clone): any tag, refuses nothing
        "同一个蓝牙标签在相隔太近的时间出现在两处（详情里有两处地点和时间），一辆车做不到，标签可能被复制了。"
        "这项检查不拦车。请业委会联系标签的住户核实；如确有复制，请在住户车辆页停用它并换发新标签。",
        "The same Bluetooth tag was seen at two places too close in time for one car (the detail gives both), so it "
        "may have been copied. This check stops no car. Committee: ask the tag's household; if it was copied, "
        "revoke it on the Registry page and issue a new one."),
    ("relay_fault", "charging"): (
        "充电棚的开关（继电器）没有按指令通断，自动断电或恢复供电可能没有生效。请值班人员到充电棚看看这条线路是否还在充电；"
        "请安装维护人员检查开关的电源和网络。",
        "The shed's switch (relay) did not do what it was told, so a power cut or restore may not have happened. "
        "Warden: check whether the circuit is still charging; installer: check the switch's power and network."),
}
_UNKNOWN = ("设备报告了故障 {code}。请安装维护人员查看这台设备的日志。",
            "The device reported the fault {code}. Installer: look at this device's log.")


catalogue.contribute("fault words", {
    **{f"{code}.name": (zh, en) for code, (zh, en, _, _) in FAULTS.items()},
    **{f"{code}.advice": (zh, en) for code, (_, _, zh, en) in FAULTS.items()},
    **{f"{code}.{kind}.advice": pair for (code, kind), pair in BY_KIND.items()},
    "unknown": _UNKNOWN}, prefix="fault.")


def name(code: str, lang: str = "zh") -> str:
    """The fault's name in a few words (``继电器故障``); the code itself when unknown."""
    return catalogue.t(f"fault.{code}.name", lang) if code in FAULTS else code


def advice(code: str, lang: str = "zh", kind: str | None = None) -> str:
    """What happened and who should do what, one or two sentences; ``kind`` the device's kind
    (``gate``, ``lane``, ``charging``, ``hub`` for the hub's own faults) where one code means different
    things on different devices."""
    if (code, kind or "") in BY_KIND:
        return catalogue.t(f"fault.{code}.{kind}.advice", lang)
    if code not in FAULTS:
        return catalogue.t("fault.unknown", lang, code=code)
    return catalogue.t(f"fault.{code}.advice", lang)
