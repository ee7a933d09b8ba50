"""The ``[lpr]`` section: plate cameras (车牌识别相机) pushing their reads to this Pi.

One HTTP listener per Pi, one ``[[lpr.cameras]]`` entry per camera.  A camera at a gate lane names
its ``lane`` and its ``plate_policy`` (whether, and for whom, a plate opens that lane); a camera over
a night strip or a fire lane names its ``zone`` (a lane device's ``[[lane.zones]]``).  Each camera
pushes to ``http://<this Pi>:<port>/lpr/<camera id>?key=<secret>``.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from gwcommon import catalogue
from gwcommon.config import Duration, Section, read_secret
from gwcommon.exc import WordedValueError

VENDORS = ("vzenith", "hikvision", "dahua", "huaxia", "generic")
REPLY_OPENS = frozenset({"vzenith", "generic"})  # vendors whose camera opens its own relay on our reply



# The camera checks' words: their part of the one catalogue (keys config.lpr.*), so an installer
# reads them in Chinese (gwcommon/configwords.py shows a WordedValueError's Chinese).
WORDS: dict[str, tuple[str, str]] = {
    "reply": ("相机 {id}：{vendor} 相机不能靠回复开闸，请写 `opens = 'pi'`",
              "camera {id}: a {vendor} camera cannot be opened by the reply; use opens = 'pi'"),
    "camera_needs": ("相机 {id}：`opens = 'camera'` 需要写 `lane` 和 `direction`",
                     "camera {id}: opens = 'camera' needs lane and direction"),
    "camera_policy": ("相机 {id}：`opens = 'camera'` 需要一个 `plate_policy`（`off` 永远不开闸）",
                      "camera {id}: opens = 'camera' needs a plate_policy (off never opens)"),
    "camera_tag": ("相机 {id}：`plate_and_tag` 要用树莓派自己的车道（标签），请写 `opens = 'pi'`",
                   "camera {id}: plate_and_tag needs the Pi's lane (tags); use opens = 'pi'"),
    "huaxia": ("相机 {id}：华夏智信相机的推送里没有可信度，不能单凭车牌开闸；请写 `plate_policy = 'plate_and_tag'` 或 `'off'`",
               "camera {id}: a huaxia camera sends no confidence, so a plate alone must not open; "
               "use plate_policy = 'plate_and_tag' or 'off'"),
    "ocr_both": ("相机 {id}：`ocr_tolerant_from` 和 `ocr_tolerant_below` 要么都写，要么都不写",
                 "camera {id}: set both ocr_tolerant_from and ocr_tolerant_below, or neither"),
    "ocr_zone": ("相机 {id}：容错匹配只用于停车带的相机（绝不用于开闸）",
                 "camera {id}: OCR-tolerant matching is for zone cameras only (never for opening)"),
    "ocr_order": ("相机 {id}：`ocr_tolerant_from` 必须小于 `ocr_tolerant_below`",
                  "camera {id}: ocr_tolerant_from must be below ocr_tolerant_below"),
    "ocr_above": ("相机 {id}：`ocr_tolerant_below` 不能高于 `min_confidence`（可信的读数按原样算）",
                  "camera {id}: ocr_tolerant_below must not exceed min_confidence (a confident read stands as read)"),
    "open_to_all": ("相机 {id}：请写 `secret_file` 或 `allow`（否则网络上谁都能推送车牌）",
                    "camera {id}: set secret_file or allow (anyone on the network could push plates)"),
}
catalogue.contribute("plate camera config", WORDS, prefix="config.lpr.")


def _refused(key: str, **values) -> WordedValueError:
    return WordedValueError.said("lpr." + key, **values)

class PlateCamera(Section):
    """One plate camera: who it is, where it looks, how much its reads are trusted."""

    id: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9][a-z0-9-]*$",
                    description="Camera id, the last part of its push URL (/lpr/<id>), e.g. 'north-in'.")
    label: str = Field("", max_length=64,
                       description="Name shown to people in this camera's fault (e.g. 北门入口车牌相机); the id when unset.")
    vendor: Literal["vzenith", "hikvision", "dahua", "huaxia", "generic"] = Field(
        description="Push format: vzenith (臻识 AlarmInfoPlate JSON), hikvision (海康 ISAPI EventNotificationAlert "
                    "ANPR XML), dahua (大华 ITC ITSAPI TollgateInfo JSON), huaxia (华夏智信 HTTP POST form), "
                    "generic (our JSON webhook, docs/lpr.md).")
    lane: str | None = Field(None, min_length=1, max_length=64,
                             description="Gate lane this camera watches (a [[gate.lanes]] name, or any lane name when "
                                         "opens = 'camera'); set lane or zone, not both.")
    zone: str | None = Field(None, min_length=1, max_length=64,
                             description="Watched zone this camera covers (a [[lane.zones]] name): a read means the car "
                                         "is in the zone.")
    direction: Literal["in", "out"] | None = Field(None, description="Gate cameras with opens = 'camera': which way the lane goes.")
    slot: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
                             description="Zone cameras aimed at one marked spot: that spot's name (as in [[lane.zones.spots]]).")
    plate_policy: Literal["off", "plate_alone", "plate_and_tag", "visitors_only"] = Field(
        "off", description="Gate cameras: off (reads only recorded), plate_alone (an allowed plate opens), plate_and_tag "
                           "(plate and tag must both be allowed and belong to one vehicle), visitors_only (a plate opens "
                           "only for visitor passes and plate-only entries; residents use their tags).")
    opens: Literal["pi", "camera"] = Field(
        "pi", description="pi: the Pi's lane logic opens its relay (plate read = one more sign of the car on the loop); "
                          "camera: the camera drives the barrier and opens on the Pi's reply (vzenith, generic).")
    min_confidence: int = Field(85, ge=50, le=100,
                                description="Reads below this confidence (0..100) never open; they are still recorded.")
    secret_file: Path | None = Field(None, description="File with the shared secret the camera sends as ?key= (or header "
                                                        "X-Gatewarden-Key); without it only allow addresses are checked.")
    allow: list[str] = Field(default_factory=list, max_length=16,
                             description="Addresses or networks allowed to push as this camera (e.g. '192.168.1.64'); "
                                         "empty: any address with the right key.")
    silent_after: Duration = Field(timedelta(minutes=2), ge=timedelta(0), le=timedelta(hours=24),
                                   description="A camera heard nothing from (no read, no heartbeat) this long is reported "
                                               "unavailable; 0 turns the watch off (cameras without heartbeats).")
    gone_after: Duration = Field(timedelta(minutes=10), ge=timedelta(seconds=30), le=timedelta(hours=12),
                                 description="Zone cameras: a car not read again for this long is gone — once its spot "
                                             "looks empty, when the lane device watches the spot; otherwise on time alone "
                                             "(set the camera to re-read parked cars more often than this: 定时抓拍).")
    ocr_tolerant_from: int | None = Field(None, ge=0, le=100,
                                          description="Zone cameras: reads with confidence from this value up to "
                                                      "ocr_tolerant_below that differ from exactly one registered plate by "
                                                      "one usual OCR confusion (0/D/Q, 8/B, 1/I, 2/Z, 5/S, 6/G) count as "
                                                      "that car present (never for opening). Unset: off.")
    ocr_tolerant_below: int | None = Field(None, ge=1, le=101,
                                           description="Zone cameras: the upper end (exclusive) of the OCR-tolerant band.")
    repeat: Duration = Field(timedelta(seconds=20), ge=timedelta(0), le=timedelta(minutes=10),
                             description="The same plate read again within this time is the same car (no second passage).")

    @field_validator("secret_file", mode="after")
    @classmethod
    def _relative(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        base = (info.context or {}).get("base_dir")
        return value if value is None or value.is_absolute() or base is None else (Path(base) / value).resolve()

    @field_validator("allow")
    @classmethod
    def _networks(cls, allow: list[str]) -> list[str]:
        for item in allow:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an address or network such as 192.168.1.64 or 192.168.1.0/24") from None
        return allow

    @model_validator(mode="after")
    def _where(self) -> "PlateCamera":
        if (self.lane is None) == (self.zone is None):
            raise ValueError(f"camera {self.id}: set lane (a gate camera) or zone (a strip camera), exactly one")
        if self.opens == "camera":
            if self.vendor not in REPLY_OPENS:
                raise _refused("reply", id=self.id, vendor=self.vendor)
            if self.lane is None or self.direction is None:
                raise _refused("camera_needs", id=self.id)
            if self.plate_policy == "off":
                raise _refused("camera_policy", id=self.id)
            if self.plate_policy == "plate_and_tag":
                raise _refused("camera_tag", id=self.id)
        if self.vendor == "huaxia" and self.plate_policy in ("plate_alone", "visitors_only"):
            # its push carries no confidence (every read counts as 100): min_confidence could not
            # keep a misread that happens to be a registered plate from opening
            raise _refused("huaxia", id=self.id)
        if (self.ocr_tolerant_from is None) != (self.ocr_tolerant_below is None):
            raise _refused("ocr_both", id=self.id)
        if self.ocr_tolerant_from is not None:
            if self.zone is None:
                raise _refused("ocr_zone", id=self.id)
            if self.ocr_tolerant_from >= (self.ocr_tolerant_below or 0):
                raise _refused("ocr_order", id=self.id)
            if (self.ocr_tolerant_below or 0) > self.min_confidence:
                raise _refused("ocr_above", id=self.id)
        if self.secret_file is None and not self.allow:
            raise _refused("open_to_all", id=self.id)
        return self

    @property
    def ocr_band(self) -> tuple[int, int] | None:
        """The OCR-tolerant confidence band [from, below), None when off."""
        if self.ocr_tolerant_from is None or self.ocr_tolerant_below is None:
            return None
        return self.ocr_tolerant_from, self.ocr_tolerant_below

    def secret(self) -> str | None:
        return read_secret(self.secret_file, f"lpr.cameras.{self.id}.secret_file") if self.secret_file else None

    def allowed(self, address: str) -> bool:
        if not self.allow:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(item, strict=False) for item in self.allow)


class LprConfig(Section):
    """The plate-camera listener of this gate or lane Pi."""

    listen: str = Field("0.0.0.0:8089", pattern=r"^[^\s:]+:\d{1,5}$",
                        description="Address and port the cameras push to (host:port).")
    max_body_kb: int = Field(2048, ge=16, le=16_384,
                             description="Largest push accepted, in KiB (a read with two pictures is 100–600 KiB).")
    read_timeout: Duration = Field(timedelta(seconds=5), ge=timedelta(seconds=1), le=timedelta(minutes=1),
                                   description="A camera that sends its request slower than this is cut off.")
    max_clients: int = Field(16, ge=1, le=256, description="Pushes handled at once; more get 503 (the camera retries).")
    cameras: list[PlateCamera] = Field(min_length=1, max_length=32, description="The plate cameras ([[lpr.cameras]]).")

    @model_validator(mode="after")
    def _unique(self) -> "LprConfig":
        ids = [c.id for c in self.cameras]
        if len(set(ids)) != len(ids):
            raise ValueError(f"camera ids must be unique (got {ids})")
        port = int(self.listen.rsplit(":", 1)[1])
        if not 0 <= port <= 65535:
            raise ValueError(f"listen: port {port} must be 1..65535 (0: any free port, for tests)")
        return self

    @property
    def host(self) -> str:
        return self.listen.rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])


def check_against(lpr: LprConfig, *, kind: str, gate_lanes: set[str], zones: set[str]) -> None:
    """Cameras must fit the device: gate lanes on a gate Pi, zones on a lane Pi (ValueError otherwise)."""
    for camera in lpr.cameras:
        if camera.zone is not None and kind != "lane":
            raise ValueError(f"lpr camera {camera.id}: zone cameras belong to a lane device (device.kind is {kind!r})")
        if camera.zone is not None and camera.zone not in zones:
            raise ValueError(f"lpr camera {camera.id}: zone {camera.zone!r} is not a [[lane.zones]] name ({sorted(zones)})")
        if camera.lane is not None and kind != "gate":
            raise ValueError(f"lpr camera {camera.id}: lane cameras belong to a gate device (device.kind is {kind!r})")
        if camera.lane is not None and camera.opens == "pi" and camera.lane not in gate_lanes:
            raise ValueError(f"lpr camera {camera.id}: lane {camera.lane!r} is not a [[gate.lanes]] name "
                             f"({sorted(gate_lanes)}); a camera that opens by itself needs opens = 'camera'")
