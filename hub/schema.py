"""Every migration set of the hub database, in the one order they are applied at start.

Each area owns its set (its tables and their upgrades) in its own ``schema`` module; this list,
not what a process happened to import first, decides the order (as sqlite-utils means a migration
set to be used: a value the caller applies).  A set's name and its migrations' names never change,
so an existing database upgrades untouched; a migration, once released, is never edited: add a new
one.  The web set indexes tables of the ingest and overnight sets, so it comes after them.
"""

from __future__ import annotations

from sqlite_utils.migrations import Migrations

from hub.alerts import inbox
from hub.alerts import schema as alerts_schema
from hub.charging import schema as charging_schema
from hub.core import schema as core_schema
from hub.overnight import schema as overnight_schema
from hub.passages import schema as passages_schema
from hub.registry import schema as registry_schema
from hub.web import schema as web_schema

MIGRATIONS: list[Migrations] = [
    core_schema.migrations,  # "ingest": events, snapshots, devices, quarantine
    overnight_schema.migrations,  # "overnight": stays, violations, diary, calendar, occupancy
    alerts_schema.migrations,  # "alerts": alerts, outbox, conditions, roster, target faults
    charging_schema.migrations,  # "charging": circuits, incidents
    registry_schema.migrations,  # "registry": households, vehicles, tags
    web_schema.migrations,  # "web": accounts, sessions, tokens, audit; indexes on events, violations
    inbox.migrations,  # "inbox": the local chat inbox for the demo and trials
    passages_schema.migrations,  # "passages": suspected copied tags
]


def all_sets() -> list[Migrations]:
    """The migration sets, in the order they are applied."""
    return list(MIGRATIONS)
