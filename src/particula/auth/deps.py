"""Who is calling: `CurrentUser` (401 without a valid access token) and `OptionalUser`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from particula.auth.tokens import AccessClaims, InvalidToken, read_access_token
from particula.deps import RedisDep, SessionDep, runtime_of
from particula.errors import Problem
from particula.users.schemas import Account
from particula.users.service import account

_bearer = HTTPBearer(auto_error=False, description="An access token from /auth/login, /auth/register or /auth/refresh")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _unauthorized(detail: str) -> Problem:
    return Problem(401, detail, slug="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="particula"'})


async def access_claims(request: Request, credentials: Credentials) -> AccessClaims | None:
    # async (no await) so FastAPI calls it on the loop: an HMAC check costs less than a worker-thread hop
    if credentials is None:
        return None
    try:
        return read_access_token(runtime_of(request).secret_key, credentials.credentials)
    except InvalidToken as error:
        raise _unauthorized(f"{error}; sign in again or refresh it.") from None


Claims = Annotated[AccessClaims | None, Depends(access_claims)]


async def optional_user(claims: Claims, session: SessionDep, redis: RedisDep) -> Account | None:
    if claims is None:
        return None
    user = await account(session, redis, claims.user_id, active=True)  # presence: session:{userId}.lastActivity
    if user is None:
        raise _unauthorized("The account behind this token no longer exists.")
    return user


async def current_user(user: Annotated[Account | None, Depends(optional_user)]) -> Account:
    if user is None:
        raise _unauthorized("Sign in to do this.")
    return user


async def current_session_id(claims: Claims) -> uuid.UUID | None:
    return claims.session_id if claims else None


RECENT_SIGN_IN = 10 * 60


async def recent_sign_in(claims: Claims) -> bool:
    """Whether the caller signed in (password or provider) in the last 10 minutes, refreshes aside."""
    return claims is not None and claims.signed_in_within(RECENT_SIGN_IN)


RecentSignIn = Annotated[bool, Depends(recent_sign_in)]
CurrentUser = Annotated[Account, Depends(current_user)]
OptionalUser = Annotated[Account | None, Depends(optional_user)]
CurrentSessionId = Annotated[uuid.UUID | None, Depends(current_session_id)]
