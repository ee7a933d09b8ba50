"""Registry (住户车辆登记): households, vehicles and tags; CSV import with the row-by-row report;
export; revoking a tag; visitor passes (访客通行证) with an expiry.

The registry area (hub.registry) owns the tables and the rules; this page only calls its
functions, on the writer thread, with an audit entry in the same transaction.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from gwcommon.exc import GatewardenError
from hub.core import words as problems
from hub.core.plates import normalize_plate
from hub.registry import csvfile, diff, store, visitors
from hub.registry.pending import Pending, PendingImports

from hub.web import audit
from hub.web import export as export_file
from hub.web.auth import Principal
from hub.web.context import BadRequest, NavItem, WebContext
from hub.web.deps import csv_download, need, see_other

MAX_FILE = 2 * 1024 * 1024
MAX_HOURS = 24 * 31
VISITORS_HEADINGS = ("w.plate", "reg.host", "reg.visitors.tag", "reg.visitors.issued", "reg.visitors.until")
VEHICLE_SQL = """
    SELECT v.plate, v.household, v.owner, v.mobile, v.note, v.visitor, t.tag, t.revoked, t.expires
    FROM vehicles v LEFT JOIN tags t ON t.plate = v.plate
    WHERE (? = '' OR v.plate LIKE '%' || ? || '%' OR v.household LIKE '%' || ? || '%')
    ORDER BY v.visitor, v.household, v.plate, t.tag LIMIT 2000"""


def vehicles(db, q: str) -> list[dict]:
    """Vehicles (with their tags) whose plate or household contains ``q``: residents first, then
    visitors with a pass running."""
    found: dict[str, dict] = {}
    plate_q, household_q = (normalize_plate(q), q.strip()) if q.strip() else ("", "")
    for plate, household, owner, mobile, note, visitor, tag, revoked, expires in db.execute(
            VEHICLE_SQL, [plate_q, plate_q, household_q]):
        row = found.setdefault(plate, {"plate": plate, "household": household, "owner": owner,
                                       "mobile": mobile, "note": note, "visitor": bool(visitor), "tags": []})
        if tag:
            row["tags"].append({"tag": tag, "revoked": bool(revoked), "expires": expires})
    return list(found.values())


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.nav.append(NavItem("/registry", "nav.registry", "warden"))
    warden, warden_w = need(ctx, "warden"), need(ctx, "warden", write=True)
    committee_w = need(ctx, "committee", write=True)
    pending = PendingImports()

    def show(request: Request, who: Principal, *, status: int = 200, **extra) -> Response:
        q = request.query_params.get("q", "")[:32].strip()
        values = {"problems": [], "summary": None, "notice": "", "error": "", "preview": None} | extra
        return ctx.render(request, "registry.html", who, status=status, title_key="nav.registry", q=q,
                          vehicles=vehicles(ctx.reader(), q), passes=visitors.current(ctx.reader(), at=ctx.now()),
                          **values)

    @router.get("/registry")
    def registry_page(request: Request, who: Principal = Depends(warden)) -> Response:
        return show(request, who)

    @router.get("/registry/export.csv")
    def export(request: Request, who: Principal = Depends(warden)) -> Response:
        data = csvfile.render(store.export_rows(ctx.reader()), ctx.lang(request))
        stamp = ctx.local(ctx.now(), "%Y%m%d")
        return csv_download(data, f"registry-{stamp}.csv")

    @router.get("/registry/visitors.csv")
    def visitors_export(request: Request, who: Principal = Depends(warden)) -> Response:
        """The visitors with a pass running: their own file, never in the committee's registry."""
        rows = [[v["plate"], v["household"], v["tag"], ctx.local(v["issued_at"]), ctx.local(v["expires"])]
                for v in visitors.current(ctx.reader(), at=ctx.now())]
        stamp = ctx.local(ctx.now(), "%Y%m%d")
        return export_file.download("csv", f"visitors-{stamp}", ctx.lang(request), sheet="nav.registry",
                                    headings=VISITORS_HEADINGS, rows=rows)

    @router.post("/registry/import")
    async def import_file(request: Request, file: Annotated[UploadFile, File()],
                          who: Principal = Depends(committee_w)) -> Response:
        """Step 1: read the file and show what it would change; nothing changes yet."""
        data = await file.read(MAX_FILE + 1)
        if len(data) > MAX_FILE:
            raise BadRequest("reg.too_large", limit=MAX_FILE // (1024 * 1024))
        try:
            found = csvfile.read(data)
        except csvfile.RegistryFileError as exc:
            return show(request, who, status=400, problems=exc.problems)
        db = ctx.reader()
        change = diff.compare(store.export_rows(db), found.rows)
        token = pending.put(Pending(data, (file.filename or "")[:100], who.name, store.version(db), ctx.now()))
        lang = ctx.lang(request)
        ignored = problems.text(lang, "ignored_columns", {"names": "、".join(found.ignored)}) if found.ignored else ""
        return show(request, who, preview={"token": token, "change": change, "found": found, "ignored": ignored,
                                           "lines": diff.lines(change, lang, short=True), "summary": diff.summary(change, lang)})

    @router.post("/registry/import/confirm")
    def confirm_import(request: Request, token: Annotated[str, Form(max_length=64)],
                       removals: Annotated[int, Form(ge=0, le=1)] = 0,
                       who: Principal = Depends(committee_w)) -> Response:
        """Step 2: the same person confirms; removals need their own tick."""
        item = pending.take(token, user=who.name, now=ctx.now())
        if item is None:
            raise BadRequest("reg.preview_gone")
        rows = csvfile.read(item.data).rows
        address = ctx.address(request)

        def job(db):
            if store.version(db) != item.version:
                raise BadRequest("reg.changed_meanwhile")
            change = diff.compare(store.export_rows(db), rows)
            if change.needs_confirmation and not removals:
                raise BadRequest("reg.confirm_removals_first", count=len(change.removed))
            summary = store.replace_all(db, rows, at=ctx.now())
            audit.record(db, ctx.now(), who.name, "registry_import", target=item.filename,
                         detail={**summary, "added": len(change.added), "removed": len(change.removed),
                                 "changed": len(change.changed)}, address=address)
            return summary
        summary = ctx.write(job)
        return show(request, who, summary=summary)

    @router.post("/registry/tags/revoke")
    def revoke(request: Request, tag: Annotated[str, Form(max_length=200)],
               revoked: Annotated[int, Form(ge=0, le=1)] = 1, plate: Annotated[str, Form(max_length=32)] = "",
               who: Principal = Depends(warden_w)) -> Response:
        if not revoked and who.role not in ("committee", "admin"):
            raise BadRequest("err.role")
        _change(ctx, request, who, "tag_revoke", tag, {"revoked": bool(revoked)},
                lambda db: store.set_revoked(db, tag, bool(revoked)))
        return see_other(f"/registry/vehicle?plate={quote(normalize_plate(plate))}" if plate else "/registry")

    @router.post("/registry/visitor")
    def visitor(request: Request, plate: Annotated[str, Form(max_length=20)],
                household: Annotated[str, Form(max_length=64)], tag: Annotated[str, Form(max_length=200)] = "",
                hours: Annotated[str, Form(max_length=40)] = "24", who: Principal = Depends(warden_w)) -> Response:
        if not re.fullmatch(r"[0-9]{1,4}", hours.strip()) or not 1 <= int(hours) <= MAX_HOURS:
            raise BadRequest("reg.hours_range", given=hours.strip()[:20], limit=MAX_HOURS)
        expires = ctx.now() + timedelta(hours=int(hours))

        def change(db):
            # No tag: a pass by plate (plate:<plate>), opened by the lanes' plate cameras (edge.lpr);
            # a loaner tag whose last pass has ended is free again.
            visitors.issue(db, plate, household=household, tag=tag, expires=expires, at=ctx.now())
        _change(ctx, request, who, "visitor_pass", plate,
                {"household": household, "tag": tag, "expires": ctx.local(expires)}, change)
        return see_other("/registry")

    @router.post("/registry/visitor/end")
    def end_visit(request: Request, plate: Annotated[str, Form(max_length=32)],
                  who: Principal = Depends(warden_w)) -> Response:
        """A warden ends a visitor's pass early (the visitor has left; the loaner tag is back)."""
        _change(ctx, request, who, "visitor_pass_end", normalize_plate(plate), {},
                lambda db: visitors.end(db, plate, at=ctx.now(), by=who.name))
        return see_other("/registry")
    return router


def _change(ctx: WebContext, request: Request, who: Principal, action: str, target: str, detail: dict, change) -> None:
    """Run a registry change with its audit entry; the registry's refusals become 400, worded in
    the page's language (they carry a code of hub.core.words)."""
    address = ctx.address(request)

    def job(db):
        try:
            change(db)
        except (GatewardenError, ValueError, LookupError) as exc:
            raise BadRequest(exc if hasattr(exc, "text") else str(exc)) from None
        audit.record(db, ctx.now(), who.name, action, target=target, detail=detail, address=address)
    ctx.write(job)
