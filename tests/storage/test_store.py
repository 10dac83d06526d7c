"""One suite, two stores: the file store and an S3 server over HTTP (moto), through the same ObjectStore."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from particula.config import Settings
from particula.runtime import Runtime, build_store
from particula.storage import AVATARS, SCENES, ObjectNotFound, ObjectStore, avatar_key, scene_data_key
from particula.storage.keys import scene_thumbnail_key, user_scenes_prefix


@pytest.fixture(params=["file", "s3"])
async def store(request: pytest.FixtureRequest, settings: Settings) -> ObjectStore:
    chosen = settings if request.param == "file" else request.getfixturevalue("s3_settings")
    object_store = build_store(chosen)
    await object_store.ensure_buckets()
    assert object_store.kind == request.param
    return object_store


def test_keys_follow_the_seed_layout() -> None:
    user, scene = uuid.UUID(int=1), uuid.UUID(int=2)
    assert scene_data_key(user, scene) == f"{user}/{scene}/data.bin"
    assert scene_thumbnail_key(user, scene) == f"{user}/{scene}/thumb.webp"
    assert avatar_key(user) == f"{user}.webp"


async def test_put_get_exists_delete(store: ObjectStore) -> None:
    user, scene = uuid.uuid4(), uuid.uuid4()
    key = scene_data_key(user, scene)
    assert not await store.exists(SCENES, key)
    await store.put(SCENES, key, b"scene bytes")
    assert await store.exists(SCENES, key)
    assert await store.get(SCENES, key) == b"scene bytes"
    await store.put(SCENES, key, b"replaced")
    assert await store.get(SCENES, key) == b"replaced"
    await store.delete(SCENES, key)
    assert not await store.exists(SCENES, key)
    await store.delete(SCENES, key)  # deleting what is gone is fine
    with pytest.raises(ObjectNotFound):
        await store.get(SCENES, key)


async def test_buckets_are_separate(store: ObjectStore) -> None:
    user = uuid.uuid4()
    await store.put(AVATARS, avatar_key(user), b"avatar")
    assert not await store.exists(SCENES, avatar_key(user))


async def test_delete_prefix_removes_only_that_users_objects(store: ObjectStore) -> None:
    mine, theirs = uuid.uuid4(), uuid.uuid4()
    for scene in (uuid.uuid4(), uuid.uuid4()):
        await store.put(SCENES, scene_data_key(mine, scene), b"a")
        await store.put(SCENES, scene_thumbnail_key(mine, scene), b"b")
    kept = scene_data_key(theirs, uuid.uuid4())
    await store.put(SCENES, kept, b"c")
    assert await store.delete_prefix(SCENES, user_scenes_prefix(mine)) == 4
    assert await store.exists(SCENES, kept)


async def test_file_store_keeps_objects_under_the_data_dir(settings: Settings) -> None:
    store = build_store(settings)
    user, scene = uuid.uuid4(), uuid.uuid4()
    await store.put(SCENES, scene_data_key(user, scene), b"on disk")
    path = settings.data_dir.resolve() / "objects" / "scenes" / str(user) / str(scene) / "data.bin"
    assert path.read_bytes() == b"on disk"


async def test_s3_download_url_is_presigned_and_fetchable(s3_settings: Settings) -> None:
    store = build_store(s3_settings)
    await store.ensure_buckets()
    key = scene_data_key(uuid.uuid4(), uuid.uuid4())
    await store.put(SCENES, key, b"signed")
    url = await store.download_url(SCENES, key, expires_in=timedelta(minutes=1))
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Expires"] == ["60"]  # moto does not check signatures; MinIO and S3 do
    assert "X-Amz-Signature" in query
    async with httpx.AsyncClient() as http:
        assert (await http.get(url)).content == b"signed"


async def test_ensure_buckets_is_idempotent(s3_settings: Settings) -> None:
    store = build_store(s3_settings)
    await store.ensure_buckets()
    await store.ensure_buckets()
    await store.check()


async def test_file_store_download_url_is_served_until_it_expires(client: httpx.AsyncClient, runtime: Runtime) -> None:
    store = runtime.store
    key = scene_data_key(uuid.uuid4(), uuid.uuid4())
    await store.put(SCENES, key, b"served")
    url = await store.download_url(SCENES, key)
    response = await client.get(url)
    assert response.status_code == 200
    assert response.content == b"served"

    query = parse_qs(urlsplit(url).query)
    forged = url.replace(query["signature"][0], "0" * 64)
    assert (await client.get(forged)).status_code == 403
    expired_at = int(time.time()) - 1
    signature = store.url_signature(SCENES, key, expired_at)
    stale = f"/api/v1/objects/scenes/{key}?expires={expired_at}&signature={signature}"
    response = await client.get(stale)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
