"""Files a maintenance command run as root creates belong to the service user all the same.

``sudo gatewarden registry import …`` before the hub's first start would otherwise leave a hub.db
(and its -wal/-shm) owned by root that the service, running as ``gatewarden``, cannot write.
"""

from __future__ import annotations

import os
from pathlib import Path


def follow_folder_owner(folder: Path, names: tuple[str, ...], *, euid: int | None = None) -> list[Path]:
    """As root, give ``folder``'s owner the files ``names`` in it that root owns; the ones changed."""
    if (os.geteuid() if euid is None else euid) != 0:
        return []
    owner = folder.stat()
    if owner.st_uid == 0:
        return []
    changed = []
    for name in names:
        path = folder / name
        try:
            if path.stat().st_uid == 0:
                os.chown(path, owner.st_uid, owner.st_gid)
                changed.append(path)
        except FileNotFoundError:
            continue
    return changed
