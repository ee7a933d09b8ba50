"""Every migration set of the hub database, applied in this order at start.

Each area owns its set (its tables and their upgrades) in its own module; add a new area's set
here.  A migration, once released, is never edited: add a new one.
"""

from __future__ import annotations

from sqlite_utils.migrations import Migrations

MIGRATION_SETS: list[Migrations] = []


def register(migration_set: Migrations) -> Migrations:
    """Add an area's migration set (call at import time of the area's schema module)."""
    if all(m.name != migration_set.name for m in MIGRATION_SETS):
        MIGRATION_SETS.append(migration_set)
    return migration_set


def all_sets() -> list[Migrations]:
    """Import every area's schema module, then return the sets in order."""
    from hub import schema_areas  # noqa: F401  (imports register the sets)

    return list(MIGRATION_SETS)
