"""What the hub's maintenance commands say (维护命令的提示): their part of the one catalogue
(:mod:`gwcommon.catalogue`, keys ``hubcli.*``), Chinese by default, English by the one language
policy (:mod:`gwcommon.lang`).  Account refusals are the web kit's (``acc.err.*`` in
:mod:`hub.web.i18n`): the command and the Accounts page say the same.  A decision module: plain data.
"""

from __future__ import annotations

import os
from typing import Any

from gwcommon import catalogue
from gwcommon.lang import choose

WORDS: dict[str, tuple[str, str]] = {
    "config_missing": ("需要 --config CONFIG（中心机的 TOML 配置文件）", "--config CONFIG is required (the hub's TOML config file)"),
    "line": ("第 {n} 行", "line {n}"),
    "bad_lines": ("gatewarden {command}：共 {count} 处问题，没有做任何更改", "gatewarden {command}: {count} bad line(s); nothing was changed"),
    "cannot_write": ("gatewarden {command}：写不了 {file}（{error}）", "gatewarden {command}: cannot write {file}: {error}"),
    "cannot_read": ("gatewarden {command}：{file}：读不了这个文件（{error}）", "gatewarden {command}: {file}: cannot read: {error}"),
    "storage_missing": ("{config}：数据目录 storage.dir {folder} 不存在；先启动一次中心机（sudo systemctl start gatewarden-hub），"
                        "或创建它：{make}",
                        "{config}: storage.dir {folder} does not exist; start the hub once "
                        "(sudo systemctl start gatewarden-hub) or create it: {make}"),
    "storage_unusable": ("storage.dir：用不了 {folder}（{error}）", "storage.dir: cannot use {folder}: {error}"),
    # registry
    "registry.check": ("--check：只是预览，没有做任何更改", "--check: nothing was changed"),
    "registry.would_remove": ("gatewarden registry import：这次导入会删除 {count} 辆车（道闸将不再放行）；没有做任何更改。"
                              "确认要删除，请加 --yes 再运行一次。",
                              "gatewarden registry import: this would remove {count} vehicle(s) from the registry and "
                              "every gate's allowlist; nothing was changed. Run again with --yes if that is meant."),
    "registry.imported": ("已导入 {households} 户的 {vehicles} 辆车、{tags} 个标签；登记表版本 {version}",
                          "imported {vehicles} vehicles of {households} households with {tags} tags; registry version {version}"),
    "registry.exported": ("已把 {count} 辆车写到 {file}", "wrote {count} vehicles to {file}"),
    # roster, alerts
    "roster.imported": ("已导入值班表 {count} 行", "imported {count} roster rows"),
    "roster.exported": ("已把值班表写到 {file}", "wrote the roster to {file}"),
    "alerts.none": ("{config}：没有配置任何 [[chat]] 群机器人", "{config}: no [[chat]] targets configured"),
    "alerts.title": ("告警测试", "Alert test"),
    "alerts.delivered": ("{name}（{kind}）：已送达", "{name} ({kind}): delivered"),
    "alerts.failed": ("{name}（{kind}）：{detail} —— {advice}", "{name} ({kind}): {detail} — {advice}"),
    "alerts.advice.target_fault": ("被长期拒收：请检查机器人地址、密钥，以及机器人的关键词或 IP 白名单",
                                   "refused for good: check the address, the secret and the robot's keywords or IP list"),
    "alerts.advice.retry": ("暂时没送到（限流、服务或网络问题）：过一分钟再试",
                            "not delivered now (rate limit, service or network trouble): try again in a minute"),
    "alerts.advice.reject": ("服务拒收了这条消息", "the service refused this message"),
    # backup
    "backup.keep": ("--keep 应是 0（全部保留）或更大的数", "--keep must be 0 (keep all) or more"),
    "backup.no_db": ("{path} 没有中心机数据库（请检查 storage.dir）", "no hub database at {path} (check storage.dir)"),
    "backup.cannot_write": ("--to {target}：写不了备份（{error}）", "--to {target}: cannot write the backup: {error}"),
    "backup.bad_copy": ("{made} 里的备份没有通过完整性检查：{detail}", "the copy in {made} failed its integrity check: {detail}"),
    "backup.removed": ("已删除旧备份 {old}", "removed old backup {old}"),
    # accounts
    "user.done_added": ("已添加{role}账号 {name}", "added {role} account {name}"),
    "user.done_reset": ("已重设{role}账号 {name}", "reset {role} account {name}"),
    "user.disabled": ("（已停用）", "(disabled)"),
    "user.password": ("密码：", "password: "),
    "user.again": ("再输一遍：", "again: "),
}
catalogue.contribute("hubcli", WORDS, prefix="hubcli.")


def say(key: str, lang: str | None = None, **values: Any) -> str:
    """The words for ``key`` in ``lang`` (default: the command line's, by the one policy)."""
    return catalogue.t("hubcli." + key, lang or choose(environ=os.environ), **values)
