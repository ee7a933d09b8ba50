"""The command line's words (命令行文字): every ``--help`` text in Chinese, and argparse's own words.

The commands keep their help texts in English where they are declared (``add_argument(help=…)``,
so ``docs/cli.md`` is generated from them); this table is their part of the one catalogue
(:mod:`gwcommon.catalogue`): the key is ``cli:`` and the English text (the way gettext keys a
message by its source text), the value (Chinese, English).  :func:`translate` rewrites a built
parser's texts in the language of the one policy (:mod:`gwcommon.lang`), so ``gatewarden --help``
speaks Chinese by default.  ``tests/test_language_scan.py`` fails when a help text has no Chinese
here — a new option needs its line in this table.

A decision module: plain data and a walk over argparse objects, no I/O.
"""

from __future__ import annotations

import argparse
import re

from gwcommon import catalogue

ZH: dict[str, str] = {
    # gatewarden
    "Gates, overnight parking and e-bike charging safety for a residential compound.":
        "小区道闸、夜间临停和电动车充电安全。",
    "show this help message and exit": "显示本帮助并退出",
    "show program's version number and exit": "显示版本号并退出",
    "language of messages: zh (default) or en; same as GATEWARDEN_LANG=en":
        "提示语言：zh（默认，中文）或 en（英文）；与 GATEWARDEN_LANG=en 相同",
    "run the hub (MQTT ingest, rules, alerts, web view)": "运行中心机（接收 MQTT 事件、执行规则、发告警、网页界面）",
    "run one edge device (gate, lane or charging)": "运行一台现场设备（道闸、车道监测或充电棚）",
    "record a shed's meter readings, replay them through the charger counter": "记录充电棚电表读数，回放核对充电计数",
    "run a whole simulated compound on this machine": "在本机运行一个完整的模拟小区（演示）",
    "run simulated nights as fast as they go and score the hub's decisions": "尽快模拟若干夜晚，给中心机的判定打分",
    "import or export the resident registry": "导入或导出住户车辆登记表",
    "check the chat targets": "检查群机器人",
    "import or export the duty roster": "导入或导出值班表",
    "installer's tools: lock the broker down, bridge to a district, offline wheels":
        "安装维护工具：MQTT 服务器加固、桥接到街道、离线安装包",
    "check this Pi: config, broker, clock, storage and its hardware": "自检本机：配置、MQTT 服务器、时钟、存储和硬件",
    # hub
    "Without a COMMAND: run the hub (store what the edge devices report, run the rules, serve the web view) "
    "until SIGTERM or Ctrl-C. With a COMMAND: one of the hub's maintenance commands below.":
        "不带 COMMAND：运行中心机（保存现场设备上报的事件、执行规则、提供网页界面），直到收到 SIGTERM 或按 Ctrl-C。"
        "带 COMMAND：执行下面的某个维护命令。",
    "the hub's TOML config file (default: $GATEWARDEN_CONFIG or /etc/gatewarden/hub.toml)":
        "中心机的 TOML 配置文件（默认：$GATEWARDEN_CONFIG 或 /etc/gatewarden/hub.toml）",
    "the hub's config file (default: $GATEWARDEN_CONFIG or /etc/gatewarden/hub.toml)":
        "中心机的配置文件（默认：$GATEWARDEN_CONFIG 或 /etc/gatewarden/hub.toml）",
    "API tokens for the JSON API": "JSON 接口的 API 令牌",
    "web view accounts": "网页账号",
    "copy the hub's database and pictures (safe while the hub runs)": "备份中心机的数据库和图片（中心机运行时也可以）",
    "Create API tokens for the JSON API (Authorization: Bearer).": "为 JSON 接口新建 API 令牌（Authorization: Bearer）。",
    "create a token and print it (shown this once only)": "新建一个令牌并显示（只显示这一次）",
    "Create an API token with a role and print it; only its hash is kept.":
        "按角色新建一个 API 令牌并显示；系统只保存它的哈希值。",
    "what the token may do": "令牌的权限（角色）",
    "a note saying who or what uses the token": "备注：谁或什么程序使用这个令牌",
    "Add or list the web view's accounts (the first admin comes from here).":
        "添加或列出网页账号（第一个管理员账号要在这里添加）。",
    "add an account (or reset one with --replace)": "添加账号（加 --replace 可重设已有账号）",
    "list the accounts": "列出账号",
    "Add a web view account. The password is asked twice on a terminal, or read from --password-file, "
    "or from the first line of standard input.":
        "添加一个网页账号。密码在终端上输入两次，或从 --password-file 读取，或取标准输入的第一行。",
    "user name (letters, digits, . _ @ -)": "用户名（字母、数字和 . _ @ -）",
    "the account's role": "账号的角色",
    "name shown in the web view": "网页上显示的名字",
    "file whose first line is the password": "第一行是密码的文件",
    "reset an existing account's password and role": "重设已有账号的密码和角色",
    "List the web view's accounts.": "列出网页账号。",
    "Write a consistent backup of the hub database (SQLite online backup) and its pictures into a new "
    "directory under --to, then print its path. Safe while the hub runs. Restore: docs/operations.md.":
        "把中心机数据库（SQLite 在线备份）和图片完整地备份到 --to 下的一个新目录，并显示它的路径。"
        "中心机运行时也可以备份。恢复方法见 docs/operations.md。",
    "where to put the backup (default: <storage.dir>/backups; better a USB stick)":
        "备份放在哪里（默认：<storage.dir>/backups；最好是 U 盘）",
    "afterwards keep only the newest N backups in DIR (default 0: keep all)":
        "备份后 DIR 里只保留最新的 N 份（默认 0：全部保留）",
    # edge
    "Run one edge device's daemons: the durable outbox, the MQTT publisher and the sources its config names "
    "(replay, gate, lane, charging). Stops cleanly on SIGTERM or Ctrl-C.":
        "运行一台现场设备的服务：可靠的待发队列、MQTT 发送和配置里写的数据来源（回放、道闸、车道监测、充电棚）。"
        "收到 SIGTERM 或按 Ctrl-C 时正常退出。",
    "the device's TOML config file (default: $GATEWARDEN_CONFIG or the one /etc/gatewarden/gate|lane|charging.toml)":
        "设备的 TOML 配置文件（默认：$GATEWARDEN_CONFIG 或 /etc/gatewarden/ 下唯一的 gate|lane|charging.toml）",
    "only check the config (and a replay file), print a summary and exit": "只检查配置（和回放文件），显示摘要后退出",
    # charging
    "Check the charger count on your own chargers: record the meters' readings, write down what you counted "
    "walking round, replay and compare.":
        "用自己小区的充电器核对充电计数：记录电表读数，写下巡查时数到的数量，回放并比较。",
    "record the meters' readings to a JSONL file": "把电表读数记录到 JSONL 文件",
    "run the counter over a recording and compare with truth lines": "对记录回放充电计数，并与人工记录比较",
    "Read every meter the charging device's config lists, at its poll_interval, and write one JSON line per "
    "reading to OUT until Ctrl-C or --duration. Stop the charging device first when its meters are on a serial bus.":
        "按 poll_interval 读取充电棚设备配置里的每个电表，每次读数写一行 JSON 到 OUT，直到按 Ctrl-C 或到 --duration。"
        "电表接在串口总线上时，请先停止充电棚设备的服务。",
    "the charging device's TOML config file": "充电棚设备的 TOML 配置文件",
    "the recording to write (JSON lines)": "要写的记录文件（每行一条 JSON）",
    "stop after this many seconds (default: until Ctrl-C)": "多少秒后停止（默认：直到按 Ctrl-C）",
    "language of the messages: zh (default) or en; else GATEWARDEN_LANG": "提示语言：zh（默认，中文）或 en；不写时看 GATEWARDEN_LANG",
    "Run the charger counter over a recording as the device would, and report the count; with --truth, compare "
    "it with hand-written lines like '21:30:00 chargers=3' (see docs/charging.md).":
        "像设备一样对记录运行充电计数并报告结果；加 --truth 时与手写的记录（如 '21:30:00 chargers=3'，"
        "见 docs/charging.md）比较。",
    "a recording made by 'gatewarden charging record'": "用 'gatewarden charging record' 录下的记录",
    "what was counted walking round, one line per change": "巡查时数到的数量，每次变化一行",
    # demo, simulate
    "Run a whole simulated compound on this machine: a private Mosquitto, the hub, two gate lanes, a lane "
    "scanner and a charging shed, through one night.":
        "在本机运行一个完整的模拟小区，过一个夜晚：独立的 Mosquitto、中心机、两条道闸车道、一台车道监测和一个充电棚。",
    "real seconds the simulated evening and night take (default 120)": "模拟的傍晚和夜间用多少真实秒数（默认 120）",
    "which simulated compound and night (default 1)": "哪一个模拟小区和夜晚（默认 1）",
    "where to keep the demo's data (default: a new temporary directory)": "演示数据放在哪里（默认：一个新的临时目录）",
    "web view port (default: a free one)": "网页端口（默认：任一空闲端口）",
    "stop once the morning digest is out instead of keeping the web view up": "违停晨报发出后就停止，不保留网页",
    "Run the simulated compound of `gatewarden demo` through consecutive nights, unwatched, and score what the "
    "hub decided against the ground truth: violations found (precision, recall, false accusations), late-data "
    "retractions, gate decisions, charging counts.  Exit 1 when any resident was falsely accused.":
        "让 `gatewarden demo` 的模拟小区连续过若干夜晚（无人值守），把中心机的判定与真实情况对比打分："
        "查出的违规（准确率、查全率、冤枉）、迟到数据的撤回、道闸判定、充电计数。有住户被冤枉时退出码为 1。",
    "simulated seconds per real second during a night (default 8000)": "夜间每一真实秒模拟多少秒（默认 8000）",
    "the first evening (default 2026-11-19)": "第一个傍晚的日期（默认 2026-11-19）",
    "the simulated evening (default 2026-11-19)": "模拟哪一天的傍晚（默认 2026-11-19）",
    "consecutive nights (1-60, default 1)": "连续几个夜晚（1-60，默认 1）",
    "which compound, nights and outages (default 1)": "哪一个小区、夜晚和故障安排（默认 1）",
    "print the scores as JSON instead of a table": "以 JSON 而不是表格输出分数",
    "freeze or kill a gate or lane device for a while each night (from the seed)":
        "每晚让一台道闸或车道监测设备卡住或断开一段时间（按 --seed 安排）",
    "a soak: kill the hub, the broker and edge devices at random moments, step an edge clock by hours, fill the "
    "hub's disk, keep the hub down two days (from the seed); also scores events lost and doubled and the latest "
    "morning decision":
        "耐久测试：随机时刻强行终止中心机、MQTT 服务和前端设备，把一台设备的时钟拨动数小时，写满中心机存储卡，"
        "让中心机停机两天（按 --seed 安排）；另外统计丢失和重复的事件，以及最晚的早晨判定时间",
    "keep the run's data and logs here (default: a temporary directory, removed after)":
        "数据和日志放在这里（默认：临时目录，运行后删除）",
    # registry, roster, alerts
    "Import or export the resident registry file.": "导入或导出住户车辆登记表文件。",
    "replace the resident registry with a CSV file (all or nothing)": "用一个 CSV 文件替换住户车辆登记表（要么全部导入，要么不改）",
    "write the resident registry as CSV (UTF-8 with BOM, Chinese headers)": "把住户车辆登记表导出为 CSV（带 BOM 的 UTF-8，中文表头）",
    "replace the resident registry with a CSV file (all or nothing). Every bad row is reported with its line "
    "number; a file with any bad row changes nothing.":
        "用一个 CSV 文件替换住户车辆登记表（要么全部导入，要么不改）。每个有问题的行都会报出行号；有任何问题时什么都不改。",
    "the sheet: .xlsx, or CSV/text (UTF-8 with or without BOM, GB18030/GBK, UTF-16)":
        "表格文件：.xlsx，或 CSV/文本（UTF-8（带或不带 BOM）、GB18030/GBK、UTF-16）",
    "only show what the import would change (added, removed, changed); change nothing":
        "只显示导入会改什么（新增、删除、修改），不做任何更改",
    "confirm an import that removes vehicles (they leave every gate's allowlist)":
        "确认一次会删除车辆的导入（这些车辆会从所有道闸的放行名单中去掉）",
    "write the resident registry as CSV (UTF-8 with BOM, Chinese headers), to FILE or standard output.":
        "把住户车辆登记表导出为 CSV（带 BOM 的 UTF-8，中文表头），写到 FILE 或标准输出。",
    "where to write (default: standard output)": "写到哪里（默认：标准输出）",
    "Check the chat targets.": "检查群机器人。",
    "send a test message to every [[chat]] target now and show what each answered":
        "现在给每个 [[chat]] 群机器人发一条测试消息，并显示各自的回答",
    "send a test message to every [[chat]] target now and show what each answered. Exits 1 when any target failed.":
        "现在给每个 [[chat]] 群机器人发一条测试消息，并显示各自的回答。有任何一个失败时退出码为 1。",
    "Import or export the duty roster.": "导入或导出值班表。",
    "replace the duty roster with a CSV file (all or nothing)": "用一个 CSV 文件替换值班表（要么全部导入，要么不改）",
    "write the duty roster as CSV (UTF-8 with BOM, Chinese headers)": "把值班表导出为 CSV（带 BOM 的 UTF-8，中文表头）",
    "replace the duty roster with a CSV file (all or nothing). Every bad row is reported with its line number; "
    "a file with any bad row changes nothing.":
        "用一个 CSV 文件替换值班表（要么全部导入，要么不改）。每个有问题的行都会报出行号；有任何问题时什么都不改。",
    "CSV file (UTF-8, UTF-8 with BOM, or GB18030/GBK)": "CSV 文件（UTF-8、带 BOM 的 UTF-8 或 GB18030/GBK）",
    "write the duty roster as CSV (UTF-8 with BOM, Chinese headers), to FILE or standard output.":
        "把值班表导出为 CSV（带 BOM 的 UTF-8，中文表头），写到 FILE 或标准输出。",
    # deploy
    "Generate configuration for the compound's Mosquitto broker (accounts, ACLs, TLS) and for its bridge to a "
    "district broker.":
        "为小区的 Mosquitto 服务器生成配置（账号、ACL 权限、TLS 加密），以及到街道服务器的桥接。",
    "write the compound broker's accounts, ACLs and TLS files": "写出小区 MQTT 服务器的账号、ACL 权限和 TLS 文件",
    "write the bridge from the compound broker to a district broker": "写出小区 MQTT 服务器到街道服务器的桥接配置",
    "download every wheel a role needs into a folder, for a Pi with no internet":
        "把某个角色需要的所有安装包下载到一个文件夹，给不能上网的树莓派用",
    "Write a Mosquitto configuration for the compound into --out: one account per device and one for the hub, "
    "ACLs (a device writes only its own topics), anonymous clients refused, a packet-size limit, and (unless "
    "--no-tls) a local CA and a TLS listener. Re-running keeps the CA and the passwords already issued.":
        "把小区的 Mosquitto 配置写到 --out：每台设备一个账号、中心机一个账号，ACL 权限（设备只能写自己的主题），"
        "拒绝匿名连接，限制消息大小，以及（除非 --no-tls）本地 CA 和 TLS 监听端口。重新运行会保留已有的 CA 和密码。",
    "the hub's TOML config, for the site id (default: $GATEWARDEN_CONFIG or /etc/gatewarden/hub.toml)":
        "中心机的 TOML 配置，用来取小区编号（默认：$GATEWARDEN_CONFIG 或 /etc/gatewarden/hub.toml）",
    "every edge device id of the compound, comma-separated (e.g. gate-north,lane-east)":
        "小区所有现场设备的编号，用英文逗号分隔（例如 gate-north,lane-east）",
    "accounts for MQTT meters (Tasmota, ESPHome, Shelly) that publish under meters/<site>/":
        "给在 meters/<site>/ 下发布的 MQTT 电表（Tasmota、ESPHome、Shelly）的账号",
    "directory to write (e.g. /etc/mosquitto/gatewarden)": "写到哪个目录（例如 /etc/mosquitto/gatewarden）",
    "devices connect over TLS with a CA made here (the default; --no-tls: plain MQTT with passwords only, for a "
    "wired network you trust)":
        "设备用这里生成的 CA 通过 TLS 加密连接（默认；--no-tls：只用密码的明文 MQTT，仅用于可信的有线网络）",
    "with --tls: also require a client certificate from every device (issued here)":
        "与 --tls 一起用：还要求每台设备出示客户端证书（在这里签发）",
    "a name or address devices use to reach the broker (repeat; the first one goes into the devices' config; "
    "default: this machine's name.local)":
        "设备连接服务器用的名字或地址（可重复；第一个写进设备配置；默认：本机的 名字.local）",
    "plain MQTT port (loopback only with --tls; default 1883)": "明文 MQTT 端口（用 --tls 时只在本机开放；默认 1883）",
    "TLS port for the devices (default 8883)": "设备用的 TLS 端口（默认 8883）",
    "with --tls: keep the plain port open on the network too (for meters without TLS)":
        "与 --tls 一起用：明文端口也对网络开放（给不支持 TLS 的电表用）",
    "address of the devices' listener (default: every interface)": "设备监听端口的地址（默认：所有网卡）",
    "Write bridge.conf for the compound broker (MQTT 5, persistent session, only violations and device status "
    "upward) and, under district/, the account and ACL lines to add to the district broker. Re-running keeps the "
    "bridge's password.":
        "为小区 MQTT 服务器写 bridge.conf（MQTT 5，持久会话，只向上发送违规和设备状态），并在 district/ 下写出"
        "要加到街道服务器的账号和 ACL 行。重新运行会保留桥接的密码。",
    "the district broker's name or address": "街道服务器的名字或地址",
    "the district broker's port (default 8883)": "街道服务器的端口（默认 8883）",
    "CA certificate of the district broker (turns TLS on; strongly advised)": "街道服务器的 CA 证书（启用 TLS；强烈建议）",
    "also send the devices' fault events upward": "设备故障事件也向上发送",
    "directory to write": "写到哪个目录",
    "On a machine with internet and this checkout: build gatewarden's own wheel and download every wheel ROLE "
    "needs for PLATFORM at the pinned versions (deploy/constraints/) into DIR. Then on the Pi: sudo "
    "deploy/install.sh ROLE --wheelhouse DIR.":
        "在一台能上网、有本代码的机器上：构建 gatewarden 自己的安装包，并按固定版本（deploy/constraints/）"
        "下载 ROLE 在 PLATFORM 上需要的所有安装包到 DIR。然后在树莓派上运行：sudo deploy/install.sh ROLE --wheelhouse DIR。",
    "folder to fill (created when missing)": "要放安装包的文件夹（不存在时自动创建）",
    "the Pi's role": "树莓派的角色",
    "the Pi's system and processor (default: bookworm-aarch64, 64-bit Raspberry Pi OS)":
        "树莓派的系统和处理器（默认：bookworm-aarch64，即 64 位 Raspberry Pi OS）",
    "include the cameras (OpenCV) for a gate; a lane has them already": "道闸包含摄像头组件（OpenCV）；车道监测本来就有",
    "leave the cameras out": "不包含摄像头组件",
    # doctor
    "Check everything this Pi's role needs (the config, the MQTT broker with its credentials and TLS, the clock, "
    "storage; for gate and lane devices Bluetooth, GPIO pins and inputs, cameras; for charging devices the "
    "meters) and explain each problem. Exit status 1 when anything fails. Stop the device's own service first: "
    "the doctor needs its pins.":
        "检查本机角色需要的一切（配置、MQTT 服务器及其账号和 TLS、时钟、存储；道闸和车道监测设备还查蓝牙、"
        "GPIO 引脚和输入、摄像头；充电棚设备查电表），并说明每个问题怎么处理。有故障时退出码为 1。"
        "请先停止本机设备的服务：自检要用它的引脚。",
    "the Pi's TOML config file (default: $GATEWARDEN_CONFIG or the one /etc/gatewarden/*.toml)":
        "本机的 TOML 配置文件（默认：$GATEWARDEN_CONFIG 或 /etc/gatewarden/ 下唯一的 *.toml）",
    "print the results as JSON (for scripts)": "以 JSON 输出结果（给脚本用）",
    "language of the report: zh (default) or en; else GATEWARDEN_LANG": "报告语言：zh（默认，中文）或 en；不写时看 GATEWARDEN_LANG",
    "the hub's web address (http://HUB:8080), to measure this Pi's clock offset to it":
        "中心机的网页地址（http://HUB:8080），用来测本机与中心机的时差",
    "relay test instead of the checks: pulse one lane's open or close relay once (reads the loops and photo-eye "
    "first; refuses a close while one is active)":
        "不做检查，改做继电器测试：给一条车道的抬杆或落杆继电器发一次脉冲（先读地感和光电；有车或有人时拒绝落杆）",
    "the lane to pulse (needed with several lanes)": "要测试的车道（有多条车道时必须写）",
    "do not ask before pulsing": "发脉冲前不再询问",
}
# What the gatewarden commands print (demo, deploy): keys gw.*
SAYS: dict[str, tuple[str, str]] = {
    "config.several": ("有多个配置文件（{names}）：用 --config 指定一个", "several config files ({names}): choose one with --config"),
    "config.none": ("没有 --config，也找不到 {names}：用 --config 文件 指定，或设置 {env}",
                    "no --config given and no {names}: give --config FILE or set {env}"),
    "simulate.range": ("应在 {low} 到 {high} 之间", "must be between {low} and {high}"),
    "simulate.chaos_faults": ("耐久测试：注入的故障：{faults}", "chaos: faults injected: {faults}"),
    "simulate.chaos_none": ("无", "none"),
    "simulate.chaos_events": ("耐久测试：前端设备记录的事件 {recorded}，已入库 {stored}，还在等待 {waiting}，丢失 {lost}，重复 {doubled}",
                              "chaos: events recorded by the edges {recorded}, stored {stored}, waiting {waiting}, "
                              "lost {lost}, doubled {doubled}"),
    "simulate.chaos_mornings": ("耐久测试：已判定的早晨 {mornings}，早晨判定最晚推迟 {worst}",
                                "chaos: mornings decided {mornings}, worst delay of a morning decision {worst}"),
    "simulate.no_mosquitto": ("gatewarden simulate：没有安装 Mosquitto（sudo apt-get install mosquitto）",
                              "gatewarden simulate: Mosquitto is not installed (sudo apt-get install mosquitto)"),
    "demo.no_mosquitto": ("gatewarden demo：没有安装 Mosquitto（sudo apt-get install mosquitto），或者运行 ./dev demo，它会安装",
                          "gatewarden demo: Mosquitto is not installed (sudo apt-get install mosquitto), "
                          "or run ./dev demo, which installs it"),
    "demo.head": ("gatewarden demo：{compound}，{households} 户、{cars} 辆车、{spaces} 个车位；{evening} 的夜晚，约 {seconds} 秒",
                  "gatewarden demo: {compound}, {households} households, {cars} cars, {spaces} spaces; "
                  "the night of {evening} in about {seconds} s"),
    "demo.data": ("  数据：{dir}", "  data: {dir}"),
    "demo.web": ("  网页：{url}   登录：admin / {password}   （群消息：{url}inbox）",
                 "  web view: {url}   login: admin / {password}   (chat messages: {url}inbox)"),
    "demo.died": ("{name} 意外停止（退出码 {code}）；请看 {log}", "{name} stopped unexpectedly (exit {code}); see {log}"),
    "demo.morning": ("违停晨报已发出。请看看：{url}  （登录 admin / {password}）",
                     "The morning digest is out. Look around: {url}  (login admin / {password})"),
    "demo.progress": ("在线设备 {online}  事件 {events}  未处理违规 {open}  群消息 {sent}",
                      "devices online {online}  events {events}  open violations {open}  chat messages {sent}"),
    "demo.ctrl_c": ("按 Ctrl-C 结束演示。", "Press Ctrl-C to stop the demo."),
    "demo.stopping": ("正在停止……", "stopping…"),
    "deploy.no_devices": ("{option}：至少写一个设备编号", "{option}: name at least one device id"),
    "deploy.bad_id": ("{option}：{device} 不是有效的编号（小写字母、数字和 -）",
                      "{option}: {device!r} is not an id (lower case letters, digits and '-')"),
    "deploy.hub_reserved": ("{option}：“hub”留给中心机自己的账号", "{option}: 'hub' is reserved for the hub's own account"),
    "deploy.repeated": ("{option}：重复了：{ids}", "{option}: repeated: {ids}"),
    "deploy.port": ("{name}：{value} 不是端口号（1-65535）", "{name}: {value} is not a port (1-65535)"),
    "deploy.meter_also_device": ("--meters：{ids} 也在 --devices 里", "--meters: {ids} is also in --devices"),
    "deploy.plain_needs_tls": ("--plain-on-lan 要和 --tls 一起用（不用 --tls 时明文端口本来就对网络开放）",
                               "--plain-on-lan needs --tls (without --tls the plain port is on the network anyway)"),
    "deploy.certs_need_tls": ("--client-certs 要和 --tls 一起用", "--client-certs needs --tls"),
    "deploy.ports_differ": ("--port 和 --tls-port 不能相同", "--port and --tls-port must differ"),
    "deploy.cannot_write": ("--out {out}：写不了（{error}）", "--out {out}: cannot write: {error}"),
    "deploy.broker_written": ("小区 {site} 的 MQTT 服务器配置已写到 {out}", "broker configuration for site {site} written to {out}"),
    "deploy.new_account": ("新账号", "new account"), "deploy.kept": ("密码沿用", "password kept"),
    "deploy.meter": ("  {name:<20} {state:<14} 把 {folder}/meter.txt 填进电表的 MQTT 设置页",
                     "  {name:<20} {state:<14} type {folder}/meter.txt into the meter's MQTT page"),
    "deploy.device": ("  {name:<20} {state:<14} 复制 {folder}/mqtt/，并合并 {folder}/mqtt.toml",
                      "  {name:<20} {state:<14} copy {folder}/mqtt/ and merge {folder}/mqtt.toml"),
    "deploy.removed": ("  {name:<20} 账号已删除（不再在 --devices 里）", "  {name:<20} account removed (no longer in --devices)"),
    "deploy.next": ("下一步：ln -sf {out}/mosquitto.conf /etc/mosquitto/conf.d/gatewarden.conf && systemctl restart mosquitto",
                    "next: ln -sf {out}/mosquitto.conf /etc/mosquitto/conf.d/gatewarden.conf && systemctl restart mosquitto"),
    "deploy.no_ca_file": ("--district-ca：没有这个文件：{file}", "--district-ca: no such file: {file}"),
    "deploy.bridge_written": ("小区 {site} 的桥接配置已写到 {out}", "bridge of site {site} written to {out}"),
    "deploy.bridge_compound": ("  小区服务器：ln -sf {out}/bridge.conf /etc/mosquitto/conf.d/gatewarden-bridge.conf",
                               "  compound broker: ln -sf {out}/bridge.conf /etc/mosquitto/conf.d/gatewarden-bridge.conf"),
    "deploy.bridge_district": ("  街道服务器：把 {out}/district/passwd 加到它的密码文件，把 {out}/district/acl 加到它的 acl_file"
                               "（docs/district.md）",
                               "  district broker: append {out}/district/passwd to its password file and "
                               "{out}/district/acl to its acl_file (docs/district.md)"),
    "deploy.no_tls": ("  注意：没有 --district-ca，桥接到街道不加密（不用 TLS）",
                      "  warning: no --district-ca: the bridge talks to the district without TLS"),
    "wheels.pip": ("wheelhouse：pip 失败（退出码 {code}）；请看上面的输出", "wheelhouse: pip failed (exit {code}); see its output above"),
    "wheels.cannot_write": ("{dir}：写不了（{error}）", "{dir}: cannot write: {error}"),
    "wheels.done": ("{dir}：{wheels} 个安装包，角色 {role}，平台 {platform}（gatewarden[{extras}]）",
                    "{dir}: {wheels} wheels for {role} on {platform} (gatewarden[{extras}])"),
    "wheels.next": ("下一步，在树莓派上：sudo deploy/install.sh {role} --wheelhouse {dir}",
                    "next, on the Pi: sudo deploy/install.sh {role} --wheelhouse {dir}"),
}
catalogue.contribute("gatewarden", SAYS, prefix="gw.")


def say(key: str, **values) -> str:
    """What a gatewarden command prints, in the command line's language (the one policy)."""
    import os

    from gwcommon.lang import choose

    return catalogue.t("gw." + key, choose(environ=os.environ), **values)


# argparse's own words (its usage line, group titles and refusals), Chinese
USAGE = {"zh": "用法：", "en": "usage: "}
GROUPS = {"positional arguments": "位置参数", "options": "选项", "optional arguments": "选项"}
_REFUSALS = [
    (re.compile(r"the following arguments are required: (.*)"), "缺少必需的参数：{0}"),
    (re.compile(r"argument (\S+): invalid choice: (.*) \(choose from (.*)\)"), "参数 {0} 的值 {1} 不对，可选：{2}"),
    (re.compile(r"argument (\S+): invalid (\w+) value: (.*)"), "参数 {0} 的值 {2} 不对{1}"),
    (re.compile(r"argument (\S+): expected one argument"), "参数 {0} 后面要跟一个值"),
    (re.compile(r"unrecognized arguments: (.*)"), "不认识的参数：{0}"),
    (re.compile(r"argument (\S+): (.*)"), "参数 {0}：{1}"),
]


def _key(english: str) -> str:
    return "cli:" + english


catalogue.contribute("cli", {_key(en): (zh, en) for en, zh in ZH.items()})


def words(english: str | None, lang: str) -> str | None:
    """A help text in ``lang``: the Chinese of ``english`` from the table, or ``english`` as it is."""
    if not english or english is argparse.SUPPRESS:
        return english
    return catalogue.t(_key(english), lang) if catalogue.has(_key(english)) else english


def refusal(message: str, lang: str) -> str:
    """argparse's refusal of a command line (``the following arguments are required: --role``) in ``lang``."""
    if lang == "en":
        return message
    for pattern, zh in _REFUSALS:
        match = pattern.fullmatch(message)
        if match:
            groups = list(match.groups())
            if pattern is _REFUSALS[2][0]:  # argparse names the converter (int, fromisoformat, _speed)
                groups[1] = _KINDS.get(groups[1], "")
            return zh.format(*groups)
    return message


# What a converter's name means to a person; other names (our own checks) say nothing more.
_KINDS = {"int": "（应是整数）", "_positive": "（应是整数）", "float": "（应是数字）", "_speed": "（应是数字）", "fromisoformat": "（应是日期，如 2026-11-19）"}


def untranslated(parser: argparse.ArgumentParser) -> list[str]:
    """Every help text of ``parser`` and its sub-commands that has no Chinese (for the scan test)."""
    return sorted({text for text in _texts(parser)
                   if text and text is not argparse.SUPPRESS and not catalogue.has(_key(text))})


def _texts(parser: argparse.ArgumentParser):
    yield parser.description
    for action in parser._actions:
        yield action.help
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                yield choice.help
            for sub in action.choices.values():
                yield from _texts(sub)


def translate(parser: argparse.ArgumentParser, lang: str) -> None:
    """Put ``parser``'s texts (and its sub-commands') into ``lang``, in place."""
    parser.description = words(parser.description, lang)
    parser.lang = lang  # read by the parser class of gatewarden.cli for its usage line and refusals
    for group in parser._action_groups:
        if lang != "en":
            group.title = GROUPS.get(group.title, group.title)
    for action in parser._actions:
        action.help = words(action.help, lang)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                choice.help = words(choice.help, lang)
            for sub in action.choices.values():
                translate(sub, lang)
