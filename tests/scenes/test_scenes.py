"""A scene's life: upload, read, files, change, replace, delete; privacy; the tier's limits."""

from __future__ import annotations

import io
import json
import uuid

import asyncpg
import httpx
from PIL import Image

from particula.runtime import Runtime
from particula.scenes import views
from particula.storage import SCENES, scene_data_key, scene_thumbnail_key
from tests.conftest import asyncpg_dsn
from tests.factories import bearer, create_scene, make_premium, register, scene_file


async def upload(client: httpx.AsyncClient, owner: dict[str, object], meta: object, data: bytes) -> httpx.Response:
    files = {"meta": (None, meta if isinstance(meta, str) else json.dumps(meta)), "data": ("data.bin", data)}
    return await client.post("/api/v1/scenes", files=files, headers=bearer(owner))  # type: ignore[arg-type]


async def test_upload_reads_the_file_stores_objects_and_counts_the_scene(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    ada = await register(client, username="ada")
    data = scene_file(120, 90, sand_rows=30)
    meta = {"title": "  Dunes  ", "description": "sand and sea", "settings": {"speed": 2}, "is_public": True}
    response = await upload(client, ada, meta, data)
    assert response.status_code == 201
    scene = response.json()
    assert scene["title"] == "Dunes"
    assert scene["author"] == {"id": ada["user"]["id"], "username": "ada", "avatar_url": None}
    assert scene["settings"] == {
        "width": 120,
        "height": 90,
        "gravity": {"x": 0.0, "y": 9.8},
        "ambientTemp": 20.0,
        "speed": 2,
    }
    assert scene["particle_count"] == 120 * 30 + 120 * 5
    assert scene["file_size_bytes"] == len(data)
    assert (scene["likes_count"], scene["views_count"], scene["forks_count"]) == (0, 0, 0)
    owner, scene_id = uuid.UUID(ada["user"]["id"]), uuid.UUID(scene["id"])
    assert await runtime.store.get(SCENES, scene_data_key(owner, scene_id)) == data
    thumbnail = Image.open(io.BytesIO(await runtime.store.get(SCENES, scene_thumbnail_key(owner, scene_id))))
    assert (thumbnail.format, thumbnail.size) == ("WEBP", (400, 300))
    assert (await client.get("/api/v1/users/me", headers=bearer(ada))).json()["total_scenes"] == 1


async def test_data_and_thumbnail_are_served_with_etags(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    data = scene_file()
    scene = await create_scene(client, ada, data=data)
    response = await client.get(scene["data_url"])
    assert response.status_code == 200
    assert response.content == data
    etag = response.headers["etag"]
    assert (await client.get(scene["data_url"], headers={"if-none-match": etag})).status_code == 304
    thumb = await client.get(scene["thumbnail_url"])
    assert thumb.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(thumb.content)).size == (400, 300)


async def test_private_scenes_exist_only_for_their_author(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    bob = await register(client)
    scene = await create_scene(client, ada, is_public=False)
    for path in ("", "/data", "/thumbnail"):
        assert (await client.get(f"/api/v1/scenes/{scene['id']}{path}", headers=bearer(ada))).status_code == 200
        assert (await client.get(f"/api/v1/scenes/{scene['id']}{path}", headers=bearer(bob))).status_code == 404
        assert (await client.get(f"/api/v1/scenes/{scene['id']}{path}")).status_code == 404
    assert (await client.put(f"/api/v1/scenes/{scene['id']}/like", headers=bearer(bob))).status_code == 404
    assert (await client.post(f"/api/v1/scenes/{scene['id']}/fork", headers=bearer(bob))).status_code == 404


async def views_in_database(runtime: Runtime, database_url: str) -> dict[str, int]:
    await views.flush(runtime.redis, runtime.sessions)  # what the app does every few seconds
    connection = await asyncpg.connect(**asyncpg_dsn(database_url))
    try:
        return {
            row["title"]: row["views_count"] for row in await connection.fetch("SELECT title, views_count FROM scenes")
        }
    finally:
        await connection.close()


async def test_views_count_each_viewer_once_an_hour(
    client: httpx.AsyncClient, runtime: Runtime, database_url: str
) -> None:
    ada = await register(client)
    bob = await register(client)
    scene = await create_scene(client, ada, title="watched")
    for _ in range(3):
        await client.get(f"/api/v1/scenes/{scene['id']}", headers=bearer(bob))
        await client.get(f"/api/v1/scenes/{scene['id']}")  # signed out: counted by address
    assert await views_in_database(runtime, database_url) == {"watched": 2}
    await client.get(f"/api/v1/scenes/{scene['id']}", headers=bearer(ada))
    assert await views_in_database(runtime, database_url) == {"watched": 3}


async def test_refused_viewers_are_never_counted(
    client: httpx.AsyncClient, runtime: Runtime, database_url: str
) -> None:
    ada = await register(client)
    bob = await register(client)
    scene = await create_scene(client, ada, title="secret", is_public=False)
    await client.get(f"/api/v1/scenes/{scene['id']}", headers=bearer(ada))  # cached now
    for _ in range(2):
        assert (await client.get(f"/api/v1/scenes/{scene['id']}", headers=bearer(bob))).status_code == 404
        assert (await client.get(f"/api/v1/scenes/{scene['id']}")).status_code == 404
    assert await views_in_database(runtime, database_url) == {"secret": 1}


async def test_signed_in_readers_see_whether_they_liked_it(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    scene = await create_scene(client, ada)
    assert (await client.get(f"/api/v1/scenes/{scene['id']}")).json()["liked_by_me"] is None
    assert (await client.get(f"/api/v1/scenes/{scene['id']}", headers=bearer(ada))).json()["liked_by_me"] is False
    await client.put(f"/api/v1/scenes/{scene['id']}/like", headers=bearer(ada))
    read = (await client.get(f"/api/v1/scenes/{scene['id']}", headers=bearer(ada))).json()
    assert (read["liked_by_me"], read["likes_count"]) == (True, 1)


async def test_the_author_changes_metadata_others_cannot(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    bob = await register(client)
    scene = await create_scene(client, ada, is_public=True)
    change = {"title": "Renamed", "description": "new words", "settings": {"width": 5, "palette": "dusk"}}
    response = await client.patch(f"/api/v1/scenes/{scene['id']}", json=change, headers=bearer(ada))
    assert response.status_code == 200
    changed = response.json()
    assert (changed["title"], changed["description"]) == ("Renamed", "new words")
    assert changed["settings"]["width"] == 80  # physical settings come from the file, never from a PATCH
    assert changed["settings"]["palette"] == "dusk"
    assert changed["updated_at"] > scene["updated_at"]
    assert (await client.get(f"/api/v1/scenes/{scene['id']}")).json()["title"] == "Renamed"  # cache invalidated
    assert (
        await client.patch(f"/api/v1/scenes/{scene['id']}", json={"title": "x"}, headers=bearer(bob))
    ).status_code == 403


async def test_replacing_the_file_rereads_it_and_rerenders_the_thumbnail(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    scene = await create_scene(client, ada)
    old_thumb = (await client.get(scene["thumbnail_url"])).content
    new_data = scene_file(200, 100, sand_rows=60)
    files = {"data": ("data.bin", new_data)}
    response = await client.put(f"/api/v1/scenes/{scene['id']}/data", files=files, headers=bearer(ada))
    assert response.status_code == 200
    replaced = response.json()
    assert (replaced["settings"]["width"], replaced["settings"]["height"]) == (200, 100)
    assert replaced["file_size_bytes"] == len(new_data)
    assert (await client.get(replaced["data_url"])).content == new_data
    assert (await client.get(replaced["thumbnail_url"])).content != old_thumb


async def test_delete_removes_row_objects_and_counts_while_forks_live_on(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    ada = await register(client)
    bob = await register(client)
    scene = await create_scene(client, ada)
    await client.put(f"/api/v1/scenes/{scene['id']}/like", headers=bearer(bob))
    fork = (await client.post(f"/api/v1/scenes/{scene['id']}/fork", headers=bearer(bob))).json()
    assert (await client.delete(f"/api/v1/scenes/{scene['id']}", headers=bearer(bob))).status_code == 403
    assert (await client.delete(f"/api/v1/scenes/{scene['id']}", headers=bearer(ada))).status_code == 204
    assert (await client.get(f"/api/v1/scenes/{scene['id']}")).status_code == 404
    owner = uuid.UUID(ada["user"]["id"])
    assert not await runtime.store.exists(SCENES, scene_data_key(owner, uuid.UUID(scene["id"])))
    me = (await client.get("/api/v1/users/me", headers=bearer(ada))).json()
    assert (me["total_scenes"], me["total_likes_received"]) == (0, 0)
    orphan = (await client.get(f"/api/v1/scenes/{fork['id']}", headers=bearer(bob))).json()
    assert orphan["forked_from_id"] is None
    assert (await client.get(orphan["data_url"], headers=bearer(bob))).status_code == 200


async def test_free_tier_refuses_a_world_over_800x600(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    response = await upload(client, ada, {"title": "Too big"}, scene_file(801, 600, sand_rows=1))
    assert response.status_code == 422
    assert "800x600" in response.json()["detail"]
    assert (await client.get("/api/v1/users/me", headers=bearer(ada))).json()["total_scenes"] == 0


async def test_premium_players_may_upload_up_to_1600x1200(
    client: httpx.AsyncClient, runtime: Runtime, database_url: str
) -> None:
    ada = await register(client, username="ada")
    await make_premium(runtime, database_url, ada)
    response = await upload(client, ada, {"title": "Big"}, scene_file(1600, 1200, sand_rows=2))
    assert response.status_code == 201
    assert response.json()["settings"]["width"] == 1600
    too_big = await upload(client, ada, {"title": "Bigger"}, scene_file(1601, 1200, sand_rows=2))
    assert too_big.status_code == 422


async def test_the_free_tier_keeps_fifty_scenes(client: httpx.AsyncClient, database_url: str) -> None:
    ada = await register(client, username="ada")
    connection = await asyncpg.connect(**asyncpg_dsn(database_url))
    try:
        await connection.execute("UPDATE users SET total_scenes = 49 WHERE username = 'ada'")
    finally:
        await connection.close()
    await create_scene(client, ada)
    refused = await upload(client, ada, {"title": "51st"}, scene_file())
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("scene-limit")


async def test_elements_are_served_from_the_engine_table(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/elements")
    assert response.status_code == 200
    table = response.json()
    names = {element["name"] for element in table}
    assert {"sand", "water", "fire", "lava"} <= names
    assert len(table) >= 40
    assert {element["pack"] for element in table if element["premium"]} >= {"pyro", "life"}
    assert all(element["colour"].startswith("#") for element in table)


async def test_nulls_for_required_fields_are_refused_not_stored(client: httpx.AsyncClient) -> None:
    ada = await register(client)
    scene = await create_scene(client, ada)
    for change in ({"title": None}, {"is_public": None}, {"settings": None}):
        response = await client.patch(f"/api/v1/scenes/{scene['id']}", json=change, headers=bearer(ada))
        assert response.status_code == 422, change
    cleared = await client.patch(f"/api/v1/scenes/{scene['id']}", json={"description": None}, headers=bearer(ada))
    assert cleared.status_code == 200
    assert cleared.json()["description"] is None
