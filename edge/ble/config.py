"""The ``[scanner]`` section (蓝牙扫描) and the EID keys file.  No heavy imports here.

Registered Eddystone-EID tags come from ``[[scanner.eid_tags]]`` or, better (the identity keys are
secrets), from a separate TOML file named by ``eid_keys_file`` with the same ``[[eid_tags]]``
tables, readable only by the service user.  See docs/bluetooth.md.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator, model_validator

from gwcommon.config import Duration, Section, read_toml, validate
from gwcommon.exc import ConfigError

from .eid import EidKey

MAC_RE = r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$"


class EidTagConfig(Section):
    """One registered Eddystone-EID tag."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$",
                      description="Tag name; the tag id on the wire is eid:<name> (lower case letters, digits, '.', '_', '-').")
    identity_key: str = Field(pattern=r"^[0-9A-Fa-f]{32}$",
                              description="The tag's 16-byte AES identity key, 32 hex digits (a secret: keep it in eid_keys_file).")
    exponent: int = Field(10, ge=0, le=15, description="Rotation exponent K: the tag changes its identifier every 2^K seconds.")
    clock_value: int = Field(0, ge=0, le=2**32 - 1, description="The tag's time counter (seconds) at clock_at, as read when it was registered.")
    clock_at: AwareDatetime = Field(description="When the tag's counter had clock_value (RFC 3339 with offset).")

    def key(self) -> EidKey:
        return EidKey(self.name, bytes.fromhex(self.identity_key), self.exponent, self.clock_value, self.clock_at)


class EidKeysFile(Section):
    """The EID keys file: ``[[eid_tags]]`` tables only."""

    eid_tags: list[EidTagConfig] = Field(default_factory=list, max_length=5000, description="Registered EID tags.")


class ScannerConfig(Section):
    """How this device listens for residents' tags."""

    adapter: str = Field("hci0", pattern=r"^hci[0-9]{1,2}$", description="Bluetooth adapter (hci0 is the built-in one; a USB dongle is usually hci1).")
    mode: Literal["auto", "passive", "active"] = Field(
        "auto", description="passive spares tag batteries but needs BlueZ >= 5.56 with --experimental; "
                            "auto tries passive and falls back to active.")
    source: str = Field("", max_length=64, description="Name of this listening place, for clone detection; empty: the device id. "
                                                      "Scanners that can hear the same tag legitimately must share it.")
    silence: Duration = Field(timedelta(seconds=120), ge=timedelta(seconds=10), le=timedelta(hours=1),
                              description="No advertisement at all for this long climbs the recovery ladder one rung "
                                          "(restart scanner, power-cycle adapter, exit for systemd).")
    queue_size: int = Field(10_000, ge=100, le=1_000_000, description="Advertisements waiting to be decoded; beyond this they are counted and dropped.")
    mac_tags: list[str] = Field(default_factory=list, max_length=5000,
                                description="Static addresses (aa:bb:cc:dd:ee:ff) accepted as mac: tags (weakest).")
    any_static_mac: bool = Field(False, description="Accept every public or static-random address as a mac: tag (noisy; for surveys only).")
    eid_tags: list[EidTagConfig] = Field(default_factory=list, max_length=5000, description="Registered EID tags written inline ([[scanner.eid_tags]]).")
    eid_keys_file: Path | None = Field(None, description="TOML file with [[eid_tags]] tables (identity keys kept out of the main config).")
    clone_window: Duration = Field(timedelta(seconds=5), ge=timedelta(seconds=0), le=timedelta(minutes=10),
                                   description="The same EID tag heard at two places within this time is a possible clone.")
    clone_hold: Duration = Field(timedelta(seconds=60), ge=timedelta(seconds=0), le=timedelta(hours=24),
                                 description="A possible clone is refused everywhere for this long.")

    @field_validator("mac_tags")
    @classmethod
    def _macs(cls, values: list[str]) -> list[str]:
        bad = [v for v in values if not re.match(MAC_RE, v)]
        if bad:
            raise ValueError(f"not a Bluetooth address: {bad[0]!r} (write aa:bb:cc:dd:ee:ff)")
        return [v.lower() for v in values]

    @field_validator("eid_keys_file", mode="after")
    @classmethod
    def _relative(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        base = (info.context or {}).get("base_dir")
        return value if value is None or value.is_absolute() or base is None else (Path(base) / value).resolve()

    @model_validator(mode="after")
    def _unique_names(self) -> "ScannerConfig":
        _check_unique(self.eid_tags, "scanner.eid_tags")
        return self


def _check_unique(tags: list[EidTagConfig], where: str) -> None:
    names = [t.name for t in tags]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"{where}: EID tag names must be unique (repeated: {', '.join(dup)})")


def load_eid_keys(config: ScannerConfig) -> tuple[EidKey, ...]:
    """Every registered EID tag, inline and from ``eid_keys_file``; a bad file is a ConfigError."""
    tags = list(config.eid_tags)
    if config.eid_keys_file is not None:
        data = read_toml(config.eid_keys_file)
        tags += validate(data, EidKeysFile, source=str(config.eid_keys_file)).eid_tags
    try:
        _check_unique(tags, "eid tags (config and keys file)")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return tuple(t.key() for t in tags)

