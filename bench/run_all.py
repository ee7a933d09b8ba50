"""Run every benchmark in bench/ and rewrite docs/performance.md with what they printed.

``./dev bench`` (or ``.venv/bin/python bench/run_all.py [NAME…]``).  Each script prints markdown:
its numbers, the goal from the issue, and the baseline it measured in the same run where one
applies.  This page adds the machine and the date; numbers are never asserted by the tests.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "performance.md"
ORDER = ["hub_ingest", "edge_outbox", "gate_latency", "ble_scan", "deadline", "charging_count",
         "web_violations"]


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    mem = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    return (f"{platform.node()}: {os.cpu_count()} cores ({cpu}), {mem} MiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def run(name: str) -> str:
    script = ROOT / "bench" / f"{name}.py"
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=1800, cwd=ROOT)
    took = time.monotonic() - started
    body = result.stdout.strip() or "(no output)"
    if result.returncode != 0:
        body += f"\n\n**The script failed (exit {result.returncode}):**\n\n```\n{result.stderr.strip()[-2000:]}\n```"
    doc = (script.read_text(encoding="utf-8").split('"""')[1].strip().splitlines() or [""])[0]
    return f"## {name}\n\n{doc}\n\n`bench/{name}.py`, {took:.0f} s\n\n{body}\n"


def main(argv: list[str]) -> int:
    names = argv or [n for n in ORDER if (ROOT / "bench" / f"{n}.py").exists()]
    sections = []
    for name in names:
        print(f"running bench/{name}.py …", flush=True)
        sections.append(run(name))
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    OUT.write_text(
        "# Performance\n\n<!-- Written by `./dev bench` (bench/run_all.py); do not edit by hand. -->\n\n"
        f"Measured {now} on {machine()}.\n\nEach section is one script in `bench/`: what it measures, "
        "the goal from the issue that asked for it, and, where it applies, the baseline measured in the "
        "same run. Other work on the machine moves these numbers; rerun `./dev bench` to refresh them.\n\n"
        + "\n".join(sections), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
