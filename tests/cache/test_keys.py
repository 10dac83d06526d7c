"""The seed's Redis keys, with their TTLs, on the real embedded Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from particula.cache import client as cache
from particula.cache import keys


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    connection = cache.connect(redis_url)
    yield connection
    await connection.aclose()


def test_key_builders_follow_the_seed() -> None:
    user, room, scene = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)
    assert keys.session_key(user) == f"session:{user}"
    assert keys.room_state_key(room) == f"room:{room}:state"
    assert keys.room_players_key(room) == f"room:{room}:players"
    assert keys.rate_limit_key("203.0.113.9", "auth.login") == "ratelimit:203.0.113.9:auth.login"
    assert keys.user_cache_key(user) == f"cache:user:{user}"
    assert keys.scene_meta_cache_key(scene) == f"cache:scene:{scene}:meta"


async def test_session_lives_24_hours_and_keeps_its_room(redis: Redis) -> None:
    user = uuid.uuid4()
    await cache.touch_session(redis, user, socket_id="sock-1", room_id="room-9")
    await cache.touch_session(redis, user)  # activity alone keeps the socket and room
    session = await cache.read_session(redis, user)
    assert session["socketId"] == "sock-1"
    assert session["roomId"] == "room-9"
    assert int(session["lastActivity"]) > 0
    assert 86_000 < await redis.ttl(keys.session_key(user)) <= 86_400


async def test_rate_limit_allows_the_limit_then_says_when_to_retry(redis: Redis) -> None:
    results = [await cache.hit_rate_limit(redis, ip="198.51.100.7", endpoint="auth.login", limit=3) for _ in range(5)]
    assert results[:3] == [None, None, None]
    assert results[3] is not None
    assert 1 <= results[3] <= 60
    assert await redis.ttl(keys.rate_limit_key("198.51.100.7", "auth.login")) <= 60
    other = await cache.hit_rate_limit(redis, ip="198.51.100.8", endpoint="auth.login", limit=3)
    assert other is None  # per IP


async def test_cache_entries_expire_after_five_minutes(redis: Redis) -> None:
    user = uuid.uuid4()
    await cache.set_json(redis, keys.user_cache_key(user), {"username": "ada"}, ttl=keys.USER_CACHE_TTL)
    assert await cache.get_json(redis, keys.user_cache_key(user)) == {"username": "ada"}
    assert 290 < await redis.ttl(keys.user_cache_key(user)) <= 300
    await cache.delete(redis, keys.user_cache_key(user))
    assert await cache.get_json(redis, keys.user_cache_key(user)) is None


async def test_room_state_lives_while_open_and_one_hour_after_close(redis: Redis) -> None:
    room = uuid.uuid4()
    await cache.save_room_state(redis, room, particles=b"\x00zstd", settings={"width": 800})
    assert await redis.ttl(keys.room_state_key(room)) == -1  # open: no expiry
    assert await cache.load_room_state(redis, room) == (b"\x00zstd", {"width": 800})
    await cache.save_room_state(redis, room, particles=b"\x01", settings={"width": 800}, closed=True)
    assert 3590 < await redis.ttl(keys.room_state_key(room)) <= 3600
    assert await cache.load_room_state(redis, uuid.uuid4()) is None


async def test_room_players_is_a_set_of_user_ids(redis: Redis) -> None:
    room, ada, bob = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert await cache.add_room_player(redis, room, ada) == 1
    assert await cache.add_room_player(redis, room, bob) == 2
    assert await cache.add_room_player(redis, room, bob) == 2
    assert await cache.room_players(redis, room) == {str(ada), str(bob)}
    assert await cache.remove_room_player(redis, room, ada) == 1
