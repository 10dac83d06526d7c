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


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async for session in transaction(get_runtime(request).sessions):
        yield session


def get_redis(request: Request) -> Redis:
    return get_runtime(request).redis


def get_store(request: Request) -> ObjectStore:
    return get_runtime(request).store


def get_settings(request: Request) -> Settings:
    return get_runtime(request).settings


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
RedisDep = Annotated[Redis, Depends(get_redis)]
StoreDep = Annotated[ObjectStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
