"""Shared fixtures: a private Mosquitto per session, temp storage, mock GPIO pins."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.support.broker import Broker

os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")


def pytest_configure(config):
    if not shutil.which("mosquitto") and not os.path.exists("/usr/sbin/mosquitto"):
        raise pytest.UsageError("mosquitto is not installed: run ./dev test, which installs it")


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    """One private broker for the whole session; tests that kill a broker use ``make_broker``."""
    server = Broker(tmp_path_factory.mktemp("mosquitto")).start()
    yield server
    server.kill()


@pytest.fixture
def make_broker(tmp_path):
    """Start private brokers this test may stop, kill and restart."""
    made: list[Broker] = []

    def make(extra: str = "") -> Broker:
        server = Broker(tmp_path / f"mosquitto-{len(made)}", extra=extra).start()
        made.append(server)
        return server

    yield make
    for server in made:
        server.kill()


@pytest.fixture
def mock_factory():
    """gpiozero's MockFactory, reset after the test (the gpiozero way)."""
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory

    saved = Device.pin_factory
    Device.pin_factory = MockFactory()
    try:
        yield Device.pin_factory
    finally:
        Device.pin_factory.reset()
        Device.pin_factory = saved
