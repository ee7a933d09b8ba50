"""Is the edge's clock right?  A Raspberry Pi has no real-time clock (没有时钟电池).

After a power cut a Pi boots with the time ``fake-hwclock`` saved at its last shutdown (minutes
or days behind) until NTP sets it.  Events are still recorded meanwhile, each with its ``seq``, so
nothing is lost and their order is known; only their ``ts`` may be wrong.  So the daemon raises a
``clock_unsynced`` fault while the system says the clock is not synchronised, and clears it when
it is, and the hub and the wardens know to read those events' times with care.

:func:`ntp_synchronized` asks ``timedatectl show -p NTPSynchronized --value`` (systemd-timesyncd
or chrony both feed it); when that cannot tell (no systemd, a container), nothing is raised and
that is logged once.  The raised state lives in a small file in ``storage.dir``, so a fault raised
before a restart is cleared by the next process once the clock is synchronised.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Callable

from edge.events import EventSink

logger = logging.getLogger(__name__)

CODE = "clock_unsynced"
Check = Callable[[], "bool | None"]


def ntp_synchronized() -> bool | None:
    """True/False from ``timedatectl``; None when it cannot tell."""
    binary = shutil.which("timedatectl")
    if binary is None:
        return None
    try:
        out = subprocess.run([binary, "show", "-p", "NTPSynchronized", "--value"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    value = out.stdout.strip()
    return {"yes": True, "no": False}.get(value) if out.returncode == 0 else None


def flag_path(storage_dir: str | Path, device: str) -> Path:
    """The file that says the ``clock_unsynced`` fault is raised (kept across restarts)."""
    return Path(storage_dir) / f"clock-unsynced-{device}.flag"


def clock_trusted(flag: Path) -> Callable[[], bool]:
    """A check other parts of the edge ask before acting on the date (the allowlist's expiries):
    False while the ``clock_unsynced`` fault is raised."""
    return lambda: not flag.exists()


def decide(raised: bool, synced: bool | None) -> tuple[bool, bool | None]:
    """(raised now, fault ``active`` to emit or None): raise when unsynced, clear when synced."""
    if synced is None:
        return raised, None
    if not synced and not raised:
        return True, True
    if synced and raised:
        return False, False
    return raised, None


class ClockWatch:
    """Checks the clock every ``interval`` seconds and emits the ``clock_unsynced`` fault."""

    def __init__(self, sink: EventSink, *, state_file: Path, check: Check = ntp_synchronized,
                 interval: float = 60.0):
        self.sink = sink
        self.state_file = Path(state_file)
        self.check = check
        self.interval = interval
        self.raised = self.state_file.exists()
        self._unknown_logged = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> bool | None:
        """One check; emits a fault change when there is one; returns the check's answer."""
        synced = self.check()
        if synced is None and not self._unknown_logged:
            logger.info("cannot tell whether the clock is synchronised (no timedatectl answer); "
                        "no clock_unsynced fault will be raised")
            self._unknown_logged = True
        self.raised, active = decide(self.raised, synced)
        if active is not None:
            detail = ("the system clock is not synchronised (no NTP yet); event times may be wrong, "
                      "their order (seq) is right" if active else "the system clock is synchronised again")
            self.sink.emit("fault", {"code": CODE, "active": active, "detail": detail})
            self._remember(active)
            log = logger.warning if active else logger.info
            log("fault %s %s", CODE, "raised" if active else "cleared")
        return synced

    def _remember(self, active: bool) -> None:
        if active:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            self.state_file.write_text("raised\n", encoding="utf-8")
        else:
            self.state_file.unlink(missing_ok=True)

    def start(self) -> "ClockWatch":
        self._thread = threading.Thread(target=self._run, name="edge-clockwatch", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:  # a broken check must not end the watch
                logger.exception("clock check failed")
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
