"""Housekeeping inside every app process while it serves: token purge, orphan sweep (idempotent: several may run)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from particula.auth import repository as tokens
from particula.cache import keys
from particula.runtime import Runtime
from particula.scenes import repository as scenes
from particula.scenes import views
from particula.storage import AVATARS, SCENES
from particula.users import repository as users

log = logging.getLogger(__name__)

PURGE_INTERVAL = 3600.0


async def purge_expired_tokens(runtime: Runtime) -> int:
    async with runtime.sessions.begin() as session:
        return await tokens.purge_expired(session)


ORPHAN_GRACE = timedelta(hours=1)  # an upload in flight has stored its objects but not committed its row yet


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


async def sweep_orphan_objects(runtime: Runtime, *, grace: timedelta = ORPHAN_GRACE) -> int:
    """Delete scene files and avatars whose row is gone (a crash between storing and committing)."""
    cutoff = datetime.now(UTC) - grace
    scene_keys: dict[uuid.UUID, list[str]] = {}
    for key, modified in await runtime.store.listing(SCENES):
        parts = key.split("/")
        scene_id = _uuid(parts[1]) if len(parts) == 3 else None
        if scene_id is not None and modified < cutoff:
            scene_keys.setdefault(scene_id, []).append(key)
    avatar_keys: dict[uuid.UUID, str] = {}
    for key, modified in await runtime.store.listing(AVATARS):
        user_id = _uuid(key.removesuffix(".webp"))
        if user_id is not None and modified < cutoff:
            avatar_keys[user_id] = key
    async with runtime.sessions() as session:
        live_scenes = await scenes.scene_ids_existing(session, list(scene_keys))
        live_users = await users.ids_existing(session, list(avatar_keys))
    doomed = [key for scene_id, keys in scene_keys.items() if scene_id not in live_scenes for key in keys]
    for key in doomed:
        await runtime.store.delete(SCENES, key)
    lost_avatars = [key for user_id, key in avatar_keys.items() if user_id not in live_users]
    for key in lost_avatars:
        await runtime.store.delete(AVATARS, key)
    return len(doomed) + len(lost_avatars)


async def housekeeping(runtime: Runtime) -> None:
    purged = await purge_expired_tokens(runtime)
    swept = await sweep_orphan_objects(runtime)
    if purged or swept:
        log.info("housekeeping: purged %d expired refresh tokens, removed %d orphan objects", purged, swept)


async def _every(interval: float, runtime: Runtime) -> None:
    while True:
        try:
            await housekeeping(runtime)
        except Exception:
            log.exception("housekeeping failed; trying again in %.0f s", interval)
        await asyncio.sleep(interval)


async def _flush_views_forever(runtime: Runtime, interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            await views.flush(runtime.redis, runtime.sessions)
        except Exception:
            log.exception("adding views to the database failed; they stay pending")


@contextlib.asynccontextmanager
async def run_periodic_tasks(runtime: Runtime, *, interval: float = PURGE_INTERVAL) -> AsyncIterator[None]:
    tasks = [
        asyncio.create_task(_every(interval, runtime), name="particula-housekeeping"),
        asyncio.create_task(_flush_views_forever(runtime, keys.VIEWS_FLUSH_INTERVAL), name="particula-views"),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):  # what was counted before stopping still reaches the database
            await views.flush(runtime.redis, runtime.sessions)
