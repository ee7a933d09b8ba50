"""The resident registry (住户车辆登记): households, vehicles, tags; CSV import/export; the allowlist."""
