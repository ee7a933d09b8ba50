"""Tag ids: the strings that name a resident's Bluetooth tag on the wire (docs/contract.md §1).

=====================================================  =========  ========================
scheme                                                 strength   example
=====================================================  =========  ========================
``ibeacon:<uuid, lower case>:<major>:<minor>``         weak       ``ibeacon:f7826da6-4fa2-4e98-8024-bc5b71e0893e:1:42``
``eddystone:<namespace 20 hex>:<instance 12 hex>``     weak       ``eddystone:00112233445566778899:aabbccddeeff``
``eid:<tag name>``                                     secure     ``eid:car-0042``
``mac:<aa:bb:cc:dd:ee:ff>``                            weakest    ``mac:c4:7c:8d:6a:1b:2e``
=====================================================  =========  ========================

Static identifiers (iBeacon, Eddystone-UID, MAC) can be copied by anyone who listens, so they
work but are marked weak; a rotating Eddystone-EID tag, resolved to its name on the edge, is the
secure kind.  Parsing normalises case, so ``parse_tag_id(s).text`` is the one spelling to store.
"""

from __future__ import annotations

import re
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
    if not sep or scheme not in _PATTERNS:
        raise BadTagId(
            f"tag id {text!r} must start with one of {', '.join(s + ':' for s in _PATTERNS)}"
        )
    value = rest.lower()
    match = _PATTERNS[scheme].match(value)
    if not match:
        raise BadTagId(f"tag id {text!r} is not a valid {scheme} id ({_HINTS[scheme]})")
    if scheme == "ibeacon" and max(int(match.group(2)), int(match.group(3))) > 65535:
        raise BadTagId(f"tag id {text!r}: major and minor must be 0..65535")
    return TagId(scheme, value)


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
}
