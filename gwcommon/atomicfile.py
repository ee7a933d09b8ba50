"""Writing a small state file so that after a power cut it is the old one or the new one, never half.

``write_atomic(path, data)``: write ``path.tmp``, fsync it, rename it over ``path`` and fsync the
directory (the rename itself is only durable then).  A failure removes the temporary file and
re-raises; the old file is untouched.  Used for the edge's allowlist, lane state and energy totals.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
