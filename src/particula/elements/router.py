"""HTTP: GET /elements, the engine's element table (names, categories, colours, packs, premium flags)."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from particula.engine import elements

router = APIRouter(tags=["elements"])


@cache
def _catalogue() -> list[dict[str, Any]]:
    return elements.catalogue()


@router.get("/elements", name="elements.list", summary="Every element players can paint")
async def list_elements() -> JSONResponse:
    # The table changes only with a release: let browsers and proxies keep it for an hour.
    return JSONResponse(_catalogue(), headers={"Cache-Control": "public, max-age=3600"})
