"""Config errors in words an installer can act on, in Chinese and English (配置文件错误).

A decision module: it turns a TOML syntax error or pydantic's first validation error into one
line per language — which key, what is wrong in plain words, and what to do:

- a Chinese quote or full-width punctuation where TOML wants ASCII (``name = “平安小区”``):
  ``第 3 行用了中文引号“”？请改为英文引号 "``;
- a misspelt key: ``不认识的键 spaec（是不是想写 spaces？）`` (difflib over the section's keys);
- an id pattern in words, not as a regular expression:
  ``只能用小写字母、数字和 -，以字母或数字开头，最多 32 个字符，例如 pingan-2``.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel

from . import catalogue
from .wire import NAME_RE

# Full-width punctuation an IME types where TOML needs ASCII: (characters, Chinese name, ASCII).
FULL_WIDTH = (
    ("“”", "中文引号“”", '"'),
    ("‘’", "中文引号‘’", "'"),
    ("＝", "全角等号＝", "="),
    ("，", "中文逗号，", ","),
    ("［］", "全角方括号［］", "[ ]"),
    ("：", "中文冒号：", ":"),
    ("　", "全角空格", "an ASCII space"),
)
_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")

# The config errors' part of the one catalogue (gwcommon.catalogue, keys config.*): key → (Chinese, English).
WORDS: dict[str, tuple[str, str]] = {
    "full_width": ("第 {n} 行用了{name}？请改为英文的 {ascii}",
                   "line {n} uses full-width punctuation ({chars}); TOML needs {ascii} instead"),
    "not_toml": ("{where}不是有效的 TOML 格式；请检查引号、等号和方括号是否成对、是否为英文符号",
                 "not valid TOML{where}: {error}"),
    "where_line": ("第 {n} 行", " at line {n}"),
    "more": ("（另有 {more} 处问题）", " (and {more} more problem(s))"),
    "top_level": ("（最外层）", "(top level)"),
    "unknown_key": ("不认识的键（请对照 docs/configuration.md 检查拼写）",
                    "unknown key (check the spelling against docs/configuration.md)"),
    "did_you_mean": ("不认识的键；是不是想写 {guess}？", "unknown key; did you mean {guess!r}?"),
    "missing": ("必须填写，但没有写", "required but missing"),
    "name": ("只能用小写字母、数字和 -，以字母或数字开头，最多 32 个字符，例如 pingan-2",
             "lower case letters, digits and '-', starting with a letter or digit, at most 32 characters, e.g. pingan-2"),
    "got": ("{reason}（现在是“{got}”）", "{reason} (got {got!r})"),
    "wrong_value": ("值不对：{msg}", "{msg}"),
    # raised by the validators (WordedValueError.said)
    "duration_type": ("时长应是秒数，或写成 '30m' 这样的文字", "a duration is a number of seconds or text like '30m'"),
    "duration": ("“{text}”不是时长，应写成 '90s'、'30m'、'8h' 或 '1d'（秒、分、时、天）",
                 "{text!r} is not a duration like '90s', '30m', '8h' or '1d'"),
    "duration_negative": ("时长不能是负数", "a duration cannot be negative"),
    "clock_time": ("“{text}”不是钟点，应写成 '08:00' 这样（24 小时制，英文冒号）", "{text!r} is not a time of day like '08:00'"),
    "time_zone": ("不认识的时区“{name}”（中国大陆请写 'Asia/Shanghai'）",
                  "unknown time zone {name!r} (use an IANA name like 'Asia/Shanghai')"),
    "hub_reserved": ("“hub”留给中心机自己用，请给设备另起一个编号",
                     "'hub' is reserved for the hub's own topics; choose another device id"),
}


def toml_problem(text: str, error: str) -> tuple[str, str]:
    """(English, Chinese) for a TOML syntax ``error`` in ``text``, with a hint when the line it
    points at holds full-width punctuation."""
    match = _LINE.search(error)
    lineno = int(match.group(1)) if match else None
    lines = text.splitlines()
    suspects = [lineno] if lineno and lineno <= len(lines) else []
    suspects += [n for n in range(1, len(lines) + 1) if n not in suspects]
    for n in suspects:
        for chars, zh_name, ascii_ in FULL_WIDTH:
            if any(c in lines[n - 1] for c in chars):
                return _both("full_width", n=n, chars=chars, name=zh_name, ascii=ascii_)
    return (_t("not_toml", "en", where=_t("where_line", "en", n=lineno) if lineno else "", error=error),
            _t("not_toml", "zh", where=_t("where_line", "zh", n=lineno) if lineno else "", error=error))


def _t(key: str, lang: str, **values: Any) -> str:
    return catalogue.t("config." + key, lang, **values)


def _both(key: str, **values: Any) -> tuple[str, str]:
    """(English, Chinese) of a config.* key."""
    return _t(key, "en", **values), _t(key, "zh", **values)


def first_error(errors: list[dict[str, Any]], model: type[BaseModel]) -> tuple[str, str]:
    """(English, Chinese) one-liners for the first of pydantic's ``errors`` validating ``model``."""
    # a misspelt key explains the "missing" errors that follow from it, so it is named first
    err = min(errors, key=lambda e: e["type"] != "extra_forbidden")
    key = ".".join(str(p) for p in err["loc"])
    en, zh = _reason(err, model)
    more = len(errors) - 1
    if more:
        en, zh = en + _t("more", "en", more=more), zh + _t("more", "zh", more=more)
    return f"{key or _t('top_level', 'en')}: {en}", f"{key or _t('top_level', 'zh')}：{zh}"


def reason(err: dict[str, Any], model: type[BaseModel] | None = None) -> tuple[str, str]:
    """(English, Chinese) for one pydantic error — a config key's or a web form field's."""
    return _reason(err, model)


def _reason(err: dict[str, Any], model: type[BaseModel] | None) -> tuple[str, str]:
    kind, ctx, got = err["type"], err.get("ctx") or {}, _shown(err.get("input"))
    if kind == "extra_forbidden":
        guess = suggest(model, err["loc"])
        return _both("did_you_mean", guess=guess) if guess else _both("unknown_key")
    if kind == "missing":
        return _both("missing")
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == NAME_RE:
        return _t("got", "en", reason=_t("name", "en"), got=got), _t("got", "zh", reason=_t("name", "zh"), got=got)
    original = ctx.get("error")
    if kind == "value_error" and getattr(original, "zh", None):
        return f"{original} (got {got!r})", f"{original.zh}"
    if "expected" in ctx:
        ctx = {**ctx, "expected": str(ctx["expected"]).replace(" or ", "、").replace(", ", "、")}
    plain = "plain." + kind if catalogue.has("config.plain." + kind) else "wrong_value"
    return (_t("got", "en", reason=err["msg"], got=got),
            _t("got", "zh", reason=_t(plain, "zh", **ctx, msg=err["msg"]), got=got))


_PLAIN = {  # pydantic's error kind → the Chinese; the English is pydantic's own message
    "less_than_equal": "应不大于 {le}",
    "less_than": "应小于 {lt}",
    "greater_than_equal": "应不小于 {ge}",
    "greater_than": "应大于 {gt}",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "too_short": "至少要有 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_pattern_mismatch": "格式不对（应符合 {pattern}）",
    "int_parsing": "应是整数（不加引号）",
    "int_type": "应是整数（不加引号）",
    "int_from_float": "应是整数，不能有小数",
    "float_parsing": "应是数字（不加引号）",
    "float_type": "应是数字（不加引号）",
    "bool_parsing": "应是 true 或 false（小写，不加引号）",
    "bool_type": "应是 true 或 false（小写，不加引号）",
    "string_type": "应是文字，用英文引号括起来",
    "literal_error": "只能是这些之一：{expected}",
    "enum": "只能是这些之一：{expected}",
    "list_type": "应是一个列表，例如 [\"a\", \"b\"]",
    "model_type": "应是一节设置（[节名] 下的键）",
    "dict_type": "应是一节设置（[节名] 下的键）",
    "model_attributes_type": "应是一节设置（[节名] 下的键）",
    "time_parsing": "不是钟点，应写成 '08:00' 这样",
    "time_type": "不是钟点，应写成 '08:00' 这样",
    "url_parsing": "不是网址，应以 http:// 或 https:// 开头",
    "url_scheme": "网址应以 http:// 或 https:// 开头",
    "path_type": "应是文件路径（用英文引号括起来）",
}


catalogue.contribute("config", {**WORDS, **{f"plain.{kind}": (zh, "{msg}") for kind, zh in _PLAIN.items()}},
                     prefix="config.")


def _shown(value: Any) -> str:
    return str(value)[:60]


def suggest(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> str | None:
    """The closest allowed key to the unknown one at ``loc`` (``("site", "spaec")`` → ``"spaces"``)."""
    allowed = _keys_at(model, loc[:-1]) if model is not None else set()
    if not allowed or not isinstance(loc[-1], str):
        return None
    close = difflib.get_close_matches(loc[-1], sorted(allowed), n=1, cutoff=0.6)
    return close[0] if close else None


def _keys_at(model: type[BaseModel], path: tuple[Any, ...]) -> set[str]:
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue  # a [[table]] entry: its type was taken from the list's element already
        sub = _model_of(current)
        field = sub.model_fields.get(part) if sub else None
        if field is None:
            return set()
        current = field.annotation
    sub = _model_of(current)
    return set(sub.model_fields) if sub else set()


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The BaseModel inside ``annotation`` (``Model``, ``list[Model]``, ``Model | None``…)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_of(typing.get_args(annotation)[0])
    if origin in (list, tuple, typing.Union, types.UnionType) or origin is not None:
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found:
                return found
    return None
