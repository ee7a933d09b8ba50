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
    found = [r[0] for r in rows]
    return found + ([f"plate:{plate}"] if f"plate:{plate}" not in found else [])  # read by a plate camera


def vehicles_of_tags(ctx: WebContext, tags: list[str]) -> dict[str, dict] | None:
    """{tag: {"plate", "household"}} for the given tags; None when the registry is not installed."""
    if not ctx.has_table("tags"):
        return None
    unique = sorted(set(tags))[:1000]
    rows = ctx.reader().execute(
        f"SELECT t.tag, v.plate, v.household FROM tags t JOIN vehicles v ON v.plate = t.plate "
        f"WHERE t.tag IN ({', '.join('?' * len(unique)) or 'NULL'})", unique)
    found = {tag: {"plate": plate, "household": household} for tag, plate, household in rows}
    plates = {t: t[len("plate:"):] for t in unique if t.startswith("plate:") and t not in found}  # plate cameras
    households = dict(ctx.reader().execute(
        f"SELECT plate, household FROM vehicles WHERE plate IN ({', '.join('?' * len(plates)) or 'NULL'})",
        list(plates.values())).fetchall())
    found.update({t: {"plate": p, "household": households.get(p)} for t, p in plates.items()})
    return found

