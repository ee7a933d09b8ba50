"""Text from devices in chat messages (设备文字进群前清理) — pure.

A fault's ``detail`` and the names of zones, lanes and circuits come from edge devices (or from
anyone who can publish on an open broker).  Before they reach the committee's chat group they
are made harmless: links removed (a phishing link in a fire alert is believed), markdown and HTML
characters replaced by their full-width look-alikes (no bold, no fake links, no ``<@all>``),
``@`` made inert, control characters and runs of white space folded, and the length limited.
"""

from __future__ import annotations

import re
import unicodedata

LIMIT = 120
LINK = "〔链接已删除〕"
_URL = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.)\S+"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|cn|net|org|top|xyz|io|me|cc|info|link|site|app|vip|club|shop|ly|gl|tk)\b(?:/\S*)?")
_WIDE = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "(": "（", ")": "）", "*": "＊", "_": "＿",
                       "`": "＇", "#": "＃", "~": "～", "|": "｜", "@": "＠", "!": "！", "\\": "＼"})


def clean(text: object, limit: int = LIMIT) -> str:
    """``text`` fit for a chat message: no links, no markup, one line, at most ``limit`` characters."""
    raw = "".join(" " if unicodedata.category(c).startswith("C") else c for c in str(text or ""))
    unlinked = _URL.sub(LINK, unicodedata.normalize("NFKC", raw))
    folded = " ".join(unlinked.split()).translate(_WIDE)
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"
