"""What every sign-in route shares: the refresh-token cookie for the web client, and who is asking."""

from __future__ import annotations

from fastapi import Request, Response

from particula.auth.service import Client
from particula.auth.tokens import REFRESH_TOKEN_TTL
from particula.deps import runtime_of
from particula.ratelimit import client_ip, is_trusted_proxy

REFRESH_COOKIE = "particula_refresh"
COOKIE_PATH = "/api/v1/auth"


def client_of(request: Request) -> Client:
    """The device as the device list shows it."""
    return Client(ip=client_ip(request), user_agent=request.headers.get("user-agent"))


def is_secure(request: Request) -> bool:
    """Whether the user's browser talks HTTPS to us: directly, per PARTICULA_PUBLIC_URL, or per a trusted proxy."""
    if request.url.scheme == "https":
        return True
    settings = runtime_of(request).settings
    if (settings.public_url or "").startswith("https://"):
        return True
    peer = request.client.host if request.client else ""
    trusted = is_trusted_proxy(peer, settings.trusted_proxies)
    return trusted and request.headers.get("x-forwarded-proto", "").lower() == "https"


def set_refresh_cookie(response: Response, request: Request, refresh_token: str) -> None:
    """The refresh token as an httpOnly, SameSite=Strict cookie that only /api/v1/auth/... ever receives."""
    response.set_cookie(
        REFRESH_COOKIE,
        refresh_token,
        max_age=REFRESH_TOKEN_TTL,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=is_secure(request),
    )
