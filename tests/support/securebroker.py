"""Shared by the tests of tests/gatewarden/deploy/ (moved out of test_broker.py, so no test module imports another)."""

from __future__ import annotations

import os
from pathlib import Path

from gatewarden.cli import main as gatewarden
from gatewarden.deploy import ca
from gatewarden.localbroker import Broker


class SecureBroker(Broker):
    """A private Mosquitto running a generated ``mosquitto.conf`` (plus what a test broker needs)."""

    def __init__(self, workdir: Path, conf: Path, *, port: int, tls_port: int | None = None):
        super().__init__(workdir, port=port)
        self.generated = Path(conf)
        self.tls_port = tls_port

    def write_conf(self) -> None:
        lines = ["persistence true", f"persistence_location {self.workdir}/",
                 f"log_dest file {self.workdir}/mosquitto.log", "log_type error", "log_type warning",
                 "log_type notice"]
        if os.geteuid() == 0:
            lines.append("user root")
        self.conf.write_text("\n".join(lines) + "\n" + self.generated.read_text() + "\n")
