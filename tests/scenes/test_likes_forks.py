"""Likes are idempotent and exact under concurrency; forks copy the scene into the forker's folder."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx

from particula.runtime import Runtime
from particula.storage import SCENES, scene_data_key, scene_thumbnail_key
from tests.conftest import asyncpg_dsn
from tests.factories import bearer, create_scene, register, scene_file


async def counters(database_url: str) -> tuple[int, int, int]:
    connection = await asyncpg.connect(**asyncpg_dsn(database_url))
    try:
        row = await connection.fetchrow(
            "SELECT s.likes_count, u.total_likes_received, (SELECT count(*) FROM likes) AS rows"
            " FROM scenes s JOIN users u ON u.id = s.author_id"
        )
        assert row is not None
        return row[0], row[1], row[2]
    finally:
        await connection.close()


async def test_liking_is_idempotent(client: httpx.AsyncClient, database_url: str) -> None:
    ada = await register(client)
    bob = await register(client)
    scene = await create_scene(client, ada)
    url = f"/api/v1/scenes/{scene['id']}/like"
    assert (await client.put(url, headers=bearer(bob))).json() == {"liked": True, "likes_count": 1}
    assert (await client.put(url, headers=bearer(bob))).json() == {"liked": True, "likes_count": 1}
    assert await counters(database_url) == (1, 1, 1)
    assert (await client.delete(url, headers=bearer(bob))).json() == {"liked": False, "likes_count": 0}
    assert (await client.delete(url, headers=bearer(bob))).json() == {"liked": False, "likes_count": 0}
    assert await counters(database_url) == (0, 0, 0)
    assert (await client.put(url)).status_code == 401


async def test_counters_stay_exact_with_many_simultaneous_likers(client: httpx.AsyncClient, database_url: str) -> None:
    ada = await register(client)
    scene = await create_scene(client, ada)
    fans = await asyncio.gather(*(register(client) for _ in range(24)))
    url = f"/api/v1/scenes/{scene['id']}/like"
    # Everyone likes twice at once, then half of them unlike (twice) while the others like again.
    await asyncio.gather(*(client.put(url, headers=bearer(fan)) for fan in fans for _ in range(2)))
    assert await counters(database_url) == (24, 24, 24)
    await asyncio.gather(
        *(client.delete(url, headers=bearer(fan)) for fan in fans[:12] for _ in range(2)),
        *(client.put(url, headers=bearer(fan)) for fan in fans[12:]),
    )
    assert await counters(database_url) == (12, 12, 12)
    read = (await client.get(f"/api/v1/scenes/{scene['id']}")).json()
    assert read["likes_count"] == 12


async def test_fork_copies_the_files_into_a_new_private_scene(client: httpx.AsyncClient, runtime: Runtime) -> None:
    ada = await register(client)
    bob = await register(client)
    data = scene_file(64, 48)
    source = await create_scene(client, ada, title="Original", data=data)
    response = await client.post(f"/api/v1/scenes/{source['id']}/fork", headers=bearer(bob))
    assert response.status_code == 201
    fork = response.json()
    assert fork["forked_from_id"] == source["id"]
    assert fork["author"]["id"] == bob["user"]["id"]
    assert fork["is_public"] is False
    assert fork["settings"] == source["settings"]
    bob_id, fork_id = uuid.UUID(bob["user"]["id"]), uuid.UUID(fork["id"])
    assert await runtime.store.get(SCENES, scene_data_key(bob_id, fork_id)) == data
    assert await runtime.store.exists(SCENES, scene_thumbnail_key(bob_id, fork_id))
    assert (await client.get(f"/api/v1/scenes/{source['id']}")).json()["forks_count"] == 1
    assert (await client.get("/api/v1/users/me", headers=bearer(bob))).json()["total_scenes"] == 1
    assert (await client.get(f"/api/v1/scenes/{fork['id']}")).status_code == 404  # private until bob shares it
