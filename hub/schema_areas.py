"""Imports each area's schema module so that its migrations are registered (see hub.schema)."""

import hub.core.schema  # noqa: E402,F401  (ingest: events, snapshots, devices, quarantine)
import hub.web.schema  # noqa: E402,F401  (web view: accounts, sessions, tokens, audit)
import hub.alerts.schema  # noqa: E402,F401  (alerts: outbox, conditions, roster, target faults)
import hub.registry.schema  # noqa: E402,F401  (registry: households, vehicles, tags)
import hub.overnight.schema  # noqa: E402,F401  (overnight rule, violations, diary, calendar, occupancy)
import hub.charging.schema  # noqa: E402,F401  (charging: circuits, incidents)
import hub.alerts.inbox  # noqa: E402,F401  (local chat inbox for the demo and trials)
