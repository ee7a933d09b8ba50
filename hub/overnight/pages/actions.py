"""The warden's actions on the overnight rule, each with its audit entry in the same transaction:
resolve or excuse a violation, identify an untagged car's plate, register or clear a car parked
off-space, and open a lane remotely (远程抬杆).

The overnight area (hub.diary's functions, with the area's context) decides; this module only
calls it on the writer thread.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import Request

from gwcommon import wire
from hub.overnight import warden_actions

from hub.web import audit
from hub.web.auth import Principal
from hub.web.context import BadRequest, WebContext, WebError

logger = logging.getLogger(__name__)


class Unavailable(WebError):
    status = 503


def area(ctx: WebContext):
    """The overnight area attached to the hub (its context for hub.diary's functions)."""
    try:
        return ctx.hub.area("overnight")
    except LookupError:
        raise Unavailable("err.unavailable") from None


def _run(ctx: WebContext, request: Request, who: Principal, action: str, target: str, detail: dict, change):
    address = ctx.address(request)

    def job(db):
        try:
            result = change(db)
        except warden_actions.WardenActionError as exc:
            raise BadRequest(exc) from None
        audit.record(db, ctx.now(), who.name, action, target=target, detail=detail, address=address)
        return result
    return ctx.write(job)


def settle(ctx: WebContext, request: Request, who: Principal, how: str, violation_id: str, reason: str) -> None:
    """Resolve or excuse an open violation; the reason goes into the diary and the audit log."""
    if not reason.strip():
        raise BadRequest("err.reason")
    settle_fn = warden_actions.resolve if how == "resolve" else warden_actions.excuse
    overnight = area(ctx)
    _run(ctx, request, who, f"violation_{how}", violation_id, {"reason": reason.strip()},
         lambda db: settle_fn(db, overnight, violation_id, reason=reason, by=who.name, at=ctx.now()))


def identify(ctx: WebContext, request: Request, who: Principal, violation_id: str, plate: str) -> None:
    overnight = area(ctx)
    _run(ctx, request, who, "violation_identify", violation_id, {"plate": plate},
         lambda db: warden_actions.identify(db, overnight, violation_id, plate=plate, by=who.name, at=ctx.now()))


def mark(ctx: WebContext, request: Request, who: Principal, op: str, *, plate: str, zone: str, slot: str,
         note: str) -> dict:
    """Register (``register``) or clear (``clear``) a car parked off-space."""
    overnight = area(ctx)
    fn = warden_actions.register_offspace if op == "register" else warden_actions.clear_offspace
    kw = {"plate": plate or None, "zone": zone or None, "slot": slot or None, "note": note}
    return _run(ctx, request, who, f"stay_{op}", plate or f"{zone} {slot}", kw,
                lambda db: fn(db, overnight, by=who.name, at=ctx.now(), **kw))


def open_lane(ctx: WebContext, request: Request, who: Principal, device: str, lane: str, reason: str) -> str:
    """Send an ``open`` command to a gate device (audited before it is published)."""
    if not reason.strip():
        raise BadRequest("err.reason")
    command = wire.Command(id=f"cmd-{uuid.uuid4().hex[:16]}", ts=ctx.now(), op="open", lane=lane,
                           by=who.name[:64], reason=reason.strip()[:500])
    topic = wire.topic(ctx.site.id, device, "cmd")
    payload = wire.encode(command)
    address = ctx.address(request)

    def job(db):
        audit.record(db, ctx.now(), who.name, "lane_open", target=f"{device}/{lane}",
                     detail={"reason": command.reason, "command": command.id}, address=address)
    ctx.write(job)
    ctx.hub.publish(topic, payload)
    logger.info("lane %s/%s opened remotely by %s: %s", device, lane, who.name, command.reason)
    return command.id
