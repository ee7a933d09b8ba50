"""Edge outbox benchmark: durable events/s (single emits and emit_many batches), idle edge RSS.

Run: ``.venv/bin/python bench/edge_outbox.py``.  Prints a markdown table.  Every emit commits
with ``synchronous=FULL`` (one fsync per emit, or per batch with ``emit_many``), on the disk that
holds the system temp directory.  The idle process is a real ``gatewarden edge`` on a private
Mosquitto, measured after 5 s of idling (``VmRSS`` from ``/proc/<pid>/status``).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edge.outbox import Outbox  # noqa: E402
from gatewarden.localbroker import Broker  # noqa: E402
from gwcommon.clock import SystemClock  # noqa: E402

CHARGING = {"circuit": "shed-1", "power_w": 812.5, "current_a": 3.7, "loads": 4, "voltage_v": 220.1}
DURATION = 3.0


def rate(box: Outbox, batch: int) -> float:
    """Events per second stored durably for ``DURATION`` seconds in batches of ``batch``."""
    events = [("charging", CHARGING)] * batch
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < DURATION:
        if batch == 1:
            box.emit("charging", CHARGING)
        else:
            box.emit_many(events)
        count += batch
    return count / elapsed


def idle_rss_mb(workdir: Path) -> float:
    broker = Broker(workdir / "mosquitto").start()
    config = workdir / "edge.toml"
    config.write_text(f'[site]\nid = "bench"\n[device]\nid = "gate-1"\nkind = "gate"\n'
                      f'[storage]\ndir = "{workdir}/data"\n[mqtt]\nport = {broker.port}\n', encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "gatewarden", "edge", "--config", str(config)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(5)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        return int(next(l for l in status.splitlines() if l.startswith("VmRSS:")).split()[1]) / 1024
    finally:
        proc.terminate()
        proc.wait(10)
        broker.kill()


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for batch in (1, 10, 100, 500):
            with Outbox(workdir / f"outbox-{batch}.db", device="bench", clock=SystemClock()) as box:
                rows.append((f"durable events/s, {'emit' if batch == 1 else f'emit_many × {batch}'}",
                             f"{rate(box, batch):,.0f}", "≥ 1,000"))
        rows.append(("idle `gatewarden edge` RSS (MB)", f"{idle_rss_mb(workdir):.1f}", "≤ 60"))
    print("| edge outbox | result | goal |\n|---|---|---|")
    for name, value, goal in rows:
        print(f"| {name} | {value} | {goal} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
