"""The contact sheet (证据拼图): one JPEG of the morning's evidence pictures, built with OpenCV.

One picture per violation, in a grid, each tile numbered like the digest's list (numbers only:
OpenCV cannot draw Chinese, and the plate is already in the text, masked).  The sheet is at most
1280 px on its longer side and re-encoded at lower quality until it fits the chat service's
limit (2 MB for a WeCom robot).  A picture that cannot be read becomes a grey tile with its
number, and is counted; a sheet with no readable picture at all is refused.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Iterable

import cv2
import numpy as np

logger = logging.getLogger(__name__)

MAX_SIDE = 1280
MAX_BYTES = 2 * 1024 * 1024


class NoPictures(ValueError):
    """None of the evidence pictures could be read."""


def _read(path: Path) -> np.ndarray | None:
    try:
        data = np.frombuffer(path.read_bytes(), dtype=np.uint8)
    except OSError:
        return None
    return cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None


def _fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale into a width×height tile, keeping the aspect ratio, padded with dark grey."""
    tile = np.full((height, width, 3), 40, dtype=np.uint8)
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    nw, nh = max(1, int(w * scale)), max(1, int(h * scale))
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    y, x = (height - nh) // 2, (width - nw) // 2
    tile[y:y + nh, x:x + nw] = resized
    return tile


def _label(tile: np.ndarray, caption: str) -> None:
    scale = max(0.6, tile.shape[0] / 300)
    thick = max(1, int(scale * 2))
    (tw, th), base = cv2.getTextSize(caption, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    cv2.rectangle(tile, (0, 0), (tw + 12, th + base + 12), (0, 0, 0), -1)
    cv2.putText(tile, caption, (6, th + 6), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 255, 255), thick, cv2.LINE_AA)


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
    sheet = np.full((rows * tile_h, cols * tile_w, 3), 255, dtype=np.uint8)
    for n, (image, caption) in enumerate(images):
        tile = _fit(image, tile_w, tile_h) if image is not None else np.full((tile_h, tile_w, 3), 128, np.uint8)
        _label(tile, caption)
        r, c = divmod(n, cols)
        sheet[r * tile_h:(r + 1) * tile_h, c * tile_w:(c + 1) * tile_w] = tile
    return encode(sheet, max_bytes=max_bytes)


def encode(image: np.ndarray, *, max_bytes: int = MAX_BYTES) -> bytes:
    """JPEG at the best quality that fits ``max_bytes`` (halving the size as a last resort)."""
    for quality in (85, 75, 60, 45, 30):
        ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok and len(data) <= max_bytes:
            return data.tobytes()
    smaller = cv2.resize(image, (image.shape[1] // 2, image.shape[0] // 2), interpolation=cv2.INTER_AREA)
    return encode(smaller, max_bytes=max_bytes)
