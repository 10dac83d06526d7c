"""The live connections a running Particula holds: database engine, Redis client, object store."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from particula.auth.oauth_providers import Provider, enabled_providers
from particula.cache.client import connect as connect_redis
from particula.config import Settings
from particula.db.session import create_engine, create_session_factory
from particula.storage.store import ObjectStore, S3Config

READINESS_TIMEOUT = 3.0

P = ParamSpec("P")
R = TypeVar("R")


def _cpu_pool() -> ThreadPoolExecutor:
    # Pillow, zstd and Numba release the GIL; one worker per core bounds the memory and CPU they can take.
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="particula-cpu")


@dataclass
class Runtime:
    settings: Settings
    secret_key: str  # signs access tokens and file-store links
    database_url: str
    redis_url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    store: ObjectStore
    oauth: dict[str, Provider]  # the enabled OAuth providers, by name; built once (they cache Google's keys)
    cpu: ThreadPoolExecutor = field(default_factory=_cpu_pool)

    async def run_blocking(self, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run CPU-heavy work (images, scene files, simulation) off the event loop, in the bounded pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.cpu, lambda: function(*args, **kwargs))

    async def close(self) -> None:
        self.cpu.shutdown(wait=False, cancel_futures=True)
        await self.redis.aclose()
        await self.engine.dispose()

    async def readiness(self, *, storage: bool = True) -> dict[str, str]:
        """Each component's answer: "ok" or why not; without `storage`, only the database and Redis."""
        checks = {"database": self._check_database(), "redis": self._check_redis()}
        if storage:
            checks["storage"] = self.store.check()
        names = list(checks)
        results = await asyncio.gather(
            *(asyncio.wait_for(check, READINESS_TIMEOUT) for check in checks.values()), return_exceptions=True
        )
        return {name: _describe(result) for name, result in zip(names, results, strict=True)}

    async def _check_database(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _check_redis(self) -> None:
        await self.redis.ping()


def _describe(result: object) -> str:
    if isinstance(result, TimeoutError):
        return f"error: no answer within {READINESS_TIMEOUT:g} s"
    if isinstance(result, BaseException):
        text_ = str(result).strip().splitlines()[0] if str(result).strip() else type(result).__name__
        return f"error: {text_}"
    return "ok"


def build_store(settings: Settings, *, secret_key: str | None = None) -> ObjectStore:
    secret = (secret_key or settings.resolved_secret_key()).encode()
    if settings.s3_endpoint is None:
        return ObjectStore.local(Path(settings.data_dir).resolve() / "objects", url_secret=secret)
    config = S3Config(
        endpoint=settings.s3_endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        region=settings.s3_region,
    )
    return ObjectStore.s3(config, url_secret=secret)


def open_runtime(settings: Settings, *, database_url: str, redis_url: str) -> Runtime:
    """Open pools (lazily connecting) for the given service URLs."""
    engine = create_engine(database_url)
    secret_key = settings.resolved_secret_key()
    return Runtime(
        settings=settings,
        secret_key=secret_key,
        database_url=database_url,
        redis_url=redis_url,
        engine=engine,
        sessions=create_session_factory(engine),
        redis=connect_redis(redis_url),
        store=build_store(settings, secret_key=secret_key),
        oauth=enabled_providers(settings),
    )
