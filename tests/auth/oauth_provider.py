"""A local OAuth provider server speaking Google's (OpenID Connect), GitHub's and Discord's protocols over HTTP."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from particula.config import Settings

PROVIDERS = ("google", "github", "discord")
KEY_ID = "test-key-1"
# What each provider needs in the consent request before it shows the consent screen.
REQUIRED_SCOPES = {"google": {"openid", "email"}, "github": {"user:email"}, "discord": {"identify", "email"}}


def client_credentials(provider: str) -> tuple[str, str]:
    return f"{provider}-client-id", f"{provider}-client-secret"


@dataclass(frozen=True)
class Person:
    """The account that consents at the provider."""

    subject: str
    email: str | None
    verified: bool
    name: str


DEFAULT_PEOPLE = {
    "google": Person(subject="108234567890", email="ada@example.com", verified=True, name="Ada Lovelace"),
    "github": Person(subject="583231", email="grace@example.com", verified=True, name="grace-hopper"),
    "discord": Person(subject="80351110224678912", email="alan@example.com", verified=True, name="alan_t"),
}


@dataclass(frozen=True)
class IssuedCode:
    provider: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    person: Person


def s256(code_verifier: str) -> str:
    digest = hashlib.sha256(code_verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _FailureInjector:
    """ASGI wrapper: answers a path the test told to fail, once, instead of the real handler."""

    def __init__(self, app: ASGIApp, owner: OAuthProviderServer) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        failure = self.owner._take_failure(scope["path"]) if scope["type"] == "http" else None
        if failure is None:
            await self.app(scope, receive, send)
            return
        status, body = failure
        await PlainTextResponse(body, status_code=status, media_type="application/json")(scope, receive, send)


class OAuthProviderServer:
    """The three providers on one uvicorn server in a thread; tests steer it through the methods below."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._forging_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._server = uvicorn.Server(
            uvicorn.Config(
                _FailureInjector(self._routes(), self),
                lifespan="off",
                ws="none",
                log_config=None,
                log_level="warning",
                access_log=False,
            )
        )
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)
        self.reset()

    # --- what tests call ---------------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._people = dict(DEFAULT_PEOPLE)
            self._deny: set[str] = set()
            self._failures: dict[str, tuple[int, str]] = {}
            self._id_token_tampering: tuple[bool, dict[str, Any]] | None = None
            self._codes: dict[str, IssuedCode] = {}
            self._tokens: dict[str, tuple[str, Person]] = {}
            self.token_requests = 0

    def sign_in_as(self, provider: str, *, subject: str, email: str | None, verified: bool = True, name: str) -> None:
        """The person who consents at `provider` from now on."""
        with self._lock:
            self._people[provider] = Person(subject=subject, email=email, verified=verified, name=name)

    def deny_next(self, provider: str) -> None:
        """The next consent at `provider` is refused: the browser comes back with error=access_denied."""
        with self._lock:
            self._deny.add(provider)

    def fail_next(self, path: str, *, status: int = 500, body: str = '{"message": "Internal error"}') -> None:
        """The next request to `path` (e.g. "/github/login/oauth/access_token") gets this answer instead."""
        with self._lock:
            self._failures[path] = (status, body)

    def tamper_next_id_token(self, claims: dict[str, Any] | None = None, *, forged: bool = False) -> None:
        """The next Google id_token carries these claims and/or is signed with a key not in the JWKS (forged)."""
        with self._lock:
            self._id_token_tampering = (forged, claims or {})

    def settings(self, base: Settings, *, providers: tuple[str, ...] = PROVIDERS) -> Settings:
        """`base` with `providers` enabled and pointed at this server."""
        update: dict[str, Any] = {
            "oauth_google_base_url": f"{self.url}/google",
            "oauth_github_base_url": f"{self.url}/github",
            "oauth_github_api_url": f"{self.url}/github-api",
            "oauth_discord_base_url": f"{self.url}/discord",
        }
        for provider in providers:
            update[f"oauth_{provider}_client_id"], update[f"oauth_{provider}_client_secret"] = client_credentials(
                provider
            )
        return base.model_copy(update=update)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the OAuth provider server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    # --- the protocol ------------------------------------------------------------------------------

    def _take_failure(self, path: str) -> tuple[int, str] | None:
        with self._lock:
            return self._failures.pop(path, None)

    def _routes(self) -> Starlette:
        def per_provider(provider: str, handler: Any) -> Any:
            async def endpoint(request: Request) -> Response:
                response: Response = await handler(request, provider)
                return response

            return endpoint

        return Starlette(
            routes=[
                Route("/google/.well-known/openid-configuration", self._discovery),
                Route("/google/jwks", self._jwks),
                Route("/google/authorize", per_provider("google", self._authorize)),
                Route("/google/token", per_provider("google", self._token), methods=["POST"]),
                Route("/google/userinfo", self._google_userinfo),
                Route("/github/login/oauth/authorize", per_provider("github", self._authorize)),
                Route("/github/login/oauth/access_token", per_provider("github", self._token), methods=["POST"]),
                Route("/github-api/user", self._github_user),
                Route("/github-api/user/emails", self._github_emails),
                Route("/discord/oauth2/authorize", per_provider("discord", self._authorize)),
                Route("/discord/api/oauth2/token", per_provider("discord", self._token), methods=["POST"]),
                Route("/discord/api/users/@me", self._discord_me),
            ]
        )

    async def _discovery(self, request: Request) -> Response:
        google = f"{self.url}/google"
        return JSONResponse(
            {
                "issuer": google,
                "authorization_endpoint": f"{google}/authorize",
                "token_endpoint": f"{google}/token",
                "userinfo_endpoint": f"{google}/userinfo",
                "jwks_uri": f"{google}/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def _jwks(self, request: Request) -> Response:
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.signing_key.public_key(), as_dict=True)
        return JSONResponse({"keys": [{**jwk, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]})

    async def _authorize(self, request: Request, provider: str) -> Response:
        params = request.query_params
        redirect_uri = params.get("redirect_uri")
        # A bad client or a missing redirect_uri is shown to the person, never redirected (RFC 6749 4.1.2.1).
        if params.get("client_id") != client_credentials(provider)[0] or not redirect_uri:
            return PlainTextResponse("unknown client or redirect_uri", status_code=400)
        state = params.get("state", "")
        scopes = set(params.get("scope", "").split())
        valid = (
            params.get("response_type") == "code"
            and params.get("code_challenge_method") == "S256"
            and params.get("code_challenge")
            and REQUIRED_SCOPES[provider] <= scopes
            and (provider != "google" or params.get("nonce"))
        )
        if not valid:
            return _back(redirect_uri, error="invalid_request", state=state)
        with self._lock:
            if provider in self._deny:
                self._deny.discard(provider)
                return _back(redirect_uri, error="access_denied", state=state)
            code = secrets.token_urlsafe(24)
            self._codes[code] = IssuedCode(
                provider, redirect_uri, params["code_challenge"], params.get("nonce"), self._people[provider]
            )
        return _back(redirect_uri, code=code, state=state)

    async def _token(self, request: Request, provider: str) -> Response:
        form = await request.form()
        field = {key: value for key, value in form.items() if isinstance(value, str)}
        client_id, client_secret = _client_of(request, field)
        with self._lock:
            self.token_requests += 1
            expected_id, expected_secret = client_credentials(provider)
            if client_id != expected_id or not hmac.compare_digest(client_secret, expected_secret):
                return _token_error(provider, "invalid_client", status=401)
            if field.get("grant_type") != "authorization_code":
                return _token_error(provider, "unsupported_grant_type")
            issued = self._codes.pop(field.get("code", ""), None)  # a code works once
            verifier = field.get("code_verifier", "")
            if (
                issued is None
                or issued.provider != provider
                or issued.redirect_uri != field.get("redirect_uri")
                or not hmac.compare_digest(s256(verifier), issued.code_challenge)
            ):
                return _token_error(provider, "invalid_grant")
            access_token = secrets.token_urlsafe(24)
            self._tokens[access_token] = (provider, issued.person)
            body: dict[str, Any] = {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600}
            if provider == "google":
                body["id_token"] = self._id_token(issued)
        return JSONResponse(body)

    def _id_token(self, issued: IssuedCode) -> str:
        person = issued.person
        now = int(time.time())
        client_id = client_credentials("google")[0]
        claims: dict[str, Any] = {
            "iss": f"{self.url}/google",
            "aud": client_id,
            "azp": client_id,
            "sub": person.subject,
            "email": person.email,
            "email_verified": person.verified,
            "name": person.name,
            "nonce": issued.nonce,
            "iat": now,
            "exp": now + 3600,
        }
        forged, overrides = self._id_token_tampering or (False, {})
        self._id_token_tampering = None
        key = self._forging_key if forged else self.signing_key
        return jwt.encode({**claims, **overrides}, key, algorithm="RS256", headers={"kid": KEY_ID})

    def _bearer(self, request: Request, provider: str) -> Person | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self._lock:
            found = self._tokens.get(token) if scheme.lower() == "bearer" else None
        return found[1] if found is not None and found[0] == provider else None

    async def _google_userinfo(self, request: Request) -> Response:
        person = self._bearer(request, "google")
        if person is None:
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        return JSONResponse(
            {"sub": person.subject, "email": person.email, "email_verified": person.verified, "name": person.name}
        )

    async def _github_user(self, request: Request) -> Response:
        person = self._bearer(request, "github")
        if person is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        # The public profile email is null: GitHub users usually keep it private.
        return JSONResponse({"id": int(person.subject), "login": person.name, "name": None, "email": None})

    async def _github_emails(self, request: Request) -> Response:
        person = self._bearer(request, "github")
        if person is None:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        emails = [{"email": f"{person.subject}+{person.name}@users.noreply.github.com", "primary": False}]
        if person.email is not None:
            emails.append({"email": person.email, "primary": True})
        return JSONResponse([{**entry, "verified": person.verified, "visibility": None} for entry in emails])

    async def _discord_me(self, request: Request) -> Response:
        person = self._bearer(request, "discord")
        if person is None:
            return JSONResponse({"message": "401: Unauthorized", "code": 0}, status_code=401)
        return JSONResponse(
            {
                "id": person.subject,
                "username": person.name,
                "global_name": person.name.title(),
                "email": person.email,
                "verified": person.verified,
            }
        )


def _back(redirect_uri: str, **params: str) -> Response:
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", status_code=302)


def _client_of(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """Client id and secret from HTTP Basic or from the form (client_secret_post); both are allowed."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        client_id, _, client_secret = base64.b64decode(encoded).decode().partition(":")
        return client_id, client_secret
    return form.get("client_id", ""), form.get("client_secret", "")


def _token_error(provider: str, error: str, *, status: int = 400) -> Response:
    # GitHub answers token errors with 200 and an error object; the others with a 4xx (RFC 6749 5.2).
    return JSONResponse(
        {"error": error, "error_description": error}, status_code=200 if provider == "github" else status
    )
