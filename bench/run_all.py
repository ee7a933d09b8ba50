"""Run the benchmarks in bench/ and write what they printed into docs/performance.md.

``./dev bench`` runs every script and rewrites the page; ``./dev bench NAME…`` runs only those
and replaces their sections, keeping the others.  Each script prints markdown: its numbers, the
goal from the issue, and the baseline it measured in the same run where one applies.  Each
section says when and on what machine it was measured; the tests never assert numbers.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "performance.md"
ORDER = ["hub_ingest", "edge_outbox", "gate_latency", "gate_association", "ble_scan", "deadline", "charging_count",
         "charging_cut", "web_violations", "install_roles", "lpr_push", "hostile"]


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
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=3600, cwd=ROOT)
    took = time.monotonic() - started
    body = re.sub(r"^#{1,2} ", "### ", result.stdout.strip(), flags=re.M) or "(no output)"
    if result.returncode != 0:
        body += f"\n\n**The script failed (exit {result.returncode}):**\n\n```\n{result.stderr.strip()[-2000:]}\n```"
    doc = (script.read_text(encoding="utf-8").split('"""')[1].strip().splitlines() or [""])[0]
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"## {name}\n\n{doc}\n\n`bench/{name}.py`, {took:.0f} s, measured {when} on {machine()}\n\n{body}\n"


def existing_sections() -> dict[str, str]:
    """The sections already on the page, by benchmark name."""
    if not OUT.exists():
        return {}
    parts = OUT.read_text(encoding="utf-8").split("\n## ")[1:]
    return {part.split("\n", 1)[0].strip(): "## " + part.rstrip() + "\n" for part in parts}


def main(argv: list[str]) -> int:
    every = [n for n in ORDER if (ROOT / "bench" / f"{n}.py").exists()]
    unknown = [n for n in argv if n not in every]
    if unknown:
        print(f"no such benchmark: {', '.join(unknown)} (choose from {', '.join(every)})", file=sys.stderr)
        return 2
    sections = existing_sections() if argv else {}
    for name in argv or every:
        print(f"running bench/{name}.py …", flush=True)
        sections[name] = run(name)
    OUT.write_text(
        "# Performance\n\n<!-- Written by `./dev bench` (bench/run_all.py); do not edit by hand. -->\n\n"
        "Each section is one script in `bench/`: what it measures, the goal from the issue that asked "
        "for it, and, where it applies, the baseline measured in the same run. Other work on the machine "
        "moves these numbers; `./dev bench [NAME…]` measures again.\n\n"
        + "\n".join(sections[n] for n in every if n in sections), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
