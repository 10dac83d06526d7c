"""GET /healthz (the process is up) and GET /readyz (database, Redis and object store answer)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from particula.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
@router.get("/api/v1/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Every component answers", responses={503: {"description": "A component is down"}})
@router.get("/api/v1/readyz", include_in_schema=False)
async def readyz(runtime: RuntimeDep) -> JSONResponse:
    components = await runtime.readiness()
    ready = all(state == "ok" for state in components.values())
    body = {"status": "ok" if ready else "unavailable", "components": components}
    return JSONResponse(body, status_code=200 if ready else 503)
