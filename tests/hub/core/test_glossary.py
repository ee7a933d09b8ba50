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
    from hub.overnight import violations

    assert violations._STATE_ZH == {k: zh for k, (zh, _) in glossary.STATES.items()}
    assert violations._RULE_ZH == {k: zh for k, (zh, _) in glossary.RULES.items()}
    assert problems.text("zh", "violation_not_open", {"id": "v-1", "state": "excused"}).count("已豁免") == 1


def test_one_word_is_one_thing():
    words = [zh for table in (glossary.STATES, glossary.RULES, glossary.ROLES, glossary.KINDS)
             for zh, _ in table.values()]
    assert len(words) == len(set(words))
    assert not set(glossary.RETIRED) & set(words)
