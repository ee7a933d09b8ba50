"""One word for one thing: a violation state, a rule or a role has one name on the web view, in the
patrol diary, in chat messages and in the CSV files (hub/core/glossary.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gwcommon import catalogue
from hub.core import glossary
from hub.overnight import problems
from hub.web import i18n

ROOT = Path(__file__).resolve().parents[3]
PEOPLE_READ = [*ROOT.glob("hub/**/*.py"), *ROOT.glob("hub/**/*.html"), *ROOT.glob("docs/zh/*.md"),
               ROOT / "README.zh-CN.md"]


def test_no_retired_word_is_left_where_people_read():
    found = {}
    for path in PEOPLE_READ:
        if path.name == "glossary.py":
            continue
        text = path.read_text(encoding="utf-8")
        for old, new in glossary.RETIRED.items():
            if old in text:
                found.setdefault(str(path.relative_to(ROOT)), []).append(f"{old} → {new}")
    assert found == {}


@pytest.mark.parametrize("table, prefix", [(glossary.STATES, "state"), (glossary.RULES, "rule"),
                                           (glossary.ROLES, "role"), (glossary.KINDS, "kind")])
def test_the_web_view_uses_the_glossary(table, prefix):
    for key, pair in table.items():
        assert f"{prefix}.{key}" not in i18n.MESSAGES  # the web's own table does not define them again
        assert catalogue.pair(f"{prefix}.{key}") == pair


def test_the_diary_and_the_refusals_use_the_glossary():
    from hub.overnight import diary

    for state, (zh, _) in glossary.STATES.items():
        for rule, (rule_zh, _) in glossary.RULES.items():
            line = diary.violation_text(rule=rule, state=state, plate="浙A12345", zone="", slot=None,
                                        provisional=False, reason="")
            assert line == f"{rule_zh}：浙A12345 {zh}"
    assert problems.text("zh", "violation_not_open", {"id": "v-1", "state": "excused"}).count("已豁免") == 1


def test_one_word_is_one_thing():
    words = [zh for table in (glossary.STATES, glossary.RULES, glossary.ROLES, glossary.KINDS)
             for zh, _ in table.values()]
    assert len(words) == len(set(words))
    assert not set(glossary.RETIRED) & set(words)


def _chat_title(kind: str, payload: dict, lang: str = "zh") -> str:
    from hub.alerts.render import Context, render

    return render(kind, payload, Context(lang=lang)).title


def _report_csv(lang: str) -> str:
    from hub.overnight.pages.report import to_csv

    report = {"weeks": ["2026-03-02"], "counts": {"standing": [1], "excused": [1], "retracted": [1]},
              "vehicles": [], "households": [], "denials": [{"reason": "unknown_tag", "count": 1}],
              "charging": [{"rule": rule, "count": 1} for rule in glossary.CHARGING_RULES]}
    return to_csv(report, lang).decode("utf-8-sig")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_term_has_one_form_on_the_web_in_the_diary_in_chat_and_in_csv(lang):
    """The single form of each term, found where each of the four places words it."""
    from hub.charging import rules as charging_rules
    from hub.overnight import diary

    i = 1 if lang == "en" else 0
    csv = _report_csv(lang)
    for state in ("excused", "retracted"):  # states: web, diary, CSV (the monthly report's sections)
        word = glossary.STATES[state][i]
        assert i18n.text(lang, f"state.{state}") == word
        assert word in csv
        assert word in diary.violation_text(rule="overnight", state=state, plate="浙A12345", zone="", slot=None,
                                            provisional=False, reason="", lang=lang)
    for rule, words in glossary.RULES.items():  # rules: web, diary, chat
        assert i18n.text(lang, f"rule.{rule}") == words[i]
        assert diary.violation_text(rule=rule, state="open", plate="浙A12345", zone="", slot=None,
                                    provisional=False, reason="", lang=lang).startswith(words[i])
    fire = _chat_title("fire_lane", {"zone": "北侧", "plate": "浙A12345"}, lang)
    assert fire.lower().startswith(glossary.RULES["fire_lane"][i].lower())
    for rule, words in glossary.CHARGING_RULES.items():  # charging rules: web, diary, chat, CSV
        assert i18n.text(lang, f"chg.rule.{rule}") == words[i]
        assert words[i] in csv
        assert _chat_title("charging", {"circuit": "A路", "reason": rule}, lang).startswith(words[i])
        if lang == "zh":
            assert charging_rules.TITLES[rule] == words[i]
    for kind in ("gate", "lane", "charging"):  # device kinds: web, chat
        word = glossary.KINDS[kind][i]
        assert i18n.text(lang, f"kind.{kind}") == word
        assert word in _chat_title("device_offline", {"device": "d-1", "device_kind": kind}, lang)
    for role in ("warden", "committee"):  # roles: web, chat (who an unacknowledged alert passes to)
        from hub.alerts.render import Message, render_escalation

        assert i18n.text(lang, f"role.{role}") == glossary.ROLES[role][i]
        title = render_escalation(Message("t"), minutes=5, audience=role, lang=lang).title
        assert glossary.ROLES[role][i] in title
    for key, words in {"al.fire_lane": glossary.RULES["fire_lane"]}.items():  # the web's alert kinds
        assert i18n.text(lang, key) == words[i]
