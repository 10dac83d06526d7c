"""Scenes on an S3 server (moto over HTTP): signed redirects, and all-or-nothing when storage fails."""

from __future__ import annotations

import json

import asyncpg
import httpx

from tests.conftest import Services, asyncpg_dsn
from tests.factories import bearer, create_scene, register, scene_file


async def test_data_and_thumbnail_redirect_to_signed_downloads(s3_client: httpx.AsyncClient) -> None:
    ada = await register(s3_client)
    data = scene_file()
    scene = await create_scene(s3_client, ada, data=data)
    redirect = await s3_client.get(scene["data_url"])
    assert redirect.status_code == 302
    assert "X-Amz-Signature" in redirect.headers["location"]
    async with httpx.AsyncClient() as http:
        assert (await http.get(redirect.headers["location"])).content == data
        thumb = await http.get((await s3_client.get(scene["thumbnail_url"])).headers["location"])
    assert thumb.content[:4] == b"RIFF"


async def test_when_storage_fails_nothing_is_saved(
    s3_client: httpx.AsyncClient, services: Services, database_url: str
) -> None:
    ada = await register(s3_client)
    async with httpx.AsyncClient() as http:  # the buckets vanish under the running app
        (await http.post(f"{services.s3_endpoint}/moto-api/reset", timeout=10)).raise_for_status()
    files = {"meta": (None, json.dumps({"title": "lost?"})), "data": ("data.bin", scene_file())}
    response = await s3_client.post("/api/v1/scenes", files=files, headers=bearer(ada))  # type: ignore[arg-type]
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    connection = await asyncpg.connect(**asyncpg_dsn(database_url))
    try:
        assert await connection.fetchval("SELECT count(*) FROM scenes") == 0
        assert await connection.fetchval("SELECT total_scenes FROM users") == 0
    finally:
        await connection.close()


async def test_fork_and_delete_work_on_s3(s3_client: httpx.AsyncClient) -> None:
    ada = await register(s3_client)
    bob = await register(s3_client)
    data = scene_file(48, 32)
    source = await create_scene(s3_client, ada, data=data)
    fork = (await s3_client.post(f"/api/v1/scenes/{source['id']}/fork", headers=bearer(bob))).json()
    assert (await s3_client.delete(f"/api/v1/scenes/{source['id']}", headers=bearer(ada))).status_code == 204
    assert (await s3_client.get(source["data_url"])).status_code == 404
    redirect = await s3_client.get(fork["data_url"], headers=bearer(bob))
    async with httpx.AsyncClient() as http:
        assert (await http.get(redirect.headers["location"])).content == data  # the fork kept its own copy
