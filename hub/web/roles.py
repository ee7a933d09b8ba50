"""Roles of the web view, lowest first; each role may do everything the roles below it may.

- viewer (查看): reads the pages and the JSON API;
- warden (值班人员): also acts — opens a lane, registers or clears an off-space car, resolves and
  excuses violations, acknowledges alerts, issues visitor passes, and reads the registry;
- committee (业委会): also edits the registry, reads the monthly report and the audit log;
- admin (管理员): also manages accounts and API tokens.
"""

from __future__ import annotations

ROLES: tuple[str, ...] = ("viewer", "warden", "committee", "admin")


def rank(role: str) -> int:
    """Position of ``role`` in :data:`ROLES` (ValueError for an unknown role)."""
    try:
        return ROLES.index(role)
    except ValueError:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}") from None


def allows(role: str | None, needed: str) -> bool:
    """Whether a user holding ``role`` may do what needs ``needed`` (None: not logged in)."""
    return role is not None and role in ROLES and rank(role) >= rank(needed)
