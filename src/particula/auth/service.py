"""Sign-in rules: registration, login with slow-down, rotating refresh tokens with theft detection, devices."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from particula.auth import passwords, repository, tokens
from particula.auth.schemas import Registration, SignedIn
from particula.cache import client as cache
from particula.cache import keys
from particula.db.models import User
from particula.db.session import violated_constraint
from particula.errors import Problem
from particula.users import repository as users
from particula.users.service import account_of, forget

log = logging.getLogger(__name__)

FREE_LOGIN_FAILURES = 5  # attempts on one account from one address before each further one has to wait
MAX_LOGIN_DELAY = 60  # seconds: the longest wait between guesses


@dataclass(frozen=True)
class Client:
    """Who is asking: shown in the device list."""

    ip: str | None
    user_agent: str | None


async def start_session(session: AsyncSession, redis: Redis, secret: str, user: User, client: Client) -> SignedIn:
    """Sign a user in on a new device: a refresh-token family, an access token, presence, last_login_at."""
    await users.touch_login(session, user.id)
    await session.refresh(user)
    await forget(redis, session, user.id)
    return await _issue_tokens(session, redis, secret, user, client, family_id=None)


async def _issue_tokens(
    session: AsyncSession,
    redis: Redis,
    secret: str,
    user: User,
    client: Client,
    *,
    family_id: uuid.UUID | None,
    signed_in: datetime | None = None,
) -> SignedIn:
    """A new refresh token in the device's family (None: a new device, signed in now) and an access token; records
    presence. `signed_in` is when an existing device signed in (repository.rotate says)."""
    refresh_token = tokens.new_refresh_token()
    family, created_at = await repository.insert(
        session,
        user_id=user.id,
        token_hash=tokens.refresh_token_hash(refresh_token),
        ttl_seconds=tokens.REFRESH_TOKEN_TTL,
        family_id=family_id,
        user_agent=(client.user_agent or "")[:500] or None,
        ip_address=client.ip,
    )
    await cache.touch_session(redis, user.id)
    # The device's sign-in time from the database clock, the same at sign-in and every refresh: its first token's.
    if family_id is None:
        signed_in = created_at
    return SignedIn(
        user=account_of(user),
        access_token=tokens.issue_access_token(
            secret,
            user.id,
            session_id=family,
            auth_time=int(signed_in.replace(tzinfo=UTC).timestamp()) if signed_in else None,
        ),
        refresh_token=refresh_token,
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
        taken = "username" if "username" in violated_constraint(error) else "email"
        raise Problem(409, f"That {taken} was just taken.", slug=f"{taken}-taken") from None
    return await start_session(session, redis, secret, user, client)


async def login(
    session: AsyncSession, redis: Redis, secret: str, login_name: str, password: str, client: Client
) -> SignedIn:
    user = await users.by_login(session, login_name)
    # Unknown names are throttled the same way, so a 429 never tells whether an account exists.
    subject = str(user.id) if user is not None else "name:" + login_name.strip().lower()
    throttle = keys.login_failures_key(subject, client.ip or "unknown")
    await _reserve_attempt(redis, throttle)
    if user is None or not await passwords.verify_password(user.password_hash, password):
        raise Problem(401, "Wrong email, username or password.", slug="invalid-credentials")
    await redis.delete(throttle)
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        await users.change(session, user.id, password_hash=await passwords.hash_password(password))
    return await start_session(session, redis, secret, user, client)


# Check and count an attempt in one step, so parallel guesses cannot all slip in before the count moves.
# Every attempt counts; a success deletes the key. From the FREE-th attempt on, the next one must wait
# 1, 2, 4 ... s, at most MAX_DELAY.
_RESERVE_ATTEMPT = """
local now = tonumber(ARGV[1])
local wait_until = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if wait_until > now then return math.ceil(wait_until - now) end
local attempts = redis.call('HINCRBY', KEYS[1], 'count', 1)
local free = tonumber(ARGV[2])
if attempts >= free then
  local delay = math.min(2 ^ (attempts - free), tonumber(ARGV[3]))
  redis.call('HSET', KEYS[1], 'until', tostring(now + delay))
end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 0
"""


async def _reserve_attempt(redis: Redis, throttle_key: str) -> None:
    args = (time.time(), FREE_LOGIN_FAILURES, MAX_LOGIN_DELAY, keys.LOGIN_FAILURES_TTL)
    wait = int(await redis.eval(_RESERVE_ATTEMPT, 1, throttle_key, *args))
    if wait > 0:
        raise Problem(
            429,
            f"Too many failed sign-ins for this account from here; try again in {wait} s.",
            slug="login-slowed-down",
            headers={"Retry-After": str(wait)},
        )


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
    user_id, family, signed_in = rotated
    user = await users.get(session, user_id)
    if user is None:
        raise Problem(401, "The account no longer exists.", slug="invalid-token")
    return await _issue_tokens(session, redis, secret, user, client, family_id=family, signed_in=signed_in)


async def logout(session: AsyncSession, token: str) -> None:
    """Sign out the device this refresh token belongs to; an unknown token is already signed out."""
    known = await repository.find(session, tokens.refresh_token_hash(token))
    if known is not None and known.user_id is not None:
        await repository.revoke_family(session, known.user_id, known.family_id)
