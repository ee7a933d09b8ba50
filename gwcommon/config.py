"""Configuration: TOML files validated by one pydantic model per area (docs/contract.md §6).

A bad file fails at start with one line naming the file, the key and the reason
(``hub.toml: mqtt.port: Input should be less than or equal to 65535 (got 70000)``).

One file may serve a one-Pi compound: the hub ignores the edge's sections and an edge ignores
the hub's, but a key that belongs to neither is an error (usually a typo).  The section names of
each side are listed here, in the shared package, so neither side has to import the other; a test
checks these lists against the models in ``hub.config`` and ``edge.config``.
"""

from __future__ import annotations

import os
import tomllib
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from . import configwords
from .exc import ConfigError, WordedValueError
from .redact import register_secret
from .timefmt import parse_clock_time, parse_duration
from .wire import NAME_RE

COMMON_SECTIONS = frozenset({"site", "storage", "mqtt", "log"})
HUB_SECTIONS = frozenset({
    "rules", "zones", "chat", "web", "alerts", "roster", "calendar", "circuits",
    "retention", "homeassistant", "metrics", "hub", "sms", "gate_lanes",
})
EDGE_SECTIONS = frozenset({
    "device", "outbox", "replay", "gate", "lanes", "lane", "scanner", "camera", "charging",
    "meters", "edge_metrics", "lpr",
})

Duration = Annotated[timedelta, BeforeValidator(lambda v: parse_duration(v) if isinstance(v, (str, int, float)) else v)]
ClockTime = Annotated[time, BeforeValidator(lambda v: parse_clock_time(v) if isinstance(v, str) else v)]
Name = Annotated[str, Field(pattern=NAME_RE)]


class Section(BaseModel):
    """Base of every config section: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=True)


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise WordedValueError.said("time_zone", name=name) from None
    return name


class SiteConfig(Section):
    """The compound."""

    id: Name = Field(description="Compound id used in every MQTT topic: lower case letters, digits and '-'.")
    name: str = Field("", max_length=100, description="Compound name shown in the web view and chat messages.")
    timezone: Annotated[str, AfterValidator(_check_zone)] = Field(
        "Asia/Shanghai", description="IANA time zone of the local rules (deadline, night, quiet hours).")
    spaces: int = Field(0, ge=0, le=100_000, description="Number of painted parking spaces (for 余位, free spaces).")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class StorageConfig(Section):
    """Where databases and snapshots live."""

    dir: Path = Field(Path("/var/lib/gatewarden"),
                      description="Directory for databases and snapshots; relative paths are relative to the config file.")

    @field_validator("dir", mode="after")
    @classmethod
    def _relative_to_config(cls, value: Path, info: ValidationInfo) -> Path:
        base = (info.context or {}).get("base_dir")
        return value if value.is_absolute() or base is None else (Path(base) / value).resolve()


class MqttConfig(Section):
    """The compound's MQTT broker."""

    host: str = Field("127.0.0.1", min_length=1, description="Broker host name or address.")
    port: int = Field(1883, ge=1, le=65535, description="Broker port (8883 is usual with TLS).")
    username: str | None = Field(None, description="User name, when the broker requires a login.")
    password_file: Path | None = Field(None, description="File holding the password (never the password itself in this file).")
    tls_ca: Path | None = Field(None, description="CA certificate file; setting it turns TLS on.")
    tls_cert: Path | None = Field(None, description="Client certificate file, for brokers that require one.")
    tls_key: Path | None = Field(None, description="Client key file, with tls_cert.")
    keepalive: int = Field(15, ge=2, le=600, description="Seconds between keepalive pings; a dead link is noticed after about 1.5 times this.")
    session_expiry: int = Field(7 * 86400, ge=60, le=2**32 - 1,
                                description="Seconds the broker keeps the hub's session and queue while it is away.")

    @field_validator("password_file", "tls_ca", "tls_cert", "tls_key", mode="after")
    @classmethod
    def _relative(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        base = (info.context or {}).get("base_dir")
        if value is None or value.is_absolute() or base is None:
            return value
        return (Path(base) / value).resolve()

    def password(self) -> str | None:
        """The password from ``password_file`` or the ``GATEWARDEN_MQTT_PASSWORD`` environment variable."""
        if self.password_file is not None:
            return read_secret(self.password_file, "mqtt.password_file")
        value = os.environ.get("GATEWARDEN_MQTT_PASSWORD")
        register_secret(value)
        return value


class LogConfig(Section):
    """Logging."""

    level: Literal["debug", "info", "warning", "error"] = Field("info", description="Least severe level written to the log.")
    format: Literal["auto", "text", "json"] = Field(
        "auto", description="auto: text on a terminal, JSON lines otherwise (for journald).")


class DeviceConfig(Section):
    """Which edge device this is (ignored by the hub)."""

    id: Name = Field(description="Device id used in topics, unique in the compound; 'hub' is reserved.")
    kind: Literal["gate", "lane", "charging"] = Field(description="What the device does: gate, lane or charging.")

    @field_validator("id")
    @classmethod
    def _not_hub(cls, value: str) -> str:
        if value == "hub":
            raise WordedValueError.said("hub_reserved")
        return value


def repeated(names: list[str]) -> list[str]:
    """The names that occur more than once, sorted (for "must be unique" config checks)."""
    return sorted({n for n in names if names.count(n) > 1})


def read_secret(path: Path, key: str) -> str:
    """A secret from a file, without its trailing newline; a missing file is a ConfigError."""
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{key}: cannot read {path}: {exc.strerror}") from None
    register_secret(value)  # never logged, wherever it would appear
    return value


M = TypeVar("M", bound=BaseModel)


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file, or raise ConfigError naming the file and the problem (both languages).

    Forgiving where Windows editors are: a UTF-8 byte-order mark (Notepad's "UTF-8") is dropped;
    a file in GBK/ANSI or full-width punctuation typed by a Chinese input method gets a hint."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file", zh=f"{path}：找不到这个文件") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}",
                          zh=f"{path}：读不了这个文件（{exc.strerror}）") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8 (Notepad: Save as → Encoding UTF-8)",
                          zh=f"{path}：不是 UTF-8 编码；请另存为 UTF-8（记事本：另存为 → 编码选 UTF-8）") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        en, zh = configwords.toml_problem(text, str(exc))
        raise ConfigError(f"{path}: {en}", zh=f"{path}：{zh}") from None


def load(path: str | Path, model: type[M], *, ignore: frozenset[str] = frozenset()) -> M:
    """Read ``path`` and validate it as ``model``, skipping the top-level sections in ``ignore``."""
    path = Path(path)
    data = {k: v for k, v in read_toml(path).items() if k not in ignore}
    return validate(data, model, source=str(path), base_dir=path.resolve().parent)


def validate(data: dict[str, Any], model: type[M], *, source: str = "<config>",
             base_dir: Path | None = None) -> M:
    """Validate a dict as ``model``; errors become one-line ConfigErrors in both languages."""
    try:
        return model.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        en, zh = configwords.first_error(exc.errors(), model)
        raise ConfigError(f"{source}: {en}", zh=f"{source}：{zh}") from None
