"""Logging from [log]: text on a terminal, JSON lines otherwise, level respected."""

import io
import json
import logging

import pytest

from gwcommon.config import LogConfig
from gwcommon.logsetup import setup_logging, use_json


class Tty(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture(autouse=True)
def _restore_root():
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


@pytest.mark.parametrize("fmt,stream,json_lines", [
    ("auto", Tty(), False),
    ("auto", io.StringIO(), True),
    ("text", io.StringIO(), False),
    ("json", Tty(), True),
])
def test_format_choice(fmt, stream, json_lines):
    assert use_json(LogConfig(format=fmt), stream) is json_lines


def test_json_lines_carry_level_logger_message_and_exception():
    stream = io.StringIO()
    setup_logging(LogConfig(format="json", level="info"), stream=stream)
    log = logging.getLogger("hub.test")
    log.debug("hidden")
    log.info("device %s is now %s", "gate-1", "在线")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(x["level"], x["logger"], x["msg"]) for x in lines] == [
        ("info", "hub.test", "device gate-1 is now 在线"), ("error", "hub.test", "failed")]
    assert "ValueError: boom" in lines[1]["exc"] and lines[0]["ts"].endswith("+00:00")


def test_text_format_on_a_terminal():
    stream = Tty()
    setup_logging(LogConfig(format="auto", level="warning"), stream=stream)
    logging.getLogger("hub.test").info("hidden")
    logging.getLogger("hub.test").warning("shown")
    assert stream.getvalue().count("\n") == 1 and "WARNING hub.test: shown" in stream.getvalue()
