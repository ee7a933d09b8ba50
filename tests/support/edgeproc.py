"""An edge device as its own process, for crash tests: outbox + publisher, emitting on demand.

    python -m tests.support.edgeproc --dir D --port P --site S --device DEV --emit N [--rate R]

Emits ``N`` charging events (printing ``emitted <seq>`` once each is durably in the outbox), then
keeps publishing until SIGTERM (clean stop) or SIGKILL (a crash).  ``--emit 0`` only sends what the
outbox still holds.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

from edge.outbox import Outbox
from edge.publisher import Publisher
from gwcommon.clock import SystemClock
from gwcommon.config import MqttConfig


def main() -> int:
    parser = argparse.ArgumentParser()
    for name in ("--dir", "--site", "--device"):
        parser.add_argument(name, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--emit", type=int, default=0)
    parser.add_argument("--rate", type=float, default=0.0, help="events per second (0: at once)")
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    box = Outbox(Path(args.dir) / f"outbox-{args.device}.db", site=args.site, device=args.device,
                 clock=SystemClock())
    pub = Publisher(box, mqtt=MqttConfig(port=args.port, keepalive=2), site=args.site, device=args.device,
                    kind="charging", clock=box.clock, heartbeat=1.0, ack_timeout=2.0, settle=0.2).start()
    print(f"ready {box.last_seq}", flush=True)
    for n in range(args.emit):
        box.emit("charging", {"circuit": "shed-a", "power_w": float(n), "current_a": 0.5, "loads": 1})
        print(f"emitted {box.last_seq}", flush=True)
        if args.rate:
            time.sleep(1 / args.rate)
    while not stop.wait(0.2):
        print(f"backlog {box.count()}", flush=True)
    pub.stop()
    box.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
