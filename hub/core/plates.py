"""Licence plates (车牌) and mobile numbers (手机): normalise and check, nothing else.

A plate is stored upper case with no spaces or separators: ``浙GD12345``.  Two shapes are valid:

* ordinary (7 characters): province, city letter, five letters or digits — ``浙A12345``,
  ``浙A1234学`` (the last may be one of 挂 学 警 港 澳);
* new-energy (新能源, 8 characters): province, city letter, then ``D``/``F`` and five more
  (small cars, ``浙GD12345``) or five digits and ``D``/``F`` (large vehicles, ``浙G12345D``).

Chinese plates never use the letters I and O; full-width letters and digits (``ＡＢ１２``) typed on a
Chinese keyboard are folded to ASCII first.  A pure module: no I/O.
"""

from __future__ import annotations

import re
import unicodedata

from gwcommon.exc import GatewardenError

from hub.core import words as problems

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_SEPARATORS = re.compile(r"[\s·•\-_.。．、/]+")
_ALNUM = "A-HJ-NP-Z0-9"
_ORDINARY = re.compile(rf"^[{_ALNUM}]{{5}}$|^[{_ALNUM}]{{4}}[挂学警港澳]$")
_NEW_ENERGY = re.compile(rf"^[DF][{_ALNUM}][0-9]{{4}}$|^[0-9]{{5}}[DF]$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")


class _Refusal(GatewardenError, ValueError):
    """A refusal with an English one-line message, and a ``code`` and ``params`` that
    :mod:`hub.core.words` renders in Chinese or English."""

    def __init__(self, message: str, *, code: str, **params: object):
        super().__init__(message)
        self.code = code
        self.params = params

    def text(self, lang: str = "zh") -> str:
        """The refusal in ``lang`` (Chinese unless ``"en"``)."""
        return problems.text(lang, self.code, self.params)


class BadPlate(_Refusal):
    """A licence plate that is not a valid Chinese plate."""


class BadMobile(_Refusal):
    """A mobile number that is not an 11-digit mainland mobile number."""


def normalize_plate(text: str) -> str:
    """Fold width, drop separators and spaces, upper-case; no validation."""
    folded = unicodedata.normalize("NFKC", str(text))
    return _SEPARATORS.sub("", folded).upper()


def parse_plate(text: str) -> str:
    """The normalised plate, or :class:`BadPlate` with a one-line reason."""
    plate = normalize_plate(text)
    if not plate:
        raise BadPlate("plate is empty", code="plate_empty")
    if plate[0] not in PROVINCES:
        raise BadPlate(f"plate {plate!r} must start with a province character such as 浙 or 京", code="plate_province",
                       plate=plate)
    if len(plate) not in (7, 8):
        raise BadPlate(f"plate {plate!r} has {len(plate)} characters (7, or 8 for new-energy plates)",
                       code="plate_length", plate=plate, length=len(plate))
    if not ("A" <= plate[1] <= "Z"):
        raise BadPlate(f"plate {plate!r}: the second character must be the city letter", code="plate_city", plate=plate)
    body = plate[2:]
    if "I" in body or "O" in body:
        raise BadPlate(f"plate {plate!r}: the letters I and O are not used on Chinese plates", code="plate_letters",
                       plate=plate)
    pattern = _ORDINARY if len(plate) == 7 else _NEW_ENERGY
    if not pattern.match(body):
        shape = "five letters or digits" if len(plate) == 7 else "D or F and five more, or five digits and D or F"
        raise BadPlate(f"plate {plate!r}: after the city letter expected {shape}",
                       code="plate_shape" if len(plate) == 7 else "plate_shape_new_energy", plate=plate)
    return plate


def is_plate(text: str) -> bool:
    try:
        parse_plate(text)
    except BadPlate:
        return False
    return True


def parse_mobile(text: str) -> str:
    """An 11-digit mainland mobile number (``+86``, spaces and dashes allowed), or :class:`BadMobile`."""
    digits = re.sub(r"[\s\-()（）]+", "", unicodedata.normalize("NFKC", str(text)))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _MOBILE.match(digits):
        raise BadMobile(f"mobile {text!r} is not an 11-digit mobile number starting with 1", code="mobile_invalid",
                        mobile=text)
    return digits


_PLATE_HEAD = re.compile(r"^([\u4e00-\u9fff][A-Z])([A-Z0-9]+)$")


def mask_plate(plate: str | None, *, mask: bool = True, missing: str = "无牌") -> str:
    """The plate as chat messages show it (docs/contract.md §6): ``浙A12345`` → ``浙A·1**45``,
    ``浙GD12345`` → ``浙G·D***45``; a short plate shows only its first character after the city
    (``沪C123`` → ``沪C·1**``), anything else keeps two characters at each end.  With ``mask`` false
    (a target allowed to see plates) only the dot is added; ``missing`` stands for no plate."""
    if not plate:
        return missing
    plate = plate.strip().upper()
    found = _PLATE_HEAD.match(plate)
    if not found:
        return plate if not mask else (plate[:2] + "*" * max(0, len(plate) - 4) + plate[-2:])
    head, rest = found.groups()
    if not mask:
        return f"{head}·{rest}"
    if len(rest) <= 3:
        return f"{head}·{rest[0]}{'*' * (len(rest) - 1)}"
    return f"{head}·{rest[0]}{'*' * (len(rest) - 3)}{rest[-2:]}"
