"""Tag ids as people read them (标签简称): ``ibeacon:<uuid>:1:101`` → ``蓝牙标签 …1:101``.

A tag id on the wire is long (docs/contract.md §1, :mod:`gwcommon.tagid`); a warden or the
committee needs only enough to tell two tags apart and to match the sticker on the tag.  The full
id stays available (the pages put it in the ``title``, shown on hover or a long press).  A plate
tag is shown as its plate, masked unless the reader may see plates.  Pure.
"""

from __future__ import annotations

from hub.core.plates import mask_plate

_WORD = {"zh": "蓝牙标签", "en": "Bluetooth tag"}
_TAIL = 4


def short_tag(tag: str | None, *, lang: str = "zh", mask: bool = True) -> str:
    """The short, human form of a tag id; '' for none; an unknown scheme shortened as it is."""
    if not tag:
        return ""
    scheme, _, rest = tag.partition(":")
    word = _WORD["en" if lang == "en" else "zh"]
    if scheme == "plate" and rest:
        return mask_plate(rest, mask=mask)
    if scheme == "ibeacon" and rest.count(":") == 2:
        _, major, minor = rest.split(":")
        return f"{word} …{major}:{minor}"
    if scheme == "mac" and len(rest) == 17:
        return f"{word} …{rest[-5:]}"
    if scheme == "eddystone" and ":" in rest:
        return f"{word} …{rest.rsplit(':', 1)[1][-_TAIL:]}"
    if scheme == "eid" and rest:
        return f"{word} {'…' if len(rest) > _TAIL else ''}{rest[-_TAIL:]}"
    return tag if len(tag) <= 16 else f"{tag[:12]}…{tag[-_TAIL:]}"


def masked_id(tag: str | None, *, mask: bool = True) -> str | None:
    """A tag id for a reader who may not see plates: a plate tag with its plate masked
    (``plate:浙A·1**45``), any other id (and every id with ``mask`` false) as it is."""
    scheme, _, rest = (tag or "").partition(":")
    return f"plate:{mask_plate(rest)}" if mask and scheme == "plate" and rest else tag
