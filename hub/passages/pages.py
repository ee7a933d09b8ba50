"""Passages (通行记录): the gate log with snapshots, filtered by day, plate and lane."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response

from hub.core.plates import mask_plate, mask_plates_in
from hub.core.tagtext import short_tag
from hub.passages import evidence
from hub.passages import query as passages
from hub.web import export as export_file
from hub.web import i18n
from hub.registry import pass_holders, passes_of
from hub.web.auth import Principal
from hub.web.roles import allows
from hub.web.context import BadRequest, NavItem, NotFound, WebContext
from hub.web.deps import need
from hub.web.filters import FilterError, decode_cursor, encode_cursor, parse_label, parse_plate, parse_window

EXPORT_HEADINGS = ("w.time", "w.lane", "w.direction", "w.plate", "w.household", "w.decision", "w.reason",
                   "w.detail")


def query(ctx: WebContext, *, start: str | None, stop: str | None, plate: str | None, lane: str | None,
          cursor: str | None, limit: int) -> tuple[list[dict], str | None]:
    """Passages for the page and the API; FilterError for bad parameters."""
    window = parse_window(start, stop, ctx.tz)
    plate_text, lane_text = parse_plate(plate), parse_label("lane", lane)
    after = decode_cursor(cursor)
    db = ctx.reader()
    tags = tags_of_plate(ctx, plate_text) if plate_text else None
    held = [(p["tag"], p["start"], p["end"]) for p in passes_of(db, plate_text)][-50:] if plate_text else []
    rows = passages.page(db, window=window, tags=tags, lane=lane_text, after=after, limit=limit + 1, held=held)
    heard = [t["tag"] for r in rows for t in (r["evidence"] or {}).get("tags", ())]
    named = [r["tag"] for r in rows if r["tag"]] + heard
    vehicles = vehicles_of_tags(ctx, named)
    passes = pass_holders(db, named)
    for row in rows:
        vehicle = car_then(passes, vehicles, row["tag"], row["ts"])
        row["plate"], row["household"] = vehicle.get("plate"), vehicle.get("household")
        row["plates_heard"] = {t["tag"]: car_then(passes, vehicles, t["tag"], row["ts"]).get("plate")
                               for t in (row["evidence"] or {}).get("tags", ())}
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1]["ts"], rows[-1]["id"]) if more else None)


def clone_faults(ctx: WebContext) -> list[dict]:
    """Suspected copied tags as the hub's faults, for the Devices page (hub.passages.area)."""
    if not ctx.hub.has_area("passages"):
        return []
    return ctx.hub.area("passages").active(ctx.reader(), ctx.now())


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/passages", "nav.passages", "viewer"))
    ctx.device_blocks["hub_faults"] = clone_faults

    @router.get("/passages")
    def passages_page(request: Request, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        q = request.query_params
        form = {k: q.get(k, "")[:100] for k in ("from", "to", "plate", "lane")}
        try:
            rows, cursor = query(ctx, start=form["from"], stop=form["to"], plate=form["plate"],
                                 lane=form["lane"], cursor=q.get("cursor"), limit=ctx.config.page_size)
        except FilterError as exc:
            return ctx.render(request, "passages.html", who, status=400, title_key="nav.passages", rows=[],
                              next=None, form=form, error=exc.text(ctx.lang(request)), lanes=passages.lanes(ctx.reader()))
        lang, mask = ctx.lang(request), not allows(who.role, "warden")
        for row in rows:
            row["explain"] = explain_row(row, lang, mask=mask)
        return ctx.render(request, "passages.html", who, title_key="nav.passages", rows=rows, next=cursor,
                          form=form, error="", lanes=passages.lanes(ctx.reader()))

    @router.get("/passages.{fmt}")
    def passages_export(request: Request, fmt: str, who: Principal = Depends(need(ctx, "committee"))) -> Response:
        """The filtered passages as CSV or Excel (every page of them), as the page shows them."""
        export_file.check_format(fmt)
        form = {k: request.query_params.get(k, "")[:100] for k in ("from", "to", "plate", "lane")}

        def fetch(after, limit):
            return query(ctx, start=form["from"], stop=form["to"], plate=form["plate"], lane=form["lane"],
                         cursor=after, limit=limit)[0]
        try:
            fetch(None, 1)  # refuses a bad filter before the file starts
        except FilterError as exc:
            raise BadRequest(exc) from None
        lang = ctx.lang(request)
        _ = i18n.translator(lang)
        rows = ([ctx.local(r["ts"], "%Y-%m-%d %H:%M:%S"), ctx.labels.lane(r["lane"], r["device"]),
                 _("w." + r["direction"]) if r["direction"] else "", r["plate"] or r["tag"] or "", r["household"],
                 _("w." + r["decision"]) if r["decision"] else "", _("reason." + r["reason"]) if r["reason"] else "",
                 explain_row(r, lang, mask=False)]
                for r in export_file.paged(fetch, lambda r: encode_cursor(r["ts"], r["id"])))
        return export_file.download(fmt, f"passages_{export_file.span(form)}", lang, sheet="nav.passages",
                                    headings=EXPORT_HEADINGS, rows=rows)

    @router.get("/snapshots/{event_id}")
    def snapshot(event_id: str, who: Principal = Depends(need(ctx, "viewer"))) -> Response:
        row = ctx.reader().execute("SELECT path FROM snapshots WHERE event_id = ?", [event_id]).fetchone()
        if row is None:
            raise NotFound("err.not_found")
        base = ctx.hub.snapshots_dir.resolve()
        path = (base / row[0]).resolve()
        if base not in path.parents or not path.is_file():
            raise BadRequest("err.not_found")
        return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})
    return router


def explain_row(row: dict, lang: str, *, mask: bool) -> str:
    """Who opened by hand and why, or the lane's evidence, with each tag heard shown as its car's
    plate or its short form; for a reader who may not see plates, those and any plate typed into
    the reason masked."""
    def name(tag: str) -> str:
        plate = row.get("plates_heard", {}).get(tag)
        return mask_plate(plate, mask=mask) if plate else short_tag(tag, lang=lang, mask=mask)
    if row.get("note"):
        row = {**row, "note": mask_plates_in(row["note"], mask=mask)}
    return evidence.explain(row, lang, name)


def car_then(passes: list[dict], vehicles: dict[str, dict], tag: str | None, ts: str) -> dict:
    """The car that held ``tag`` at ``ts``: a visitor's loaner pass then, else its binding then."""
    return holder_at(passes, tag, ts) or bound_then(passes, vehicles, tag, ts)


def holder_at(passes: list[dict], tag: str | None, ts: str) -> dict | None:
    """The visitor who held a loaner ``tag`` at ``ts`` (a tag is issued again once a pass ends, so
    a passage names the car that had it then, not the one that has it now)."""
    held = [p for p in passes if p["tag"] == tag and p["start"] <= ts <= p["end"]]
    return held[-1] if held else None


def bound_then(passes: list[dict], vehicles: dict[str, dict], tag: str | None, ts: str) -> dict:
    """The car a passage outside every pass window is credited to: the tag's current car — but a
    loaner tag (one with any pass on record) only since its current binding was made, as a tag
    read between passes was held by nobody the hub knows; a plate entry always names its plate."""
    vehicle = vehicles.get(tag or "") or {}
    if not any(p["tag"] == tag for p in passes) or (vehicle.get("since") or "~") <= ts:
        return vehicle
    return {"plate": tag[len("plate:"):]} if tag and tag.startswith("plate:") else {}


def tags_of_plate(ctx: WebContext, plate: str) -> list[str]:
    """The tags registered to a (normalised) plate for good (a visitor pass's tag counts only while
    the car held it: :func:`hub.registry.passes_of`)."""
    rows = ctx.reader().execute("SELECT tag FROM tags WHERE plate = ? AND expires IS NULL", [plate])
    found = [r[0] for r in rows]
    return found + ([f"plate:{plate}"] if f"plate:{plate}" not in found else [])  # read by a plate camera


def vehicles_of_tags(ctx: WebContext, tags: list[str]) -> dict[str, dict]:
    """{tag: {"plate", "household", "since"}} for the given tags (``since``: when that binding was
    made; none for a plate read with no plate entry)."""
    unique = sorted(set(tags))
    found = {}
    for at in range(0, len(unique), 500):  # a page's tags and the tags its evidence heard, in bounded queries
        chunk = unique[at:at + 500]
        rows = ctx.reader().execute(
            f"SELECT t.tag, v.plate, v.household, t.added_at FROM tags t JOIN vehicles v ON v.plate = t.plate "
            f"WHERE t.tag IN ({', '.join('?' * len(chunk))})", chunk)
        found.update({tag: {"plate": plate, "household": household, "since": since}
                      for tag, plate, household, since in rows})
    plates = {t: t[len("plate:"):] for t in unique if t.startswith("plate:") and t not in found}  # plate cameras
    households = dict(ctx.reader().execute(
        f"SELECT plate, household FROM vehicles WHERE plate IN ({', '.join('?' * len(plates)) or 'NULL'})",
        list(plates.values())).fetchall())
    found.update({t: {"plate": p, "household": households.get(p)} for t, p in plates.items()})
    return found
