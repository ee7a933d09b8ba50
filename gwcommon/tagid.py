"""Tag ids: the strings that name a resident's Bluetooth tag on the wire (docs/contract.md §1).

=====================================================  =========  ========================
scheme                                                 strength   example
=====================================================  =========  ========================
``ibeacon:<uuid, lower case>:<major>:<minor>``         weak       ``ibeacon:f7826da6-4fa2-4e98-8024-bc5b71e0893e:1:42``
``eddystone:<namespace 20 hex>:<instance 12 hex>``     weak       ``eddystone:00112233445566778899:aabbccddeeff``
``eid:<tag name>``                                     secure     ``eid:car-0042``
``mac:<aa:bb:cc:dd:ee:ff>``                            weakest    ``mac:c4:7c:8d:6a:1b:2e``
``plate:<plate, normalised>``                          weak       ``plate:浙GD12345``
=====================================================  =========  ========================

Static identifiers (iBeacon, Eddystone-UID, MAC) can be copied by anyone who listens, so they
work but are marked weak; a rotating Eddystone-EID tag, resolved to its name on the edge, is the
secure kind.  Parsing normalises case, so ``parse_tag_id(s).text`` is the one spelling to store.

A ``plate:`` tag is a licence plate (车牌) read by a plate camera (docs/contract.md §1, v1.1): upper
case with no spaces or separators (``浙A·12345`` → ``plate:浙A12345``).  Anyone can copy a plate,
so it is weak.  :func:`normalize_plate` and :func:`plate_problem` are the one rule for plates,
used by the registry (hub) and the plate cameras (edge) alike.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

from .exc import BadTagId

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_U16 = r"(?:0|[1-9][0-9]{0,4})"
_PATTERNS = {
    "ibeacon": re.compile(rf"^({_UUID}):({_U16}):({_U16})$"),
    "eddystone": re.compile(r"^([0-9a-f]{20}):([0-9a-f]{12})$"),
    "eid": re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$"),
    "mac": re.compile(r"^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$"),
}
MAX_TAG_ID_LENGTH = 80

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_SEPARATORS = re.compile(r"[\s·•\-_.。．、/]+")
_ALNUM = "A-HJ-NP-Z0-9"
_ORDINARY = re.compile(rf"^[{_ALNUM}]{{5}}$|^[{_ALNUM}]{{4}}[挂学警港澳]$")
_NEW_ENERGY = re.compile(rf"^[DF][{_ALNUM}][0-9]{{4}}$|^[0-9]{{5}}[DF]$")


class Strength(str, Enum):
    """How hard a tag is to copy."""

    SECURE = "secure"
    WEAK = "weak"
    WEAKEST = "weakest"


_STRENGTH = {
    "eid": Strength.SECURE,
    "ibeacon": Strength.WEAK,
    "eddystone": Strength.WEAK,
    "mac": Strength.WEAKEST,
    "plate": Strength.WEAK,
}


@dataclass(frozen=True, order=True)
class TagId:
    """A parsed tag id; ``str(tag)`` is its canonical spelling."""

    scheme: str
    value: str

    @property
    def text(self) -> str:
        return f"{self.scheme}:{self.value}"

    @property
    def strength(self) -> Strength:
        return _STRENGTH[self.scheme]

    @property
    def weak(self) -> bool:
        return self.strength is not Strength.SECURE

    def __str__(self) -> str:
        return self.text


def parse_tag_id(text: str) -> TagId:
    """Parse and normalise a tag id, or raise :class:`BadTagId` saying what is wrong."""
    if not isinstance(text, str):
        raise BadTagId(f"tag id must be a string, got {type(text).__name__}")
    if len(text) > MAX_TAG_ID_LENGTH:
        raise BadTagId(f"tag id is {len(text)} characters long (at most {MAX_TAG_ID_LENGTH})")
    scheme, sep, rest = text.strip().partition(":")
    scheme = scheme.lower()
    if not sep or scheme not in _STRENGTH:
        raise BadTagId(
            f"tag id {text!r} must start with one of {', '.join(s + ':' for s in _STRENGTH)}"
        )
    if scheme == "plate":
        return TagId(scheme, _plate_value(text, rest))
    value = rest.lower()
    match = _PATTERNS[scheme].match(value)
    if not match:
        raise BadTagId(f"tag id {text!r} is not a valid {scheme} id ({_HINTS[scheme]})")
    if scheme == "ibeacon" and max(int(match.group(2)), int(match.group(3))) > 65535:
        raise BadTagId(f"tag id {text!r}: major and minor must be 0..65535")
    return TagId(scheme, value)


def _plate_value(text: str, rest: str) -> str:
    plate = normalize_plate(rest)
    problem = plate_problem(plate)
    if problem is not None:
        raise BadTagId(f"tag id {text!r} is not a valid plate ({problem[1]})")
    return plate


def normalize_plate(text: str) -> str:
    """Fold full-width letters and digits, drop separators and spaces, upper-case; no validation."""
    folded = unicodedata.normalize("NFKC", str(text))
    return _SEPARATORS.sub("", folded).upper()


def plate_problem(plate: str) -> tuple[str, str] | None:
    """What is wrong with a normalised plate, as (code, English sentence); None for a valid plate.

    Two shapes are valid: ordinary (7 characters: province, city letter, five letters or digits,
    the last may be one of 挂 学 警 港 澳) and new-energy (8: province, city letter, then D/F and
    five more, or five digits and D/F).  Chinese plates never use the letters I and O.
    """
    if not plate:
        return "plate_empty", "plate is empty"
    if plate[0] not in PROVINCES:
        return "plate_province", f"plate {plate!r} must start with a province character such as 浙 or 京"
    if len(plate) not in (7, 8):
        return "plate_length", f"plate {plate!r} has {len(plate)} characters (7, or 8 for new-energy plates)"
    if not ("A" <= plate[1] <= "Z"):
        return "plate_city", f"plate {plate!r}: the second character must be the city letter"
    body = plate[2:]
    if "I" in body or "O" in body:
        return "plate_letters", f"plate {plate!r}: the letters I and O are not used on Chinese plates"
    if len(plate) == 7 and not _ORDINARY.match(body):
        return "plate_shape", f"plate {plate!r}: after the city letter expected five letters or digits"
    if len(plate) == 8 and not _NEW_ENERGY.match(body):
        return ("plate_shape_new_energy",
                f"plate {plate!r}: after the city letter expected D or F and five more, or five digits and D or F")
    return None


def format_plate(plate: str) -> str:
    """``plate:<normalised plate>`` for a plate as a camera or a person wrote it."""
    return parse_tag_id(f"plate:{plate}").text


def format_ibeacon(uuid: str, major: int, minor: int) -> str:
    return parse_tag_id(f"ibeacon:{uuid}:{major}:{minor}").text


def format_eddystone(namespace: bytes, instance: bytes) -> str:
    return parse_tag_id(f"eddystone:{namespace.hex()}:{instance.hex()}").text


def format_mac(address: str) -> str:
    return parse_tag_id(f"mac:{address}").text


def format_eid(name: str) -> str:
    return parse_tag_id(f"eid:{name}").text


_HINTS = {
    "ibeacon": "ibeacon:<uuid>:<major>:<minor>",
    "eddystone": "eddystone:<20 hex digits>:<12 hex digits>",
    "eid": "eid:<name of letters, digits, '.', '_' or '-'>",
    "mac": "mac:aa:bb:cc:dd:ee:ff",
    "plate": "plate:<plate>",
}
