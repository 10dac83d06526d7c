"""Rules of signing in with a provider: who a provider account is here, sign-up, linking and unlinking."""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from collections.abc import Iterator

from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from particula.auth.oauth import OAuthError, ProviderIdentity
from particula.auth.oauth_providers import title_of
from particula.auth.schemas import SignedIn
from particula.auth.service import Client, start_session
from particula.db.models import User
from particula.db.session import violated_constraint
from particula.errors import Problem
from particula.users import repository as users
from particula.users.schemas import Account
from particula.users.service import account_of, forget

USERNAME_MIN, USERNAME_MAX = 3, 50
FALLBACK_USERNAME = "player"
USERNAME_ATTEMPTS = 12  # taken names in a row before giving up; with random suffixes this never happens


async def sign_in_with_provider(
    session: AsyncSession, redis: Redis, secret: str, identity: ProviderIdentity, client: Client
) -> SignedIn:
    """Sign in the account this provider account is linked to, or create one for a newcomer."""
    user = await users.by_oauth(session, identity.provider, identity.subject)
    if user is None:
        user = await _sign_up(session, identity)
    return await start_session(session, redis, secret, user, client)


async def _sign_up(session: AsyncSession, identity: ProviderIdentity) -> User:
    title = title_of(identity.provider)
    if identity.email is None or not identity.email_verified:
        # An unverified address proves nothing: whoever typed it could claim someone else's account later.
        raise OAuthError("unverified_email", f"Your {title} account has no verified email address; verify one first.")
    email = identity.email.strip().lower()
    if await users.by_email(session, email) is not None:
        raise _email_in_use(title)
    for username in username_candidates(derive_username(identity.username_hint, email)):
        if await users.username_taken(session, username):
            continue
        try:
            # A savepoint: losing a race for the name leaves the transaction usable for the next candidate.
            async with session.begin_nested():
                return await users.create(
                    session,
                    email=email,
                    username=username,
                    password_hash=None,
                    oauth_provider=identity.provider,
                    oauth_id=identity.subject,
                )
        except IntegrityError as error:
            if "username" not in violated_constraint(error):
                return await _lost_race(session, identity, title)
    raise Problem(409, "We could not find a free username for you; please try again.", slug="username-taken")


async def _lost_race(session: AsyncSession, identity: ProviderIdentity, title: str) -> User:
    """A concurrent request created this provider account (a double click) or took the email meanwhile."""
    user = await users.by_oauth(session, identity.provider, identity.subject)
    if user is None:
        raise _email_in_use(title)
    return user


def _email_in_use(title: str) -> Problem:
    # Never linked silently: owning a provider account with this address does not prove owning ours.
    return Problem(
        409,
        f"An account with this email already exists. Sign in with your password, then link {title} "
        "from your account settings.",
        slug="email-in-use",
    )


def derive_username(hint: str, email: str) -> str:
    """A valid username from the provider's name (or the email's local part), before making it unique."""
    for candidate in (hint, email.partition("@")[0]):
        # "Zoë Ångström" -> "Zoe_Angstrom": accents dropped, every other run of disallowed characters one "_".
        ascii_text = unicodedata.normalize("NFKD", candidate).encode("ascii", "ignore").decode()
        cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", ascii_text).strip("_-")[:USERNAME_MAX]
        if len(cleaned) >= USERNAME_MIN:
            return cleaned
    return FALLBACK_USERNAME


def username_candidates(base: str) -> Iterator[str]:
    """The name itself, then the name with random digits appended (more digits as collisions go on)."""
    yield base
    for attempt in range(1, USERNAME_ATTEMPTS):
        digits = 2 + 2 * (attempt // 4)  # 2, then 4, then 6 digits
        suffix = str(secrets.randbelow(9 * 10 ** (digits - 1)) + 10 ** (digits - 1))
        yield base[: USERNAME_MAX - len(suffix)] + suffix


async def link_provider(session: AsyncSession, redis: Redis, user_id: uuid.UUID, identity: ProviderIdentity) -> Account:
    """Link the provider account to the user who started the link, who can then sign in with it."""
    title = title_of(identity.provider)
    owner = await users.by_oauth(session, identity.provider, identity.subject)
    if owner is not None and owner.id != user_id:
        raise _identity_taken(title)
    row = await _row(session, user_id, missing="The account this link was started for no longer exists.")
    if (row.oauth_provider, row.oauth_id) == (identity.provider, identity.subject):
        return account_of(row)  # linked already: linking again changes nothing
    ensure_can_link(row.oauth_provider)
    try:
        async with session.begin_nested():
            await users.change(session, user_id, oauth_provider=identity.provider, oauth_id=identity.subject)
    except IntegrityError:  # the same provider account was linked or signed up a moment ago
        raise _identity_taken(title) from None
    return await _changed(session, redis, row)


def ensure_can_link(linked_provider: str | None) -> None:
    """Refuse to link a provider while another one is linked: the seed's users row holds one (ARCHITECTURE.md)."""
    if linked_provider is not None:
        linked = title_of(linked_provider)
        raise Problem(409, f"{linked} is linked to your account; unlink it first.", slug="provider-already-linked")


def _identity_taken(title: str) -> Problem:
    return Problem(409, f"This {title} account belongs to another Particula account.", slug="oauth-account-in-use")


async def unlink_provider(session: AsyncSession, redis: Redis, user: Account, provider: str) -> Account:
    """Unlink the provider, as long as a password remains to sign in with."""
    row = await _row(session, user.id)
    if row.oauth_provider != provider:
        raise Problem(404, f"{title_of(provider)} is not linked to your account.")
    if row.password_hash is None:
        raise Problem(
            409,
            f"Set a password first: {title_of(provider)} is the only way you can sign in.",
            slug="last-sign-in-method",
        )
    await users.change(session, user.id, oauth_provider=None, oauth_id=None)
    return await _changed(session, redis, row)


async def _row(session: AsyncSession, user_id: uuid.UUID, *, missing: str = "Your account no longer exists.") -> User:
    # The cached Account may be minutes old; link rules read the row itself.
    row = await users.get(session, user_id)
    if row is None:
        raise Problem(404, missing)
    return row


async def _changed(session: AsyncSession, redis: Redis, row: User) -> Account:
    await session.refresh(row)
    await forget(redis, session, row.id)
    return account_of(row)
