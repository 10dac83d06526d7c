"""Regressions found in review: durability before the answer, failures mid-storage, races, stable ETags."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from particula.runtime import Runtime
from particula.scenes import repository
from particula.storage import SCENES, scene_data_key, scene_thumbnail_key
from particula.storage.store import StorageError
from tests.conftest import asyncpg_dsn
from tests.factories import bearer, create_scene, make_premium, register, scene_file


async def test_the_answer_is_sent_only_after_the_commit(app: FastAPI, database_url: str) -> None:
    seen_at_response: list[int] = []

    async def watching(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_after_checking(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["path"].endswith("/register"):
                connection = await asyncpg.connect(**asyncpg_dsn(database_url))
                seen_at_response.append(await connection.fetchval("SELECT count(*) FROM users"))
                await connection.close()
            await send(message)

        await app(scope, receive, send_after_checking)

    transport = httpx.ASGITransport(app=watching)
    async with httpx.AsyncClient(transport=transport, base_url="http://particula.test") as client:
        await register(client)
    assert seen_at_response == [1]  # the user was durable before the client heard "201"


def fail_on(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    """Fault injection: the object store refuses writes of keys ending in suffix."""
    real_put = runtime.store.put

    async def put(bucket: str, key: str, data: bytes, *, content_type: str | None = None) -> None:
        if key.endswith(suffix):
            raise StorageError("injected failure")
        await real_put(bucket, key, data, content_type=content_type)

    monkeypatch.setattr(runtime.store, "put", put)


async def test_a_failed_upload_leaves_no_object_and_no_row(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    ada = await register(client)
    fail_on(runtime, monkeypatch, "data.bin")  # the thumbnail is written, then the scene file fails
    files = {"meta": (None, '{"title": "doomed"}'), "data": ("data.bin", scene_file())}
    response = await client.post("/api/v1/scenes", files=files, headers=bearer(ada))  # type: ignore[arg-type]
    assert response.status_code == 503
    assert await runtime.store.listing(SCENES) == []
    connection = await asyncpg.connect(**asyncpg_dsn(database_url))
    try:
        assert await connection.fetchval("SELECT count(*) FROM scenes") == 0
    finally:
        await connection.close()


async def test_a_failed_replacement_keeps_the_saved_scene(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = await register(client)
    original = scene_file(64, 48)
    scene = await create_scene(client, ada, data=original)
    fail_on(runtime, monkeypatch, "data.bin")
    files = {"data": ("data.bin", scene_file(100, 80))}
    response = await client.put(f"/api/v1/scenes/{scene['id']}/data", files=files, headers=bearer(ada))
    assert response.status_code == 503
    assert "unchanged" in response.json()["detail"]
    monkeypatch.undo()
    assert (await client.get(scene["data_url"])).content == original
    assert (await client.get(f"/api/v1/scenes/{scene['id']}")).json()["settings"]["width"] == 64


async def test_deleting_an_account_takes_its_likes_off_the_counters(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    bob = await register(client)
    scene = await create_scene(client, ada)
    await client.put(f"/api/v1/scenes/{scene['id']}/like", headers=bearer(bob))
    deleted = await client.request(
        "DELETE", "/api/v1/users/me", json={"password": "correct horse battery staple"}, headers=bearer(bob)
    )
    assert deleted.status_code == 204
    assert (await client.get(f"/api/v1/scenes/{scene['id']}")).json()["likes_count"] == 0
    assert (await client.get("/api/v1/users/me", headers=bearer(ada))).json()["total_likes_received"] == 0


async def test_unlikes_racing_a_delete_never_fail_with_500(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    fans = await asyncio.gather(*(register(client) for _ in range(8)))
    scene = await create_scene(client, ada)
    url = f"/api/v1/scenes/{scene['id']}/like"
    await asyncio.gather(*(client.put(url, headers=bearer(fan)) for fan in fans))
    responses = await asyncio.gather(
        *(client.request("PUT" if n % 2 else "DELETE", url, headers=bearer(fan)) for n, fan in enumerate(fans)),
        client.delete(f"/api/v1/scenes/{scene['id']}", headers=bearer(ada)),
    )
    assert {response.status_code for response in responses} <= {200, 204, 404}
    assert (await client.get("/api/v1/users/me", headers=bearer(ada))).json()["total_likes_received"] == 0


async def test_views_and_likes_do_not_change_the_etag(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    bob = await register(client)
    scene = await create_scene(client, ada)
    etag = (await client.get(scene["data_url"])).headers["etag"]
    await client.get(f"/api/v1/scenes/{scene['id']}", headers=bearer(bob))  # a new viewer
    await client.put(f"/api/v1/scenes/{scene['id']}/like", headers=bearer(bob))
    assert (await client.get(scene["data_url"])).headers["etag"] == etag
    await client.patch(f"/api/v1/scenes/{scene['id']}", json={"title": "edited"}, headers=bearer(ada))
    assert (await client.get(scene["data_url"])).headers["etag"] != etag


async def test_forking_needs_the_forkers_tier_to_hold_the_scene(
    client: httpx.AsyncClient, runtime: Runtime, database_url: str
) -> None:
    ada = await register(client, username="ada")
    await make_premium(runtime, database_url, ada)
    big = await create_scene(client, ada, data=scene_file(1200, 900, sand_rows=2))
    bob = await register(client)
    response = await client.post(f"/api/v1/scenes/{big['id']}/fork", headers=bearer(bob))
    assert response.status_code == 422
    assert "800x600" in response.json()["detail"]


async def test_the_sweep_checks_any_number_of_ids(client: httpx.AsyncClient, runtime: Runtime) -> None:
    ada = await register(client)
    scene = await create_scene(client, ada)
    many: list[Any] = [uuid.uuid4() for _ in range(40_000)] + [uuid.UUID(scene["id"])]
    async with runtime.sessions() as session:
        assert await repository.scene_ids_existing(session, many) == {uuid.UUID(scene["id"])}
    assert scene_data_key(uuid.UUID(ada["user"]["id"]), uuid.UUID(scene["id"])).endswith("data.bin")
    assert scene_thumbnail_key(uuid.UUID(ada["user"]["id"]), uuid.UUID(scene["id"])).endswith("thumb.webp")
