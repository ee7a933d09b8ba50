"""Which language a person is spoken to in, and how a catalogue's words are looked up.

One policy for every command and daemon (语言): Chinese unless English is asked for —
``--lang`` on the command line first, then the environment variable ``GATEWARDEN_LANG``, then the
config (``[alerts] language`` / ``[site] language`` where a command has a config), else Chinese.
The system locale is deliberately *not* consulted: Raspberry Pi OS ships with ``en_GB.UTF-8``, and
the people who read gatewarden's words read Chinese.

A catalogue is a mapping ``code → (Chinese, English)``; :func:`words` fills in its parameters
(``{name}`` as is, ``{name!r}`` quoted).  A decision module: no I/O.
"""

from __future__ import annotations

from typing import Any, Mapping

LANGS = ("zh", "en")
DEFAULT = "zh"
ENV_LANG = "GATEWARDEN_LANG"


def normalise(value: str | None) -> str | None:
    """``"EN"``, ``" en "``, ``"en_US"``, ``"zh-CN"`` → ``"en"``/``"zh"``; anything else → None."""
    if not value:
        return None
    head = value.strip().lower().replace("-", "_").split("_")[0]
    return head if head in LANGS else None


def choose(*, flag: str | None = None, environ: Mapping[str, str] | None = None,
           configured: str | None = None) -> str:
    """The language to speak: ``flag`` (``--lang``), else ``GATEWARDEN_LANG``, else ``configured``,
    else Chinese.  Unknown values are skipped, never an error."""
    env_value = (environ or {}).get(ENV_LANG)
    for candidate in (flag, env_value, configured):
        chosen = normalise(candidate)
        if chosen:
            return chosen
    return DEFAULT


def words(catalogue: Mapping[str, tuple[str, str]], lang: str, code: str,
          params: Mapping[str, Any] | None = None) -> str:
    """The words for ``code`` of ``catalogue`` (code → (Chinese, English)) in ``lang`` (Chinese
    unless ``"en"``), with its parameters filled in; a code without words still says which."""
    pair = catalogue.get(code)
    if pair is None:
        return f"{code} {dict(params or {})}"
    return pair[1 if lang == "en" else 0].format(**(params or {}))
