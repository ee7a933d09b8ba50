"""Putting a scanner together from ``[scanner]``: the one place gate and lane devices share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gwcommon.clock import Clock

from .config import ScannerConfig, load_eid_keys
from .eid import EidResolver
from .pipeline import Pipeline


def make_pipeline(settings: ScannerConfig, device_id: str) -> Pipeline:
    """Decoders and the EID resolver (keys from the config and the keys file; ConfigError if bad)."""
    resolver = EidResolver(keys=load_eid_keys(settings), clone_window=settings.clone_window.total_seconds(),
                           clone_hold=settings.clone_hold.total_seconds())
    return Pipeline(settings.source or device_id, resolver=resolver, mac_tags=settings.mac_tags,
                    any_static_mac=settings.any_static_mac)


def make_scanner(settings: ScannerConfig, *, sink: Any, clock: Clock, device_id: str, storage_dir: Path,
                 backend: type | None = None, adapter_control: Any = None,
                 on_fatal: Callable[[str], None] | None = None, tick: float = 1.0) -> Any:
    """A :class:`~edge.ble.scanner.Scanner` (not started) with its fault memory in ``storage_dir``."""
    from .scanner import Scanner  # imports bleak

    return Scanner(settings, sink=sink, clock=clock, pipeline=make_pipeline(settings, device_id),
                   backend=backend, adapter_control=adapter_control, on_fatal=on_fatal,
                   state_file=storage_dir / f"ble-faults-{device_id}.json", tick=tick)
