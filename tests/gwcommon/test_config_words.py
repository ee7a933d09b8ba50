"""Config errors an installer can act on, in Chinese by default and in English on request."""

from __future__ import annotations

import pytest

from gatewarden.cli import main
from gwcommon import config, configwords, lang
from gwcommon.exc import ConfigError


class Model(config.Section):
    site: config.SiteConfig
    device: config.DeviceConfig | None = None


def load_text(tmp_path, text: str, *, encoding: str = "utf-8"):
    path = tmp_path / "pi.toml"
    path.write_bytes(text.encode(encoding))
    return config.load(path, Model)


def refusal(tmp_path, text: str, **kw) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_text(tmp_path, text, **kw)
    return caught.value


def test_a_notepad_bom_is_dropped(tmp_path):
    assert load_text(tmp_path, '\ufeff[site]\nid = "pingan-2"\n').site.id == "pingan-2"


@pytest.mark.parametrize("line, zh_name", [
    ('id = “pingan-2”', "中文引号“”"), ("id = ‘pingan-2’", "中文引号‘’"),
    ('id ＝ "pingan-2"', "全角等号＝"), ('id = "pingan-2"\n［device］', "全角方括号［］"),
])
def test_full_width_punctuation_is_named_with_its_line(tmp_path, line, zh_name):
    error = refusal(tmp_path, f"[site]\n{line}\n")
    assert f"第 2 行用了{zh_name}" in error.text("zh") or f"第 3 行用了{zh_name}" in error.text("zh")
    assert "full-width punctuation" in error.text("en") and "pi.toml" in str(error)


def test_a_gbk_file_is_told_to_be_saved_as_utf8(tmp_path):
    error = refusal(tmp_path, '[site]\nid = "p"\nname = "平安小区"\n', encoding="gbk")
    assert "另存为 UTF-8" in error.text("zh") and "save it as UTF-8" in error.text("en")


@pytest.mark.parametrize("text, zh, en", [
    ('[site]\nid = "p"\nspaec = 3\n', "site.spaec：不认识的键；是不是想写 spaces？", "did you mean 'spaces'?"),
    ('[sit]\nid = "p"\n', "sit：不认识的键；是不是想写 site？", "did you mean 'site'?"),
    ('[site]\nid = "p"\n[device]\nid = "g"\nkidn = "gate"\n', "是不是想写 kind？", "did you mean 'kind'?"),
    ('[site]\nid = "p"\nzzz = 1\n', "site.zzz：不认识的键（请对照 docs/configuration.md 检查拼写）", "unknown key"),
])
def test_a_misspelt_key_gets_a_suggestion(tmp_path, text, zh, en):
    error = refusal(tmp_path, text)
    assert zh in error.text("zh") and en in error.text("en")


@pytest.mark.parametrize("text, zh, en", [
    ('[site]\nid = "Pingan_2"\n', "只能用小写字母、数字和 -，以字母或数字开头，最多 32 个字符，例如 pingan-2",
     "lower case letters, digits and '-'"),
    ('[site]\nid = "p"\nspaces = -1\n', "site.spaces：应不小于 0（现在是“-1”）", "greater than or equal to 0"),
    ('[site]\nid = "p"\nspaces = "many"\n', "应是整数（不加引号）", "valid integer"),
    ('[site]\nid = "p"\ntimezone = "Beijing"\n', "不认识的时区“Beijing”", "unknown time zone"),
    ('[site]\nid = "p"\n[device]\nid = "hub"\nkind = "gate"\n', "“hub”留给中心机自己用", "'hub' is reserved"),
    ('[site]\nid = "p"\n[device]\nid = "g"\nkind = "gat"\n', "只能是这些之一：'gate'、'lane'、'charging'", "'gate'"),
    ("[device]\nid = \"g\"\nkind = \"gate\"\n", "site：必须填写，但没有写", "site: required but missing"),
])
def test_each_reason_in_plain_words_in_both_languages(tmp_path, text, zh, en):
    error = refusal(tmp_path, text)
    assert zh in error.text("zh") and en in error.text("en") and en in str(error)
    assert "[a-z0-9]" not in error.text("zh") and "[a-z0-9]" not in error.text("en")  # no raw regex


def test_every_plain_reason_is_chinese():
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in words) for words in configwords._PLAIN.values())


def test_the_command_line_speaks_chinese_unless_asked(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(lang.ENV_LANG, raising=False)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")  # Raspberry Pi OS's default locale does not matter
    bad = tmp_path / "hub.toml"
    bad.write_text('[site]\nid = “p”\n', encoding="utf-8")
    assert main(["registry", "export", "--config", str(bad)]) == 2
    assert "第 2 行用了中文引号“”？请改为英文的 \"" in capsys.readouterr().err
    assert main(["--lang", "en", "registry", "export", "--config", str(bad)]) == 2
    assert "full-width punctuation" in capsys.readouterr().err
    monkeypatch.setenv(lang.ENV_LANG, "en")
    assert main(["registry", "export", "--config", str(bad)]) == 2
    assert "full-width punctuation" in capsys.readouterr().err


@pytest.mark.parametrize("flag, env, configured, chosen", [
    (None, {}, None, "zh"), ("en", {}, None, "en"), (None, {"GATEWARDEN_LANG": "en"}, None, "en"),
    ("zh", {"GATEWARDEN_LANG": "en"}, "en", "zh"), (None, {"GATEWARDEN_LANG": "fr"}, "en", "en"),
    (None, {"LANG": "en_GB.UTF-8"}, None, "zh"), (None, {"GATEWARDEN_LANG": "zh-CN"}, None, "zh"),
])
def test_one_language_policy(flag, env, configured, chosen):
    assert lang.choose(flag=flag, environ=env, configured=configured) == chosen
