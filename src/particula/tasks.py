"""Housekeeping that runs inside every app process while it serves (idempotent, so several may run)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from particula.auth import repository as tokens
from particula.runtime import Runtime

log = logging.getLogger(__name__)

PURGE_INTERVAL = 3600.0


async def purge_expired_tokens(runtime: Runtime) -> int:
    async with runtime.sessions.begin() as session:
        return await tokens.purge_expired(session)


async def _every(interval: float, runtime: Runtime) -> None:
    while True:
        try:
            purged = await purge_expired_tokens(runtime)
            if purged:
                log.info("purged %d expired refresh tokens", purged)
        except Exception:
            log.exception("periodic token purge failed; trying again in %.0f s", interval)
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def run_periodic_tasks(runtime: Runtime, *, interval: float = PURGE_INTERVAL) -> AsyncIterator[None]:
    task = asyncio.create_task(_every(interval, runtime), name="particula-housekeeping")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
