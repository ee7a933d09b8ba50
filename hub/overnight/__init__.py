"""The overnight rule (8 a.m. rule, 过夜停车规则) and the fire lane: everything about them.

:mod:`~hub.overnight.rules` decides (pure), :mod:`~hub.overnight.calendar` knows the working
days, :mod:`~hub.overnight.stays` and :mod:`~hub.overnight.violations` keep the vehicles' marks
and the violations, :mod:`~hub.overnight.diary` is the patrol diary, :mod:`~hub.overnight.notices`
what the rule tells the alerts area, :mod:`~hub.overnight.warden_actions` what the wardens do,
:mod:`~hub.overnight.occupancy` the cars inside (余位), :mod:`~hub.overnight.area` wires it all to
the hub, ``pages/`` and :mod:`~hub.overnight.api` are its part of the web view.

Other areas use only what this package exports:
"""

from hub.overnight.diary import add as add_diary_line
from hub.overnight.occupancy import snapshot as occupancy_snapshot

__all__ = ["add_diary_line", "occupancy_snapshot"]
