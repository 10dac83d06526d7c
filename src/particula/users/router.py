"""HTTP: /users/me (read, change, delete, password, avatar) and public profiles."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import RedirectResponse, Response

from particula.auth.deps import CurrentSessionId, CurrentUser, RecentSignIn
from particula.deps import RedisDep, RuntimeDep, SessionDep, StoreDep
from particula.errors import Problem
from particula.storage import AVATARS, ObjectNotFound, avatar_key
from particula.users import service
from particula.users.avatars import AVATAR_MAX_BYTES, AvatarError, make_avatar
from particula.users.schemas import Account, AccountDeletion, AccountUpdate, PasswordChange, PublicUser

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", name="users.me", response_model=Account)
async def read_me(user: CurrentUser) -> Account:
    return user


@router.patch("/me", name="users.update", response_model=Account)
async def update_me(change: AccountUpdate, user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> Account:
    return await service.update_account(session, runtime.redis, user, change, settings=runtime.settings)


@router.put("/me/password", name="users.password", status_code=204)
async def change_password(
    change: PasswordChange,
    user: CurrentUser,
    session: SessionDep,
    redis: RedisDep,
    current: CurrentSessionId,
    recent: RecentSignIn,
) -> Response:
    await service.change_password(session, redis, user, change, keep_session=current, recent_sign_in=recent)
    return Response(status_code=204)


@router.delete("/me", name="users.delete", status_code=204)
async def delete_me(
    user: CurrentUser, session: SessionDep, redis: RedisDep, store: StoreDep, body: AccountDeletion | None = None
) -> Response:
    await service.delete_account(session, redis, store, user, password=body.password if body else None)
    return Response(status_code=204)


@router.put("/me/avatar", name="users.avatar", response_model=Account)
async def put_avatar(user: CurrentUser, session: SessionDep, runtime: RuntimeDep, file: UploadFile = File()) -> Account:
    data = await file.read(AVATAR_MAX_BYTES + 1)
    if len(data) > AVATAR_MAX_BYTES:
        raise Problem(413, f"The image is larger than {AVATAR_MAX_BYTES // (1024 * 1024)} MiB.")
    try:
        webp = await runtime.run_blocking(make_avatar, data)
    except AvatarError as error:
        raise Problem(422, str(error), slug="bad-image") from None
    return await service.set_avatar(session, runtime.redis, runtime.store, user.id, webp)


@router.get("/{user_id}/avatar", name="users.avatar.read", response_class=Response)
async def read_avatar(user_id: uuid.UUID, store: StoreDep) -> Response:
    """The avatar image: served from the file store, or a redirect to a signed S3/MinIO URL."""
    key = avatar_key(user_id)
    if store.kind == "s3":
        if not await store.exists(AVATARS, key):
            raise Problem(404, "This user has no avatar.")
        return RedirectResponse(await store.download_url(AVATARS, key), status_code=302)
    try:
        data = await store.get(AVATARS, key)
    except ObjectNotFound:
        raise Problem(404, "This user has no avatar.") from None
    # The URL carries a content version (?v=), so a new avatar is a new URL: safe to cache for long.
    return Response(data, media_type="image/webp", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/{username}", name="users.profile", response_model=PublicUser)
async def read_profile(username: str, session: SessionDep, redis: RedisDep) -> PublicUser:
    return await service.public_profile(session, redis, username)
