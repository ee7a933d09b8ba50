"""QR codes for the Phone page (手机访问): the hub's addresses as inline SVG, drawn by segno."""

from __future__ import annotations


def svg(url: str, *, scale: int = 5) -> str:
    """An inline ``<svg>`` of ``url`` as a QR code (error correction M: a smudged print still reads)."""
    import segno  # the hub's extra installs it; imported on use so the CLI stays light

    return segno.make(url, error="m").svg_inline(scale=scale, dark="#000", light="#fff", border=2)
