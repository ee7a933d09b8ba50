"""Finds words in the wrong language in what a person reads (issue 18's scan).

``english_leaks(text)``: English words in a Chinese text, outside what is allowed to stay as it is
— ids and code literals (``east-strip``, ``storage.dir``, ``--config``, anything in backticks),
paths and addresses, units, brand and product names, and the command names an installer types.
``chinese_leaks(text, names)``: Chinese in an English text, outside ``names`` (the seeded data's
names and addresses: a site name, plates, households, owners).
"""

from __future__ import annotations

import html
import re

# Brand/product names, protocols, units, file kinds and commands that stay as they are in Chinese.
ALLOWED = set("""
gatewarden wecom dingtalk feishu lark shelly tasmota esphome pzem mosquitto mqtt tls ssl http https api json jsonl csv
xlsx toml bom utf gb gbk gbk utf-8 wps excel wi-fi wifi ibeacon eddystone eid mac ble gpio bcm rs rtsp usb ct sd ntp
chrony systemd systemctl journalctl timedatectl sudo pip bluetoothctl rfkill opencv openpyxl chinesecalendar python
linux raspberry pi os bookworm aarch ca id ids ip lan url qr sms svg kwh wh w kw v a ma mb gb kb ms s min h ok db dbm
uuid hex major minor ssh led ac dc nfc ssid js html pdf png jpg jpeg
plate imei ttl dns ha nvr lpr yaml ini cli pid md zh en sqlite authorization bearer local hciconfig
true false bluetooth home assistant
""".split())

_CODE = [
    re.compile(r"https?://\S+"),                    # addresses
    re.compile(r"`[^`]*`"),                         # code literals
    re.compile(r"(?:sudo |pip |systemctl |bluetoothctl |rfkill |hciconfig |ln |gatewarden |journalctl |"
               r"mosquitto_sub |timedatectl |\./dev )[^）)，。；：\n\u4e00-\u9fff]*"),  # a command line the installer types
    re.compile(r"“[^”]*”|‘[^’]*’|'[^'\n]*'|\"[^\"\n]*\""),  # a quoted value or name
    re.compile(r"\{[^{}\n]*\}"),                     # choices {zh,en}
    re.compile(r"Ctrl[-+][A-Z]"),                  # a key the user presses (Ctrl-C, Ctrl+P)
    re.compile(r"\b[\w-]+/[\w./|-]*"),               # a relative path (district/passwd)
    re.compile(r"\{\"[^{}]*\}"),                     # a JSON record (an audit line's detail)
    re.compile(r"[\u4e00-\u9fff][A-Z]·?[A-Z0-9*]{4,6}"),  # plates
    re.compile(r"Wi-Fi"),
    re.compile(r"(?<![\w])(?:/|\./|~/)[\w./<>:@%+-]*"),  # paths
    re.compile(r"\$[A-Z_]+"),                       # environment variables
    re.compile(r"(?<![\w-])--?[a-z][\w-]*"),        # options
    re.compile(r"\b[A-Za-z0-9]+(?:[._:@/][\w<>-]+)+\b"),  # dotted keys, ids with : or /, files, hosts
    re.compile(r"\b[\w]*_[\w]*\b"),                 # snake_case code names
    re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b"),    # kebab-case ids (east-strip, gate-north)
    re.compile(r"\b[A-Z][A-Z0-9]+\b"),              # METAVARS and acronyms
    re.compile(r"\[\[?[a-z_.]+\]\]?(?: [a-z_]+\b)?"),  # [section] of a config, and a key in it
    re.compile(r"<[^>\u4e00-\u9fff]*>"),            # <placeholders>
]
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”‘’…]+")


def page_text(page: str) -> str:
    """The words of an HTML page a person reads: no script, style, tags or attribute values, but
    with the titles and placeholders (what hovering or an empty field shows)."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    shown = " ".join(re.findall(r'(?:title|placeholder|aria-label|alt)="([^"]*)"', page))
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page) + " " + shown)


def english_leaks(text: str, allowed: set[str] = frozenset()) -> list[str]:
    """English words in ``text`` that are not ids, code, units or names (with their context)."""
    found = []
    for line in text.splitlines():
        bare = line
        for pattern in _CODE:
            bare = pattern.sub(" ", bare)
        ok = ALLOWED | {a.lower() for a in allowed}
        words = [w for w in _WORD.findall(bare) if len(w) > 1 and w.lower().strip("'") not in ok]
        if words:
            found.append(f"{' '.join(words)}  ⟵  {line.strip()[:160]}")
    return found


def chinese_leaks(text: str, names: set[str] = frozenset()) -> list[str]:
    """Chinese in ``text`` that is not one of ``names`` (with its context)."""
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    found = []
    for line in text.splitlines():
        hits = [h for h in _CJK.findall(line) if re.search(r"[\u3400-\u9fff]", h)]
        if hits:
            found.append(f"{' '.join(hits)}  ⟵  {line.strip()[:160]}")
    return found
