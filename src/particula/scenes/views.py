"""Views: one per viewer per scene per hour, counted in Redis on the read path, added to PostgreSQL in batches.

A read costs one Redis round trip: the script returns the cached scene JSON and, when the viewer may see
that scene and has not viewed it this hour, counts the view. Every few seconds each app process moves
the pending counts into `scenes.views_count` with one UPDATE.
"""

from __future__ import annotations

import logging
import uuid

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from particula.cache import keys
from particula.cache.client import text_of
from particula.scenes import repository

log = logging.getLogger(__name__)

# KEYS: scene meta cache, viewer's window, pending hash. ARGV: scene id, window seconds, viewer's user id.
# Returns {cached JSON or "", 1 if the viewer may see the scene else 0}.
_READ_AND_COUNT = """
local meta = redis.call('GET', KEYS[1])
if not meta then return {'', 0} end
local scene = cjson.decode(meta)
if scene['is_public'] == true or scene['author']['id'] == ARGV[3] then
  if redis.call('SET', KEYS[2], 1, 'NX', 'EX', tonumber(ARGV[2])) then
    redis.call('HINCRBY', KEYS[3], ARGV[1], 1)
  end
  return {meta, 1}
end
return {meta, 0}
"""

# KEYS: viewer's window, pending hash. ARGV: scene id, window seconds.
_COUNT = """
if redis.call('SET', KEYS[1], 1, 'NX', 'EX', tonumber(ARGV[2])) then
  redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
end
return 1
"""


async def read_and_count(
    redis: Redis, scene_id: uuid.UUID, *, viewer_key: str, viewer_id: uuid.UUID | None
) -> tuple[bytes | None, bool]:
    """(the cached scene JSON or None, whether the viewer may see it), counting the view if they may."""
    names = [keys.scene_meta_cache_key(scene_id), keys.scene_viewed_key(scene_id, viewer_key), keys.pending_views_key()]
    args: list[str | int] = [str(scene_id), keys.SCENE_VIEW_WINDOW, str(viewer_id or "")]
    # register_script: EVALSHA, sending the script's text only the first time a server sees it.
    meta, visible = await redis.register_script(_READ_AND_COUNT)(keys=names, args=args)
    return (bytes(meta) or None), visible == 1


async def cache_and_count(redis: Redis, scene_id: uuid.UUID, meta: bytes, *, viewer_key: str) -> None:
    """Cache a scene's JSON read from its row and count the view (checked visible), in one round trip."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(keys.scene_meta_cache_key(scene_id), meta, ex=keys.SCENE_META_CACHE_TTL)
        names = [keys.scene_viewed_key(scene_id, viewer_key), keys.pending_views_key()]
        await redis.register_script(_COUNT)(keys=names, args=[str(scene_id), keys.SCENE_VIEW_WINDOW], client=pipe)
        await pipe.execute()


async def flush(redis: Redis, sessions: async_sessionmaker[AsyncSession]) -> int:
    """Add the pending views to PostgreSQL; returns how many. Safe in several processes at once."""
    batch = keys.flushing_views_key(uuid.uuid4().hex)
    try:  # an atomic hand-over: views counted from now on go to a fresh pending hash
        await redis.rename(keys.pending_views_key(), batch)
    except ResponseError:  # nothing pending
        return 0
    raw = await redis.hgetall(batch)
    counts = {uuid.UUID(text_of(scene)): int(n) for scene, n in raw.items()}
    if counts:
        async with sessions.begin() as session:
            await repository.add_views(session, counts)
    await redis.delete(batch)
    return sum(counts.values())
