"""Chinese first, in every word a warden, the committee or the installer reads (issue 18).

Renders every web page (logged in as admin, with seeded data), every chat message kind, every
command's ``--help``, the doctor's every message and every kind of config error, in Chinese and in
English, and finds no English word in the Chinese outside ids, code, units and brand names, and no
Chinese in the English outside the seeded names and addresses (tests/support/wordscan.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import string
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from tests.support.webhub import add_user, csrf_of, login, web_hub
from tests.support.wordscan import chinese_leaks, english_leaks, page_text

SITE = "测试小区"
# The seeded data's names and addresses: they stay as they are in English.
NAMES = {SITE, "浙A12345", "浙B12345", "浙A·1**45", "浙B·1**45", "1-101", "2-202", "张三", "李四", "东侧临停带",
         "送急诊", "已挪车", "中文", "浙A54321", "浙", "京", "王五", "充电棚A路"}
# The ids the seeded data uses (they show as they are in Chinese too).
IDS = {"English", "testclient", "device", "lane-e", "gate-n", "shed-a", "shed-1", "east-strip", "wecom-1", "admin", "warden", "committee", "viewer"}
PAGES = ["/", "/violations", "/violations/v-1", "/violations/v-2", "/diary", "/report?month=2026-03", "/audit",
         "/phone", "/devices", "/passages", "/registry", "/roster", "/calendar", "/inbox", "/charging",
         "/charging/bill", "/account", "/accounts", "/login", "/diary/print", "/registry/health",
         "/registry/vehicle?plate=浙A12345", "/roster/shifts/1", "/charging/bill?month=2026-03",
         "/charging?day=2026-03-02"]
CSVS = ["/report.csv?month=2026-03", "/registry/export.csv", "/roster/export.csv", "/diary.csv",
        "/charging/incidents.csv?from=2026-03-01", "/violations.csv"]


@pytest.fixture(scope="module")
def hub(tmp_path_factory, broker):
    from hub.areas import AREAS

    areas = [m for name, m in AREAS.items() if name not in ("homeassistant", "metrics")]
    hub = web_hub(tmp_path_factory.mktemp("scan"), broker, areas=areas, web={"inbox_key": "k3y-scan"},
                  overrides={"zones": [{"name": "east-strip", "kind": "night"}],
                             "circuits": [{"name": "shed-a", "label": "充电棚A路"}]})
    add_user(hub, "admin", "admin")
    client = TestClient(hub.web)
    login(client, "admin")
    _seed(hub, client)
    yield hub, client
    hub.stop()


def _post(client, path, files=None, **data):
    return client.post(path, data={**data, "csrf": csrf_of(client)}, files=files, follow_redirects=False)


def _seed(hub, client) -> None:
    registry = ("车牌,房号,车主,手机,标签\n浙A12345,1-101,张三,13800001111,eid:car-1\n"
                "浙B12345,2-202,李四,,eid:car-2\n")
    preview = client.post("/registry/import", data={"csrf": csrf_of(client)},
                          files={"file": ("r.csv", registry.encode("utf-8-sig"), "text/csv")})
    token = re.search(r'name="token" value="([^"]+)"', preview.text)
    if token:
        _post(client, "/registry/import/confirm", token=token.group(1))

    def rows(db):
        for vid, state in (("v-1", "open"), ("v-2", "open")):
            db.execute("INSERT INTO violations (id, key, rule, deadline, plate, household, zone, state, provisional, "
                       "evidence, ts, created_at, updated_at) VALUES (?, ?, 'overnight', "
                       "'2026-03-03T00:00:00.000+00:00', '浙A12345', '1-101', 'east-strip', ?, 1, '[]', "
                       "'2026-03-03T00:00:00.000+00:00', 'x', 'x')", [vid, vid, state])
        db.execute("INSERT INTO devices (device, kind, status_online, last_seen, skew_ms, hb_outbox) VALUES "
                   "('lane-e', 'lane', 1, '2026-03-02T22:59:30.000+00:00', 3500, 12), "
                   "('gate-n', 'gate', 0, '2026-03-02T20:00:00.000+00:00', 0, 0)")
        db.execute("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES "
                   "('f-1', 's', 'lane-e', 5, 'fault', '2026-03-02T22:00:00.000+00:00', '', ?)",
                   [json.dumps({"code": "camera_unavailable", "active": True, "detail": ""})])
        db.execute("INSERT INTO alert_target_faults (target, code, detail, since, active) VALUES "
                   "('wecom-1', '93000', '', '2026-03-02T20:00:00.000+00:00', 1)")
        db.execute("INSERT INTO charging_circuits (circuit, device, ts, received_at, power_w, current_a, loads) "
                   "VALUES ('shed-a', 'shed-1', '2026-03-02T22:59:00.000+00:00', '', 812.0, 3.7, 4)")
    hub.writer.call(rows)
    hub.writer.call(lambda db: _charging(hub, db))
    _post(client, "/stays", op="register", plate="浙B12345", zone="east-strip")
    _post(client, "/violations/v-1/identify", plate="浙A12345")
    _post(client, "/violations/v-1/excuse", reason="送急诊")
    _post(client, "/violations/v-2/resolve", reason="已挪车")
    _post(client, "/diary", text="巡查正常")
    _post(client, "/roster/shifts", name="王五", mobile="13800002222", role="warden", day="周一", start="20:00",
          end="08:00", position="1")
    client.post("/inbox/hook/k3y-scan", json={"type": "text", "title": "违停晨报", "text": "浙A·1**45"})


def _charging(hub, db) -> None:
    """A night of the shed through the charging area: an overload opened and over, a power cut,
    and the holiday calendar's yearly notice — incidents, diary lines and chat alerts."""
    from types import SimpleNamespace as Event

    from hub.charging import cuts

    area, at = hub.area("charging"), datetime(2026, 3, 2, 21, 0, tzinfo=timezone.utc)
    seen = Event(received_at=at, device="shed-1")
    for minutes, amps in ((0, 13.2), (20, 2.0), (25, 2.0), (30, 3.7)):
        area.on_charging(db, Event(circuit="shed-a", ts=at + timedelta(minutes=minutes), power_w=230 * amps,
                                   current_a=amps, loads=4, voltage_v=230.0, energy_wh=None), seen)
    cut = Event(code="power_cut", active=True, detail="shed-a: overload: 14.5 A >= 12.8 A", circuit="shed-a",
                ts=at + timedelta(minutes=40), id="e-cut")
    db.execute("INSERT INTO events (id, site, device, seq, kind, ts, received_at, body) VALUES "
               "('e-cut', 's', 'shed-1', 9, 'fault', '2026-03-02T21:40:00.000+00:00', '', ?)",
               [json.dumps({"code": "power_cut", "active": True, "circuit": "shed-a", "detail": cut.detail})])
    cuts.on_fault(db, cut, seen, labels={"shed-a": "充电棚A路"}, now=at)
    hub.area("overnight")._calendar_alert(db, 2027, at, ahead=True)


def _pages(client, lang: str) -> dict[str, str]:
    client.cookies.set("gw_lang", lang)
    shown = {}
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        shown[path] = page_text(response.text)
    for path in CSVS:
        response = client.get(path)
        assert response.status_code == 200, path
        shown[path] = response.content.decode("utf-8-sig")
    return shown


def test_every_page_speaks_chinese(hub):
    _, client = hub
    leaks = {path: found for path, text in _pages(client, "zh").items()
             if (found := english_leaks(text, IDS | {"admin"}))}
    assert leaks == {}, "\n".join(f"{p}: {x}" for p, found in leaks.items() for x in found)


# Known and kept: the roster export keeps the Chinese headings and values (值班, 周一) the import reads.
KEPT_CHINESE = {"/roster/export.csv"}


def test_every_page_speaks_english(hub):
    _, client = hub
    leaks = {path: found for path, text in _pages(client, "en").items()
             if path not in KEPT_CHINESE and (found := chinese_leaks(text, NAMES | {"巡查正常"}))}  # a person's note
    assert leaks == {}, "\n".join(f"{p}: {x}" for p, found in leaks.items() for x in found)


# --- every word of the catalogue ------------------------------------------------------------

CATALOGUES = ["hub.web.i18n", "hub.core.glossary", "hub.core.words", "hub.overnight.problems",
              "hub.alerts.roster_problems", "hub.alerts.render", "hub.cli.saying", "gatewarden.cliwords",
              "gatewarden.doctor.texts", "edge.charging.cli", "gwcommon.configwords", "hub.registry.diff",
              "hub.charging.cuts", "gwcommon.oswords", "hub.overnight.diary", "edge.daemon",
              "hub.core.faultwords", "hub.charging.rules", "hub.web.auditwords"]
# Chinese that English keeps: the registry's and roster's file columns and values, which are Chinese
# in the file itself (the English message names the column the installer sees), and 调休.
FILE_WORDS = {"车牌", "房号", "车主", "手机", "标签", "备注", "姓名", "角色", "日期", "开始", "结束", "顺序", "飞书ID",
              "飞书", "值班", "委员", "周一", "调休", "浙", "京", "浙A12345", "中文引号", "中文"}


class _Any:
    """A stand-in for any parameter: formats as a number, quotes as one."""

    def __format__(self, spec: str) -> str:
        return format(1, spec.replace("g", "d")) if spec else "1"

    def __repr__(self) -> str:
        return "1"

    def __str__(self) -> str:
        return "1"


class _Values(dict):
    def __missing__(self, key):
        return "http://hub.local:8080/" if key in ("url", "link") else _Any()


def _filled(text: str) -> str:
    return string.Formatter().vformat(text, (), _Values())


def test_every_catalogue_key_is_in_both_languages_and_each_speaks_its_own():
    import importlib

    from gwcommon import catalogue

    for name in CATALOGUES:
        importlib.import_module(name)
    keys = catalogue.keys()
    assert len(keys) > 600
    commands = _command_words()
    zh_leaks, en_leaks, fields = [], [], []
    for key, (zh, en) in keys.items():
        assert zh and en, key
        names = {f for _, f, _, _ in string.Formatter().parse(zh) if f}, {f for _, f, _, _ in string.Formatter().parse(en) if f}
        if names[0] != names[1]:
            fields.append(f"{key}: {names}")
        zh_leaks += [f"{key}: {x}" for x in english_leaks(_filled(zh), IDS | commands)]
        en_leaks += [f"{key}: {x}" for x in chinese_leaks(_filled(en), FILE_WORDS)]
    assert zh_leaks == [], "\n".join(zh_leaks)
    assert en_leaks == [], "\n".join(en_leaks)


def test_no_two_tables_define_the_same_key():
    from gwcommon import catalogue

    with pytest.raises(catalogue.DuplicateKey):
        catalogue.contribute("a second table", {"nav.today": ("今日", "Today")})


# --- chat messages --------------------------------------------------------------------------

NOW = datetime(2026, 3, 3, 0, 5, tzinfo=timezone.utc)
ITEMS = [{"id": "v-1", "plate": "浙A12345", "household": "1-101", "since": "2026-03-02T14:15:00.000+00:00",
          "zone": "东侧临停带"}]
CHAT = {
    "digest": {"deadline": "2026-03-03T00:00:00.000+00:00", "items": ITEMS, "provisional": True},
    "digest_unreported": {"deadline": "2026-03-03T00:00:00.000+00:00", "items": ITEMS, "unreported": ["lane-e"]},
    "reminder": {"deadline": "2026-03-03T00:00:00.000+00:00", "items": ITEMS},
    "fire_lane": {"zone": "东侧临停带", "plate": "浙A12345", "household": "1-101",
                  "since": "2026-03-03T00:01:00.000+00:00"},
    **{f"charging_{rule}": {"circuit": "shed-a", "reason": rule, "power_w": 2300.0, "limit_w": 2000.0,
                            "since": "2026-03-02T14:15:00.000+00:00"}
       for rule in ("overload", "long_charge", "port_overpower", "full_plugged", "outside_hours", "flying_wire",
                    "meter_silent", "meter_unreadable", "unattended", "meter_offline", "power_cut")},
    "device_offline": {"device": "gate-n", "device_kind": "gate", "since": "2026-03-02T23:50:00.000+00:00"},
    "device_fault": {"device": "lane-e", "device_kind": "lane", "code": "camera_unavailable",
                     "since": "2026-03-02T23:50:00.000+00:00"},
    "target_fault": {"target": "wecom-1", "code": 93000},
    "notice_calendar": {"topic": "calendar_unknown_year", "values": {"year": 2027, "ahead": True}},
    "notice_calendar_now": {"topic": "calendar_unknown_year", "values": {"year": 2027, "ahead": False}},
    "resolved": {"original_title": "", "at": "2026-03-03T00:04:00.000+00:00"},
    "retracted": {"plate": "浙A12345", "household": "1-101"},
    "device_batch": {"offline": ["gate-n", "lane-e"], "faulty": ["shed-1"], "offline_count": 12, "faulty_count": 1},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chat_message_kind_speaks_the_language(lang):
    from hub.alerts.render import RENDERERS, Context, format_text, render, render_escalation

    ctx = Context(lang=lang, now=NOW, base_url="http://hub.local:8080", tz=ZoneInfo("Asia/Shanghai"))
    texts = []
    for case, payload in CHAT.items():
        kind = case if case in RENDERERS else case.split("_")[0]
        message = render(kind, payload, ctx)
        texts.append(format_text(message, limit=2048, lang=lang, resent=True, ack_link="http://hub.local:8080/ack/t"))
        for audience in ("warden", "next_warden", "committee"):
            texts.append(render_escalation(message, minutes=15, audience=audience, lang=lang).title)
    assert {k for k in RENDERERS} <= {c if c in RENDERERS else c.split("_")[0] for c in CHAT}
    text = "\n".join(texts)
    found = english_leaks(text, IDS) if lang == "zh" else chinese_leaks(text, NAMES)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_alerts_the_hub_queued_speak_the_language(hub, lang):
    """The charging alerts, the power cut, the 已恢复 follow-ups and the notices the seeded night queued."""
    from hub.alerts.render import Context, format_text, render

    rig, _ = hub
    ctx = Context(lang=lang, now=NOW, base_url="http://hub.local:8080", tz=ZoneInfo("Asia/Shanghai"))
    alerts = [(kind, json.loads(payload)) for kind, payload in rig.db.execute("SELECT kind, payload FROM alerts")]
    assert {"charging", "notice"} <= {kind for kind, _ in alerts}
    # the 已恢复 follow-up of a charging alert that went out, with the diary's "is over" line as its note
    for (detail,) in rig.db.execute("SELECT detail FROM diary WHERE kind = 'charging'"):
        said = json.loads(detail)["words"]
        alerts.append(("resolved", {"at": "2026-03-02T21:25:00.000+00:00", "note": "（存档）", "note_words": said}))
    text = "\n".join(format_text(render(kind, payload, ctx), limit=2048, lang=lang)
                     for kind, payload in alerts)
    found = english_leaks(text, IDS) if lang == "zh" else chinese_leaks(text, NAMES)
    assert found == [], "\n".join(found)


# --- the command line -----------------------------------------------------------------------

def _all_help(lang: str) -> str:
    from gatewarden.cli import build_parser
    from gatewarden.docgen import _walk_parsers

    return "\n".join(parser.format_help() for _, parser in _walk_parsers(build_parser(lang), ["gatewarden"]))


def _command_words() -> set[str]:
    """What a person types on the command line: command names, option values, metavars."""
    import argparse

    from gatewarden.cli import build_parser
    from gatewarden.docgen import _walk_parsers

    found = set()
    for words, parser in _walk_parsers(build_parser(), ["gatewarden"]):
        found |= set(words)
        for action in parser._actions:
            found |= {str(c) for c in (action.choices or ()) if not isinstance(action, argparse._SubParsersAction)}
            found |= {action.dest, str(action.metavar or "")}
    return {w.lower() for w in found}


def test_every_help_text_has_its_chinese():
    from gatewarden import cliwords
    from gatewarden.cli import build_parser

    assert cliwords.untranslated(build_parser()) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_commands_help_speaks_the_language(lang, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    text = _all_help(lang)
    found = english_leaks(text, IDS | _command_words()) if lang == "zh" else chinese_leaks(text, NAMES)
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_typical_command_lines_and_refusals_speak_the_language(lang, tmp_path, capsys, monkeypatch):
    from gatewarden.cli import main

    monkeypatch.setenv("GATEWARDEN_LANG", lang)
    config = tmp_path / "hub.toml"
    config.write_text(f'[site]\nid = "scan"\nname = "{SITE}"\n[storage]\ndir = "{tmp_path / "data"}"\n',
                      encoding="utf-8")
    password = tmp_path / "pw"
    password.write_text("short\n")
    runs = [["hub", "user", "add", "bad name", "--role", "viewer", "--password-file", str(password),
             "--config", str(config)],
            ["hub", "user", "add", "ok", "--role", "viewer", "--password-file", str(password), "--config", str(config)],
            ["hub", "user", "add"],
            ["hub", "backup", "--config", str(config)],
            ["registry", "export", "--config", str(config)],
            ["registry", "import", str(tmp_path / "missing.csv"), "--config", str(config)],
            ["roster", "import", str(tmp_path / "missing.csv"), "--config", str(config)],
            ["alerts", "test", "--config", str(config)],
            ["deploy", "broker", "--config", str(config), "--devices", "Bad_Id", "--out", str(tmp_path / "b")],
            ["deploy", "broker", "--config", str(config), "--devices", "gate-n", "--port", "8883",
             "--out", str(tmp_path / "b")],
            ["hub", "--config", str(tmp_path / "nowhere.toml")],
            ["doctor", "--config", str(tmp_path / "nowhere.toml")],
            ["edge", "--config", str(config), "--check"],
            ["simulate", "--nights", "99"]]
    said = []
    for argv in runs:
        with contextlib.suppress(SystemExit):
            main(argv)
        out = capsys.readouterr()
        said.append(out.out + out.err)
    text = "\n".join(said)
    assert text.count("\n") >= len(runs)
    found = english_leaks(text, IDS | _command_words()) if lang == "zh" else chinese_leaks(text, NAMES)
    assert found == [], "\n".join(found)


# --- the doctor and config errors -----------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_doctors_report_speaks_the_language(lang):
    from gatewarden.doctor import texts
    from gatewarden.doctor.report import Check, as_text

    def params(key: str) -> dict:
        return {f: "1" for _, f, _, _ in string.Formatter().parse(texts.MESSAGES[key][0]) if f}

    statuses = ["ok", "warn", "fail"] * len(texts.MESSAGES)
    checks = [Check("config", status, key, params(key))
              for key, status in zip(texts.MESSAGES, statuses)]
    text = as_text(checks, config="/etc/gatewarden/gate.toml", lang=lang)
    found = english_leaks(text, IDS) if lang == "zh" else chinese_leaks(text, NAMES)
    assert found == [], "\n".join(found)


BAD_CONFIGS = [
    '[site]\nid = “pingan-2”\n', '[site\nid = "p"\n', '[site]\nid = "p"\nspaec = 3\n', '[sit]\nid = "p"\n',
    '[site]\nid = "Ping An"\n', '[site]\nname = "x"\n', '[site]\nid = "p"\nspaces = "many"\n',
    '[site]\nid = "p"\nspaces = -1\n', '[site]\nid = "p"\n[mqtt]\nport = 70000\n',
    '[site]\nid = "p"\n[mqtt]\ntls = "yes"\n', '[site]\nid = "p"\n[web]\nlisten = 8080\n',
    '[site]\nid = "p"\ntimezone = "Mars/Base"\n', '[site]\nid = "p"\n[rules.overnight]\ndeadline = "8 am"\n',
    '[site]\nid = "p"\n[[zones]]\nname = "a"\nkind = "sometimes"\n', '[site]\nid = "p"\n[alerts]\nlanguage = "fr"\n',
    '[site]\nid = "p"\nspaces = 1.5\n', '[site]\nid = "p"\n[[chat]]\nkind = "wecom"\n',
]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_kind_of_config_error_speaks_the_language(lang, tmp_path):
    from gwcommon.exc import ConfigError
    from hub.config import load_hub_config

    said = []
    for n, text in enumerate(BAD_CONFIGS):
        path = tmp_path / f"hub{n}.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError) as caught:
            load_hub_config(path)
        said.append(caught.value.text(lang))
    path = tmp_path / "gbk.toml"
    path.write_bytes('[site]\nid = "p"\nname = "平安小区"\n'.encode("gbk"))
    with pytest.raises(ConfigError) as caught:
        load_hub_config(path)
    said.append(caught.value.text(lang))
    text = "\n".join(said)
    keys = {"site", "sit", "spaces", "spaec", "night", "never", "sometimes", "fr", "am", "ping", "an", "many"}
    found = english_leaks(text, IDS | keys) if lang == "zh" else chinese_leaks(text, NAMES | FILE_WORDS | {"平安小区"})
    assert found == [], "\n".join(found)


def test_the_audit_log_words_its_details(hub):
    """An audit line's detail reads ``原因：送急诊`` (``reason: 送急诊`` in English), not JSON."""
    _, client = hub
    said = {}
    for lang in ("zh", "en"):
        client.cookies.set("gw_lang", lang)
        said[lang] = page_text(client.get("/audit").text)
    assert "原因：送急诊" in said["zh"] and "车牌：浙A12345" in said["zh"]
    assert "reason: 送急诊" in said["en"] and '"reason"' not in said["zh"] + said["en"]
