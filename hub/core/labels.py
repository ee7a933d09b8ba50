"""Names people read instead of ids (显示名称): devices, gate lanes, circuits, zones.

Devices are named in ``[[devices]]`` (``id``, ``label``), lanes in ``[[gate_lanes]]``, circuits in
``[[circuits]]`` and zones in ``[[zones]]``, each with an optional Chinese ``label``; whatever has
no label is shown by its id.  :func:`from_config` reads them from the hub's config once;
:class:`Labels` answers lookups (pure; no I/O).  The web kit reaches it as ``ctx.labels`` and the
templates as ``device_label``/``lane_label``; the alerts area puts a device's label in its payload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from pydantic import Field

from gwcommon.config import Name, Section, repeated
from gwcommon.exc import WordedValueError


class DeviceLabelConfig(Section):
    """One edge device's name for people."""

    id: Name = Field(description="The device's id (its [device] id), e.g. gate-east.")
    label: str = Field(min_length=1, max_length=64, description="Name shown to people instead of the id, e.g. 东门道闸.")


def unique_devices(devices: list[DeviceLabelConfig]) -> list[DeviceLabelConfig]:
    dupes = ", ".join(repeated([d.id for d in devices]))
    if dupes:
        raise WordedValueError(f"device ids in [[devices]] must be unique; repeated: {dupes}",
                               f"[[devices]] 里的设备代号重复：{dupes}")
    return devices


@dataclass(frozen=True)
class Labels:
    """Lookups id → label; an id without a label is its own name."""

    devices: Mapping[str, str] = field(default_factory=dict)
    lanes: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (device, lane) → label
    circuits: Mapping[str, str] = field(default_factory=dict)
    zones: Mapping[str, str] = field(default_factory=dict)

    def device(self, device: str | None) -> str:
        return self.devices.get(device or "", "") or (device or "")

    def lane(self, lane: str | None, device: str | None = None) -> str:
        """A lane's label; a lane named by one configured lane only is found without its device."""
        if not lane:
            return ""
        found = self.lanes.get((device or "", lane))
        if found:
            return found
        named = {label for (_, name), label in self.lanes.items() if name == lane}
        return named.pop() if len(named) == 1 else lane

    def circuit(self, circuit: str | None) -> str:
        return self.circuits.get(circuit or "", "") or (circuit or "")

    def zone(self, zone: str | None) -> str:
        return self.zones.get(zone or "", "") or (zone or "")


def from_config(config: Any) -> Labels:
    """The labels in a :class:`hub.config.HubConfig` (read by attribute; missing sections are empty)."""
    return Labels(
        devices={d.id: d.label for d in getattr(config, "devices", [])},
        lanes={(g.device, g.lane): g.label for g in getattr(config, "gate_lanes", []) if g.label},
        circuits={c.name: c.label for c in getattr(config, "circuits", []) if c.label},
        zones={z.name: z.label for z in getattr(config, "zones", []) if z.label},
    )
