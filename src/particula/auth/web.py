"""What every sign-in route shares: the refresh-token cookie for the web client, and who is asking."""

from __future__ import annotations

from fastapi import Request, Response

from particula.auth.service import Client
from particula.auth.tokens import REFRESH_TOKEN_TTL
from particula.ratelimit import client_ip

REFRESH_COOKIE = "particula_refresh"
COOKIE_PATH = "/api/v1/auth"


def client_of(request: Request) -> Client:
    """The device as the device list shows it."""
    return Client(ip=client_ip(request), user_agent=request.headers.get("user-agent"))


def set_refresh_cookie(response: Response, request: Request, refresh_token: str) -> None:
    """The refresh token as an httpOnly, SameSite=Strict cookie that only /api/v1/auth/... ever receives."""
    response.set_cookie(
        REFRESH_COOKIE,
        refresh_token,
        max_age=REFRESH_TOKEN_TTL,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
