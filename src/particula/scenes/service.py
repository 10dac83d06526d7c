"""Rules about scenes: who may see and change what, all-or-nothing storage, exact counters, the gallery."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any, cast

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from particula.cache import client as cache
from particula.cache import keys
from particula.db.models import Scene
from particula.db.session import after_commit
from particula.errors import Problem
from particula.runtime import Runtime
from particula.scenes import cursor, files, repository, views
from particula.scenes.repository import GalleryQuery, SceneRow
from particula.scenes.schemas import PHYSICAL_SETTINGS, Author, LikeState, SceneChange, SceneMeta, SceneOut, ScenePage
from particula.storage import SCENES, ObjectNotFound, scene_data_key, scene_thumbnail_key
from particula.storage.keys import scene_folder
from particula.users.schemas import Account
from particula.users.tiers import limits_for

log = logging.getLogger(__name__)


def version_of(updated_at: datetime | None) -> int:
    """The scene's version for ETags and thumbnail URLs: changes with every edit, not with views or likes."""
    return int(updated_at.timestamp() * 1_000_000) if updated_at else 0


def view_of(row: SceneRow) -> SceneOut:
    scene = row.scene
    version = version_of(scene.updated_at)
    return SceneOut(
        id=scene.id,
        author=Author(id=scene.author_id, username=row.author_username, avatar_url=row.author_avatar_url),
        title=scene.title,
        description=scene.description,
        settings=scene.settings or {},
        particle_count=scene.particle_count or 0,
        file_size_bytes=scene.file_size_bytes or 0,
        is_public=bool(scene.is_public),
        is_featured=bool(scene.is_featured),
        likes_count=scene.likes_count or 0,
        views_count=scene.views_count or 0,
        forks_count=scene.forks_count or 0,
        forked_from_id=scene.forked_from_id,
        liked_by_me=row.liked_by_me,
        data_url=f"/api/v1/scenes/{scene.id}/data",
        thumbnail_url=f"/api/v1/scenes/{scene.id}/thumbnail?v={version}",
        created_at=scene.created_at,
        updated_at=scene.updated_at,
    )


async def _inspect(runtime: Runtime, user: Account, data: bytes) -> files.InspectedScene:
    try:
        return await runtime.run_blocking(files.inspect, data, limits_for(user))
    except files.SceneRejected as error:
        raise Problem(422, f"This scene file cannot be stored: {error}.", slug="bad-scene-file") from None


_UNAVAILABLE = "The scene could not be stored; nothing was saved. Try again."


async def _store_objects(
    runtime: Runtime, author_id: uuid.UUID, scene_id: uuid.UUID, data: bytes, thumb: bytes, *, replacing: bool = False
) -> None:
    """Write the thumbnail, then the scene file; a failure fails the request (and the row rolls back).

    For a new scene, what was written is removed again. For a replacement nothing is removed: the file is
    written last, so a failure leaves the old file in place (at worst beside a newer thumbnail).
    """
    written: list[str] = []
    try:
        for key, body, kind in (
            (scene_thumbnail_key(author_id, scene_id), thumb, "image/webp"),
            (scene_data_key(author_id, scene_id), data, "application/octet-stream"),
        ):
            await runtime.store.put(SCENES, key, body, content_type=kind)
            written.append(key)
    except Exception:
        if replacing:
            raise Problem(
                503,
                _UNAVAILABLE.replace("nothing was saved", "your saved scene is unchanged"),
                slug="storage-unavailable",
            ) from None
        for key in written:
            try:
                await runtime.store.delete(SCENES, key)
            except Exception:  # the orphan sweep removes what this could not
                log.exception("could not remove %s after a failed upload", key)
        raise Problem(503, _UNAVAILABLE, slug="storage-unavailable") from None


async def _reserve_slot(session: AsyncSession, user: Account) -> None:
    limits = limits_for(user)
    if not await repository.reserve_scene_slot(session, user.id, limits.max_scenes):
        raise Problem(
            422,
            f"You have {limits.max_scenes} scenes, the most the {limits.name} tier keeps; delete one or go premium.",
            slug="scene-limit",
        )


async def _insert(session: AsyncSession, user: Account, scene_id: uuid.UUID, **fields: Any) -> Scene:
    """A new row for the user's scene, pointing at its objects' places in the seed's layout."""
    return await repository.insert_scene(
        session,
        id=scene_id,
        author_id=user.id,
        data_url=f"{SCENES}/{scene_data_key(user.id, scene_id)}",
        thumbnail_url=f"{SCENES}/{scene_thumbnail_key(user.id, scene_id)}",
        **fields,
    )


async def create(runtime: Runtime, session: AsyncSession, user: Account, meta: SceneMeta, data: bytes) -> SceneOut:
    inspected = await _inspect(runtime, user, data)
    await _reserve_slot(session, user)
    scene_id = uuid.uuid4()
    scene = await _insert(
        session,
        user,
        scene_id,
        title=meta.title,
        description=meta.description,
        settings={**(meta.settings or {}), **inspected.settings},
        particle_count=inspected.particle_count,
        file_size_bytes=inspected.file_size_bytes,
        is_public=meta.is_public,
    )
    await _store_objects(runtime, user.id, scene_id, data, inspected.thumbnail)
    await _forget(runtime, session, users=(user.id,))  # total_scenes moved
    await gallery_changed(runtime.redis, session)
    return view_of(SceneRow(scene, user.username, user.avatar_url, False))


async def _load(session: AsyncSession, scene_id: uuid.UUID) -> tuple[SceneOut, bytes]:
    """The scene's metadata from its row, and the JSON the cache keeps of it (serialised once)."""
    row = await repository.get_with_author(session, scene_id, None)
    if row is None:
        raise Problem(404, "There is no such scene.")
    scene = view_of(row)
    return scene, scene.model_dump_json().encode()


async def _meta(session: AsyncSession, runtime: Runtime, scene_id: uuid.UUID, cached: bytes | str | None) -> SceneOut:
    """The scene's metadata from its cached JSON (cache:scene:{id}:meta, 5 min), else from the row (and cache it)."""
    if cached is not None:
        return SceneOut.model_validate_json(cached)
    scene, body = await _load(session, scene_id)
    await runtime.redis.set(keys.scene_meta_cache_key(scene_id), body, ex=keys.SCENE_META_CACHE_TTL)
    return scene


def _seen_by(scene: SceneOut, viewer: Account | None) -> SceneOut:
    if not scene.is_public and (viewer is None or viewer.id != scene.author.id):
        raise Problem(404, "There is no such scene.")  # private scenes do not exist for anyone but their author
    return scene


async def _visible(session: AsyncSession, runtime: Runtime, scene_id: uuid.UUID, viewer: Account | None) -> SceneOut:
    """The scene's metadata if the viewer may see it; 404 otherwise."""
    cached = await runtime.redis.get(keys.scene_meta_cache_key(scene_id))
    return _seen_by(await _meta(session, runtime, scene_id, cached), viewer)


async def read(
    session: AsyncSession, runtime: Runtime, scene_id: uuid.UUID, viewer: Account | None, *, viewer_key: str
) -> SceneOut | bytes:
    """The scene for this viewer: its cached JSON as is for signed-out readers, else the model."""
    # One Redis round trip: the cached metadata, with the view counted there when the viewer may see it.
    viewer_id = viewer.id if viewer else None
    cached, visible = await views.read_and_count(runtime.redis, scene_id, viewer_key=viewer_key, viewer_id=viewer_id)
    if cached is not None:
        if not visible:
            raise Problem(404, "There is no such scene.")
        if viewer is None:
            return cached  # nothing to add for a signed-out reader: no parsing, no re-serialising
        scene = SceneOut.model_validate_json(cached)
    else:
        scene, cached = await _load(session, scene_id)
        _seen_by(scene, viewer)
        await views.cache_and_count(runtime.redis, scene_id, cached, viewer_key=viewer_key)
        if viewer is None:
            return cached
    if viewer is None:
        return scene
    liked = await repository.is_liked(session, viewer.id, scene_id)
    return scene.model_copy(update={"liked_by_me": liked})


async def object_key(
    session: AsyncSession, runtime: Runtime, scene_id: uuid.UUID, viewer: Account | None, *, thumbnail: bool
) -> tuple[str, SceneOut]:
    scene = await _visible(session, runtime, scene_id, viewer)
    build = scene_thumbnail_key if thumbnail else scene_data_key
    return build(scene.author.id, scene.id), scene


async def _find(session: AsyncSession, scene_id: uuid.UUID, user: Account, *, lock: repository.Lock) -> Scene:
    """The scene's row, locked, if the user may see it; 404 otherwise (private scenes exist only for their author)."""
    scene = await repository.get(session, scene_id, lock=lock)
    if scene is None or (not scene.is_public and scene.author_id != user.id):
        raise Problem(404, "There is no such scene.")
    return scene


async def _own(session: AsyncSession, scene_id: uuid.UUID, user: Account) -> Scene:
    scene = await _find(session, scene_id, user, lock="update")
    if scene.author_id != user.id:
        raise Problem(403, "Only the scene's author can change it.")
    return scene


async def _forget(
    runtime: Runtime, session: AsyncSession, *scene_ids: uuid.UUID, users: tuple[uuid.UUID | None, ...] = ()
) -> None:
    """Drop the scenes' (and users') cached JSON now and after the commit."""
    names = [keys.scene_meta_cache_key(scene_id) for scene_id in scene_ids]
    names += [keys.user_cache_key(user_id) for user_id in users if user_id is not None]
    await cache.invalidate(runtime.redis, session, *names)


async def _fresh(session: AsyncSession, scene_id: uuid.UUID, me: uuid.UUID) -> SceneOut:
    session.expire_all()
    row = await repository.get_with_author(session, scene_id, me)
    assert row is not None
    return view_of(row)


async def update(
    session: AsyncSession, runtime: Runtime, scene_id: uuid.UUID, user: Account, change: SceneChange
) -> SceneOut:
    scene = await _own(session, scene_id, user)
    fields: dict[str, Any] = change.model_dump(exclude_unset=True, exclude={"settings"})
    if change.settings is not None:
        physical = {key: value for key, value in (scene.settings or {}).items() if key in PHYSICAL_SETTINGS}
        fields["settings"] = {**change.settings, **physical}
    if fields.get("is_public") is False:
        fields["is_featured"] = False  # a featured scene taken private leaves the featured list
    if fields:  # an empty PATCH changes nothing, so no cache needs to go
        await repository.change(session, scene_id, **fields)
        await _forget(runtime, session, scene_id)
        await gallery_changed(runtime.redis, session)
    return await _fresh(session, scene_id, user.id)


async def replace_data(
    session: AsyncSession, runtime: Runtime, scene_id: uuid.UUID, user: Account, data: bytes
) -> SceneOut:
    scene = await _own(session, scene_id, user)
    inspected = await _inspect(runtime, user, data)
    kept = {key: value for key, value in (scene.settings or {}).items() if key not in PHYSICAL_SETTINGS}
    await repository.change(
        session,
        scene_id,
        settings={**kept, **inspected.settings},
        particle_count=inspected.particle_count,
        file_size_bytes=inspected.file_size_bytes,
    )
    await _store_objects(runtime, user.id, scene_id, data, inspected.thumbnail, replacing=True)
    await _forget(runtime, session, scene_id)
    await gallery_changed(runtime.redis, session)
    return await _fresh(session, scene_id, user.id)


async def delete(session: AsyncSession, runtime: Runtime, scene_id: uuid.UUID, user: Account) -> None:
    await _own(session, scene_id, user)
    await repository.remove(session, scene_id)
    await session.flush()

    async def remove_objects() -> None:  # once the deletion is durable; the orphan sweep catches failures
        await runtime.store.delete_prefix(SCENES, scene_folder(user.id, scene_id))

    after_commit(session, remove_objects)
    await _forget(runtime, session, scene_id, users=(user.id,))
    await gallery_changed(runtime.redis, session)


async def set_like(
    session: AsyncSession, runtime: Runtime, scene_id: uuid.UUID, user: Account, *, liked: bool
) -> LikeState:
    outcome = await repository.set_like(session, user.id, scene_id, liked=liked)
    if not outcome.visible:
        raise Problem(404, "There is no such scene.")  # no liking what you cannot see
    if outcome.changed:  # liking twice (or unliking what was not liked) moves no counter
        await _forget(runtime, session, scene_id, users=(outcome.author_id,))
    return LikeState(liked=liked, likes_count=outcome.likes_count)


async def _forkable(session: AsyncSession, scene_id: uuid.UUID, user: Account) -> Scene:
    """The live source row, locked against deletion while we copy it, if the user may fork it."""
    source = await _find(session, scene_id, user, lock="share")
    if source.author_id is None:
        raise Problem(404, "There is no such scene.")
    limits = limits_for(user)
    settings = source.settings or {}
    if int(settings.get("width", 0)) > limits.max_width or int(settings.get("height", 0)) > limits.max_height:
        raise Problem(
            422,
            f"This scene is {settings.get('width')}x{settings.get('height')}; the {limits.name} tier keeps scenes "
            f"up to {limits.max_width}x{limits.max_height}.",
            slug="scene-too-large",
        )
    return source


async def fork(session: AsyncSession, runtime: Runtime, scene_id: uuid.UUID, user: Account) -> SceneOut:
    source = await _forkable(session, scene_id, user)
    assert source.author_id is not None
    try:
        data = await runtime.store.get(SCENES, scene_data_key(source.author_id, source.id))
        thumb = await runtime.store.get(SCENES, scene_thumbnail_key(source.author_id, source.id))
    except ObjectNotFound:
        raise Problem(404, "This scene's files are missing; it cannot be forked.") from None
    await _reserve_slot(session, user)
    new_id = uuid.uuid4()
    scene = await _insert(
        session,
        user,
        new_id,
        title=source.title,
        description=source.description,
        settings=source.settings,
        particle_count=source.particle_count,
        file_size_bytes=source.file_size_bytes,
        is_public=False,
        forked_from_id=source.id,
    )
    await repository.bump_forks(session, source.id)
    await _store_objects(runtime, user.id, new_id, data, thumb)
    await _forget(runtime, session, source.id, users=(user.id,))
    return view_of(SceneRow(scene, user.username, user.avatar_url, False))


async def set_featured(
    session: AsyncSession, runtime: Runtime, scene_id: uuid.UUID, user: Account, *, featured: bool
) -> SceneOut:
    if not runtime.settings.is_admin(user.username):
        raise Problem(403, "Only admins can feature scenes.")
    scene = await _find(session, scene_id, user, lock="update")
    if featured and not scene.is_public:
        raise Problem(409, "Only public scenes can be featured.", slug="scene-private")
    await repository.change(session, scene_id, is_featured=featured)
    await _forget(runtime, session, scene_id)
    await gallery_changed(runtime.redis, session)
    return await _fresh(session, scene_id, user.id)


async def page_json(session: AsyncSession, runtime: Runtime, query: GalleryQuery, me: Account | None) -> bytes:
    """A gallery page as JSON. Signed-out visitors share pages cached for a few seconds (no liked_by_me)."""
    if me is not None:
        return (await page(session, query, me)).model_dump_json().encode()
    listing = repr((query.sort.value, query.limit, query.after, query.search))
    generation = await runtime.redis.get(keys.gallery_generation_key()) or b"0"
    key = keys.gallery_page_cache_key(cache.text_of(generation), listing)
    cached = await runtime.redis.get(key)
    if cached is not None:
        return cast(bytes, cached)  # the client does not decode replies (cache.client.connect)
    body = (await page(session, query, None)).model_dump_json().encode()
    await runtime.redis.set(key, body, ex=keys.GALLERY_PAGE_TTL)
    return body


async def gallery_changed(redis: Redis, session: AsyncSession) -> None:
    """Retire every cached gallery page, now and after the commit (likes and views do not call this)."""
    await redis.incr(keys.gallery_generation_key())

    async def again() -> None:
        await redis.incr(keys.gallery_generation_key())

    after_commit(session, again)


async def page(session: AsyncSession, query: GalleryQuery, me: Account | None) -> ScenePage:
    rows = await repository.gallery(session, query, me.id if me else None)
    items = [view_of(row) for row in rows]
    next_cursor = None
    if len(rows) == query.limit:
        next_cursor = cursor.encode(query.sort, repository.sort_key(rows[-1].scene, query.sort))
    return ScenePage(items=items, next_cursor=next_cursor)
