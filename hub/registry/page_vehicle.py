"""One vehicle (车辆) and its household: the committee adds, edits, revokes and removes a car, and
adds or takes off its tags, one at a time from the web view (a whole sheet is the import's job).

The form is checked by the very rules of a row of the committee's file
(:func:`hub.registry.csvfile.check_row`), worded the same way; every change is audited in the
same transaction and moves the registry's version, so the gates get the new allowlist within a
second.  A tag another car already has is refused, naming that car.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from gwcommon.exc import GatewardenError
from hub.core.plates import normalize_plate
from hub.registry import csvfile, store

from hub.web import audit
from hub.web.auth import Principal
from hub.web.context import NotFound, WebContext
from hub.web.deps import need, see_other

FIELDS = ("plate", "household", "owner", "mobile", "note", "tag")


def page_of(plate: str) -> str:
    return f"/registry/vehicle?plate={quote(plate)}"


def household_cars(db, household: str) -> list[dict]:
    rows = db.execute("SELECT plate, owner, visitor FROM vehicles WHERE household = ? ORDER BY plate", [household])
    return [{"plate": p, "owner": o, "visitor": bool(v)} for p, o, v in rows]


def tags_of(db, plate: str) -> list[dict]:
    rows = db.execute("SELECT tag, revoked, expires FROM tags WHERE plate = ? ORDER BY added_at, tag", [plate])
    return [{"tag": t, "revoked": bool(r), "expires": e} for t, r, e in rows]


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    warden, committee_w = need(ctx, "warden"), need(ctx, "committee", write=True)

    def show(request: Request, who: Principal, *, plate: str = "", form: dict | None = None,
             problems: list[str] | None = None, status: int = 200) -> Response:
        db = ctx.reader()
        car = store.vehicle(db, plate) if plate else None
        if plate and car is None:
            raise NotFound("reg.no_vehicle")
        blank = {f: "" for f in FIELDS} | {"household": request.query_params.get("household", "")[:64]}
        values = ({f: "" for f in FIELDS} | car if car else blank) | (form or {})
        return ctx.render(request, "vehicle.html", who, status=status, title_key="reg.vehicle", car=car,
                          values=values, tags=tags_of(db, car["plate"]) if car else [],
                          household_cars=household_cars(db, values["household"]) if values["household"] else [],
                          problems=problems or [], saved=request.query_params.get("saved", "")[:20])

    def act(request: Request, who: Principal, action: str, target: str, detail: dict, change,
            *, back: str, form: dict | None = None, then=None) -> Response:
        """Run ``change(db)`` with its audit entry and go to ``then(result)`` (default: the car's
        page); a refusal shows the page again with the reason, and nothing has changed."""
        address = ctx.address(request)

        def job(db):
            result = change(db)
            audit.record(db, ctx.now(), who.name, action, target=target, detail=detail, address=address)
            return result
        try:
            result = ctx.write(job)
        except csvfile.RegistryFileError as exc:
            return show(request, who, plate=back, form=form, status=400,
                        problems=[p.text(ctx.lang(request)) for p in exc.problems])
        except (GatewardenError, ValueError, LookupError) as exc:
            reason = exc.text(ctx.lang(request)) if hasattr(exc, "text") else str(exc)
            return show(request, who, plate=back, form=form, status=400, problems=[reason])
        return see_other(then(result) if then else page_of(result) + "&saved=" + action)

    @router.get("/registry/vehicle")
    def vehicle_page(request: Request, who: Principal = Depends(warden)) -> Response:
        return show(request, who, plate=normalize_plate(request.query_params.get("plate", "")[:32]))

    @router.post("/registry/vehicle")
    def save(request: Request, plate: Annotated[str, Form(max_length=32)] = "",
             household: Annotated[str, Form(max_length=200)] = "", owner: Annotated[str, Form(max_length=200)] = "",
             mobile: Annotated[str, Form(max_length=200)] = "", note: Annotated[str, Form(max_length=1000)] = "",
             tag: Annotated[str, Form(max_length=1000)] = "", original: Annotated[str, Form(max_length=32)] = "",
             who: Principal = Depends(committee_w)) -> Response:
        original = normalize_plate(original)
        form = {"plate": plate, "household": household, "owner": owner, "mobile": mobile, "note": note,
                "tag": "" if original else tag}

        def change(db):
            row, _notes = csvfile.check_row(form)
            saved = store.save_row(db, row, original=original, at=ctx.now())
            for each in row.tags:  # a new car's tags; a tag of another car is refused, naming it
                store.add_tag(db, saved, each, at=ctx.now())
            return saved
        detail = {k: v for k, v in form.items() if v and k != "mobile"} | ({"from": original} if original else {})
        return act(request, who, "vehicle_save", normalize_plate(plate), detail, change, back=original, form=form)

    @router.post("/registry/vehicle/remove")
    def remove(request: Request, plate: Annotated[str, Form(max_length=32)],
               sure: Annotated[int, Form(ge=0, le=1)] = 0, who: Principal = Depends(committee_w)) -> Response:
        plate = normalize_plate(plate)

        def change(db):
            car = store.vehicle(db, plate)
            if car is not None and not sure:
                raise store.BadChange("tick the box to remove", code="remove_unconfirmed", plate=plate)
            store.remove_vehicle(db, plate, at=ctx.now())
            return car["household"]
        return act(request, who, "vehicle_remove", plate, {}, change, back=plate,
                   then=lambda household: f"/registry?q={quote(household)}")

    @router.post("/registry/vehicle/tag")
    def add_tag(request: Request, plate: Annotated[str, Form(max_length=32)],
                tag: Annotated[str, Form(max_length=300)], who: Principal = Depends(committee_w)) -> Response:
        plate = normalize_plate(plate)

        def change(db):
            store.add_tag(db, plate, tag.strip(), at=ctx.now())
            return plate
        return act(request, who, "tag_add", plate, {"tag": tag.strip()}, change, back=plate)

    @router.post("/registry/vehicle/tag/remove")
    def remove_tag(request: Request, plate: Annotated[str, Form(max_length=32)],
                   tag: Annotated[str, Form(max_length=300)], who: Principal = Depends(committee_w)) -> Response:
        plate = normalize_plate(plate)

        def change(db):
            store.remove_tag(db, plate, tag.strip(), at=ctx.now())
            return plate
        return act(request, who, "tag_remove", plate, {"tag": tag.strip()}, change, back=plate)
    return router
