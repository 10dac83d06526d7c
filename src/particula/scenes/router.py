"""HTTP: /scenes (create, gallery, read, data, thumbnail, change, delete, like, fork, feature), /users/{name}/scenes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from particula.auth.deps import CurrentUser, OptionalUser
from particula.deps import RuntimeDep, SessionDep
from particula.errors import Problem
from particula.ratelimit import client_ip
from particula.scenes import cursor, service
from particula.scenes.repository import GalleryQuery
from particula.scenes.schemas import GallerySort, LikeState, SceneChange, SceneMeta, SceneOut, ScenePage
from particula.storage import SCENES, ObjectNotFound
from particula.users import repository as users
from particula.users.tiers import SCENE_FILE_MAX_BYTES

router = APIRouter(tags=["scenes"])

SceneId = Annotated[uuid.UUID, "the scene's id"]
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page")]
Cursor = Annotated[str | None, Query(alias="cursor", max_length=512, description="next_cursor of the previous page")]
Search = Annotated[str | None, Query(max_length=200, description="Words to find in titles and descriptions")]


async def _read_scene_file(upload: UploadFile) -> bytes:
    data = await upload.read(SCENE_FILE_MAX_BYTES + 1)
    if len(data) > SCENE_FILE_MAX_BYTES:
        raise Problem(
            422, f"The scene file is larger than {SCENE_FILE_MAX_BYTES // (1024 * 1024)} MiB.", slug="bad-scene-file"
        )
    return data


def _parse_meta(text: str) -> SceneMeta:
    try:
        return SceneMeta.model_validate_json(text)
    except ValidationError as error:
        fields = [
            {"field": "meta." + ".".join(str(p) for p in item["loc"]), "message": item["msg"]}
            for item in error.errors()
        ]
        raise Problem(422, "; ".join(f"{f['field']}: {f['message']}" for f in fields), errors=fields) from None


@router.post("/scenes", name="scenes.create", status_code=201, response_model=SceneOut)
async def create_scene(
    user: CurrentUser,
    session: SessionDep,
    runtime: RuntimeDep,
    meta: str = Form(description="JSON: {title, description, settings, is_public}"),
    data: UploadFile = File(description="The scene file (data.bin)"),
) -> SceneOut:
    return await service.create(runtime, session, user, _parse_meta(meta), await _read_scene_file(data))


@router.get("/scenes", name="scenes.list", response_model=ScenePage, response_class=Response)
async def list_scenes(
    session: SessionDep,
    runtime: RuntimeDep,
    me: OptionalUser,
    sort: GallerySort = GallerySort.new,
    limit: Limit = 24,
    cursor_text: Cursor = None,
    q: Search = None,
) -> Response:
    after = cursor.decode(cursor_text, sort) if cursor_text else None
    query = GalleryQuery(sort=sort, limit=limit, after=after, search=q or None)
    body = await service.page_json(session, runtime, query, me)
    return Response(body, media_type="application/json")


@router.get("/users/{username}/scenes", name="scenes.by_user", response_model=ScenePage)
async def list_user_scenes(
    username: str,
    session: SessionDep,
    me: OptionalUser,
    limit: Limit = 24,
    cursor_text: Cursor = None,
) -> ScenePage:
    author = await users.by_username(session, username)
    if author is None:
        raise Problem(404, f"There is no user called {username!r}.")
    after = cursor.decode(cursor_text, GallerySort.new) if cursor_text else None
    mine = me is not None and me.id == author.id
    query = GalleryQuery(sort=GallerySort.new, limit=limit, after=after, author_id=author.id, include_private=mine)
    return await service.page(session, query, me)


@router.get("/scenes/{scene_id}", name="scenes.read", response_model=SceneOut, response_class=Response)
async def read_scene(
    scene_id: SceneId, request: Request, session: SessionDep, runtime: RuntimeDep, me: OptionalUser
) -> Response:
    viewer_key = str(me.id) if me else f"ip:{client_ip(request)}"
    scene = await service.read(session, runtime, scene_id, me, viewer_key=viewer_key)
    body = scene if isinstance(scene, bytes) else scene.model_dump_json().encode()
    return Response(body, media_type="application/json")


async def _serve_object(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    me: OptionalUser,
    scene_id: uuid.UUID,
    *,
    thumbnail: bool,
) -> Response:
    key, scene = await service.object_key(session, runtime, scene_id, me, thumbnail=thumbnail)
    version = service.version_of(scene.updated_at)
    etag = f'"{scene.id}-{version}{"-t" if thumbnail else ""}"'
    caching = "public, max-age=60" if scene.is_public else "private, max-age=60"
    headers = {"ETag": etag, "Cache-Control": caching}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if runtime.store.kind == "s3":
        return RedirectResponse(await runtime.store.download_url(SCENES, key), status_code=302, headers=headers)
    try:
        body = await runtime.store.get(SCENES, key)
    except ObjectNotFound:
        raise Problem(404, "The scene's file is missing.") from None
    media = "image/webp" if thumbnail else "application/octet-stream"
    return Response(body, media_type=media, headers=headers)


@router.get("/scenes/{scene_id}/data", name="scenes.data", response_class=Response)
async def read_scene_data(
    scene_id: SceneId, request: Request, session: SessionDep, runtime: RuntimeDep, me: OptionalUser
) -> Response:
    return await _serve_object(request, session, runtime, me, scene_id, thumbnail=False)


@router.get("/scenes/{scene_id}/thumbnail", name="scenes.thumbnail", response_class=Response)
async def read_scene_thumbnail(
    scene_id: SceneId, request: Request, session: SessionDep, runtime: RuntimeDep, me: OptionalUser
) -> Response:
    return await _serve_object(request, session, runtime, me, scene_id, thumbnail=True)


@router.patch("/scenes/{scene_id}", name="scenes.update", response_model=SceneOut)
async def update_scene(
    scene_id: SceneId, change: SceneChange, user: CurrentUser, session: SessionDep, runtime: RuntimeDep
) -> SceneOut:
    return await service.update(session, runtime, scene_id, user, change)


@router.put("/scenes/{scene_id}/data", name="scenes.replace_data", response_model=SceneOut)
async def replace_scene_data(
    scene_id: SceneId, user: CurrentUser, session: SessionDep, runtime: RuntimeDep, data: UploadFile = File()
) -> SceneOut:
    return await service.replace_data(session, runtime, scene_id, user, await _read_scene_file(data))


@router.delete("/scenes/{scene_id}", name="scenes.delete", status_code=204)
async def delete_scene(scene_id: SceneId, user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> Response:
    await service.delete(session, runtime, scene_id, user)
    return Response(status_code=204)


@router.put("/scenes/{scene_id}/like", name="scenes.like", response_model=LikeState)
async def like_scene(scene_id: SceneId, user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> LikeState:
    return await service.set_like(session, runtime, scene_id, user, liked=True)


@router.delete("/scenes/{scene_id}/like", name="scenes.unlike", response_model=LikeState)
async def unlike_scene(scene_id: SceneId, user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> LikeState:
    return await service.set_like(session, runtime, scene_id, user, liked=False)


@router.post("/scenes/{scene_id}/fork", name="scenes.fork", status_code=201, response_model=SceneOut)
async def fork_scene(scene_id: SceneId, user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> SceneOut:
    return await service.fork(session, runtime, scene_id, user)


@router.put("/scenes/{scene_id}/feature", name="scenes.feature", response_model=SceneOut)
async def feature_scene(scene_id: SceneId, user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> SceneOut:
    return await service.set_featured(session, runtime, scene_id, user, featured=True)


@router.delete("/scenes/{scene_id}/feature", name="scenes.unfeature", response_model=SceneOut)
async def unfeature_scene(scene_id: SceneId, user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> SceneOut:
    return await service.set_featured(session, runtime, scene_id, user, featured=False)
