"""Refusing an import that would empty the registry (导入删除保护) without a confirmation.

The registry file is the whole registry (CONTRACT.md §3): a vehicle missing from it is removed,
and every gate then refuses its tag.  A file with only its header row — an export gone wrong, the
wrong sheet, a half-saved file — would remove every vehicle at once.  So an import that would
remove every vehicle, or more than ``[registry] confirm_removal_share`` of them, is refused until
the person confirms (``--yes`` on the command line, the confirmation box on the web page).

:func:`needs_confirmation` is the pure decision; :class:`RemovalNotConfirmed` carries the numbers
for the message (worded in :mod:`hub.registry.problems`).
"""

from __future__ import annotations

from pydantic import Field

from gwcommon.config import Section
from gwcommon.exc import GatewardenError


class RegistryConfig(Section):
    """``[registry]``: safeguards of the resident registry import."""

    confirm_removal_share: float = Field(
        0.5, ge=0.0, le=1.0,
        description="An import that would remove more than this share of the registered vehicles (or all of "
                    "them) is refused until confirmed (--yes, or the web page's confirmation box). 1.0: only "
                    "an import removing every vehicle asks.")


class RemovalNotConfirmed(GatewardenError, ValueError):
    """The import would remove ``removed`` of ``current`` vehicles and was not confirmed."""

    code = "confirm_removal"

    def __init__(self, removed: int, current: int):
        super().__init__(f"the import would remove {removed} of {current} vehicles; confirm it (--yes)")
        self.removed, self.current = removed, current
        self.params = {"removed": removed, "current": current}


def needs_confirmation(current: int, removed: int, *, share: float) -> bool:
    """Whether removing ``removed`` of ``current`` vehicles needs a person's explicit yes."""
    if current == 0 or removed == 0:
        return False
    return removed == current or removed > share * current
