"""A compound like the one in the design notes: 522 households, about 230 cars, 102 spaces."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass

PROVINCE = "浙"
CITY_LETTERS = "ABCDGH"
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"  # no I or O on Chinese plates
TAG_UUID = "6a8f0c2e-5b1d-4c3a-9e7f-2d4b6c8a0e1f"


@dataclass(frozen=True)
class Car:
    """One resident's car with its Bluetooth tag (``tag`` None: an untagged car)."""

    plate: str
    household: str
    tag: str | None
    owner: str
    mobile: str


@dataclass(frozen=True)
class Compound:
    """The place being simulated."""

    site: str
    name: str
    households: tuple[str, ...]
    cars: tuple[Car, ...]
    spaces: int
    strip: str = "east-strip"
    strip_slots: int = 40
    fire_lane: str = "fire-lane"

    def car(self, plate: str) -> Car:
        return next(c for c in self.cars if c.plate == plate)

    def registry_csv(self) -> str:
        """The registry as the committee's CSV (docs/contract.md §3, Chinese headers)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["车牌", "房号", "车主", "手机", "标签", "备注"])
        for car in self.cars:
            writer.writerow([car.plate, car.household, car.owner, car.mobile, car.tag or "", ""])
        return out.getvalue()


def _plate(rng: random.Random, taken: set[str]) -> str:
    while True:
        letter = rng.choice(CITY_LETTERS)
        if rng.random() < 0.25:  # new-energy plates: 8 characters, D or F then 5 digits
            plate = f"{PROVINCE}{letter}{rng.choice('DF')}{rng.randrange(100000):05d}"
        else:
            plate = f"{PROVINCE}{letter}" + "".join(rng.choice(PLATE_CHARS) for _ in range(5))
        if plate not in taken:
            taken.add(plate)
            return plate


def _households(total: int) -> list[str]:
    """Room numbers like 3-2-501 (building 3, unit 2, floor 5, room 01): 11 buildings of 48."""
    rooms = [f"{b}-{u}-{floor}0{room}" for b in range(1, 12) for u in range(1, 5)
             for floor in range(1, 7) for room in (1, 2)]
    return rooms[:total]


def build(seed: int = 1, *, households: int = 522, cars: int = 230, spaces: int = 102,
          site: str = "pingan-2") -> Compound:
    """The compound for ``seed``."""
    rng = random.Random(seed)
    homes = _households(households)
    taken: set[str] = set()
    fleet = []
    for index in range(cars):
        home = rng.choice(homes)
        tag = f"ibeacon:{TAG_UUID}:{int(home.split('-')[0])}:{index + 1}"
        fleet.append(Car(plate=_plate(rng, taken), household=home, tag=tag,
                         owner=rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["伟", "芳", "敏", "静", "强", "磊"]),
                         mobile=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"))
    return Compound(site=site, name="第二平安小区（模拟）", households=tuple(homes),
                    cars=tuple(fleet), spaces=spaces)
