"""Typed FastAPI dependencies that keep handlers short: the transaction, Redis, the object store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from particula.config import Settings
from particula.db.session import transaction
from particula.runtime import Runtime
from particula.storage.store import ObjectStore


def runtime_of(request: Request) -> Runtime:
    """The running app's connections, for code that already holds the request."""
    runtime: Runtime = request.app.state.runtime
    return runtime


# The dependencies are `async def` although they never await: FastAPI runs a plain `def` dependency in a worker
# thread, and that hop cost more than the work itself (about a tenth of a cached scene read under load).


async def get_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async for session in transaction(runtime_of(request).sessions):
        yield session


async def get_redis(request: Request) -> Redis:
    return runtime_of(request).redis


async def get_store(request: Request) -> ObjectStore:
    return runtime_of(request).store


async def get_settings(request: Request) -> Settings:
    return runtime_of(request).settings


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
# scope="function": commit before the response is sent (the default would commit after it has gone out).
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
RedisDep = Annotated[Redis, Depends(get_redis)]
StoreDep = Annotated[ObjectStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
