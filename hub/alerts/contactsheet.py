"""The contact sheet (证据拼图): one JPEG of the morning's evidence pictures, built with Pillow.

One picture per violation, in a grid, each tile numbered like the digest's list (numbers only:
the plate is already in the text, masked).  The sheet is at most 1280 px on its longer side and
re-encoded at lower quality until it fits the chat service's limit (2 MB for a WeCom robot).  A
picture that cannot be read becomes a grey tile with its number, and is counted; a sheet with no
readable picture at all is refused.

Pillow, not OpenCV: the hub draws nothing else, and Pillow is small and packaged by Debian
(python3-pil), so the hub installs without OpenCV (docs/install.md, "What each role installs").
"""

from __future__ import annotations

import io
import logging
import math
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

logger = logging.getLogger(__name__)

MAX_SIDE = 1280
MAX_BYTES = 2 * 1024 * 1024
PADDING = (40, 40, 40)      # around a picture that does not fill its tile
UNREADABLE = (128, 128, 128)
BACKGROUND = (255, 255, 255)
LABEL_TEXT = (255, 255, 0)  # yellow on a black box
FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
         "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


class NoPictures(ValueError):
    """None of the evidence pictures could be read."""


def _read(path: Path) -> Image.Image | None:
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError):
        return None


def _fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """Scale into a width×height tile, keeping the aspect ratio, padded with dark grey."""
    tile = Image.new("RGB", (width, height), PADDING)
    w, h = image.size
    scale = min(width / w, height / h)
    nw, nh = max(1, int(w * scale)), max(1, int(h * scale))
    tile.paste(image.resize((nw, nh), Image.Resampling.BOX), ((width - nw) // 2, (height - nh) // 2))
    return tile


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for path in FONTS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)  # Pillow ≥ 10.1 with FreeType
    except TypeError:  # Bookworm's Pillow 9.4: the small bitmap font
        return ImageFont.load_default()


def _label(tile: Image.Image, caption: str) -> None:
    size = max(16, tile.height // 12)
    font = _font(size)
    draw = ImageDraw.Draw(tile)
    left, top, right, bottom = draw.textbbox((6, 6), caption, font=font)
    draw.rectangle((0, 0, right + 6, bottom + 6), fill=(0, 0, 0))
    draw.text((6, 6), caption, font=font, fill=LABEL_TEXT)


def build(pictures: Iterable[tuple[Path, str]], *, max_side: int = MAX_SIDE, max_bytes: int = MAX_BYTES) -> bytes:
    """A JPEG contact sheet of ``(path, caption)`` pictures; NoPictures when none can be read."""
    items = list(pictures)
    if not items:
        raise NoPictures("no pictures given")
    images = [(_read(path), caption) for path, caption in items]
    missing = sum(1 for image, _ in images if image is None)
    if missing == len(images):
        raise NoPictures(f"none of the {len(images)} evidence picture(s) could be read")
    if missing:
        logger.warning("contact sheet: %d of %d evidence picture(s) unreadable, shown as grey tiles", missing, len(images))
    cols = math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / cols)
    tile_w = max_side // cols
    tile_h = min(tile_w * 3 // 4, max_side // rows)
    sheet = Image.new("RGB", (cols * tile_w, rows * tile_h), BACKGROUND)
    for n, (image, caption) in enumerate(images):
        tile = _fit(image, tile_w, tile_h) if image is not None else Image.new("RGB", (tile_w, tile_h), UNREADABLE)
        _label(tile, caption)
        r, c = divmod(n, cols)
        sheet.paste(tile, (c * tile_w, r * tile_h))
    return encode(sheet, max_bytes=max_bytes)


def encode(image: Image.Image, *, max_bytes: int = MAX_BYTES) -> bytes:
    """JPEG at the best quality that fits ``max_bytes`` (halving the size as a last resort)."""
    for quality in (85, 75, 60, 45, 30):
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality)
        if buffer.tell() <= max_bytes:
            return buffer.getvalue()
    smaller = image.resize((max(1, image.width // 2), max(1, image.height // 2)), Image.Resampling.BOX)
    return encode(smaller, max_bytes=max_bytes)
