"""Redaction (脱敏) of log lines: no secret and no full mobile number ever reaches the log.

Applied to every formatted log line (message, arguments and traceback alike) by
:class:`RedactingFormatter`, which :func:`gwcommon.logsetup.setup_logging` installs:

- mainland mobile numbers (11 digits from 13… to 19…, optionally after +86) keep their first three
  and last four digits: ``13812345678`` → ``138****5678``;
- secrets in URLs: the password of ``scheme://user:password@host``, query parameters such as
  ``key=``, ``access_token=``, ``token=``, ``secret=``, ``sign=`` and the token at the end of a
  Feishu hook path;
- ``password=…``, ``secret: …``, ``token=…`` pairs and ``Bearer …`` credentials in free text;
- any value registered with :func:`register_secret` (passwords and signing secrets read from
  files at start), wherever it appears.

A decision module: pure string work, no I/O.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
MOBILE = re.compile(r"(?<![\d])(?:\+?86[- ]?)?(1[3-9]\d)\d{4}(\d{4})(?![\d])")
URL_PASSWORD = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@")
SECRET_PARAM = re.compile(
    r"([?&;](?:key|access_token|token|secret|sign|signature|password|passwd|pwd|api_key|apikey)=)[^&\s\"'#]+",
    re.IGNORECASE)
FEISHU_HOOK = re.compile(r"(/open-apis/bot/v2/hook/)[A-Za-z0-9-]+")
PAIR = re.compile(r"\b((?:password|passwd|secret|token|identity_key)\b[\\\"']*\s*[:=]\s*[\\\"']*)([^\s\\\"',;&}]+)",
                  re.IGNORECASE)
BEARER = re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
MIN_SECRET = 4  # shorter registered values would mask ordinary words

_secrets: set[str] = set()
_lock = threading.Lock()


def mask_mobile(text: str) -> str:
    """``13812345678`` → ``138****5678`` (also after +86)."""
    return MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


def register_secret(value: str | None) -> None:
    """Never log ``value`` (a password or key read at start); short values are ignored."""
    if value and len(value) >= MIN_SECRET:
        with _lock:
            _secrets.add(value)


def forget_secrets() -> None:
    """Drop every registered value (tests)."""
    with _lock:
        _secrets.clear()


def redact(text: str) -> str:
    """``text`` with secrets and full mobile numbers masked."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    text = URL_PASSWORD.sub(rf"\g<1>{MASK}@", text)
    text = SECRET_PARAM.sub(rf"\g<1>{MASK}", text)
    text = FEISHU_HOOK.sub(rf"\g<1>{MASK}", text)
    text = BEARER.sub(rf"\g<1>{MASK}", text)
    text = PAIR.sub(rf"\g<1>{MASK}", text)
    return mask_mobile(text)


class RedactingFormatter(logging.Formatter):
    """Wraps another formatter and redacts the whole line it produces (tracebacks included)."""

    def __init__(self, inner: logging.Formatter):
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record))
