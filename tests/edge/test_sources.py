"""The source registry: every entry resolves, only configured sections start, failures roll back."""

from __future__ import annotations

import threading

import pytest

from edge import sources
from edge.config import EdgeConfig
from gwcommon.clock import FakeClock
from gwcommon.config import validate

STARTED: list[str] = []


class Handle:
    def __init__(self, name: str):
        self.name = name

    def stop(self) -> None:
        STARTED.remove(self.name)


def start_ok(config, sink, publisher, clock, stop_event):
    STARTED.append("ok")
    return Handle("ok")


def start_broken(config, sink, publisher, clock, stop_event):
    raise RuntimeError("no such serial port")


def config(**sections) -> EdgeConfig:
    return validate({"site": {"id": "pingan-2"}, "device": {"id": "gate-north", "kind": "gate"}, **sections},
                    EdgeConfig)


@pytest.mark.parametrize("name", sorted(sources.SOURCES))
def test_every_registered_source_has_a_section_and_a_start_function(name):
    assert name in EdgeConfig.model_fields, f"EdgeConfig has no [{name}] section"
    assert callable(sources.starter(name))


def test_only_sections_present_start(tmp_path):
    assert sources.configured(config()) == []
    assert sources.configured(config(replay={"file": str(tmp_path / "x.jsonl")})) == ["replay"]


def test_a_failing_source_stops_those_already_started(monkeypatch, tmp_path):
    monkeypatch.setattr(sources, "SOURCES", {"replay": f"{__name__}:start_ok", "device": f"{__name__}:start_broken"})
    STARTED.clear()
    with pytest.raises(RuntimeError, match="serial port"):
        sources.start_all(config(replay={"file": str(tmp_path / "x.jsonl")}), None, None, FakeClock(),
                          threading.Event())
    assert STARTED == []
