"""Restore power (恢复供电) from the phone: the circuits the charging device cut, and the warden's button.

``POST /charging/restore`` (warden, with the session's CSRF token): the circuit must be cut now
(hub.charging.cuts); the action is written to the audit log first, then the ``restore`` command is
published to the charging device that cut it.  The device switches the relay on and reports it
(``power_cut`` with ``active`` false), which the diary and the chat then show.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from gwcommon import wire
from hub.charging import cuts

from hub.web import audit
from hub.web.auth import Principal
from hub.web.context import BadRequest, WebContext
from hub.web.deps import need, see_other

logger = logging.getLogger(__name__)


def rows(ctx: WebContext, lang: str) -> list[dict]:
    """The circuits cut now, for the charging page: label, since, reason in words, device."""
    labels = {c.name: c.display for c in ctx.hub.config.circuits}
    return [{"circuit": c, "label": labels.get(c, c), "since": cut.ts, "device": cut.device,
             "why": cuts.sentence(cut, labels.get(c, c), lang)}
            for c, cut in sorted(cuts.current(ctx.reader()).items())]


def fault_detail(ctx: WebContext, fault: dict, lang: str) -> str:
    """A ``power_cut`` fault's detail on the Devices page, in words (label, reason, numbers)."""
    labels = {c.name: c.display for c in ctx.hub.config.circuits}
    event = SimpleNamespace(code=fault["code"], detail=fault.get("detail", ""), active=True, ts=None,
                            circuit=fault.get("circuit") or None)
    cut = cuts.read(event)
    return cuts.sentence(cut, labels.get(cut.circuit, cut.circuit), lang) if cut else str(fault.get("detail", ""))


def restore(ctx: WebContext, request: Request, who: Principal, circuit: str, note: str) -> str:
    """Audit, then publish the restore command to the device that cut ``circuit``."""
    cut = cuts.current(ctx.reader()).get(circuit)
    if cut is None or not cut.device:
        raise BadRequest("err.not_cut", circuit=circuit[:64])
    if not note.strip():
        raise BadRequest("err.reason")
    command = cuts.restore_command(circuit, by=who.name, note=note, now=ctx.now())
    address = ctx.address(request)

    def job(db):
        audit.record(db, ctx.now(), who.name, "power_restore", target=f"{cut.device}/{circuit}",
                     detail={"reason": command.reason, "command": command.id, "cut": cut.reason}, address=address)
    ctx.write(job)
    ctx.hub.publish(wire.topic(ctx.site.id, cut.device, "cmd"), wire.encode(command))
    logger.info("power restore of %s (%s) sent by %s: %s", circuit, cut.device, who.name, command.reason)
    return command.id


def register(ctx: WebContext) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    ctx.fault_details[cuts.CODE] = lambda fault, lang: fault_detail(ctx, fault, lang)

    @router.post("/charging/restore")
    def restore_power(request: Request, circuit: Annotated[str, Form(max_length=64)],
                      reason: Annotated[str, Form(max_length=500)] = "",
                      who: Principal = Depends(need(ctx, "warden", write=True))) -> Response:
        restore(ctx, request, who, circuit, reason)
        return see_other("/charging?restored=1")
    return router
