"""Rules about users: the account view and its cache, profile changes, passwords, deleting an account."""

from __future__ import annotations

import hashlib
import logging
import uuid

from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from particula.auth import passwords
from particula.auth import repository as tokens_repository
from particula.cache import client as cache
from particula.cache import keys
from particula.config import Settings
from particula.db.models import User
from particula.db.session import after_commit
from particula.errors import Problem
from particula.scenes import repository as scenes_repository
from particula.scenes.service import gallery_changed
from particula.storage import AVATARS, SCENES, ObjectStore, avatar_key
from particula.storage.keys import user_scenes_prefix
from particula.users import repository
from particula.users.schemas import Account, AccountUpdate, PasswordChange, PublicUser

log = logging.getLogger(__name__)


def account_of(user: User) -> Account:
    return Account(
        id=user.id,
        username=user.username,
        email=user.email,
        avatar_url=user.avatar_url,
        tier=user.tier or "free",
        tier_expires_at=user.tier_expires_at,
        total_likes_received=user.total_likes_received or 0,
        total_scenes=user.total_scenes or 0,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        oauth_provider=user.oauth_provider,
        has_password=user.password_hash is not None,
    )


async def account(session: AsyncSession, redis: Redis, user_id: uuid.UUID, *, active: bool = False) -> Account | None:
    """The account, read through cache:user:{id} (5 min).

    With `active`, the same round trip records presence in session:{userId} (lastActivity, 24 h).
    """
    key = keys.user_cache_key(user_id)
    cached = await (cache.get_and_touch_session(redis, key, user_id) if active else redis.get(key))
    if cached is not None:
        return Account.model_validate_json(cached)
    user = await repository.get(session, user_id)
    if user is None:
        return None
    view = account_of(user)
    await cache.set_json(redis, keys.user_cache_key(user_id), view.model_dump(mode="json"), ttl=keys.USER_CACHE_TTL)
    return view


async def forget(
    redis: Redis, session: AsyncSession, user_id: uuid.UUID, *usernames: str, presence: bool = False
) -> None:
    """Drop the cached account (and the given names' cache:username keys), now and after the commit.

    Call after every change to the row; `presence` drops session:{userId} too.
    """
    names = [keys.user_cache_key(user_id), *(keys.username_cache_key(name) for name in usernames)]
    if presence:
        names.append(keys.session_key(user_id))
    await cache.invalidate(redis, session, *names)


async def _reread(session: AsyncSession, user_id: uuid.UUID) -> Account:
    """The account from the row as it is now, read once after an UPDATE."""
    user = await repository.get(session, user_id, fresh=True)
    assert user is not None
    return account_of(user)


async def public_profile(session: AsyncSession, redis: Redis, username: str) -> PublicUser:
    name_key = keys.username_cache_key(username)
    cached_id = await redis.get(name_key)
    user_id = uuid.UUID(cache.text_of(cached_id)) if cached_id else None
    if user_id is None:
        user = await repository.by_username(session, username)
        if user is None:
            raise Problem(404, f"There is no user called {username!r}.")
        user_id = user.id
        await redis.set(name_key, str(user_id), ex=keys.USER_CACHE_TTL)
    found = await account(session, redis, user_id)
    if found is None:
        await cache.delete(redis, name_key)
        raise Problem(404, f"There is no user called {username!r}.")
    return found.public()


async def update_account(
    session: AsyncSession, redis: Redis, user: Account, change: AccountUpdate, *, settings: Settings
) -> Account:
    fields: dict[str, object] = {}
    if change.username is not None and change.username != user.username:
        if settings.is_admin(user.username):
            # Admins are named in PARTICULA_ADMINS: a freed admin name could be registered by anyone.
            raise Problem(409, "Admins keep their username; change PARTICULA_ADMINS first.", slug="admin-name")
        fields["username"] = change.username
    if change.email is not None and change.email.lower() != user.email:
        await _require_password(session, user.id, change.current_password, why="to change your email")
        fields["email"] = change.email.lower()
    if fields:
        try:
            await repository.change(session, user.id, **fields)
        except IntegrityError:
            taken = "username" if "username" in fields else "email"
            raise Problem(409, f"That {taken} is already in use.", slug=f"{taken}-taken") from None
        # cache:username:{name} only maps a name to the id: it goes stale only when the name changes.
        renamed = (user.username, str(fields["username"])) if "username" in fields else ()
        await forget(redis, session, user.id, *renamed)
        await gallery_changed(redis, session)  # cards show the author's name
    return await _reread(session, user.id)


async def set_avatar(
    session: AsyncSession, redis: Redis, store: ObjectStore, user_id: uuid.UUID, webp: bytes
) -> Account:
    """Store the (already converted) avatar and point the account at it."""
    await store.put(AVATARS, avatar_key(user_id), webp, content_type="image/webp")
    # The URL carries a content version, so a new avatar is a new URL that clients and caches fetch afresh.
    version = hashlib.sha256(webp).hexdigest()[:12]
    await repository.change(session, user_id, avatar_url=f"/api/v1/users/{user_id}/avatar?v={version}")
    await forget(redis, session, user_id)  # the name is unchanged: cache:username still maps it to this id
    await gallery_changed(redis, session)  # cards show the author's avatar
    return await _reread(session, user_id)


async def change_password(
    session: AsyncSession,
    redis: Redis,
    user: Account,
    change: PasswordChange,
    *,
    keep_session: uuid.UUID | None,
    recent_sign_in: bool,
) -> None:
    """Set a new password and sign out every other device."""
    if user.has_password:
        await _require_password(session, user.id, change.current_password, why="to change your password")
    elif not recent_sign_in:
        # No current password to ask for: a fresh sign-in stands in for it, so a stolen access token alone
        # cannot add a password to an account signed in with a provider.
        raise Problem(403, "Sign in again to set a password (within 10 minutes of signing in).", slug="sign-in-again")
    reason = passwords.weakness(change.new_password, username=user.username, email=user.email)
    if reason:
        raise Problem(422, f"The new password {reason}.", slug="weak-password")
    await repository.change(session, user.id, password_hash=await passwords.hash_password(change.new_password))
    await tokens_repository.revoke_all(session, user.id, keep_family=keep_session)
    await forget(redis, session, user.id)


async def delete_account(
    session: AsyncSession, redis: Redis, store: ObjectStore, user: Account, *, password: str | None
) -> None:
    """Remove the account, its rows (the seed's cascades) and its objects (avatar, scene files)."""
    if user.has_password:
        await _require_password(session, user.id, password, why="to delete your account")
    # Their likes vanish with the row (cascade): take them off the counters of the scenes they liked first.
    await scenes_repository.forget_likes_of(session, user.id)
    await repository.remove(session, user.id)  # flushed: the cascades have run

    async def remove_objects() -> None:  # only once the deletion is durable; the sweep catches any failure
        await store.delete(AVATARS, avatar_key(user.id))
        await store.delete_prefix(SCENES, user_scenes_prefix(user.id))

    after_commit(session, remove_objects)
    await forget(redis, session, user.id, user.username, presence=True)
    await gallery_changed(redis, session)  # their scenes leave the gallery


async def _require_password(session: AsyncSession, user_id: uuid.UUID, password: str | None, *, why: str) -> None:
    user = await repository.get(session, user_id)
    if password is None:
        raise Problem(422, f"Your current password is needed {why}.", slug="password-required")
    if user is None or not await passwords.verify_password(user.password_hash, password):
        raise Problem(403, "The current password is wrong.", slug="wrong-password")
