"""Logging set up from ``[log]``: text on a terminal, JSON lines otherwise (for journald), stderr.

Secrets never reach the log: components log ids, counts and reasons, never config values such as
passwords or tokens (those are read from files and stay in memory); and every line goes through
:class:`gwcommon.redact.RedactingFormatter`, which masks what slips through anyway (passwords in
URLs, webhook keys, signing secrets, full mobile numbers → 138****5678).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import IO

from .config import LogConfig
from .redact import RedactingFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg (and exc when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def use_json(config: LogConfig, stream: IO[str]) -> bool:
    """JSON unless asked for text, or ``auto`` and the stream is a terminal."""
    if config.format != "auto":
        return config.format == "json"
    isatty = getattr(stream, "isatty", None)
    return not (isatty and isatty())


def setup_logging(config: LogConfig, *, stream: IO[str] | None = None) -> logging.Handler:
    """Replace the root logger's handlers with one on ``stream`` (stderr); returns the handler."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    inner = JsonFormatter() if use_json(config, stream) else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(RedactingFormatter(inner))  # no secret or full mobile number in the log
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(config.level.upper())
    for noisy in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler
