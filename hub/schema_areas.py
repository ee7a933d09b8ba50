"""Imports each area's schema module so that its migrations are registered (see hub.schema)."""
