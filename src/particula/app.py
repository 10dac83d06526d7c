"""The FastAPI application: routers, error handling, body limits, and the runtime it opens on start."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import HTMLResponse

from particula import __version__
from particula.auth.oauth_router import router as oauth_router
from particula.auth.router import router as auth_router
from particula.config import Settings
from particula.elements.router import router as elements_router
from particula.errors import install_error_handlers
from particula.health.router import router as health_router
from particula.limits import BodyLimitMiddleware
from particula.ratelimit import enforce_rate_limit
from particula.runtime import open_runtime
from particula.scenes.router import router as scenes_router
from particula.storage.router import router as objects_router
from particula.tasks import run_periodic_tasks
from particula.users.router import router as users_router

_LANDING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Particula</title>
<style>body{font:16px system-ui;background:#111;color:#eee;max-width:40em;margin:4em auto}a{color:#fc6}</style>
</head><body><h1>Particula</h1><p>An online particle sandbox. The server is running.</p>
<ul><li><a href="/docs">API documentation</a></li><li><a href="/readyz">Readiness</a></li></ul>
</body></html>"""


def create_app(settings: Settings, *, database_url: str, redis_url: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = open_runtime(settings, database_url=database_url, redis_url=redis_url)
        app.state.runtime = runtime
        # Everything built so far lives as long as the process: keep it out of the garbage collector's
        # full passes, which otherwise walk it all and show up as latency spikes under load.
        gc.collect()
        gc.freeze()
        try:
            async with run_periodic_tasks(runtime):
                yield
        finally:
            await runtime.close()

    app = FastAPI(
        title="Particula",
        version=__version__,
        summary="An online particle sandbox: scenes, gallery, multiplayer rooms.",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware)
    app.include_router(health_router)
    api = APIRouter(prefix="/api/v1", dependencies=[Depends(enforce_rate_limit)])
    api.include_router(auth_router)
    api.include_router(oauth_router)
    api.include_router(scenes_router)  # before users: /users/{name}/scenes is more specific than /users/{id}/...
    api.include_router(users_router)
    api.include_router(elements_router)
    api.include_router(objects_router)
    app.include_router(api)

    @app.get("/", include_in_schema=False)
    async def landing() -> HTMLResponse:
        return HTMLResponse(_LANDING)

    return app


def app_from_environment() -> FastAPI:
    """The app for a `serve --workers N` worker: `serve` resolved the services into the environment."""
    from particula.config import load_settings

    settings = load_settings()
    if settings.database_url is None or settings.redis_url is None:
        raise RuntimeError("app_from_environment needs PARTICULA_DATABASE_URL and PARTICULA_REDIS_URL")
    return create_app(settings, database_url=settings.database_url, redis_url=settings.redis_url)
