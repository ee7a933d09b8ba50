"""The one catalogue of words people read (词条总表): every user-facing sentence of gatewarden —
web view, chat messages, diary, CSV headings, command line, doctor, config errors — is a key with
its Chinese and its English, looked up by one function::

    t("nav.today", "zh")                    → "今日"
    t("registry.plate_empty", "en")         → "plate is empty"

Each area keeps its own table next to the code that uses it (the web view's
:mod:`hub.web.i18n`, the registry's :mod:`hub.core.words`, the doctor's
:mod:`gatewarden.doctor.texts`…) and *contributes* it here with :func:`contribute`, under a
prefix (``registry.``, ``doctor.``…).  Two tables may never define the same key: contributing one
twice raises at import, and ``tests/gwcommon/test_catalogue.py`` imports every table, checks that
no key is missing a language and that both languages use the same ``{fields}``.

Why not gettext: the users' language is decided per request (a cookie) or per command
(:mod:`gwcommon.lang`), the tables are small (a few hundred keys), and a key with its two texts
side by side in Python is what a newcomer can change safely after one read — no .po/.mo files,
no extraction step, no compiled artefacts on the Pi.

The language policy itself is :mod:`gwcommon.lang` (``--lang`` > ``GATEWARDEN_LANG`` > config >
Chinese).  A decision module: plain data and lookups, no I/O.
"""

from __future__ import annotations

from typing import Any, Mapping

Table = Mapping[str, tuple[str, str]]

_KEYS: dict[str, tuple[str, str]] = {}
_OWNER: dict[str, str] = {}      # key → the area that contributed it
AREAS: dict[str, Table] = {}     # area name → its table as contributed (prefix applied)


class DuplicateKey(ValueError):
    """Two tables define the same key."""


def contribute(area: str, table: Table, *, prefix: str = "") -> Table:
    """Add ``table`` (key → (Chinese, English)) to the catalogue as ``area``, each key under
    ``prefix``; returns ``table`` unchanged.  Contributing the same area again (a module reloaded)
    replaces its keys; a key another area already defines raises :class:`DuplicateKey`."""
    full = {prefix + key: pair for key, pair in table.items()}
    for key in full:
        owner = _OWNER.get(key)
        if owner is not None and owner != area:
            raise DuplicateKey(f"catalogue key {key!r} is defined by both {owner!r} and {area!r}")
    for key in [k for k, owner in _OWNER.items() if owner == area]:
        del _KEYS[key], _OWNER[key]
    _KEYS.update(full)
    _OWNER.update(dict.fromkeys(full, area))
    AREAS[area] = full
    return table


def has(key: str) -> bool:
    return key in _KEYS


def t(key: str, lang: str, **values: Any) -> str:
    """The words for ``key`` in ``lang`` (Chinese unless ``"en"``), ``{name}`` fields filled from
    ``values`` (``{name!r}`` quoted).  An unknown key comes back as it is, so a sentence that is
    already words passes through (and a test finds keys that are missing)."""
    pair = _KEYS.get(key)
    if pair is None:
        return key
    words = pair[1 if lang == "en" else 0]
    return words.format(**values) if values else words


def pair(key: str) -> tuple[str, str] | None:
    """(Chinese, English) of ``key``, or None."""
    return _KEYS.get(key)


def keys() -> dict[str, tuple[str, str]]:
    """Every key contributed so far (a copy)."""
    return dict(_KEYS)


def words(key: str, **values: Any) -> dict[str, Any]:
    """A sentence kept as facts (for a database row, a chat payload, a diary line's detail):
    ``{"key": …, "values": {…}}``, a value itself such words or a plain value.  :func:`say` words
    it in the reader's language when it is shown."""
    return {"key": key, "values": values}


def known(said: Any) -> bool:
    """Whether every key of ``said`` (made by :func:`words`) is in the catalogue."""
    if not isinstance(said, Mapping):
        return True
    return isinstance(said.get("key"), str) and has(said["key"]) and all(
        known(v) for v in (said.get("values") or {}).values())


def say(said: Any, lang: str, fallback: str = "") -> str:
    """:func:`words` in ``lang``; ``fallback`` (the stored sentence) when a key is unknown."""
    if not known(said) or not isinstance(said, Mapping):
        return fallback if isinstance(said, Mapping) or said is None else str(said)
    values = {k: say(v, lang) if isinstance(v, Mapping) else v for k, v in (said.get("values") or {}).items()}
    try:
        return t(said["key"], lang, **values)
    except (KeyError, ValueError, IndexError, TypeError):
        return fallback
