"""The refresh cookie is Secure whenever the browser reaches us over HTTPS, even through a TLS proxy."""

from __future__ import annotations

import httpx
import pytest

from particula.config import Settings
from tests.factories import PASSWORD


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"trusted_proxies": ["127.0.0.1"]})


async def register_cookie(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    form = {"email": "c@example.com", "username": "cookie", "password": PASSWORD}
    response = await client.post("/api/v1/auth/register", json=form, headers=headers)
    assert response.status_code == 201
    return response.headers["set-cookie"].lower()


async def test_plain_http_in_development_is_not_secure(client: httpx.AsyncClient) -> None:
    assert "secure" not in await register_cookie(client, {})


async def test_behind_a_trusted_tls_proxy_the_cookie_is_secure(client: httpx.AsyncClient) -> None:
    assert "; secure" in await register_cookie(client, {"x-forwarded-proto": "https"})


async def test_a_public_https_url_makes_the_cookie_secure(settings: Settings, client: httpx.AsyncClient) -> None:
    settings.public_url = "https://particula.example"
    assert "; secure" in await register_cookie(client, {})
