"""The OAuth providers: Google (OpenID Connect), GitHub and Discord, and which of them are configured."""

from __future__ import annotations

import hmac
import time
import warnings
from abc import ABC, abstractmethod
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
import jwt
from authlib.common.errors import AuthlibBaseError
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from particula.auth.oauth import OAuthError, ProviderIdentity
from particula.config import Settings

with warnings.catch_warnings():
    # Authlib 1.9 warns once on import that it falls back to httpx when httpx2 is absent; httpx is our client.
    import authlib.deprecate

    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

HTTP_TIMEOUT = httpx.Timeout(10.0)
_METADATA_TTL = 3600.0  # discovery document and JWKS are cached this long (seconds)
# Built once: a client left to build its own loads the CA bundle (~20 ms blocking the event loop) every time.
_TLS = httpx.create_ssl_context()


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

    def __init__(self, *, client_id: str, client_secret: str, base_url: str) -> None:
        self.client_id = client_id
        self._client_secret = client_secret
        self._base_url = base_url.rstrip("/")

    def _client(self, redirect_uri: str) -> Any:
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self._client_secret,
            token_endpoint_auth_method="client_secret_post",  # noqa: S106 (a method name, not a secret)
            scope=self.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=HTTP_TIMEOUT,
            verify=_TLS,
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
        url: str = prepare_grant_uri(  # only formats the URL: no HTTP client needed
            authorize,
            client_id=self.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=self.scope,
            state=state,
            **self._authorize_params(nonce=nonce),
            code_challenge=create_s256_code_challenge(code_verifier),
            code_challenge_method="S256",
        )
        return url

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
        super().__init__(client_id=client_id, client_secret=client_secret, base_url=base_url)
        self._discovery_url = f"{self._base_url}/.well-known/openid-configuration"
        self._discovery: tuple[float, dict[str, Any]] | None = None
        self._keys: tuple[float, jwt.PyJWKSet] | None = None

    async def _metadata(self) -> dict[str, Any]:
        if self._discovery is not None and self._discovery[0] > time.monotonic():
            return self._discovery[1]
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, verify=_TLS) as http:
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
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, verify=_TLS) as http:
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
        super().__init__(client_id=client_id, client_secret=client_secret, base_url=base_url)
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


# Each provider reads the settings oauth_<name>_client_id, _client_secret, _base_url and these further URLs.
_KINDS: tuple[tuple[type[Provider], tuple[str, ...]], ...] = (
    (GoogleProvider, ()),
    (GitHubProvider, ("api_url",)),
    (DiscordProvider, ()),
)


def enabled_providers(settings: Settings) -> dict[str, Provider]:
    """The providers with a client id and secret, by name; build once per app (each caches its metadata)."""
    providers: dict[str, Provider] = {}
    for kind, url_options in _KINDS:
        prefix = f"oauth_{kind.name}_"
        client_id = getattr(settings, f"{prefix}client_id")
        client_secret = getattr(settings, f"{prefix}client_secret")
        if client_id and client_secret:
            urls: dict[str, str] = {option: getattr(settings, prefix + option) for option in ("base_url", *url_options)}
            providers[kind.name] = kind(client_id=client_id, client_secret=client_secret, **urls)
    return providers


def title_of(provider: str) -> str:
    """How people know a provider ("GitHub"), for messages."""
    return next((kind.title for kind, _ in _KINDS if kind.name == provider), provider)
