"""HTTP: GET /elements, the engine's element table (names, categories, colours, packs, premium flags)."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from particula.engine import elements

router = APIRouter(tags=["elements"])


@cache
def _catalogue_json() -> bytes:
    """The table as JSON, serialised once, exactly as JSONResponse would write it."""
    return bytes(JSONResponse(elements.catalogue()).body)


@router.get("/elements", name="elements.list", summary="Every element players can paint", response_class=JSONResponse)
async def list_elements() -> Response:
    # The table changes only with a release: let browsers and proxies keep it for an hour.
    return Response(_catalogue_json(), media_type="application/json", headers={"Cache-Control": "public, max-age=3600"})
