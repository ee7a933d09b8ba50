"""Licence plates (车牌) and mobile numbers (手机): normalise, check and mask, nothing else.

A plate is stored upper case with no spaces or separators: ``浙GD12345``.  Two shapes are valid:

* ordinary (7 characters): province, city letter, five letters or digits — ``浙A12345``,
  ``浙A1234学`` (the last may be one of 挂 学 警 港 澳);
* new-energy (新能源, 8 characters): province, city letter, then ``D``/``F`` and five more
  (small cars, ``浙GD12345``) or five digits and ``D``/``F`` (large vehicles, ``浙G12345D``).

Chinese plates never use the letters I and O; full-width letters and digits (``ＡＢ１２``) typed on a
Chinese keyboard are folded to ASCII first.  The rule itself lives in :mod:`gwcommon.tagid`
(plate cameras on the edge need it too); this module adds the refusals people read.  No I/O.
"""

from __future__ import annotations

import re
import unicodedata

from gwcommon.exc import GatewardenError
from gwcommon.tagid import PROVINCES, normalize_plate, plate_problem  # noqa: F401  (normalize_plate: re-exported)

from hub.core import words as problems

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


def parse_plate(text: str) -> str:
    """The normalised plate, or :class:`BadPlate` with a one-line reason."""
    plate = normalize_plate(text)
    problem = plate_problem(plate)
    if problem is not None:
        code, sentence = problem
        raise BadPlate(sentence, code=code, plate=plate, length=len(plate))
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


_PHONE_SPLIT = re.compile(r"[/／;；,，、|]+")
_SCIENTIFIC = re.compile(r"^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$")
_LANDLINE = re.compile(r"^(0[1-9][0-9]{1,2})?[2-9][0-9]{6,7}(转[0-9]{1,6})?$")


def parse_phones(text: str) -> str:
    """One or more phone numbers as a committee's sheet holds them, normalised and joined by
    ``;``: mobiles (``13800138000``, ``+86 138 0013 8000``) and landlines (``0571-88886666``,
    ``88886666``, ``0571-88886666转123``), as Excel writes them (``13800138000.0``, a leading
    ``'``), separated by ``/``, ``;``, ``、``, ``,`` or spaces.  Raises :class:`BadMobile`: a number
    Excel turned into scientific notation (``1.38001E+10``: the digits are lost) gets its own code."""
    numbers = []
    for piece in filter(None, (p.strip() for p in _PHONE_SPLIT.split(unicodedata.normalize("NFKC", str(text))))):
        try:
            numbers.append(_one_phone(piece))
        except BadMobile:
            if len(piece.split()) < 2:
                raise
            numbers.extend(_one_phone(part) for part in piece.split())  # two numbers with a space
    return ";".join(dict.fromkeys(numbers))


def _one_phone(piece: str) -> str:
    piece = piece.lstrip("'")
    if piece.endswith(".0") and piece[:-2].isdigit():
        piece = piece[:-2]
    if _SCIENTIFIC.match(piece.replace(" ", "")):
        raise BadMobile(f"{piece!r} was turned into scientific notation by Excel; its digits are lost",
                        code="mobile_scientific", mobile=piece)
    try:
        return parse_mobile(piece)
    except BadMobile:
        landline = re.sub(r"[\s()（）]+", "", piece)
        if _LANDLINE.match(landline.replace("-", "")):
            return landline
        raise


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



# A plate as people type it into a sentence: a province, the city letter, then four letters or
# digits and a fifth (or more: 浙A123456 is a mistyped plate, masked whole) or one of 挂 学 警 港 澳;
# half- or full-width, any case, with up to three separators normalize_plate drops after the
# province and after the city letter (浙A·12345, 浙A 12345, 浙 a-12345).
_ALNUM_TYPED = "0-9A-Za-z０-９Ａ-Ｚａ-ｚ"
_GAP = r"[\s·•\-_.。．、/－]{0,3}"
_PLATE_IN_TEXT = re.compile(rf"[{PROVINCES}]{_GAP}[A-Za-zＡ-Ｚａ-ｚ]{_GAP}[{_ALNUM_TYPED}]{{4}}"
                            rf"(?:[{_ALNUM_TYPED}]+|[挂学警港澳])")


def mask_plates_in(text: str | None, *, mask: bool = True) -> str:
    """A person's free text (a reason, a note) with every plate in it shown as :func:`mask_plate`
    shows a plate: ``浙a·12345 是访客`` → ``浙A·1**45 是访客``, ``浙GD12345`` → ``浙G·D***45``;
    a plate-like word that is no valid plate (浙AI2345, a digit too many) is masked too.  The rest
    stays as typed, and the whole text with ``mask`` false; '' for none."""
    if not text or not mask:
        return text or ""
    return _PLATE_IN_TEXT.sub(lambda found: mask_plate(normalize_plate(found.group())), text)
