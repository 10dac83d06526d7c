"""The OAuth protocol layer: Google (OpenID Connect), GitHub and Discord sign-in, state kept in Redis."""

from __future__ import annotations

import hmac
import json
import secrets
import time
import warnings
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import httpx
import jwt
from authlib.common.errors import AuthlibBaseError
from redis.asyncio import Redis

from particula.config import Settings

with warnings.catch_warnings():
    # Authlib 1.9 warns once on import that it falls back to httpx when httpx2 is absent; httpx is our client.
    import authlib.deprecate

    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

HTTP_TIMEOUT = httpx.Timeout(10.0)
STATE_TTL = 10 * 60
_MAX_STATE_LENGTH = 128  # ours are 43 characters; anything longer is not worth a Redis round trip
_METADATA_TTL = 3600.0  # discovery document and JWKS are cached this long (seconds)

OAuthErrorCode = Literal[
    "access_denied", "invalid_state", "exchange_failed", "provider_error", "invalid_id_token", "unverified_email"
]


# key: oauth:state:{state}, TTL 10 min (STATE_TTL). To move to cache/keys.py.
def oauth_state_key(state: str) -> str:
    """JSON of a PendingLogin: one sign-in started with a provider and not yet finished."""
    return f"oauth:state:{state}"


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


def _provider_error(title: str, what: str) -> OAuthError:
    return OAuthError("provider_error", f"{title} sent an answer we could not use ({what}); please try again.")


async def _fetch_json(
    client: httpx.AsyncClient, url: str, *, title: str, kind: type = dict, headers: dict[str, str] | None = None
) -> Any:
    """GET a JSON `kind`; a transport error, an error status or any other body is a provider_error."""
    what = f"GET {urlsplit(url).path}"
    try:
        response = await client.get(url, headers=headers)
        response.raise_for_status()
        value = response.json()
    except (httpx.HTTPError, ValueError, AuthlibBaseError) as error:
        raise _provider_error(title, what) from error
    if not isinstance(value, kind):
        raise _provider_error(title, what)
    return value


def _subject(value: Any, *, title: str) -> str:
    # GitHub ids are numbers, Discord's and Google's strings; bool is an int in Python and never an id.
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
        raise _provider_error(title, "no account id")
    return str(value)


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class Provider(ABC):
    """One OAuth provider: builds its authorization URL and turns a returned code into an identity."""

    name: ClassVar[str]
    title: ClassVar[str]  # how people know it, for messages
    scope: ClassVar[str]

    def __init__(self, *, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self._client_secret = client_secret

    def _client(self, redirect_uri: str) -> Any:
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self._client_secret,
            token_endpoint_auth_method="client_secret_post",  # noqa: S106 (a method name, not a secret)
            scope=self.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=HTTP_TIMEOUT,
        )

    @abstractmethod
    async def _endpoints(self) -> tuple[str, str]:
        """The authorization and token endpoints."""

    def _authorize_params(self, *, nonce: str) -> dict[str, str]:
        return {}

    @abstractmethod
    async def _identity(self, client: Any, token: dict[str, Any], *, nonce: str) -> ProviderIdentity:
        """Ask the provider (with the access token in `client`) who signed in."""

    async def authorization_url(self, *, state: str, code_verifier: str, nonce: str, redirect_uri: str) -> str:
        """Where to send the person's browser to consent."""
        authorize, _ = await self._endpoints()
        async with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                authorize, state=state, code_verifier=code_verifier, **self._authorize_params(nonce=nonce)
            )
        return str(url)

    async def identify(self, *, code: str, code_verifier: str, nonce: str, redirect_uri: str) -> ProviderIdentity:
        """Exchange the code (with the PKCE verifier) for a token and learn who signed in."""
        _, token_url = await self._endpoints()
        async with self._client(redirect_uri) as client:
            token = await self._exchange(client, token_url, code=code, code_verifier=code_verifier)
            return await self._identity(client, token, nonce=nonce)

    async def _exchange(self, client: Any, token_url: str, *, code: str, code_verifier: str) -> dict[str, Any]:
        refused = OAuthError("exchange_failed", f"{self.title} did not accept this sign-in; please start again.")
        try:
            token = await client.fetch_token(
                token_url, grant_type="authorization_code", code=code, code_verifier=code_verifier
            )
        except AuthlibBaseError as error:  # an {"error": ...} answer: a used, expired or mismatched code
            raise refused from error
        except httpx.HTTPStatusError as error:
            if error.response.status_code < 500:
                raise refused from error
            raise _provider_error(self.title, "token endpoint failed") from error
        except (httpx.HTTPError, ValueError, TypeError) as error:
            raise _provider_error(self.title, "token endpoint") from error
        if not isinstance(token.get("access_token"), str):
            raise _provider_error(self.title, "no access token")
        return dict(token)


class GoogleProvider(Provider):
    """Google through OpenID Connect: endpoints from discovery, identity from the verified id_token."""

    name = "google"
    title = "Google"
    scope = "openid email profile"

    def __init__(self, *, client_id: str, client_secret: str, base_url: str) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret)
        self._discovery_url = f"{base_url.rstrip('/')}/.well-known/openid-configuration"
        self._discovery: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, jwt.PyJWKSet] | None = None

    async def _metadata(self) -> dict[str, Any]:
        if self._discovery is not None and self._discovery[0] > time.monotonic():
            return self._discovery[1]
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
            document: dict[str, Any] = await _fetch_json(http, self._discovery_url, title=self.title)
        needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        if not all(isinstance(document.get(field), str) for field in needed):
            raise _provider_error(self.title, "discovery document")
        self._discovery = (time.monotonic() + _METADATA_TTL, document)
        return document

    async def _endpoints(self) -> tuple[str, str]:
        document = await self._metadata()
        return document["authorization_endpoint"], document["token_endpoint"]

    def _authorize_params(self, *, nonce: str) -> dict[str, str]:
        return {"nonce": nonce}

    async def _identity(self, client: Any, token: dict[str, Any], *, nonce: str) -> ProviderIdentity:
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise _provider_error(self.title, "no id_token")
        claims = await self._verify_id_token(id_token, nonce=nonce)
        email = _optional_text(claims.get("email"))
        hint = _optional_text(claims.get("name")) or (email.split("@")[0] if email else "")
        return ProviderIdentity(
            provider=self.name,
            subject=_subject(claims.get("sub"), title=self.title),
            email=email,
            email_verified=email is not None and claims.get("email_verified") in (True, "true"),
            username_hint=hint,
        )

    async def _verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """The id_token's claims once its RS256 signature, issuer, audience, expiry and nonce all check out."""
        document = await self._metadata()
        invalid = OAuthError("invalid_id_token", f"{self.title}'s answer could not be verified; please start again.")
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
            key = await self._signing_key(document["jwks_uri"], kid)
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=["RS256"],  # pinned: never "none", never an HMAC keyed with the public key
                audience=self.client_id,
                issuer=document["issuer"],
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                leeway=60,
            )
        except jwt.PyJWTError as error:
            raise invalid from error
        # The nonce ties this token to the browser that started the sign-in, so a token replayed from elsewhere fails.
        if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(claims["nonce"], nonce):
            raise invalid
        if claims.get("azp", self.client_id) != self.client_id:
            raise invalid
        return claims

    async def _signing_key(self, jwks_uri: str, kid: object) -> Any:
        # Providers rotate keys: an unknown kid earns one fresh download before we give up.
        for fresh in (False, True):
            for key in await self._key_set(jwks_uri, fresh=fresh):
                if key.key_id == kid and key.key_type == "RSA":
                    return key.key
        raise jwt.InvalidKeyError(f"no RSA key with kid {kid!r}")

    async def _key_set(self, jwks_uri: str, *, fresh: bool) -> jwt.PyJWKSet:
        if not fresh and self._keys is not None and self._keys[0] > time.monotonic():
            return self._keys[1]
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
            data: dict[str, Any] = await _fetch_json(http, jwks_uri, title=self.title)
        try:
            key_set = jwt.PyJWKSet.from_dict(data)
        except jwt.PyJWTError as error:
            raise _provider_error(self.title, "JWKS") from error
        self._keys = (time.monotonic() + _METADATA_TTL, key_set)
        return key_set


class GitHubProvider(Provider):
    """GitHub OAuth apps: the account from /user, the primary email from /user/emails."""

    name = "github"
    title = "GitHub"
    scope = "read:user user:email"
    _api_headers: ClassVar[dict[str, str]] = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }

    def __init__(self, *, client_id: str, client_secret: str, base_url: str, api_url: str) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret)
        self._base_url = base_url.rstrip("/")
        self._api_url = api_url.rstrip("/")

    async def _endpoints(self) -> tuple[str, str]:
        return f"{self._base_url}/login/oauth/authorize", f"{self._base_url}/login/oauth/access_token"

    async def _identity(self, client: Any, token: dict[str, Any], *, nonce: str) -> ProviderIdentity:
        api, headers, title = self._api_url, self._api_headers, self.title
        user: dict[str, Any] = await _fetch_json(client, f"{api}/user", title=title, headers=headers)
        emails: list[Any] = await _fetch_json(client, f"{api}/user/emails", title=title, kind=list, headers=headers)
        # The public profile email is whatever the person typed; only /user/emails says which one is verified.
        primary = next((entry for entry in emails if isinstance(entry, dict) and entry.get("primary") is True), {})
        email = _optional_text(primary.get("email"))
        return ProviderIdentity(
            provider=self.name,
            subject=_subject(user.get("id"), title=title),
            email=email,
            email_verified=email is not None and primary.get("verified") is True,
            username_hint=_optional_text(user.get("login")) or "",
        )


class DiscordProvider(Provider):
    """Discord: the account and its email from /api/users/@me."""

    name = "discord"
    title = "Discord"
    scope = "identify email"

    def __init__(self, *, client_id: str, client_secret: str, base_url: str) -> None:
        super().__init__(client_id=client_id, client_secret=client_secret)
        self._base_url = base_url.rstrip("/")

    async def _endpoints(self) -> tuple[str, str]:
        return f"{self._base_url}/oauth2/authorize", f"{self._base_url}/api/oauth2/token"

    async def _identity(self, client: Any, token: dict[str, Any], *, nonce: str) -> ProviderIdentity:
        me: dict[str, Any] = await _fetch_json(client, f"{self._base_url}/api/users/@me", title=self.title)
        email = _optional_text(me.get("email"))
        return ProviderIdentity(
            provider=self.name,
            subject=_subject(me.get("id"), title=self.title),
            email=email,
            email_verified=email is not None and me.get("verified") is True,
            username_hint=_optional_text(me.get("username")) or "",
        )


def enabled_providers(settings: Settings) -> dict[str, Provider]:
    """The providers whose client id and secret are both configured, by name.

    Build this once per app: Google's discovery document and keys are cached on the provider object.
    """
    providers: list[Provider] = []
    if settings.oauth_google_client_id and settings.oauth_google_client_secret:
        providers.append(
            GoogleProvider(
                client_id=settings.oauth_google_client_id,
                client_secret=settings.oauth_google_client_secret,
                base_url=settings.oauth_google_base_url,
            )
        )
    if settings.oauth_github_client_id and settings.oauth_github_client_secret:
        providers.append(
            GitHubProvider(
                client_id=settings.oauth_github_client_id,
                client_secret=settings.oauth_github_client_secret,
                base_url=settings.oauth_github_base_url,
                api_url=settings.oauth_github_api_url,
            )
        )
    if settings.oauth_discord_client_id and settings.oauth_discord_client_secret:
        providers.append(
            DiscordProvider(
                client_id=settings.oauth_discord_client_id,
                client_secret=settings.oauth_discord_client_secret,
                base_url=settings.oauth_discord_base_url,
            )
        )
    return {provider.name: provider for provider in providers}


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
    await redis.set(oauth_state_key(state), json.dumps(asdict(pending)), ex=STATE_TTL)
    return url


async def _take_pending(redis: Redis, state: str | None) -> PendingLogin | None:
    if not state or len(state) > _MAX_STATE_LENGTH:
        return None
    # GETDEL: the state is spent by the first callback that presents it, even if that sign-in then fails.
    raw = await redis.getdel(oauth_state_key(state))
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
