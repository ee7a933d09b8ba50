"""The doctor's pure parts: verdicts, CONNACK codes in words, and both languages of every text."""

from __future__ import annotations

import string

import pytest

from gatewarden.doctor.basics import clock_verdict, connack_check, storage_verdict
from gatewarden.doctor.report import as_text, exit_code, fail, ok, warn
from gatewarden.doctor.texts import MESSAGES, TITLES, render, title
from gwcommon.config import MqttConfig


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_every_text_exists_in_both_languages_with_the_same_parameters(key):
    zh, en = MESSAGES[key]
    assert zh.strip() and en.strip()
    assert fields(zh) == fields(en)


@pytest.mark.parametrize("free_mb,free_pct,verdict", [
    (50_000, 80, "ok"), (1024, 40, "ok"), (1023, 40, "warn"), (5000, 4, "warn"), (199, 90, "fail"), (0, 0, "fail"),
])
def test_storage_verdict(free_mb, free_pct, verdict):
    assert storage_verdict(free_mb, free_pct) == verdict


@pytest.mark.parametrize("synced,offset,expected", [
    (True, None, ("ok", "clock.ok")),
    (True, 1.5, ("ok", "clock.ok")),
    (True, -4.0, ("warn", "clock.drift")),
    (True, 11.0, ("fail", "clock.off")),
    (False, None, ("fail", "clock.unsynced")),
    (False, 300.0, ("fail", "clock.off")),
    (None, None, ("warn", "clock.unknown")),
    (None, 0.4, ("warn", "clock.unknown")),
])
def test_clock_verdict(synced, offset, expected):
    assert clock_verdict(synced, offset) == expected


@pytest.mark.parametrize("code,key", [
    (0, "broker.ok"), (134, "broker.bad_password"), (4, "broker.bad_password"),
    (135, "broker.not_authorised"), (5, "broker.not_authorised"), (136, "broker.refused"),
])
def test_connack_codes_in_words(code, key):
    check = connack_check(MqttConfig(host="hub.local", port=1883, username="gate"), code)
    assert check.key == key
    assert "hub.local" in check.message("zh") or key == "broker.ok"
    assert check.message("en")


def test_titles_and_exit_code():
    assert title("camera.north-in", "zh") == "摄像头 north-in" and title("pins", "en") == "GPIO pins"
    assert set(TITLES) >= {"config", "storage", "broker", "clock", "bluetooth", "pins", "inputs", "camera", "meter"}
    assert exit_code([ok("a", "storage.ok", dir="/x", free_mb=1), warn("b", "clock.unknown", offset_text="")]) == 0
    assert exit_code([fail("c", "meter.none")]) == 1


def test_text_report_counts():
    checks = [ok("storage", "storage.ok", dir="/x", free_mb=9), fail("meter", "meter.none")]
    text = as_text(checks, config="c.toml", lang="en")
    assert text.splitlines()[0] == render("report.head", "en", {"config": "c.toml"})
    assert "[FAIL] Meter: The config has no [[meters]]" in text and "1 failure(s), 0 warning(s)" in text
