"""The bookkeeping of visitor passes under :mod:`hub.registry.store` and
:mod:`hub.registry.visitors`: ending passes (their tags leave the registry, a visitor left with
no pass leaves it too; ``visitor_passes`` keeps the record).  No version bump here: the callers
move the registry's version once per change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gwcommon.timefmt import stored_ts


def expire(db: Any, *, at: datetime) -> int:
    """End the passes whose expiry is past by ``at``: their tags are free, their visitors gone
    (the caller moves the registry's version: :func:`hub.registry.store.expire_passes`)."""
    now = stored_ts(at)
    expired = db.execute("SELECT plate, tag, expires FROM tags WHERE expires IS NOT NULL AND expires <= ?",
                         [now]).fetchall()
    for plate, tag, expires in expired:
        end_tags(db, plate, [tag], at=expires, by="expired")
    return len(expired)


def end_passes_gone(db: Any, *, at: datetime, by: str) -> None:
    """Mark ended (at ``at``, or at their expiry if that came first) the open passes whose car no
    longer holds the pass tag: an import took the tag off, or gave it to a resident."""
    db.execute("UPDATE visitor_passes SET ended_at = min(?, expires), ended_by = ? WHERE ended_at IS NULL "
               "AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.tag = visitor_passes.tag "
               "AND t.plate = visitor_passes.plate AND t.expires IS NOT NULL)", [stored_ts(at), by])


def pass_tags(db: Any, plate: str) -> list[str]:
    """The tags of ``plate`` that a pass gave it (they expire)."""
    return [r[0] for r in db.execute("SELECT tag FROM tags WHERE plate = ? AND expires IS NOT NULL", [plate])]


def end_passes_of_plate(db: Any, plate: str, *, at: datetime, by: str) -> None:
    end_tags(db, plate, pass_tags(db, plate), at=stored_ts(at), by=by)


def end_tags(db: Any, plate: str, tags: list[str], *, at: str, by: str) -> None:
    """Take the pass tags ``tags`` off ``plate`` and record their passes as ended at ``at``."""
    for tag in tags:
        db.execute("DELETE FROM tags WHERE tag = ? AND plate = ?", [tag, plate])
        db.execute("UPDATE visitor_passes SET ended_at = ?, ended_by = ? WHERE tag = ? AND plate = ? "
                   "AND ended_at IS NULL", [at, by, tag, plate])
    forget_bare_visitors(db)


def forget_bare_visitors(db: Any) -> None:
    """A visitor's vehicle with no pass left leaves the registry (its passes stay on record)."""
    db.execute("DELETE FROM vehicles WHERE visitor = 1 AND plate NOT IN (SELECT plate FROM tags)")
    db.execute("DELETE FROM households WHERE name NOT IN (SELECT household FROM vehicles)")
