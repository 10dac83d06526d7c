"""HTTP: /auth/oauth/{provider}/start, /link, /callback and unlinking: signing in with Google, GitHub or Discord."""

from __future__ import annotations

import hmac
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from particula.auth import oauth, oauth_service
from particula.auth.deps import CurrentUser
from particula.auth.oauth import OAuthError, OAuthErrorCode, PendingLogin, ProviderIdentity
from particula.auth.oauth_providers import Provider
from particula.auth.web import client_of, is_secure, set_refresh_cookie
from particula.cache.keys import OAUTH_STATE_TTL
from particula.deps import RedisDep, RuntimeDep, SessionDep
from particula.errors import Problem, problem_response
from particula.runtime import Runtime
from particula.users.schemas import Account

router = APIRouter(prefix="/auth/oauth", tags=["auth"])

# The browser that started a sign-in carries its state in this cookie; the callback must come from that browser.
BINDING_COOKIE = "particula_oauth"
BINDING_PATH = "/api/v1/auth/oauth"

# The status of each failure for a client that asks for JSON; a browser is redirected to /?auth_error=<code>.
FAILURE_STATUS: dict[OAuthErrorCode, int] = {
    "access_denied": 400,
    "invalid_state": 400,
    "unverified_email": 403,
    "exchange_failed": 502,
    "provider_error": 502,
    "invalid_id_token": 502,
}


class AuthorizeUrl(BaseModel):
    authorize_url: str


def _provider(runtime: Runtime, name: str) -> Provider:
    provider = runtime.oauth.get(name)
    if provider is None:
        raise Problem(404, f"Signing in with {name!r} is not available here.")
    return provider


def _redirect_uri(request: Request, runtime: Runtime, provider: Provider) -> str:
    """The callback URL; begin and complete must send the provider the very same one."""
    base = runtime.settings.public_url or str(request.base_url)
    return base.rstrip("/") + str(request.app.url_path_for("auth.oauth.callback", provider=provider.name))


def _as_problem(failure: OAuthError | Problem) -> Problem:
    if isinstance(failure, Problem):
        return failure
    return Problem(FAILURE_STATUS[failure.code], failure.message, slug=failure.code)


def _failed(request: Request, failure: OAuthError | Problem) -> Response:
    """problem+json for a client that asks for JSON; a browser goes home, where the client explains the code."""
    problem = _as_problem(failure)
    if "application/json" in request.headers.get("accept", ""):
        return problem_response(problem, request.url.path)
    return RedirectResponse("/?" + urlencode({"auth_error": problem.slug}), status_code=302)


async def _begin(
    request: Request, runtime: Runtime, provider: Provider, *, return_to: str, user: Account | None = None
) -> str:
    try:
        return await oauth.begin(
            runtime.redis,
            provider,
            redirect_uri=_redirect_uri(request, runtime, provider),
            link_user_id=str(user.id) if user else None,
            return_to=return_to,
        )
    except OAuthError as error:
        raise _as_problem(error) from None


def _bind(response: Response, request: Request, authorize_url: str) -> Response:
    """Tie the sign-in to this browser, so a callback URL sent to someone else (login CSRF) is refused."""
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    # Lax, not Strict: the callback is a top-level navigation coming from the provider's site.
    secure = is_secure(request)
    response.set_cookie(
        BINDING_COOKIE, state, max_age=OAUTH_STATE_TTL, path=BINDING_PATH, httponly=True, samesite="lax", secure=secure
    )
    return response


def _check_binding(request: Request, state: str | None) -> None:
    cookie = request.cookies.get(BINDING_COOKIE)
    if not cookie or not state or not hmac.compare_digest(cookie.encode(), state.encode()):
        raise OAuthError("invalid_state", "This sign-in was started in another browser or has expired; start again.")


@router.get("/{provider}/start", name="auth.oauth.start", status_code=302, response_class=RedirectResponse)
async def start(provider: str, request: Request, runtime: RuntimeDep, return_to: str = "/") -> Response:
    """Send the browser to the provider to consent; it comes back to the callback."""
    chosen = _provider(runtime, provider)
    try:
        url = await _begin(request, runtime, chosen, return_to=return_to)
    except Problem as problem:
        return _failed(request, problem)
    return _bind(RedirectResponse(url, status_code=302), request, url)


@router.post("/{provider}/link", name="auth.oauth.link", response_model=AuthorizeUrl)
async def link(
    provider: str, request: Request, user: CurrentUser, runtime: RuntimeDep, return_to: str = "/"
) -> Response:
    """Where the signed-in user's browser should go to link this provider (JSON: a navigation has no bearer)."""
    chosen = _provider(runtime, provider)
    oauth_service.ensure_can_link(user.oauth_provider)  # before the trip to the provider, not after
    url = await _begin(request, runtime, chosen, return_to=return_to, user=user)
    return _bind(JSONResponse(AuthorizeUrl(authorize_url=url).model_dump()), request, url)


@router.get("/{provider}/callback", name="auth.oauth.callback", status_code=302, response_class=RedirectResponse)
async def callback(
    provider: str,
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    """The provider sends the browser back here: sign in (or link), then go back to where the player was."""
    chosen = _provider(runtime, provider)
    try:
        _check_binding(request, state)
        redirect_uri = _redirect_uri(request, runtime, chosen)
        pending, identity = await oauth.complete(
            runtime.redis, chosen, state=state, code=code, error=error, redirect_uri=redirect_uri
        )
        response = await _finish(request, session, runtime, pending, identity)
    except (OAuthError, Problem) as failure:
        await session.rollback()  # answered, not raised: nothing a failed sign-in wrote may be committed
        response = _failed(request, failure)
    response.delete_cookie(BINDING_COOKIE, path=BINDING_PATH)
    return response


async def _finish(
    request: Request, session: AsyncSession, runtime: Runtime, pending: PendingLogin, identity: ProviderIdentity
) -> Response:
    response = RedirectResponse(pending.return_to, status_code=302)
    if pending.link_user_id is None:
        signed_in = await oauth_service.sign_in_with_provider(
            session, runtime.redis, runtime.secret_key, identity, client_of(request)
        )
        # The web client trades this cookie at /auth/refresh for an access token once it has loaded.
        set_refresh_cookie(response, request, signed_in.refresh_token)
        return response
    await oauth_service.link_provider(session, runtime.redis, uuid.UUID(pending.link_user_id), identity)
    return response


@router.delete("/{provider}", name="auth.oauth.unlink", response_model=Account)
async def unlink(provider: str, user: CurrentUser, session: SessionDep, redis: RedisDep) -> Account:
    """Stop signing in with this provider; refused while it is the only way to sign in."""
    return await oauth_service.unlink_provider(session, redis, user, provider)
