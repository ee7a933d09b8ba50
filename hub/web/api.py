"""The JSON API's conventions (docs/contract.md, API), for the areas that serve a resource under
``/api``, beside their pages, in the OpenAPI schema FastAPI generates.

``Authorization: Bearer <token>`` (``gatewarden hub token create``) or a login session.  Lists
answer ``{"items": [...], "next": cursor|null}``, newest first; pass ``next`` back as ``cursor``
for the following page.  A bad parameter gets 400 ``{"error": "<parameter>: <reason>"}``.
Each area's ``api`` module has ``register(ctx)`` returning an :func:`api_router`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field


def api_router() -> APIRouter:
    """A router for an area's part of the JSON API (under /api, in the OpenAPI schema)."""
    return APIRouter(prefix="/api", tags=["api"])


class Page(BaseModel):
    items: list[dict[str, Any]]
    next: str | None = Field(description="Cursor of the next page, or null on the last page.")
