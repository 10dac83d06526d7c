"""HTTP: /auth/register, /login, /refresh, /logout, /sessions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from particula.auth import repository, service
from particula.auth.deps import CurrentSessionId, CurrentUser
from particula.auth.schemas import DeviceOut, Login, RefreshRequest, Registration, SignedIn
from particula.auth.web import COOKIE_PATH, REFRESH_COOKIE, client_of, set_refresh_cookie
from particula.deps import RuntimeDep, SessionDep
from particula.errors import Problem, problem_response

router = APIRouter(prefix="/auth", tags=["auth"])


def _signed_in(request: Request, signed_in: SignedIn, *, status: int = 200) -> JSONResponse:
    """The tokens as JSON, and the refresh token again as an httpOnly cookie for the web client."""
    response = JSONResponse(signed_in.model_dump(mode="json"), status_code=status)
    set_refresh_cookie(response, request, signed_in.refresh_token)
    return response


def _presented_token(request: Request, body: RefreshRequest | None) -> str:
    token = (body.refresh_token if body else None) or request.cookies.get(REFRESH_COOKIE)
    if not token:
        raise Problem(401, "No refresh token: send it in the body or the cookie.", slug="invalid-token")
    return token


@router.post("/register", name="auth.register", status_code=201, response_model=SignedIn)
async def register(form: Registration, request: Request, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    signed_in = await service.register(session, runtime.redis, runtime.secret_key, form, client_of(request))
    return _signed_in(request, signed_in, status=201)


@router.post("/login", name="auth.login", response_model=SignedIn)
async def login(form: Login, request: Request, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    signed_in = await service.login(
        session, runtime.redis, runtime.secret_key, form.login, form.password, client_of(request)
    )
    return _signed_in(request, signed_in)


@router.post("/refresh", name="auth.refresh", response_model=SignedIn)
async def refresh(
    request: Request, session: SessionDep, runtime: RuntimeDep, body: RefreshRequest | None = None
) -> JSONResponse:
    token = _presented_token(request, body)
    try:
        signed_in = await service.refresh(session, runtime.redis, runtime.secret_key, token, client_of(request))
    except service.TokenTheft:
        # Answered, not raised: the transaction must commit the revocation of every device.
        detail = "This refresh token was already used; every device has been signed out. Sign in again."
        response = problem_response(Problem(401, detail, slug="token-reused"), request.url.path)
        response.delete_cookie(REFRESH_COOKIE, path=COOKIE_PATH)
        return response
    return _signed_in(request, signed_in)


@router.post("/logout", name="auth.logout", status_code=204)
async def logout(request: Request, session: SessionDep, body: RefreshRequest | None = None) -> Response:
    await service.logout(session, _presented_token(request, body))
    response = Response(status_code=204)
    response.delete_cookie(REFRESH_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/sessions", name="auth.sessions", response_model=list[DeviceOut])
async def list_sessions(user: CurrentUser, session: SessionDep, current: CurrentSessionId) -> list[DeviceOut]:
    devices = await repository.devices(session, user.id)
    return [DeviceOut(**vars(device), current=device.id == current) for device in devices]


@router.delete("/sessions/{session_id}", name="auth.sessions.revoke", status_code=204)
async def revoke_session(session_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    if await repository.revoke_family(session, user.id, session_id) == 0:
        raise Problem(404, "No such signed-in device.")
    return Response(status_code=204)
