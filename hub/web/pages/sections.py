"""The blocks of the Today page, each read from the area that owns the data.

Each builder returns a dict for its template block, or None when its area is not installed
(then the block is left out rather than shown empty).
"""

from __future__ import annotations

from typing import Callable

from ..context import WebContext

TODAY: dict[str, Callable[[WebContext], dict | None]] = {}


def tags_of_plate(ctx: WebContext, plate: str) -> list[str] | None:
    """The tags registered to a (normalised) plate; None when the registry is not installed."""
    if not ctx.has_table("tags"):
        return None
    rows = ctx.reader().execute("SELECT tag FROM tags WHERE plate = ?", [plate])
    return [r[0] for r in rows]


def vehicles_of_tags(ctx: WebContext, tags: list[str]) -> dict[str, dict] | None:
    """{tag: {"plate", "household"}} for the given tags; None when the registry is not installed."""
    if not ctx.has_table("tags"):
        return None
    unique = sorted(set(tags))[:1000]
    rows = ctx.reader().execute(
        f"SELECT t.tag, v.plate, v.household FROM tags t JOIN vehicles v ON v.plate = t.plate "
        f"WHERE t.tag IN ({', '.join('?' * len(unique)) or 'NULL'})", unique)
    return {tag: {"plate": plate, "household": household} for tag, plate, household in rows}

