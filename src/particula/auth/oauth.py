"""OAuth sign-in state: begin() remembers a sign-in in Redis, complete() finishes it; identities and errors."""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from redis.asyncio import Redis

from particula.cache import keys

if TYPE_CHECKING:  # the providers import this module for its errors and identity
    from particula.auth.oauth_providers import Provider

_MAX_STATE_LENGTH = 128  # ours are 43 characters; anything longer is not worth a Redis round trip

OAuthErrorCode = Literal[
    "access_denied", "invalid_state", "exchange_failed", "provider_error", "invalid_id_token", "unverified_email"
]


@dataclass(frozen=True)
class ProviderIdentity:
    """What a provider tells us about the person who consented."""

    provider: str
    subject: str  # the provider's stable account id (oauth_id)
    email: str | None
    email_verified: bool
    username_hint: str  # a suggestion to derive a username from; not validated


@dataclass
class PendingLogin:
    """What begin() remembers under the state until the provider sends the person back."""

    provider: str
    code_verifier: str
    nonce: str
    link_user_id: str | None
    return_to: str


class OAuthError(Exception):
    """A provider sign-in that did not succeed: `code` is stable for clients, `message` is for people."""

    def __init__(self, code: OAuthErrorCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code: OAuthErrorCode = code
        self.message = message


def _local_path(return_to: str) -> str:
    """Only a path on our own site, so the end of a sign-in can never become an open redirect."""
    parts = urlsplit(return_to)
    unsafe = (
        not return_to.startswith("/")
        or return_to.startswith("//")
        or "\\" in return_to
        or parts.scheme
        or parts.netloc
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in return_to)
    )
    return "/" if unsafe else return_to


async def begin(
    redis: Redis,
    provider: Provider,
    *,
    redirect_uri: str,
    link_user_id: str | None = None,
    return_to: str = "/",
) -> str:
    """Start a sign-in (or a link to `link_user_id`): remember it under a fresh state; the URL to send the browser to.

    A `return_to` that is not a local path becomes "/".
    """
    state = secrets.token_urlsafe(32)  # 256 bits
    pending = PendingLogin(
        provider=provider.name,
        code_verifier=secrets.token_urlsafe(64),  # 86 characters, inside RFC 7636's 43-128
        nonce=secrets.token_urlsafe(32),
        link_user_id=link_user_id,
        return_to=_local_path(return_to),
    )
    # The URL first: if the provider is unreachable nothing is left behind in Redis.
    url = await provider.authorization_url(
        state=state, code_verifier=pending.code_verifier, nonce=pending.nonce, redirect_uri=redirect_uri
    )
    await redis.set(keys.oauth_state_key(state), json.dumps(asdict(pending)), ex=keys.OAUTH_STATE_TTL)
    return url


async def _take_pending(redis: Redis, state: str | None) -> PendingLogin | None:
    if not state or len(state) > _MAX_STATE_LENGTH:
        return None
    # GETDEL: the state is spent by the first callback that presents it, even if that sign-in then fails.
    raw = await redis.getdel(keys.oauth_state_key(state))
    if raw is None:
        return None
    try:
        return PendingLogin(**json.loads(raw))
    except (ValueError, TypeError):
        return None


async def complete(
    redis: Redis,
    provider: Provider,
    *,
    state: str | None,
    code: str | None,
    error: str | None,
    redirect_uri: str,
) -> tuple[PendingLogin, ProviderIdentity]:
    """Finish a sign-in from the provider's callback parameters: what begin() remembered and who signed in."""
    pending = await _take_pending(redis, state)
    if pending is None or pending.provider != provider.name:
        raise OAuthError("invalid_state", "This sign-in link has expired or was already used; please start again.")
    if error == "access_denied":
        raise OAuthError("access_denied", f"You declined to sign in with {provider.title}.")
    if error is not None or not code:
        raise OAuthError("provider_error", f"{provider.title} could not complete the sign-in ({error or 'no code'}).")
    identity = await provider.identify(
        code=code, code_verifier=pending.code_verifier, nonce=pending.nonce, redirect_uri=redirect_uri
    )
    return pending, identity
