"""Sign-in rules: registration, login with slow-down, rotating refresh tokens with theft detection, devices."""

from __future__ import annotations

import logging
import math
import time
import uuid
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from particula.auth import passwords, repository, tokens
from particula.auth.schemas import Registration, SignedIn
from particula.cache import client as cache
from particula.cache import keys
from particula.db.models import User
from particula.errors import Problem
from particula.users import repository as users
from particula.users.service import account_of, forget

log = logging.getLogger(__name__)

FREE_LOGIN_FAILURES = 5  # failures on one account before each further attempt has to wait
MAX_LOGIN_DELAY = 60  # seconds: the longest a stranger's guesses can keep the owner out


@dataclass(frozen=True)
class Client:
    """Who is asking: shown in the device list."""

    ip: str | None
    user_agent: str | None


async def start_session(session: AsyncSession, redis: Redis, secret: str, user: User, client: Client) -> SignedIn:
    """Sign a user in on a new device: a refresh-token family, an access token, presence, last_login_at."""
    refresh = tokens.new_refresh_token()
    family = await repository.insert(
        session,
        user_id=user.id,
        token_hash=tokens.refresh_token_hash(refresh),
        ttl_seconds=tokens.REFRESH_TOKEN_TTL,
        family_id=None,
        user_agent=(client.user_agent or "")[:500] or None,
        ip_address=client.ip,
    )
    await users.touch_login(session, user.id)
    await session.refresh(user)
    await forget(redis, user.id)
    await cache.touch_session(redis, user.id)
    return SignedIn(
        user=account_of(user),
        access_token=tokens.issue_access_token(secret, user.id, session_id=family),
        refresh_token=refresh,
        expires_in=tokens.ACCESS_TOKEN_TTL,
    )


async def register(session: AsyncSession, redis: Redis, secret: str, form: Registration, client: Client) -> SignedIn:
    email = form.email.strip().lower()
    reason = passwords.weakness(form.password, username=form.username, email=email)
    if reason:
        raise Problem(
            422, f"The password {reason}.", slug="weak-password", errors=[{"field": "password", "message": reason}]
        )
    if await users.by_email(session, email) is not None:
        raise Problem(409, "An account with that email already exists.", slug="email-taken")
    if await users.username_taken(session, form.username):
        raise Problem(409, "That username is taken.", slug="username-taken")
    try:
        user = await users.create(
            session, email=email, username=form.username, password_hash=await passwords.hash_password(form.password)
        )
    except IntegrityError as error:  # a concurrent registration won the race for the name or email
        taken = "username" if "username" in str(error.orig) else "email"
        raise Problem(409, f"That {taken} was just taken.", slug=f"{taken}-taken") from None
    return await start_session(session, redis, secret, user, client)


async def login(
    session: AsyncSession, redis: Redis, secret: str, login_name: str, password: str, client: Client
) -> SignedIn:
    user = await users.by_login(session, login_name)
    if user is not None:
        await _refuse_while_slowed_down(redis, user.id)
    if user is None or not await passwords.verify_password(user.password_hash, password):
        if user is not None:
            await _count_failure(redis, user.id)
        raise Problem(401, "Wrong email, username or password.", slug="invalid-credentials")
    await cache.delete(redis, keys.login_failures_key(user.id))
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        await users.change(session, user.id, password_hash=await passwords.hash_password(password))
    return await start_session(session, redis, secret, user, client)


async def _refuse_while_slowed_down(redis: Redis, user_id: uuid.UUID) -> None:
    until = await redis.hget(keys.login_failures_key(user_id), "until")
    remaining = float(until or 0) - time.time()
    if remaining > 0:
        wait = math.ceil(remaining)
        raise Problem(
            429,
            f"Too many failed sign-ins on this account; try again in {wait} s.",
            slug="login-slowed-down",
            headers={"Retry-After": str(wait)},
        )


async def _count_failure(redis: Redis, user_id: uuid.UUID) -> None:
    key = keys.login_failures_key(user_id)
    failures = int(await redis.hincrby(key, "count", 1))
    if failures >= FREE_LOGIN_FAILURES:
        delay = min(2 ** (failures - FREE_LOGIN_FAILURES), MAX_LOGIN_DELAY)
        await redis.hset(key, "until", str(time.time() + delay))
    await redis.expire(key, keys.LOGIN_FAILURES_TTL)


class TokenTheft(Exception):
    """A rotated refresh token came back: every device of that user has been signed out."""


async def refresh(session: AsyncSession, redis: Redis, secret: str, token: str, client: Client) -> SignedIn:
    """Exchange a refresh token for a new pair; the old one stops working.

    Raises TokenTheft after revoking all of the user's tokens (the caller must still commit), or
    Problem 401 for an unknown or expired token.
    """
    token_hash = tokens.refresh_token_hash(token)
    rotated = await repository.rotate(session, token_hash)
    if rotated is None:
        known = await repository.find(session, token_hash)
        if known is not None and known.rotated_at is not None and known.user_id is not None:
            revoked = await repository.revoke_all(session, known.user_id)
            log.warning("refresh token reuse for user %s: revoked %d tokens", known.user_id, revoked)
            raise TokenTheft
        raise Problem(401, "The refresh token is not valid or has expired; sign in again.", slug="invalid-token")
    user_id, family = rotated
    user = await users.get(session, user_id)
    if user is None:
        raise Problem(401, "The account no longer exists.", slug="invalid-token")
    new = tokens.new_refresh_token()
    await repository.insert(
        session,
        user_id=user_id,
        token_hash=tokens.refresh_token_hash(new),
        ttl_seconds=tokens.REFRESH_TOKEN_TTL,
        family_id=family,
        user_agent=(client.user_agent or "")[:500] or None,
        ip_address=client.ip,
    )
    await cache.touch_session(redis, user_id)
    return SignedIn(
        user=account_of(user),
        access_token=tokens.issue_access_token(secret, user_id, session_id=family),
        refresh_token=new,
        expires_in=tokens.ACCESS_TOKEN_TTL,
    )


async def logout(session: AsyncSession, token: str) -> None:
    """Sign out the device this refresh token belongs to; an unknown token is already signed out."""
    known = await repository.find(session, tokens.refresh_token_hash(token))
    if known is not None and known.user_id is not None:
        await repository.revoke_family(session, known.user_id, known.family_id)
