"""Which plate cameras have gone silent (相机离线).  Pure; times passed in.

A camera is heard from by every valid push: a read or a heartbeat (Vzenith sends one every 5–30 s;
Hikvision's periodic ``videoloss``/``inactive`` alert).  One that sends nothing for its
``silent_after`` is silent.  The device has one fault, ``plate_camera_unavailable``, raised while
any camera is silent (its detail names them; raised again when the set changes) and cleared when
every camera is heard again.  A hostile or malformed push does not count as being heard.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CODE = "plate_camera_unavailable"


@dataclass(frozen=True)
class FaultChange:
    """Raise (``active``) or clear the device's plate-camera fault."""

    active: bool
    detail: str


@dataclass
class Health:
    """Last time each watched camera was heard; ``limits`` is camera id → seconds (0: not watched)."""

    limits: dict[str, float]
    started: float
    heard: dict[str, float] = field(default_factory=dict)
    silent: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict)  # camera id → the label people read (config)

    def seen(self, camera: str, now: float) -> FaultChange | None:
        self.heard[camera] = now
        return self.check(now)

    def check(self, now: float) -> FaultChange | None:
        silent = tuple(sorted(cam for cam, limit in self.limits.items()
                              if limit > 0 and now - self.heard.get(cam, self.started) >= limit))
        if silent == self.silent:
            return None
        self.silent = silent
        if not silent:
            return FaultChange(False, "every plate camera is pushing again")
        return FaultChange(True, "plate camera(s) silent: " + ", ".join(
            f"{self.names.get(cam) or cam} (nothing for {now - self.heard.get(cam, self.started):.0f} s)" for cam in silent))
