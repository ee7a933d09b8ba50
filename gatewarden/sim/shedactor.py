"""The e-bike shed in the simulator (filled in when the charging area lands)."""

from __future__ import annotations

from datetime import datetime

from .device import Actor


class ShedActor(Actor):
    """Placeholder actor: heartbeats only."""

    def until(self, moment: datetime) -> None:
        self.advance_to(moment)
