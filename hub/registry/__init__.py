"""The resident registry (住户车辆登记): households, vehicles, tags; CSV import/export; the allowlist.

:mod:`hub.registry.store` keeps the tables, :mod:`hub.registry.csvfile` reads and writes the
committee's CSV file, :mod:`hub.registry.area` publishes the allowlist, :mod:`hub.registry.pages`
is the Registry page.  Other areas use only what this package exports:
"""

from hub.registry.store import plate_for_tag, vehicle
from hub.registry.visitors import holders as pass_holders
from hub.registry.visitors import passes_of

__all__ = ["pass_holders", "passes_of", "plate_for_tag", "vehicle"]
