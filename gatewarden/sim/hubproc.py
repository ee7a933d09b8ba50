"""The hub as ``gatewarden simulate --chaos`` runs it: ``gatewarden hub``, plus a full disk on demand.

``python -m gatewarden.sim.hubproc --config FILE --disk-full-flag PATH``

Exactly the hub of ``gatewarden hub --config FILE`` (:func:`hub.cli.run.run`), with one more
writer tick, for the simulator only: while the file ``PATH`` exists the hub's database is capped
at its present size (SQLite's ``PRAGMA max_page_count`` on the writer's connection), so every
write that needs a new page fails with SQLITE_FULL — "database or disk is full", as on a full SD
card; when the file is gone the cap is lifted.  ``kill -USR1`` on it writes every thread's stack
to its log (to see what a quiet hub is doing).  Nothing else differs, and no installed hub runs
this module.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

UNCAPPED = 2_000_000_000  # pages: more than any SD card holds


def disk_tick(flag: Path):
    """A writer tick that caps or uncaps the database as ``flag`` says."""
    state = {"full": False}

    def simulated_disk(db) -> None:
        full = flag.exists()
        if full == state["full"]:
            return
        pages = db.execute("PRAGMA page_count").fetchone()[0] if full else UNCAPPED
        db.execute(f"PRAGMA max_page_count = {int(pages)}")
        state["full"] = full
        logger.warning("simulated disk %s", "full" if full else "space back")

    return simulated_disk


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gatewarden.sim.hubproc")
    parser.add_argument("--config", required=True)
    parser.add_argument("--disk-full-flag", type=Path, required=True)
    args = parser.parse_args(argv)
    import faulthandler
    import signal

    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1`: every thread's stack in hub.log
    from hub.cli import run

    return run.run(argparse.Namespace(config=args.config),
                   prepare=lambda hub: hub.writer.add_tick(disk_tick(args.disk_full_flag)))


if __name__ == "__main__":
    sys.exit(main())
