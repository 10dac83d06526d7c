"""Access tokens (short-lived JWTs, HS256 pinned) and refresh tokens (random, stored only as a hash)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

ACCESS_TOKEN_TTL = 15 * 60
REFRESH_TOKEN_TTL = 30 * 24 * 3600
ALGORITHM = "HS256"  # pinned: tokens naming any other algorithm, `none` included, are refused
ISSUER = "particula"


class InvalidToken(Exception):
    """The token is missing, malformed, forged, expired or of the wrong kind."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID | None  # the refresh-token family (device) this access token came from
    auth_time: int  # when the user last proved who they are on that device (epoch s), across refreshes

    def signed_in_within(self, seconds: int) -> bool:
        return time.time() - self.auth_time <= seconds


def issue_access_token(
    secret: str, user_id: uuid.UUID, *, session_id: uuid.UUID | None = None, auth_time: int | None = None
) -> str:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "sub": str(user_id),
        "iat": now,
        "exp": now + ACCESS_TOKEN_TTL,
        "typ": "access",
        "auth_time": now if auth_time is None else auth_time,
    }
    if session_id is not None:
        claims["sid"] = str(session_id)
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def read_access_token(secret: str, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
        if claims.get("typ") != "access":
            raise InvalidToken("not an access token")
        session = claims.get("sid")
        auth_time = int(claims.get("auth_time", claims["iat"]))
        return AccessClaims(uuid.UUID(claims["sub"]), uuid.UUID(session) if session else None, auth_time)
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the access token has expired") from None
    except (jwt.InvalidTokenError, ValueError, TypeError):
        raise InvalidToken("the access token is not valid") from None


def new_refresh_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def refresh_token_hash(token: str) -> str:
    # A plain SHA-256 is enough: the token has 256 bits of entropy, nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()
