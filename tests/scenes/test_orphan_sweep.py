"""The hourly sweep removes objects whose row is gone, and nothing else."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx

from particula.runtime import Runtime
from particula.storage import AVATARS, SCENES, avatar_key, scene_data_key, scene_thumbnail_key
from particula.tasks import sweep_orphan_objects
from tests.factories import create_scene, register


async def test_sweep_removes_only_orphans(client: httpx.AsyncClient, runtime: Runtime) -> None:
    ada = await register(client)
    scene = await create_scene(client, ada)
    ada_id, scene_id = uuid.UUID(ada["user"]["id"]), uuid.UUID(scene["id"])
    ghost_user, ghost_scene = uuid.uuid4(), uuid.uuid4()  # a crash left these objects without rows
    await runtime.store.put(SCENES, scene_data_key(ghost_user, ghost_scene), b"lost")
    await runtime.store.put(SCENES, scene_thumbnail_key(ghost_user, ghost_scene), b"lost")
    await runtime.store.put(AVATARS, avatar_key(ghost_user), b"lost")
    await runtime.store.put(AVATARS, avatar_key(ada_id), b"kept")

    assert await sweep_orphan_objects(runtime) == 0  # too recent: an upload may still be committing
    assert await sweep_orphan_objects(runtime, grace=timedelta(0)) == 3
    assert not await runtime.store.exists(SCENES, scene_data_key(ghost_user, ghost_scene))
    assert not await runtime.store.exists(AVATARS, avatar_key(ghost_user))
    assert await runtime.store.exists(SCENES, scene_data_key(ada_id, scene_id))
    assert await runtime.store.exists(SCENES, scene_thumbnail_key(ada_id, scene_id))
    assert await runtime.store.exists(AVATARS, avatar_key(ada_id))
